//! A customer's pay code (付款码) as the cashier scans it: which channel it
//! belongs to, and the masked form that is all the console ever shows or logs.
//!
//! The full code lives only in the command and in the outbox entry that
//! carries it to the platform (docs/counter.md "Pay codes"); the order keeps a
//! salted hash to refuse a second scan of the same code.

use super::order::OrderId;
use super::platform::PayChannel;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// A scanned pay code. `Debug` and `Display` show only the masked form, so a
/// command logged with `{:?}` cannot leak it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AuthCode(pub String);

impl AuthCode {
    /// First 4 and last 4 digits: `1345********7890`.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }

    /// The channel the code belongs to: 18 digits, WeChat 10–15, Alipay 25–30.
    pub fn channel(&self) -> Option<PayChannel> {
        channel_of(&self.0)
    }

    /// A hash of the code salted with the order id: enough to recognise a
    /// repeat scan on the same order, useless for charging.
    pub fn hash_for(&self, order: &OrderId) -> String {
        let mut h = Sha256::new();
        h.update(order.0.as_bytes());
        h.update([0u8]);
        h.update(self.0.as_bytes());
        h.finalize()
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl fmt::Debug for AuthCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuthCode({})", self.masked())
    }
}

impl fmt::Display for AuthCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// The channel an 18-digit code belongs to, or `None` for a malformed code.
pub fn channel_of(code: &str) -> Option<PayChannel> {
    if code.len() != 18 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match code.get(..2)?.parse::<u32>().ok()? {
        10..=15 => Some(PayChannel::Wechat),
        25..=30 => Some(PayChannel::Alipay),
        _ => None,
    }
}

/// First 4 and last 4 characters, the rest as `*`; short texts are all `*`.
pub fn mask(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let n = chars.len();
    let mut s: String = chars[..4].iter().collect();
    s.push_str(&"*".repeat(n - 8));
    s.extend(&chars[n - 4..]);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wechat_and_alipay_codes_are_told_apart_by_prefix() {
        assert_eq!(channel_of("134567890123456789"), Some(PayChannel::Wechat));
        assert_eq!(channel_of("101234567890123456"), Some(PayChannel::Wechat));
        assert_eq!(channel_of("281234567890123456"), Some(PayChannel::Alipay));
        assert_eq!(channel_of("301234567890123456"), Some(PayChannel::Alipay));
    }

    #[test]
    fn malformed_codes_have_no_channel() {
        assert_eq!(channel_of("16123456789012345"), None, "17 digits");
        assert_eq!(channel_of("161234567890123456"), None, "prefix 16");
        assert_eq!(channel_of("24123456789012345a"), None);
        assert_eq!(channel_of(""), None);
    }

    #[test]
    fn a_code_shows_only_its_first_and_last_four_digits() {
        let c = AuthCode("134567890123456789".into());
        assert_eq!(c.masked(), "1345**********6789");
        assert_eq!(format!("{c:?}"), "AuthCode(1345**********6789)");
        assert!(!format!("{c}").contains("567890123"));
    }

    #[test]
    fn the_same_code_hashes_differently_per_order() {
        let c = AuthCode("134567890123456789".into());
        let a = c.hash_for(&OrderId::from("S001-box1-000001"));
        assert_eq!(a, c.hash_for(&OrderId::from("S001-box1-000001")));
        assert_ne!(a, c.hash_for(&OrderId::from("S001-box1-000002")));
        assert!(!a.contains("134567890123456789"));
    }
}
