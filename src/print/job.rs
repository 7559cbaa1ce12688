//! What a print job prints. The documents are shared vocabulary and live in
//! `domain::job`; they are named here too for the printing code's callers.

pub use crate::domain::job::JobDoc;
