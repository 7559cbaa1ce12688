//! The feed link's state. The types are shared vocabulary in
//! `domain::status`, named here too for the feed's callers.

pub use crate::domain::status::{FeedStatus, LinkState};
