//! Parts of the power-cut test: a FUSE disk that keeps only what was
//! fsynced and drops the rest when the power is cut.

pub mod disk;
