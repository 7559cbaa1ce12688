//! Security (docs/security.md): each attack of the threat model against
//! the real `serve` over loopback — money limits, PIN guessing and lockout,
//! floods, private files, scoped idempotency keys, the feed's transport —
//! and the floods' benchmark (ignored). One test binary.

#[path = "../common/mod.rs"]
mod common;
mod support;

mod bench;
mod files;
mod floods;
mod keys;
mod money;
mod money_props;
mod pins;
mod transport;
