//! Printing: which printer prints what (`route`), what a job prints (`job`),
//! printer models (`profile`), printed width (`text`), ticket layout
//! (`layout`) and its ESC/POS bytes (`render`), the decoder (`decode`),
//! the connections (`transport`), the durable spool (`spool`) and the
//! printers' state for the screens (`status`).

pub mod check;
pub mod decode;
pub mod job;
pub mod layout;
pub mod profile;
pub mod render;
pub mod route;
pub mod spool;
pub mod status;
pub mod text;
pub mod transport;

pub use render::{preview_text, preview_text_for};
pub use spool::{start_spool, Spool};
