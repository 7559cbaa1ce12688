//! Secrets typed or passed to the console: PINs are read from the terminal
//! without echo, and tokens come from a file or the environment, never the
//! command line (where `ps` shows them to every user of the box).

use std::io::{BufRead, Write};
use std::path::Path;

/// Asks for a secret on the terminal without showing what is typed (echo
/// off while reading, back on after, even on an error). When stdin is not
/// a terminal (a pipe), the line is read as it is.
pub fn read_hidden(prompt: &str) -> std::io::Result<String> {
    eprint!("{prompt}");
    std::io::stderr().flush().ok();
    let _quiet = EchoOff::new();
    let mut s = String::new();
    std::io::stdin().lock().read_line(&mut s)?;
    if _quiet.is_some() {
        eprintln!();
    }
    Ok(s.trim().to_string())
}

/// Turns the terminal's echo off until dropped.
struct EchoOff {
    saved: libc::termios,
}

impl EchoOff {
    fn new() -> Option<EchoOff> {
        // SAFETY: isatty and tcgetattr only read the terminal state of fd 0
        // into a termios we own; tcsetattr writes a copy of it back.
        unsafe {
            if libc::isatty(0) != 1 {
                return None;
            }
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut t) != 0 {
                return None;
            }
            let saved = t;
            t.c_lflag &= !(libc::ECHO | libc::ECHONL);
            t.c_lflag |= libc::ICANON;
            if libc::tcsetattr(0, libc::TCSANOW, &t) != 0 {
                return None;
            }
            Some(EchoOff { saved })
        }
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        // SAFETY: restores the state read in `new` on the same fd.
        unsafe {
            libc::tcsetattr(0, libc::TCSANOW, &self.saved);
        }
    }
}

/// What to say when a token is given on the command line.
pub const TOKEN_ON_COMMAND_LINE: &str = "a token on the command line is visible to every user of this box (ps, shell history): put it in a file readable only by you and pass --token-file FILE, or set PASSLINE_TOKEN";

/// Makes everything this process creates from now on private to its user
/// (umask 077: folders 0700, files 0600): the store, logs, backups, keys.
pub fn private_umask() {
    // SAFETY: umask only sets the calling process's file mode mask.
    unsafe {
        libc::umask(0o077);
    }
}

/// Takes group and other access away from `dir` and everything in it
/// (folders 0700, files 0600), for a data or log folder made before the
/// umask, or by hand. Symbolic links are left alone.
pub fn make_private(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(dir)?;
    if meta.file_type().is_symlink() {
        return Ok(());
    }
    let mode = meta.permissions().mode();
    if meta.is_dir() {
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode & 0o700))?;
        }
        for entry in std::fs::read_dir(dir)? {
            make_private(&entry?.path())?;
        }
    } else if mode & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode & 0o600))?;
    }
    Ok(())
}

/// Refuses a secret file others may read (a token, a key): what to run.
pub fn check_private_file(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| e.to_string())?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "{} can be read by other users (mode {:o}): run chmod 600 {}",
            path.display(),
            mode & 0o777,
            path.display()
        ));
    }
    Ok(())
}
