//! A fault hook for the soak (docs/reliability.md): with
//! `PASSLINE_FAULT_WRITES=<file>` in the environment, every commit fails,
//! as on a full or read-only disk, for as long as `<file>` exists. Nothing
//! is written while it fails; the engine refuses the batch and reloads, the
//! feed does not acknowledge, and a cashier is told to try again. Unset
//! (always, in a store), it costs nothing.

use super::{Result, StoreError};
use std::path::PathBuf;

/// The environment variable that names the control file.
pub const ENV: &str = "PASSLINE_FAULT_WRITES";

/// Where the hook looks, if it is on.
#[derive(Debug, Clone, Default)]
pub struct WriteFault(Option<PathBuf>);

impl WriteFault {
    /// From the environment; logs a warning when the hook is on.
    pub fn from_env() -> WriteFault {
        let path = std::env::var_os(ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        if let Some(p) = &path {
            tracing::warn!(
                control = %p.display(),
                "{ENV} is set: writes fail while the control file exists (a test hook; unset it in a store)"
            );
        }
        WriteFault(path)
    }

    /// A hook on `control` (tests set it on a store directly).
    pub fn at(control: &std::path::Path) -> WriteFault {
        WriteFault(Some(control.to_path_buf()))
    }

    /// Err while the control file exists.
    pub fn check(&self) -> Result<()> {
        match &self.0 {
            Some(p) if p.exists() => Err(StoreError::WriteFailed {
                detail: format!("writes are failing on purpose while {} exists", p.display()),
            }),
            _ => Ok(()),
        }
    }
}
