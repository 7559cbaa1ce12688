//! The store feed's frames (protocol.md) and the decoder that turns a text
//! frame from the platform into either a frame the console can act on or a
//! quarantine item. Decoding never panics: a newer or broken platform can at
//! worst cost an order (which is counted on screen), never the feed.

use crate::domain::{PlatformEvent, Report};
use serde::{Deserialize, Serialize};

/// The protocol version this console speaks.
pub const PROTOCOL_VERSION: u32 = 1;
/// Frames over this many bytes are a protocol error (protocol.md "Transport").
pub const MAX_FRAME_BYTES: usize = 1 << 20;
/// What the WebSocket layer accepts before it gives up on a connection. Larger
/// than `MAX_FRAME_BYTES` so an oversized frame is read, quarantined and
/// acknowledged instead of wedging the feed on every reconnect.
pub const MAX_WIRE_BYTES: usize = 16 << 20;
/// How much of an oversized or unreadable frame the quarantine keeps.
pub const QUARANTINE_KEEP_BYTES: usize = 64 << 10;

/// Console → platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    Hello {
        protocol: u32,
        store_id: String,
        device_id: String,
        resume_after: u64,
    },
    Ack {
        seq: u64,
    },
    /// `report` is kept as JSON so the platform side can record what it
    /// cannot read (a newer console) instead of failing the connection.
    Report {
        id: String,
        report: serde_json::Value,
    },
}

impl ClientFrame {
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses a report's body into the console's type.
    pub fn parse_report(report: &serde_json::Value) -> Result<Report, String> {
        Report::deserialize(report).map_err(|e| e.to_string())
    }
}

/// Platform → console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// Only `store_id` is needed to go on; the rest is informative, so a
    /// platform that leaves it out does not keep the link from coming up.
    Welcome {
        store_id: String,
        #[serde(default)]
        server_time: String,
        #[serde(default)]
        last_seq: u64,
    },
    Error {
        code: String,
        #[serde(default)]
        message: String,
    },
    Event {
        seq: u64,
        event: PlatformEvent,
    },
    ReportAck {
        id: String,
    },
}

impl ServerFrame {
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A frame the console could not use: kept raw with why, and with its seq
/// when one could be read (then it is committed as quarantined and acked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineItem {
    pub seq: Option<u64>,
    pub raw: String,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    Frame(ServerFrame),
    Quarantine(QuarantineItem),
}

/// Decodes one text frame from the platform.
pub fn decode(text: &str) -> Decoded {
    if text.len() > MAX_FRAME_BYTES {
        return quarantine(
            envelope_seq(text).or_else(|| seq_in_prefix(text)),
            text,
            format!("frame of {} bytes is over the 1 MiB limit", text.len()),
        );
    }
    // The usual case, in one pass: a well-formed frame of a known shape.
    match serde_json::from_str::<ServerFrame>(text) {
        Ok(ServerFrame::Event { seq: 0, .. }) | Err(_) => {}
        Ok(frame) => return Decoded::Frame(frame),
    }
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return quarantine(seq_in_prefix(text), text, format!("not valid JSON: {e}")),
    };
    let Some(kind) = value.get("type").and_then(|t| t.as_str()) else {
        return quarantine(None, text, "frame has no \"type\"".into());
    };
    match kind {
        "event" => decode_event(&value, text),
        "welcome" | "error" | "report_ack" => match ServerFrame::deserialize(&value) {
            Ok(f) => Decoded::Frame(f),
            Err(e) => quarantine(None, text, format!("{kind} frame breaks the schema: {e}")),
        },
        other => quarantine(None, text, format!("unknown frame type {other:?}")),
    }
}

fn decode_event(value: &serde_json::Value, text: &str) -> Decoded {
    let Some(seq) = value
        .get("seq")
        .and_then(|s| s.as_u64())
        .filter(|s| *s >= 1)
    else {
        return quarantine(None, text, "event frame without a valid seq".into());
    };
    let Some(event) = value.get("event") else {
        return quarantine(Some(seq), text, "event frame without an \"event\"".into());
    };
    let kind = event.get("kind").and_then(|k| k.as_str()).unwrap_or("");
    if !PlatformEvent::KINDS.contains(&kind) {
        return quarantine(Some(seq), text, format!("unknown event kind {kind:?}"));
    }
    match PlatformEvent::deserialize(event) {
        Ok(event) => Decoded::Frame(ServerFrame::Event { seq, event }),
        Err(e) => quarantine(Some(seq), text, format!("{kind} breaks the schema: {e}")),
    }
}

fn quarantine(seq: Option<u64>, text: &str, error: String) -> Decoded {
    Decoded::Quarantine(QuarantineItem {
        seq,
        raw: truncate(text, QUARANTINE_KEEP_BYTES),
        error,
    })
}

fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…[{} bytes in all]", &text[..end], text.len())
}

/// Reads only `type` and `seq` of a frame, skipping the event body (used for
/// frames too big to decode; the wire layer bounds them at `MAX_WIRE_BYTES`).
fn envelope_seq(text: &str) -> Option<u64> {
    #[derive(Deserialize)]
    struct Envelope {
        #[serde(rename = "type")]
        kind: Option<String>,
        seq: Option<u64>,
    }
    let e: Envelope = serde_json::from_str(text).ok()?;
    (e.kind.as_deref() == Some("event"))
        .then_some(e.seq?)
        .filter(|s| *s >= 1)
}

/// Reads the seq of an event frame that cannot be parsed whole: `"type":"event"`
/// and `"seq":N` must both appear in the first 4 KiB (the platform writes
/// them first).
fn seq_in_prefix(text: &str) -> Option<u64> {
    let mut end = text.len().min(4096);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = &text[..end];
    let compact: String = head.chars().filter(|c| !c.is_whitespace()).collect();
    compact.find("\"type\":\"event\"")?;
    // No event body has a `seq` field, so the first one is the frame's.
    let seq_at = compact.find("\"seq\":")?;
    let digits: String = compact[seq_at + 6..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok().filter(|s| *s >= 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_event_decodes() {
        let text = r#"{"type":"event","seq":7,"event":{"kind":"order.cancelled","order_id":"WX1","reason":"customer left"}}"#;
        match decode(text) {
            Decoded::Frame(ServerFrame::Event { seq, event }) => {
                assert_eq!(seq, 7);
                assert_eq!(event.order_id().0, "WX1");
            }
            other => panic!("expected an event, got {other:?}"),
        }
    }

    #[test]
    fn an_unknown_kind_is_quarantined_with_its_seq() {
        let text =
            r#"{"type":"event","seq":9,"event":{"kind":"order.teleported","order_id":"WX1"}}"#;
        let Decoded::Quarantine(q) = decode(text) else {
            panic!("must quarantine")
        };
        assert_eq!(q.seq, Some(9));
        assert!(q.error.contains("order.teleported"));
    }

    #[test]
    fn a_schema_break_keeps_the_seq() {
        let text = r#"{"type":"event","seq":3,"event":{"kind":"payment.updated","order_id":"WX1","amount":"lots"}}"#;
        let Decoded::Quarantine(q) = decode(text) else {
            panic!("must quarantine")
        };
        assert_eq!(q.seq, Some(3));
    }

    #[test]
    fn invalid_json_and_unknown_types_never_panic() {
        for text in [
            "{",
            "",
            "null",
            "[1,2]",
            r#"{"type":5}"#,
            r#"{"type":"teleport","seq":4}"#,
            "\u{0}\u{ffff}",
        ] {
            let Decoded::Quarantine(q) = decode(text) else {
                panic!("{text:?} must quarantine")
            };
            assert_eq!(q.seq, None, "{text:?}");
        }
    }

    #[test]
    fn a_truncated_event_keeps_its_seq_when_readable() {
        let text = r#"{"type":"event","seq":12,"event":{"kind":"order.placed","order":{"id":"#;
        let Decoded::Quarantine(q) = decode(text) else {
            panic!("must quarantine")
        };
        assert_eq!(q.seq, Some(12));
    }

    #[test]
    fn an_oversized_frame_is_quarantined_short() {
        let pad = "x".repeat(MAX_FRAME_BYTES + 10);
        let text = format!(
            r#"{{"type":"event","seq":5,"event":{{"kind":"order.cancelled","order_id":"WX1","reason":"{pad}"}}}}"#
        );
        let Decoded::Quarantine(q) = decode(&text) else {
            panic!("must quarantine")
        };
        assert_eq!(q.seq, Some(5));
        assert!(q.raw.len() < QUARANTINE_KEEP_BYTES + 100);
        assert!(q.error.contains("1 MiB"));
    }

    #[test]
    fn an_oversized_frame_keeps_its_seq_whatever_the_key_order() {
        let pad = "x".repeat(MAX_FRAME_BYTES);
        let text = format!(
            r#"{{"event":{{"kind":"order.cancelled","order_id":"WX1","reason":"{pad}"}},"seq":6,"type":"event"}}"#
        );
        let Decoded::Quarantine(q) = decode(&text) else {
            panic!("must quarantine")
        };
        assert_eq!(q.seq, Some(6));
    }

    #[test]
    fn a_sparse_welcome_still_brings_the_link_up() {
        let text = r#"{"type":"welcome","store_id":"S001"}"#;
        assert!(matches!(
            decode(text),
            Decoded::Frame(ServerFrame::Welcome { last_seq: 0, .. })
        ));
    }

    #[test]
    fn hello_and_ack_are_written_as_the_contract_says() {
        let hello = ClientFrame::Hello {
            protocol: 1,
            store_id: "S001".into(),
            device_id: "box-1".into(),
            resume_after: 1234,
        };
        assert_eq!(
            hello.to_text(),
            r#"{"type":"hello","protocol":1,"store_id":"S001","device_id":"box-1","resume_after":1234}"#
        );
        assert_eq!(
            ClientFrame::Ack { seq: 1235 }.to_text(),
            r#"{"type":"ack","seq":1235}"#
        );
    }
}
