//! The console on the terminal: the kitchen rail and the cashier's screens.
//!
//! # Layout
//!
//! - `app`: the state (`App`), messages and `update`, one file per screen
//!   (mirroring `view`); commands go to the engine as `Effect`s. No sled,
//!   no sockets: only an `EngineHandle`.
//! - `keys`: a key to a `Message`, by screen and dialog.
//! - `view`: drawing, `impl Widget for &App`, one function per panel.
//! - `alerts`: what needs a person now (failed or double payments, printers,
//!   the feed, unreadable frames).
//! - `text`: the words in 简体中文 and English.
//! - `theme`: colour themes from `themes/*.toml`.
//! - `width`: text measured in terminal columns (CJK is two wide).
//! - `source`: where the data comes from: the engine here (`run`) or a
//!   console over the local API (`attach`).
//! - `term`: the terminal loop: keys, engine events, status watches and a
//!   1 s tick in one `select!`; a frame only when something changed, at most
//!   one per 10 ms; the terminal restored on exit, panic, SIGTERM and SIGHUP.

pub mod alerts;
pub mod app;
pub mod keys;
pub mod source;
pub mod term;
pub mod text;
pub mod theme;
pub mod view;
pub mod width;

pub use app::{App, Message, Screen, UiOptions};
pub use term::run_app;
