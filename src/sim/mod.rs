//! Simulated outside parts for tests, the demo and the emulator commands:
//! the ordering platform and the virtual printer.

pub mod platform;
pub mod printer;
