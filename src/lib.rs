//! passline: a terminal console for restaurants that take orders online.
//!
//! # Layout
//!
//! How the parts fit, the layers and which may import which, and where to
//! change what: `docs/architecture.md`. Lowest layer first:
//!
//! - `domain`: the shared vocabulary and every decision, pure: money
//!   (`Fen`), orders, events, commands and refusals, the rules, tender quotes
//!   (`tender::quote`), shifts and their close (`closing`), staff and the PIN
//!   lockout, print jobs and their routes, the links' status, the business
//!   day. No I/O, no clocks, no async.
//! - `config`: the TOML config file, with line-numbered errors; parsing is pure.
//! - `store`: sled trees, key layout, encoding, schema version, backup,
//!   archive, compaction and the fsync barrier.
//! - `export`: the JSON shape of an order for `export` and `ctl`.
//! - `logging`: tracing to a file, never to the terminal.
//! - `alloc_tuning`: the allocator's settings for a small box.
//! - `report`: shift reports (Z, X, day) folded from the event log; printed
//!   lines for 58/80 mm paper; JSON and CSV export.
//! - `counter`: orders taken at the till: the menu (`menu.toml`), its
//!   sku/pinyin search, and the order being keyed in.
//! - `engine`: the only writer: asks the domain, stages the events with
//!   projections, outbox and spool, commits a batch in one sled
//!   transaction, flushes (group commit), then publishes.
//! - `feed`: the platform protocol and its client (connect, resume, ack,
//!   outbox through the engine, reconnect).
//! - `print`: printer profiles, ticket layout → ESC/POS bytes, the decoder,
//!   the durable spool with its transports, printer status, `config check`'s
//!   printer part.
//! - `sim`: simulated outside parts: the ordering platform (`simulate`) and
//!   the virtual printer, for tests, benches and the demo.
//! - `api`: the local WebSocket API for second screens and `ctl`: the server
//!   and the client that dials it.
//! - `cli`: the commands that work on the store directly.
//! - `secret`: PINs read without echo; tokens from a file or the
//!   environment, never the command line.
//! - `tui`: the console on the terminal: sign-in, kitchen rail, cashier,
//!   alerts, log, printers, report; one file per screen in `tui/app` and
//!   `tui/view`; never waits on the engine.
//! - `run`: start-up in one place: `run`, `serve`, `attach` and `demo`, with
//!   one runtime builder and one log set-up.

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
