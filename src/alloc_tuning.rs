//! glibc's allocator, tuned for a console that runs for months in 256 MiB.
//!
//! Two settings, made once at start-up before any thread exists:
//! - `M_MMAP_THRESHOLD` fixed at 256 KiB. By default glibc raises this
//!   threshold to the size of each large block freed, so after the first
//!   Argon2 PIN check (8 MiB, `engine::pins`) every later one comes from the
//!   heap and stays there: the soak saw a console's RSS climb 8 MiB at a
//!   time to 60-90 MiB. Fixed, a block that big is mapped for the check and
//!   given back when it ends.
//! - `M_ARENA_MAX` 2: one heap per thread (up to eight per core) multiplies
//!   what fragmentation keeps; the console's hot paths run on a handful of
//!   threads.

/// Applies the settings (glibc on Linux; elsewhere nothing to do). Returns
/// whether glibc took them.
pub fn tune() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only sets allocator parameters; called at the
        // start of main, before any other thread allocates.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024) == 1
                && libc::mallopt(libc::M_ARENA_MAX, 2) == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn glibc_takes_both_settings() {
        assert!(super::tune());
    }
}
