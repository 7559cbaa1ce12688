//! Simulated outside parts for tests, the demo and the emulator commands.

pub mod printer;
