//! Printing: what jobs an event causes (`route`), what a job prints (`job`).

pub mod job;
pub mod route;
pub mod status;
