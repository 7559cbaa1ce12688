//! Which printer prints what. The routing decision is pure and lives in
//! `domain::route`; it is named here too for the printing code's callers.

pub use crate::domain::route::{PrinterRoute, Routes};
