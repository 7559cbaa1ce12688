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

/// Five wrong PINs in a row lock a person out for this long.
pub const PIN_LOCK_AFTER: u32 = 5;
pub const PIN_LOCK_SECONDS: i64 = 60;

/// A PIN is 4 to 8 digits.
pub fn pin_is_well_formed(pin: &str) -> bool {
    (4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit())
}
