//! The store feed: the platform protocol and its client.

pub mod status;
