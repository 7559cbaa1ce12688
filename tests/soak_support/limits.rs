//! The cheap box the stores use, for the console under test: limits of one
//! core's worth of CPU and 256 MiB through cgroups (v1 or v2, needs root)
//! with the process pinned to CPU 0, and a big history to start from.
//! Shared by the soak (`PASSLINE_SOAK_LIMIT`, `PASSLINE_SOAK_HISTORY`) and
//! `benches/cheap_box.rs`.
#![allow(dead_code)]

use std::ffi::CString;
use std::path::{Path, PathBuf};

pub const MEMORY_MAX: u64 = 256 << 20;

/// The cgroup(s) the console runs in: one core's worth of CPU and 256 MiB.
pub struct Limits {
    /// `cgroup.procs` files to join (v1: memory and cpu; v2: one).
    procs: Vec<CString>,
    dirs: Vec<PathBuf>,
    pub note: String,
}

impl Limits {
    pub fn make() -> Limits {
        let name = format!("passline-cheap-box-{}", std::process::id());
        let v2 = Path::new("/sys/fs/cgroup/cgroup.controllers");
        let tried = if v2.exists() {
            Self::v2(&Path::new("/sys/fs/cgroup").join(&name))
        } else {
            Self::v1(
                &Path::new("/sys/fs/cgroup/memory").join(&name),
                &Path::new("/sys/fs/cgroup/cpu").join(&name),
            )
        };
        match tried {
            Ok(l) => l,
            Err(e) => Limits {
                procs: Vec::new(),
                dirs: Vec::new(),
                note: format!("NOT limited ({e}); pinned to CPU 0 only"),
            },
        }
    }

    fn v1(mem: &Path, cpu: &Path) -> std::io::Result<Limits> {
        std::fs::create_dir_all(mem)?;
        std::fs::create_dir_all(cpu)?;
        std::fs::write(mem.join("memory.limit_in_bytes"), MEMORY_MAX.to_string())?;
        // With no swap here this is the same limit; where swap exists it stops
        // the console from swapping its way around the limit.
        let _ = std::fs::write(
            mem.join("memory.memsw.limit_in_bytes"),
            MEMORY_MAX.to_string(),
        );
        std::fs::write(cpu.join("cpu.cfs_period_us"), "100000")?;
        std::fs::write(cpu.join("cpu.cfs_quota_us"), "100000")?;
        Ok(Limits {
            procs: vec![procs_file(mem), procs_file(cpu)],
            dirs: vec![mem.to_path_buf(), cpu.to_path_buf()],
            note: "cgroup v1: memory.limit_in_bytes 256 MiB, cpu.cfs_quota_us 100000/100000, pinned to CPU 0".into(),
        })
    }

    fn v2(dir: &Path) -> std::io::Result<Limits> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("memory.max"), MEMORY_MAX.to_string())?;
        let _ = std::fs::write(dir.join("memory.swap.max"), "0");
        std::fs::write(dir.join("cpu.max"), "100000 100000")?;
        Ok(Limits {
            procs: vec![procs_file(dir)],
            dirs: vec![dir.to_path_buf()],
            note: "cgroup v2: memory.max 256 MiB, cpu.max 100000/100000, pinned to CPU 0".into(),
        })
    }

    /// Peak memory the cgroup saw (v1 only; v2 has `memory.peak` on new kernels).
    pub fn peak_bytes(&self) -> Option<u64> {
        self.dirs.iter().find_map(|d| {
            ["memory.max_usage_in_bytes", "memory.peak"]
                .iter()
                .find_map(|f| std::fs::read_to_string(d.join(f)).ok())
                .and_then(|s| s.trim().parse().ok())
        })
    }

    pub fn oom_kills(&self) -> u64 {
        self.dirs
            .iter()
            .filter_map(|d| std::fs::read_to_string(d.join("memory.oom_control")).ok())
            .flat_map(|s| {
                s.lines()
                    .filter_map(|l| l.strip_prefix("oom_kill ").and_then(|v| v.parse().ok()))
                    .collect::<Vec<u64>>()
            })
            .sum()
    }

    /// The `pre_exec` hook that puts a child in the limits before it runs
    /// `passline`: joins the cgroups and pins it to CPU 0. It only makes
    /// async-signal-safe calls (open, write, close, sched_setaffinity) on
    /// data prepared before the fork.
    pub fn hook(&self) -> impl FnMut() -> std::io::Result<()> + Send + Sync + 'static {
        let procs = self.procs.clone();
        move || {
            // SAFETY: plain system calls on a NUL-terminated path and a
            // zeroed cpu set, between fork and exec.
            unsafe {
                for p in &procs {
                    let fd = libc::open(p.as_ptr(), libc::O_WRONLY);
                    if fd < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    let zero = b"0";
                    let n = libc::write(fd, zero.as_ptr().cast(), zero.len());
                    libc::close(fd);
                    if n < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                libc::CPU_SET(0, &mut set);
                libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
            }
            Ok(())
        }
    }
}

impl Drop for Limits {
    fn drop(&mut self) {
        for d in &self.dirs {
            let _ = std::fs::remove_dir(d);
        }
    }
}

fn procs_file(dir: &Path) -> CString {
    CString::new(dir.join("cgroup.procs").display().to_string()).expect("no NUL in a cgroup path")
}

/// Peak resident memory of a running process (VmHWM), KiB.
pub fn vm_hwm_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// Copies a store with history as the console's
/// data dir and returns its last event id and its open orders. The copy's platform cursor is set
/// back to 0: the simulator numbers its feed from 1, as a new platform would.
pub fn seed_history(from: &Path, data: &Path) -> (u64, std::collections::BTreeSet<String>) {
    let ok = std::process::Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(data)
        .status()
        .expect("run cp");
    assert!(
        ok.success(),
        "copying the history store {} failed",
        from.display()
    );
    let _ = std::fs::remove_file(data.join("built"));
    let store = passline::store::Store::open(data, 8 << 20).expect("the history store opens");
    let last = store.last_event_id().expect("the history's last event");
    let open = store
        .open_orders()
        .expect("the history's open orders")
        .into_iter()
        .map(|o| o.order.id.0)
        .collect();
    store
        .meta
        .insert("cursor", &0u64.to_be_bytes())
        .expect("reset the cursor");
    store.flush().expect("flush the history store");
    (last, open)
}
