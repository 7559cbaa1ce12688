//! The console under test: the real `passline` binary, `serve` with no
//! screen, in its own process on a config in a temp dir (feed and printers on
//! loopback). It is killed with SIGKILL and started again; `ctl` talks to
//! it through the local API as a cashier's script would; `export` reads its
//! store after a clean stop.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

pub const CASHIER: &str = "01";
pub const CASHIER_PIN: &str = "1234";
pub const COOK: &str = "21";
pub const COOK_PIN: &str = "2121";

/// Where the console finds its parts.
pub struct Wiring {
    pub feed_url: String,
    /// (name, connect, stations, receipts and drawer)
    pub printers: Vec<(String, String, Vec<String>, bool)>,
}

pub struct ConsoleProc {
    pub dir: PathBuf,
    pub config: PathBuf,
    pub api: String,
    child: Option<Child>,
    /// Times `serve` was started.
    pub starts: u32,
    /// The last event id of the history the store started with (0: empty);
    /// the checks read only what came after it.
    pub baseline: u64,
    /// The history's open orders: the cashier and the cook leave them be.
    pub history_open: std::collections::BTreeSet<String>,
    /// `PASSLINE_SOAK_LIMIT=1`: the cheap box's cgroup for every start.
    limits: Option<super::limits::Limits>,
    /// Spawn to the API answering, per start, ms.
    pub startups: Vec<f64>,
    /// The highest VmHWM of any run of the console, KiB.
    pub peak_rss_kib: u64,
    /// Each run's VmHWM, KiB, in start order.
    pub run_peaks: Vec<u64>,
    /// More environment for `serve` (the power-cut demonstration's).
    pub env: Vec<(String, String)>,
}

impl ConsoleProc {
    /// The control file of the store's write-fault hook: while it exists,
    /// every commit of the console fails as on a full or read-only disk.
    pub fn disk_fault_file(&self) -> PathBuf {
        self.dir.join("disk-fails")
    }

    /// Makes the disk fail for the console's writes, or work again.
    pub fn set_disk_failing(&self, failing: bool) {
        let f = self.disk_fault_file();
        if failing {
            std::fs::write(&f, b"writes fail while this file exists\n")
                .expect("create the write-fault control file");
        } else if let Err(e) = std::fs::remove_file(&f) {
            assert!(e.kind() == std::io::ErrorKind::NotFound, "{e}");
        }
    }
}

/// What a `ctl` run ended with.
#[derive(Debug)]
pub struct Ctl {
    /// The exit code; None when it had to be killed (no answer in time).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_passline")
}

/// A free port on 127.0.0.1 for the API (bound, read, released).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    l.local_addr().expect("bound").port()
}

impl ConsoleProc {
    /// Writes the config and adds the cashier (on the stopped store).
    pub fn new(dir: &Path, wiring: &Wiring, token: &str) -> ConsoleProc {
        ConsoleProc::with_data_dir(dir, &dir.join("data"), wiring, token)
    }

    /// The same with the store at `data` (the power-cut test's disk).
    pub fn with_data_dir(dir: &Path, data: &Path, wiring: &Wiring, token: &str) -> ConsoleProc {
        let api = format!("127.0.0.1:{}", free_port());
        let mut text = format!(
            r#"[store]
id = "S001"
name = "老王川菜"
fire = "on_payment"
data_dir = "{data}"
cash_rounding = "fen"
timezone = "Asia/Shanghai"
receipt_on_settle = true

[feed]
url = "{url}"
token = "{token}"
device_id = "box-1"

[api]
listen = "{api}"

[log]
dir = "{logs}"
level = "info"
"#,
            data = data.display(),
            url = wiring.feed_url,
            logs = dir.join("logs").display(),
        );
        for (name, connect, stations, counter) in &wiring.printers {
            let stations: Vec<String> = stations.iter().map(|s| format!("\"{s}\"")).collect();
            text.push_str(&format!(
                "\n[[printers]]\nname = \"{name}\"\nprofile = \"xprinter-xp-80\"\nconnect = \"{connect}\"\nstations = [{}]\nreceipts = {counter}\ndrawer = {counter}\n",
                stations.join(", ")
            ));
        }
        let config = dir.join("config.toml");
        std::fs::write(&config, text).expect("write the console's config");
        let (baseline, history_open) = match std::env::var_os("PASSLINE_SOAK_HISTORY") {
            Some(h) => super::limits::seed_history(Path::new(&h), data),
            None => Default::default(),
        };
        let limits = (std::env::var("PASSLINE_SOAK_LIMIT").as_deref() == Ok("1")).then(|| {
            let l = super::limits::Limits::make();
            println!("soak: console limits: {}", l.note);
            l
        });
        let c = ConsoleProc {
            dir: dir.to_path_buf(),
            config,
            api,
            child: None,
            starts: 0,
            baseline,
            history_open,
            limits,
            startups: Vec::new(),
            peak_rss_kib: 0,
            run_peaks: Vec::new(),
            env: Vec::new(),
        };
        for (id, name, role, pin) in [
            (CASHIER, "王芳", "cashier", CASHIER_PIN),
            (COOK, "李师傅", "kitchen", COOK_PIN),
        ] {
            let staff = |args: &[&str]| {
                std::process::Command::new(exe())
                    .arg("--config")
                    .arg(&c.config)
                    .arg("staff")
                    .args(args)
                    .env("PASSLINE_PIN", pin)
                    .stdin(Stdio::null())
                    .output()
                    .expect("run passline staff")
            };
            let mut out = staff(&["add", "--id", id, "--name", name, "--role", role]);
            // A history may know this id already (with the same role): its
            // PIN is set to the soak's.
            if String::from_utf8_lossy(&out.stderr).contains("already exists") {
                out = staff(&["set-pin", id]);
            }
            assert!(
                out.status.success(),
                "staff add failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        c
    }

    fn output_file(&self) -> std::fs::File {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("serve.out"))
            .expect("the console's output file")
    }

    /// Starts `passline serve` and waits (bounded) until `ctl feed` is answered.
    pub async fn start(&mut self) {
        assert!(self.child.is_none(), "the console is already running");
        let mut cmd = Command::new(exe());
        cmd.arg("--config")
            .arg(&self.config)
            .arg("serve")
            .env_remove("PASSLINE_TOKEN")
            .env(passline::store::fault::ENV, self.disk_fault_file())
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(self.output_file())
            .stderr(self.output_file())
            .kill_on_drop(true);
        if let Some(l) = &self.limits {
            // SAFETY: the hook only makes async-signal-safe calls (limits.rs).
            unsafe {
                cmd.pre_exec(l.hook());
            }
        }
        let spawned = Instant::now();
        let child = cmd.spawn().expect("start passline serve");
        self.child = Some(child);
        self.starts += 1;
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            if self.ctl(&["feed"]).await.code == Some(0) {
                self.startups.push(spawned.elapsed().as_secs_f64() * 1000.0);
                return;
            }
            if let Some(Ok(Some(st))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!(
                    "passline serve exited at start ({st}); see {}",
                    self.dir.join("serve.out").display()
                );
            }
            assert!(
                Instant::now() < until,
                "passline serve did not open its API within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL: no destructor, no flush, no goodbye.
    pub async fn kill(&mut self) {
        self.note_rss();
        if let Some(mut c) = self.child.take() {
            let _ = c.start_kill();
            let _ = c.wait().await;
        }
    }

    /// A power cut: the console is frozen (SIGSTOP) so it can do nothing
    /// more, `cut` drops what its disk had not made durable, then SIGKILL.
    pub async fn power_cut(&mut self, cut: impl FnOnce()) {
        self.note_rss();
        let Some(mut c) = self.child.take() else {
            cut();
            return;
        };
        if let Some(pid) = c.id() {
            // SAFETY: `pid` is our own child, still running (not yet waited).
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGSTOP);
            }
        }
        cut();
        let _ = c.start_kill();
        let _ = c.wait().await;
    }

    /// Whether the console process has exited by itself (its status).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// SIGTERM and wait for the clean stop; the exit code.
    pub async fn stop(&mut self) -> Option<i32> {
        self.note_rss();
        let mut c = self.child.take()?;
        if let Some(pid) = c.id() {
            // SAFETY: `pid` is our own child, still running (not yet waited).
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGTERM);
            }
        }
        match tokio::time::timeout(Duration::from_secs(20), c.wait()).await {
            Ok(Ok(st)) => st.code(),
            _ => {
                let _ = c.start_kill();
                let _ = c.wait().await;
                None
            }
        }
    }

    /// Keeps the running console's peak resident memory.
    fn note_rss(&mut self) {
        if let Some(pid) = self.child.as_ref().and_then(|c| c.id()) {
            let kib = super::limits::vm_hwm_kib(pid);
            self.peak_rss_kib = self.peak_rss_kib.max(kib);
            self.run_peaks.push(kib);
        }
    }

    /// The cgroup's OOM kills so far (0 without limits).
    pub fn oom_kills(&self) -> u64 {
        self.limits.as_ref().map_or(0, |l| l.oom_kills())
    }

    /// One `passline ctl` run against this console (as the cashier).
    pub async fn ctl(&self, args: &[&str]) -> Ctl {
        ctl(&self.config, &self.api, args).await
    }

    /// `passline export --json` or `--events` of the stopped console's store.
    pub fn export(&self, what: &str) -> String {
        let out = std::process::Command::new(exe())
            .arg("--config")
            .arg(&self.config)
            .args(["export", what, "--after-event", &self.baseline.to_string()])
            .stdin(Stdio::null())
            .output()
            .expect("run passline export");
        assert!(
            out.status.success(),
            "export {what} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("export writes UTF-8")
    }
}

/// `passline ctl` as the cashier, a separate process, bounded in time.
pub async fn ctl(config: &Path, api: &str, args: &[&str]) -> Ctl {
    ctl_as(config, api, (CASHIER, CASHIER_PIN), args).await
}

/// `passline ctl` as one staff member (id, PIN), bounded in time.
pub async fn ctl_as(config: &Path, api: &str, (staff, pin): (&str, &str), args: &[&str]) -> Ctl {
    let child = Command::new(exe())
        .arg("--config")
        .arg(config)
        .arg("ctl")
        .args(["--url", &format!("ws://{api}"), "--staff", staff])
        .args(args)
        .env("PASSLINE_PIN", pin)
        .env_remove("PASSLINE_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start passline ctl");
    match tokio::time::timeout(Duration::from_secs(20), child.wait_with_output()).await {
        Ok(Ok(out)) => Ctl {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        },
        _ => Ctl {
            code: None,
            stdout: String::new(),
            stderr: "no answer within 20 s".into(),
        },
    }
}
