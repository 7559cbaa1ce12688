//! How a stored record is turned into bytes and back: compact CBOR behind a
//! format byte for everything written now, JSON still read for what older
//! builds wrote (live stores, archive day files, backups).
//!
//! Why CBOR (`ciborium`): it is self-describing, like JSON, so the records'
//! internally tagged enums (`#[serde(tag = "type")]`), `flatten` and
//! `skip_serializing_if` round-trip exactly; bincode or postcard cannot read
//! those back. Field names stay in the bytes, so a record read by a later
//! build with a new optional field still decodes. About half the bytes of
//! the same JSON (numbers as binary, no quotes or separators), which is
//! fewer bytes for sled to write and rewrite per commit on a flash card
//! (docs/performance.md, "Flash wear").
//!
//! **The log's events stay JSON** for now: the writer's close-shift reads
//! its window through a byte test on the raw record (`"type":"settled"`,
//! `mentions` in `engine/writer.rs`) that only JSON passes. Once that test
//! asks `codec` instead, events can be compact too. They are written once
//! and never rewritten, so most of the wear is in the records that are
//! (projections, print jobs, the outbox, idempotency results).
//!
//! A compact record is `[FORMAT_CBOR][CBOR]`, or `[FORMAT_CBOR_LZ4][lz4 of the
//! CBOR]` when that is smaller. JSON text never starts with either byte
//! (it starts with `{`, `[`, `"`, a digit, `-`, `t`, `f`, `n` or white
//! space), so [`decode`] tells the two apart by the first byte and reads
//! both. Nothing outside the store sees these bytes: `export` and the API
//! decode a record and write JSON of their own.

use super::{Result, StoreError};
use serde::de::DeserializeOwned;

/// The first byte of a record in the compact encoding: CBOR follows.
pub const FORMAT_CBOR: u8 = 0x01;
/// The first byte of a record whose CBOR is lz4-compressed (a block with
/// its raw size in front): used when that is smaller, which it is for
/// most projections and print jobs (their field names and texts repeat).
pub const FORMAT_CBOR_LZ4: u8 = 0x02;
/// Records shorter than this are never worth compressing.
const COMPRESS_FROM: usize = 128;
/// The most a record may claim to hold once decompressed: far above any
/// record we write, so a damaged size is an error and not an allocation.
const MAX_RAW: usize = 64 << 20;

/// Whether `T` is the log's `Event`, which stays JSON (see the module doc).
fn is_log_event<T>() -> bool {
    std::any::type_name::<T>() == std::any::type_name::<crate::domain::Event>()
}

/// A record as it is written now: the log's events in JSON, every other
/// record in the compact encoding.
pub fn encode<T: serde::Serialize>(v: &T) -> Vec<u8> {
    if is_log_event::<T>() {
        return encode_json(v);
    }
    // Sized for a typical projection, so the writer does not regrow it.
    let mut out = Vec::with_capacity(512);
    out.push(FORMAT_CBOR);
    ciborium::into_writer(v, &mut out).expect("our own records always serialize");
    if out.len() >= COMPRESS_FROM {
        let packed = lz4_flex::compress_prepend_size(&out[1..]);
        if packed.len() + 1 < out.len() {
            out.clear();
            out.push(FORMAT_CBOR_LZ4);
            out.extend_from_slice(&packed);
        }
    }
    out
}

/// The JSON encoding: the log's events, and every record older builds wrote.
pub fn encode_json<T: serde::Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("our own records always serialize")
}

/// Reads a record in either encoding.
pub fn decode<T: DeserializeOwned>(b: &[u8]) -> Result<T> {
    match b.split_first() {
        Some((&FORMAT_CBOR, rest)) => {
            ciborium::from_reader(rest).map_err(|e| StoreError::Decode(e.to_string()))
        }
        Some((&FORMAT_CBOR_LZ4, rest)) => {
            let claimed = rest
                .get(..4)
                .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
            if claimed > MAX_RAW || claimed > rest.len().saturating_mul(255) {
                return Err(StoreError::Decode(
                    "a record claims an impossible size".into(),
                ));
            }
            let raw = lz4_flex::decompress_size_prepended(rest)
                .map_err(|e| StoreError::Decode(e.to_string()))?;
            ciborium::from_reader(raw.as_slice()).map_err(|e| StoreError::Decode(e.to_string()))
        }
        _ => serde_json::from_slice(b).map_err(|e| StoreError::Decode(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_from_either_encoding() {
        let v = serde_json::json!({"type": "x", "n": 5, "s": "宫保鸡丁", "o": null});
        assert_eq!(decode::<serde_json::Value>(&encode(&v)).expect("cbor"), v);
        assert_eq!(
            decode::<serde_json::Value>(&encode_json(&v)).expect("json"),
            v
        );
        assert_eq!(encode(&v)[0], FORMAT_CBOR);
        let long = serde_json::json!({"lines": vec!["宫保鸡丁 少辣 不要花生"; 20]});
        let packed = encode(&long);
        assert_eq!(packed[0], FORMAT_CBOR_LZ4);
        assert!(packed.len() < encode_json(&long).len() / 4);
        assert_eq!(decode::<serde_json::Value>(&packed).expect("lz4"), long);
    }

    #[test]
    fn damaged_bytes_are_a_decode_error_not_a_panic() {
        let huge = [FORMAT_CBOR_LZ4, 0xff, 0xff, 0xff, 0x7f, 0x10, b'x'];
        for bad in [
            &[FORMAT_CBOR][..],
            &[FORMAT_CBOR, 0xff, 0x00],
            b"",
            b"{",
            &[FORMAT_CBOR_LZ4],
            &huge,
            &[0x03],
        ] {
            assert!(decode::<serde_json::Value>(bad).is_err(), "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_read_as_a_record_are_a_record_or_an_error(
            format in proptest::sample::select(vec![FORMAT_CBOR, FORMAT_CBOR_LZ4, b'{', 0xff]),
            body in proptest::collection::vec(proptest::num::u8::ANY, 0..512),
        ) {
            let mut b = vec![format];
            b.extend_from_slice(&body);
            let _ = decode::<crate::domain::Event>(&b);
            let _ = decode::<crate::domain::OrderState>(&b);
            let _ = decode::<crate::store::JobRecord>(&b);
        }
    }
}
