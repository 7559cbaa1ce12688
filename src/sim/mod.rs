//! Simulators for what the console talks to: the ordering platform.

pub mod platform;
