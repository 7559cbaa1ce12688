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
//! - `print`: which printer prints what (`route`), the spooled documents (`job`),
//!   printer profiles, ticket layout → ESC/POS bytes, the decoder, the durable
//!   spool with its transports, and the printers' status.
//! - `sim`: simulated outside parts: the ordering platform (`simulate`) and
//!   the virtual printer, for tests, benches and the demo.
//! - `feed`: the platform protocol, its client and the link status.
//! - `config`: the TOML config file, with line-numbered errors.
//! - `counter`: orders taken at the till: the menu (`menu.toml`), its
//!   sku/pinyin search, and the order being keyed in.
//! - `export`: the JSON shape of an order for `export` and `ctl`.
//! - `report`: shift reports (Z, X, day) folded from the event log; printed
//!   lines for 58/80 mm paper; JSON and CSV export.
//! - `cli`: the commands that work on the store directly.
//! - `logging`: tracing to a file, never to the terminal.
//! - `secret`: PINs read without echo; tokens from a file or the
//!   environment, never the command line.
//! - `api`: the local WebSocket API for second screens (`attach`) and
//!   `ctl`; `serve` runs the engine and the API with no screen.
//! - `tui`: the console on the terminal: sign-in, kitchen rail, cashier,
//!   alerts, log; state + messages + views, talking only to the engine handle.

pub mod alloc_tuning;
pub mod api;
pub mod cli;
pub mod config;
pub mod counter;
pub mod domain;
pub mod engine;
pub mod export;
pub mod feed;
pub mod logging;
pub mod print;
pub mod report;
pub mod run;
pub mod secret;
pub mod sim;
pub mod store;
pub mod tui;
