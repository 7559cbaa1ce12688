//! FNV-1a: the checksum of backups and archive day files, and a stable
//! 64-bit hash (the same on every build and box). Its own file so the
//! archive and the backup, which read each other's files, need not import
//! each other.

/// FNV-1a over a stream of bytes.
pub(super) struct Fnv(pub(super) u64);

impl Fnv {
    pub(super) fn new() -> Fnv {
        Fnv(0xcbf29ce484222325)
    }

    pub(super) fn feed(&mut self, b: &[u8]) {
        for x in b {
            self.0 ^= u64::from(*x);
            self.0 = self.0.wrapping_mul(0x100000001b3);
        }
    }
}

/// FNV-1a of `b`.
pub fn fnv1a(b: &[u8]) -> u64 {
    let mut sum = Fnv::new();
    sum.feed(b);
    sum.0
}
