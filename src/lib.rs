//! passline: a terminal console for restaurants that take orders online.
//!
//! # Layout
//!
//! - `domain`: pure types and rules: money (`Fen`), orders, the payment state
//!   machine, kitchen state, staff, events, commands. No I/O.
//! - `store`: sled trees, key layout, encoding, schema version, backup.
//! - `engine`: the only writer: checks each command against the state,
//!   commits its events with projections, outbox and spool in one sled
//!   transaction, flushes (group commit), then publishes.
//! - `config`: the TOML config file, with line-numbered errors.

pub mod config;
pub mod domain;
pub mod engine;
pub mod print;
pub mod store;
