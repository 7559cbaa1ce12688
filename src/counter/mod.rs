//! The counter: orders taken at the till. The menu and its search live here;
//! the engine numbers and commits the order (`Command::PlaceCounterOrder`),
//! the cashier screen keys it in (`tui::counter`). See docs/counter.md.

pub mod entry;
pub mod menu;
pub mod price;

pub use entry::{EntryLine, OrderEntry};
pub use menu::{Menu, MenuItem};
