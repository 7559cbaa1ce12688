//! PIN hashing with Argon2id, and checking PINs before a command reaches
//! the writer. A PIN is short, so the lockout (`domain::staff::PinCount`:
//! 60 s, 5 min, 30 min, then held for a manager) is what protects it online;
//! the hash keeps it off the disk in clear.
//!
//! Argon2 costs milliseconds and 8 MiB. Done on the writer thread, a
//! connection pipelining a thousand PIN-checked commands held every commit
//! (and a sign-in elsewhere) up for seconds. So the handle checks a
//! command's PINs first, on tokio's blocking pool, at most [`AT_ONCE`] at a
//! time and one command at a time per device, and hands the writer the
//! verdicts with the hash each was checked against. The writer only counts
//! (exactly: a device's next check waits until its last one is counted)
//! and falls back to checking itself only when the hash changed meanwhile.

use crate::domain::{Command, StaffId};
use crate::store::Store;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;

/// Argon2 checks running at once, whatever the number of connections.
pub const AT_ONCE: usize = 2;
/// How long a device waits after a wrong PIN before its next check.
pub const WRONG_PIN_PAUSE: std::time::Duration = std::time::Duration::from_secs(1);

fn argon() -> Argon2<'static> {
    // 8 MiB, 2 passes: a few milliseconds on a Raspberry Pi 4, so checking a
    // PIN never stalls the till, while still far from free to brute-force.
    let params = Params::new(8 * 1024, 2, 1, None).expect("constant argon2 params are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_pin(pin: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon()
        .hash_password(pin.as_bytes(), &salt)
        .expect("argon2 hashing of a short PIN with valid params cannot fail")
        .to_string()
}

/// False for a wrong PIN or an unreadable stored hash.
pub fn verify_pin(pin: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => argon().verify_password(pin.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

/// Checks a PIN against a staff member's hash; with no staff member, spends
/// the same time on a hash no PIN matches, so an unknown id answers like a
/// wrong PIN, in words and in time.
pub fn verify_or_dummy(pin: &str, phc: Option<&str>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    match phc {
        Some(phc) => verify_pin(pin, phc),
        None => {
            let dummy = DUMMY.get_or_init(|| hash_pin("no staff member has this PIN"));
            verify_pin(pin, dummy);
            false
        }
    }
}

/// Every (staff id, PIN) a command carries: its own PIN and a manager's
/// approval.
pub fn pins_of(cmd: &Command) -> Vec<(&StaffId, &str)> {
    let mut out = Vec::new();
    match cmd {
        Command::SignIn { staff_id, pin } => out.push((staff_id, pin.as_str())),
        Command::Settle {
            staff_id,
            pin: Some(pin),
            ..
        }
        | Command::OpenShift {
            staff_id,
            pin: Some(pin),
            ..
        } => out.push((staff_id, pin.as_str())),
        _ => {}
    }
    match cmd {
        Command::Void { approval, .. }
        | Command::Refund { approval, .. }
        | Command::ResolveDoublePayment { approval, .. }
        | Command::MoveQueue { approval, .. }
        | Command::CloseShift { approval, .. } => {
            out.push((&approval.staff_id, approval.pin.as_str()))
        }
        _ => {}
    }
    out
}

/// One PIN checked before the writer: against which hash (`None`: no such
/// staff id), and whether it matched.
#[derive(Debug, Clone)]
struct Verdict {
    staff_id: StaffId,
    pin: String,
    phc: Option<String>,
    right: bool,
}

/// The PINs of one command, checked off the writer thread.
#[derive(Debug, Clone, Default)]
pub(crate) struct Verdicts(Vec<Verdict>);

impl Verdicts {
    /// Checks every PIN of `cmd` against the store's hashes now. Blocking:
    /// call it on the blocking pool (or a thread that may wait).
    pub(crate) fn check(store: &Store, cmd: &Command) -> Verdicts {
        let mut out = Vec::new();
        for (id, pin) in pins_of(cmd) {
            let phc = store.staff_record(&id.0).ok().flatten().map(|r| r.pin_hash);
            let right = verify_or_dummy(pin, phc.as_deref());
            out.push(Verdict {
                staff_id: id.clone(),
                pin: pin.to_string(),
                phc,
                right,
            });
        }
        Verdicts(out)
    }

    /// The verdict for this id and PIN if it was checked against `phc` (the
    /// hash the writer sees now); `None` if not checked or checked against
    /// another hash.
    /// Whether any PIN checked was wrong.
    pub(crate) fn any_wrong(&self) -> bool {
        self.0.iter().any(|v| !v.right)
    }

    pub(crate) fn take(&mut self, id: &StaffId, pin: &str, phc: Option<&str>) -> Option<bool> {
        let i = self
            .0
            .iter()
            .position(|v| &v.staff_id == id && v.pin == pin && v.phc.as_deref() == phc)?;
        Some(self.0.swap_remove(i).right)
    }
}
