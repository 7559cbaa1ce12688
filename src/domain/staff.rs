//! Staff and their roles: who may bump, who may take money, who approves.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StaffId(pub String);

impl fmt::Display for StaffId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for StaffId {
    fn from(s: &str) -> Self {
        StaffId(s.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Kitchen,
    Cashier,
    Manager,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Kitchen => "kitchen",
            Role::Cashier => "cashier",
            Role::Manager => "manager",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "kitchen" => Some(Role::Kitchen),
            "cashier" => Some(Role::Cashier),
            "manager" => Some(Role::Manager),
            _ => None,
        }
    }

    /// Kitchen staff bump and recall; they touch no money.
    pub fn may_take_money(self) -> bool {
        matches!(self, Role::Cashier | Role::Manager)
    }

    /// Voids, refunds, double-payment resolutions, queue moves, shift close.
    pub fn may_approve(self) -> bool {
        matches!(self, Role::Manager)
    }
}

/// A staff member as the engine sees them. The PIN hash never leaves the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    pub id: StaffId,
    pub name: String,
    pub role: Role,
    pub active: bool,
}

/// Five wrong PINs in a row lock the screen (the device) they came from.
pub const PIN_LOCK_AFTER: u32 = 5;
/// The first lock's length; later ones are in [`PIN_LOCK_STEPS`].
pub const PIN_LOCK_SECONDS: i64 = 60;
/// Each lock is longer than the one before: 60 s, 5 min, 30 min; after the
/// last the lock holds until a manager unlocks (`staff unlock`).
pub const PIN_LOCK_STEPS: [i64; 3] = [PIN_LOCK_SECONDS, 300, 1800];
/// Wrong PINs for one staff id from all devices together, since the last
/// right one, after which that person is held for a manager. One device is
/// held itself after 20, so it takes more than one device to get here: a
/// single device's attack never locks the cashier out on their own screen.
pub const PIN_HOLD_STAFF_AFTER: u32 = 25;
/// Wrong PINs one device may send in a business day, for any staff ids
/// together: enough for a day of typos, too few to walk through the ids.
pub const PIN_DEVICE_DAILY_MAX: u32 = 50;
