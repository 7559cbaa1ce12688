//! Idempotency keys (docs/security.md, "Idempotency keys"): a key is
//! scoped to the device and the staff member that sent it, and kept with a
//! fingerprint of its command, so it replays only the same command from
//! the same person on the same device; the same key with another command is
//! refused (`key_reused`). Keys expire after `Rules::key_days` days.
//!
//! The fingerprint is a SHA-256 of the command with its PINs and pay code
//! taken out, so the store never holds a hash a PIN could be guessed from.

use super::{Writer, IDEM};
use crate::domain::{AuthCode, Command};
use crate::engine::{Committed, EngineError};
use crate::store::{decode, Store};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What a key keeps: the command's fingerprint, when, and the first result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct KeyRecord {
    pub command: String,
    pub at: DateTime<FixedOffset>,
    pub committed: Committed,
}

/// The key as stored: `device \0 staff \0 key`.
pub(super) fn scoped(device: &str, cmd: &Command, key: &str) -> Vec<u8> {
    let staff = cmd.staff_id().map(|s| s.0.as_str()).unwrap_or("-");
    format!("{device}\0{staff}\0{key}").into_bytes()
}

/// The command's fingerprint, without its secrets.
pub(super) fn fingerprint(cmd: &Command) -> String {
    let mut c = cmd.clone();
    match &mut c {
        Command::SignIn { pin, .. } => pin.clear(),
        Command::Settle { pin, .. } | Command::OpenShift { pin, .. } => *pin = None,
        Command::AddStaff { pin, .. } | Command::SetPin { pin, .. } => pin.clear(),
        Command::CollectPayCode { auth_code, .. } => *auth_code = AuthCode(auth_code.masked()),
        _ => {}
    }
    match &mut c {
        Command::Void { approval, .. }
        | Command::Refund { approval, .. }
        | Command::ResolveDoublePayment { approval, .. }
        | Command::MoveQueue { approval, .. }
        | Command::CloseShift { approval, .. } => approval.pin.clear(),
        _ => {}
    }
    let json = serde_json::to_vec(&c).unwrap_or_default();
    Sha256::digest(&json)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Writer {
    /// The first result of this key, when it was kept for the same command
    /// and has not expired; `key_reused` when it was kept for another.
    pub(super) fn replay(
        &self,
        key: &[u8],
        shown: &str,
        cmd: &Command,
    ) -> Result<Option<Committed>, EngineError> {
        let Some(v) = self.get(IDEM, key)? else {
            return Ok(None);
        };
        // An older build's entry (no fingerprint) or an expired one: the key
        // is free again.
        let Ok(rec) = decode::<KeyRecord>(&v) else {
            return Ok(None);
        };
        if expired(&rec, self.now(), self.cfg.rules.key_days) {
            return Ok(None);
        }
        if rec.command != fingerprint(cmd) {
            return Err(crate::domain::Refusal::KeyReused {
                key: shown.to_string(),
            }
            .into());
        }
        let mut c = rec.committed;
        c.replay = true;
        Ok(Some(c))
    }
}

fn expired(rec: &KeyRecord, now: DateTime<FixedOffset>, days: u32) -> bool {
    now - rec.at > chrono::Duration::days(i64::from(days))
}

/// Removes the keys older than `days` (at start-up, before the writer runs).
pub(crate) fn prune(store: &Store, now: DateTime<FixedOffset>, days: u32) -> usize {
    let mut gone = 0;
    for kv in store.idem.iter() {
        let Ok((k, v)) = kv else { continue };
        let stale = match decode::<KeyRecord>(&v) {
            Ok(rec) => expired(&rec, now, days),
            Err(_) => true,
        };
        if stale && store.idem.remove(k).is_ok() {
            gone += 1;
        }
    }
    gone
}
