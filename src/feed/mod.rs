//! The store feed: the platform protocol, its client and the link status.

pub mod client;
pub mod protocol;
pub mod settings;
pub mod status;

pub use client::{run_feed, FeedConfig, FeedConfigError, FeedTiming};
