//! Files on the box are its user's alone (docs/security.md, "Files"): the
//! real binary, started with a permissive umask over a data folder an older
//! install left world-readable, leaves the data and log folders 0700 and
//! every file in them, and a backup, 0600; a token file others can read is
//! refused with the chmod to run.

use crate::support as security_support;

use security_support::*;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).expect("exists").permissions().mode() & 0o777
}

/// Every folder and file under `dir` with a mode others or the group can use.
fn open_to_others(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        let m = mode(&p);
        if m & 0o077 != 0 {
            out.push(format!("{} {:o}", p.display(), m));
        }
        if p.is_dir() {
            for e in std::fs::read_dir(&p).expect("read_dir") {
                stack.push(e.expect("entry").path());
            }
        }
    }
    out
}

#[test]
fn the_store_logs_and_backups_are_private_to_the_consoles_user() {
    let (dir, cfg, listen) = prepare("");
    let data = dir.path().join("data");
    // An older install: everything readable by all.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    for e in std::fs::read_dir(&data).expect("data") {
        let p = e.expect("entry").path();
        if p.is_file() {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        }
    }
    let mut child = passline(&cfg, &["serve"])
        .pre_exec_umask()
        .spawn()
        .expect("serve starts");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(&listen).is_err() {
        assert!(std::time::Instant::now() < deadline, "serve did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    assert_eq!(mode(&data), 0o700);
    assert_eq!(open_to_others(&data), Vec::<String>::new());
    let logs = dir.path().join("logs");
    assert_eq!(mode(&logs), 0o700);
    assert!(
        std::fs::read_dir(&logs).expect("logs").count() > 0,
        "a log file"
    );
    assert_eq!(open_to_others(&logs), Vec::<String>::new());
    let backup = dir.path().join("usb-stick.bak");
    let out = passline(&cfg, &["backup", "--to", &backup.display().to_string()])
        .pre_exec_umask()
        .output()
        .expect("backup runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&backup), 0o600);
}

#[test]
fn a_token_file_others_can_read_is_refused_with_the_fix() {
    let (dir, cfg, _) = prepare("");
    let token = dir.path().join("api-token");
    std::fs::write(&token, "till-token\n").expect("write");
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = passline(
        &cfg,
        &[
            "ctl",
            "--token-file",
            &token.display().to_string(),
            "orders",
        ],
    )
    .output()
    .expect("ctl runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("can be read by other users"), "{err}");
    assert!(err.contains("chmod 600"), "{err}");
}

/// Runs the child with umask 022, as a login shell would, so the test
/// shows the console's own umask, not the test runner's.
trait Umask {
    fn pre_exec_umask(&mut self) -> &mut Self;
}

impl Umask for std::process::Command {
    fn pre_exec_umask(&mut self) -> &mut Self {
        use std::os::unix::process::CommandExt;
        // SAFETY: umask is async-signal-safe and touches only the child.
        unsafe {
            self.pre_exec(|| {
                libc::umask(0o022);
                Ok(())
            })
        };
        self
    }
}
