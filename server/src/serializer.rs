//! Wire formats: the v1 object form, the v2 array form and the v2 binary frames
//! (docs/protocol.md#json-v2, #json-v1, #binary-frames; phoenix's `v1_json_serializer.ex` / `v2_json_serializer.ex`).
//!
//! Decoding never panics on client data: every failure is a [`DecodeError`], which the
//! transport turns into a close with code 1011, as Phoenix does when its serializer raises.

use axum::body::Bytes;
use axum::extract::ws::Utf8Bytes;
use serde_json::{Map, Value};

use crate::error::DecodeError;
use phoenix_wasm::core::serializer as frames;

/// Which serializer a connection speaks, chosen from the `vsn` connect param.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vsn {
    /// `1.0.0`, also used when `vsn` is absent: JSON objects, no binary.
    V1,
    /// `2.0.0`: JSON arrays `[join_ref, ref, topic, event, payload]` plus binary frames.
    V2,
}

impl Vsn {
    /// Picks the serializer like Phoenix's `~> 1.0.0` / `~> 2.0.0` requirements.
    /// `None` (unsupported vsn) makes the connect fail with 403.
    pub fn from_param(vsn: Option<&str>) -> Option<Vsn> {
        let Some(v) = vsn else { return Some(Vsn::V1) };
        let mut parts = v.split('.');
        let major = parts.next()?;
        // `~> 1.0.0` means >= 1.0.0 and < 1.1.0.
        let minor = parts.next().unwrap_or("0");
        match (major, minor) {
            ("1", "0") => Some(Vsn::V1),
            ("2", "0") => Some(Vsn::V2),
            _ => None,
        }
    }
}

/// A message payload: JSON, or raw bytes from/for a binary frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// Any JSON value (phoenix.js always sends an object).
    Json(Value),
    /// The bytes of an `ArrayBuffer`.
    Binary(Bytes),
}

impl Payload {
    /// An empty JSON object, `{}`.
    pub fn empty() -> Payload {
        Payload::Json(Value::Object(Map::new()))
    }

    /// The JSON value, if this is a JSON payload.
    pub fn as_json(&self) -> Option<&Value> {
        match self {
            Payload::Json(v) => Some(v),
            Payload::Binary(_) => None,
        }
    }

    /// The bytes, if this is a binary payload.
    pub fn as_binary(&self) -> Option<&Bytes> {
        match self {
            Payload::Binary(b) => Some(b),
            Payload::Json(_) => None,
        }
    }

    /// Reads a string field of a JSON object payload.
    pub fn str_field(&self, key: &str) -> Option<&str> {
        self.as_json()?.get(key)?.as_str()
    }
}

impl From<Value> for Payload {
    fn from(v: Value) -> Self {
        Payload::Json(v)
    }
}

impl From<Bytes> for Payload {
    fn from(b: Bytes) -> Self {
        Payload::Binary(b)
    }
}

impl From<Vec<u8>> for Payload {
    fn from(b: Vec<u8>) -> Self {
        Payload::Binary(Bytes::from(b))
    }
}

/// A decoded client message (docs/protocol.md#messages).
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    /// `join_ref`, `None` for JSON `null`/absent.
    pub join_ref: Option<String>,
    /// `ref`, `None` for JSON `null`/absent.
    pub msg_ref: Option<String>,
    /// Topic.
    pub topic: String,
    /// Event name.
    pub event: String,
    /// Payload.
    pub payload: Payload,
}

/// A message from the server to one client, before encoding.
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    /// `phx_reply` to a client message.
    Reply {
        /// Echoed join_ref (or `None`).
        join_ref: Option<String>,
        /// Echoed ref.
        msg_ref: Option<String>,
        /// Topic.
        topic: String,
        /// `"ok"`, `"error"` or any custom status.
        status: String,
        /// The `response`.
        response: Payload,
    },
    /// A message for one subscriber: `push/3`, `phx_close`, `phx_error`.
    /// `msg_ref` is `None` for pushes and equals the join_ref for close/error.
    Push {
        /// The channel's join_ref.
        join_ref: Option<String>,
        /// Ref, `None` except for `phx_close`/`phx_error`.
        msg_ref: Option<String>,
        /// Topic.
        topic: String,
        /// Event name.
        event: String,
        /// Payload.
        payload: Payload,
    },
    /// A broadcast: join_ref and ref are `null`.
    Broadcast {
        /// Topic.
        topic: String,
        /// Event name.
        event: String,
        /// Payload.
        payload: Payload,
    },
}

/// A frame ready for the WebSocket (or, later, for a LongPoll message list).
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// A text frame (cheap to clone: one encoding is shared by every subscriber).
    Text(Utf8Bytes),
    /// A binary frame.
    Binary(Bytes),
}

fn opt_str(v: &Value) -> Result<Option<String>, DecodeError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        // Phoenix only ever sees strings here; be lenient with numbers like other clients send.
        Value::Number(n) => Ok(Some(n.to_string())),
        _ => Err(DecodeError::BadField("ref")),
    }
}

fn req_str(v: Option<&Value>, field: &'static str) -> Result<String, DecodeError> {
    match v {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(DecodeError::BadField(field)),
    }
}

/// Decodes a text frame.
pub fn decode_text(vsn: Vsn, text: &str) -> Result<Incoming, DecodeError> {
    let value: Value = serde_json::from_str(text).map_err(|_| DecodeError::Json)?;
    match vsn {
        Vsn::V2 => {
            let Value::Array(items) = value else {
                return Err(DecodeError::Shape);
            };
            if items.len() != 5 {
                return Err(DecodeError::Shape);
            }
            let mut it = items.into_iter();
            let (Some(jr), Some(r), Some(topic), Some(event), Some(payload)) =
                (it.next(), it.next(), it.next(), it.next(), it.next())
            else {
                return Err(DecodeError::Shape);
            };
            Ok(Incoming {
                join_ref: opt_str(&jr)?,
                msg_ref: opt_str(&r)?,
                topic: req_str(Some(&topic), "topic")?,
                event: req_str(Some(&event), "event")?,
                payload: Payload::Json(payload),
            })
        }
        Vsn::V1 => {
            let Value::Object(mut map) = value else {
                return Err(DecodeError::Shape);
            };
            let join_ref = match map.get("join_ref") {
                Some(v) => opt_str(v)?,
                None => None,
            };
            let msg_ref = match map.get("ref") {
                Some(v) => opt_str(v)?,
                None => None,
            };
            Ok(Incoming {
                join_ref,
                msg_ref,
                topic: req_str(map.get("topic"), "topic")?,
                event: req_str(map.get("event"), "event")?,
                payload: Payload::Json(map.remove("payload").unwrap_or(Value::Null)),
            })
        }
    }
}

/// Decodes a binary frame: only kind 0 (push) with four length bytes is valid C→S (docs/protocol.md#binary-push).
/// The layout is read by the client crate's decoder ([`frames::decode_client_push_raw`]); the
/// fields must be valid UTF-8 here (Phoenix could not encode a reply to anything else).
pub fn decode_binary(vsn: Vsn, data: &[u8]) -> Result<Incoming, DecodeError> {
    use phoenix_wasm::core::error::DecodeError as Layout;
    if vsn != Vsn::V2 {
        return Err(DecodeError::BinaryNotSupported);
    }
    let raw = frames::decode_client_push_raw(data).map_err(|e| match e {
        Layout::UnknownKind | Layout::UnexpectedKind => {
            DecodeError::BinaryKind(data.first().copied().unwrap_or_default())
        }
        Layout::Empty | Layout::TruncatedHeader | Layout::Truncated => DecodeError::Truncated,
    })?;
    fn text(b: &[u8]) -> Result<&str, DecodeError> {
        std::str::from_utf8(b).map_err(|_| DecodeError::Utf8)
    }
    let (jr, r) = (text(raw.join_ref)?, text(raw.ref_)?);
    Ok(Incoming {
        // A zero-length field is what phoenix.js writes for `undefined`.
        join_ref: (!jr.is_empty()).then(|| jr.to_string()),
        msg_ref: (!r.is_empty()).then(|| r.to_string()),
        topic: text(raw.topic)?.to_string(),
        event: text(raw.event)?.to_string(),
        payload: Payload::Binary(Bytes::copy_from_slice(raw.payload)),
    })
}

fn json_opt(s: &Option<String>) -> Value {
    match s {
        Some(s) => Value::String(s.clone()),
        None => Value::Null,
    }
}

/// A binary frame from the client crate's encoders (docs/protocol.md#binary-frames), which the client's tests
/// and fuzz target already cover; their only failure is a field over 255 bytes.
fn binary_frame(
    encoded: Result<Vec<u8>, phoenix_wasm::core::error::EncodeError>,
) -> Result<Frame, EncodeError> {
    encoded
        .map(|buf| Frame::Binary(Bytes::from(buf)))
        .map_err(|_| EncodeError::FieldTooLong)
}

/// Why an outgoing message could not be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// v1 has no binary frames.
    #[error("binary payloads need the 2.0.0 serializer")]
    BinaryNeedsV2,
    /// A binary frame field is over 255 bytes.
    #[error("a binary frame field is longer than 255 bytes")]
    FieldTooLong,
}

/// Encodes a message for a connection speaking `vsn`.
pub fn encode(vsn: Vsn, msg: &Outgoing) -> Result<Frame, EncodeError> {
    match msg {
        Outgoing::Reply {
            join_ref,
            msg_ref,
            topic,
            status,
            response,
        } => match response {
            Payload::Json(resp) => {
                let payload = serde_json::json!({"response": resp, "status": status});
                Ok(Frame::Text(json_frame(
                    vsn,
                    json_opt(join_ref),
                    json_opt(msg_ref),
                    topic,
                    "phx_reply",
                    payload,
                )))
            }
            Payload::Binary(bytes) => {
                if vsn != Vsn::V2 {
                    return Err(EncodeError::BinaryNeedsV2);
                }
                let jr = join_ref.as_deref().unwrap_or("");
                let r = msg_ref.as_deref().unwrap_or("");
                binary_frame(frames::encode_reply(
                    jr.as_bytes(),
                    r.as_bytes(),
                    topic.as_bytes(),
                    status.as_bytes(),
                    bytes,
                ))
            }
        },
        Outgoing::Push {
            join_ref,
            msg_ref,
            topic,
            event,
            payload,
        } => match payload {
            Payload::Json(p) => Ok(Frame::Text(json_frame(
                vsn,
                json_opt(join_ref),
                json_opt(msg_ref),
                topic,
                event,
                p.clone(),
            ))),
            Payload::Binary(bytes) => {
                if vsn != Vsn::V2 {
                    return Err(EncodeError::BinaryNeedsV2);
                }
                // docs/protocol.md#binary-server-push: the server push has no ref field.
                let jr = join_ref.as_deref().unwrap_or("");
                binary_frame(frames::encode_server_push(
                    jr.as_bytes(),
                    topic.as_bytes(),
                    event.as_bytes(),
                    bytes,
                ))
            }
        },
        Outgoing::Broadcast {
            topic,
            event,
            payload,
        } => match payload {
            Payload::Json(p) => Ok(Frame::Text(json_frame(
                vsn,
                Value::Null,
                Value::Null,
                topic,
                event,
                p.clone(),
            ))),
            Payload::Binary(bytes) => {
                if vsn != Vsn::V2 {
                    return Err(EncodeError::BinaryNeedsV2);
                }
                binary_frame(frames::encode_broadcast(
                    topic.as_bytes(),
                    event.as_bytes(),
                    bytes,
                ))
            }
        },
    }
}

/// A push (`ref` null) whose payload is JSON text already, e.g. a presence list built from
/// stored encodings: the frame is assembled around it without parsing it again. The caller
/// guarantees `payload_json` is one valid JSON value.
pub(crate) fn encode_push_json_text(
    vsn: Vsn,
    join_ref: Option<&str>,
    topic: &str,
    event: &str,
    payload_json: &str,
) -> Utf8Bytes {
    let mut out: Vec<u8> = Vec::with_capacity(payload_json.len() + topic.len() + event.len() + 48);
    // Writing into a Vec cannot fail.
    match vsn {
        Vsn::V2 => {
            out.push(b'[');
            let _ = serde_json::to_writer(&mut out, &join_ref);
            out.extend_from_slice(b",null,");
            let _ = serde_json::to_writer(&mut out, topic);
            out.push(b',');
            let _ = serde_json::to_writer(&mut out, event);
            out.push(b',');
            out.extend_from_slice(payload_json.as_bytes());
            out.push(b']');
        }
        // Same key order as `json_frame` (serde_json's sorted maps).
        Vsn::V1 => {
            out.extend_from_slice(b"{\"event\":");
            let _ = serde_json::to_writer(&mut out, event);
            out.extend_from_slice(b",\"payload\":");
            out.extend_from_slice(payload_json.as_bytes());
            out.extend_from_slice(b",\"ref\":null,\"topic\":");
            let _ = serde_json::to_writer(&mut out, topic);
            out.push(b'}');
        }
    }
    // Only UTF-8 went in.
    Utf8Bytes::from(String::from_utf8(out).unwrap_or_default())
}

fn json_frame(
    vsn: Vsn,
    join_ref: Value,
    msg_ref: Value,
    topic: &str,
    event: &str,
    payload: Value,
) -> Utf8Bytes {
    let value = match vsn {
        Vsn::V2 => Value::Array(vec![
            join_ref,
            msg_ref,
            Value::String(topic.to_string()),
            Value::String(event.to_string()),
            payload,
        ]),
        // v1 frames never carry join_ref (docs/protocol.md#server-observed "v1 (object) frames").
        Vsn::V1 => serde_json::json!({
            "event": event,
            "payload": payload,
            "ref": msg_ref,
            "topic": topic,
        }),
    };
    Utf8Bytes::from(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn v2_roundtrip_text() {
        let m = decode_text(
            Vsn::V2,
            r#"["3","3","room:lobby","phx_join",{"token":"abc"}]"#,
        )
        .unwrap();
        assert_eq!(m.join_ref.as_deref(), Some("3"));
        assert_eq!(m.topic, "room:lobby");
        let f = encode(
            Vsn::V2,
            &Outgoing::Reply {
                join_ref: Some("3".into()),
                msg_ref: Some("3".into()),
                topic: "room:lobby".into(),
                status: "ok".into(),
                response: Payload::Json(json!({})),
            },
        )
        .unwrap();
        assert_eq!(
            f,
            Frame::Text(
                r#"["3","3","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#.into()
            )
        );
    }

    #[test]
    fn push_of_json_text_equals_push_of_the_value() {
        let payload = json!({"a\"b": {"metas": [{"phx_ref": "x", "n": 1}]}, "é": []});
        for vsn in [Vsn::V1, Vsn::V2] {
            for jr in [None, Some("7")] {
                let want = encode(
                    vsn,
                    &Outgoing::Push {
                        join_ref: jr.map(String::from),
                        msg_ref: None,
                        topic: "room:\"q\"".into(),
                        event: "presence_state".into(),
                        payload: Payload::Json(payload.clone()),
                    },
                )
                .unwrap();
                let got = encode_push_json_text(
                    vsn,
                    jr,
                    "room:\"q\"",
                    "presence_state",
                    &payload.to_string(),
                );
                assert_eq!(want, Frame::Text(got), "{vsn:?} {jr:?}");
            }
        }
    }

    #[test]
    fn v1_has_no_join_ref() {
        let f = encode(
            Vsn::V1,
            &Outgoing::Broadcast {
                topic: "t".into(),
                event: "e".into(),
                payload: Payload::Json(json!({"a":1})),
            },
        )
        .unwrap();
        assert_eq!(
            f,
            Frame::Text(r#"{"event":"e","payload":{"a":1},"ref":null,"topic":"t"}"#.into())
        );
    }

    #[test]
    fn binary_push_decode_matches_spec_example() {
        let m = decode_binary(Vsn::V2, &[0, 1, 1, 1, 1, 0x31, 0x32, 0x74, 0x65, 9, 8]).unwrap();
        assert_eq!(m.join_ref.as_deref(), Some("1"));
        assert_eq!(m.msg_ref.as_deref(), Some("2"));
        assert_eq!(m.topic, "t");
        assert_eq!(m.event, "e");
        assert_eq!(m.payload, Payload::Binary(Bytes::from_static(&[9, 8])));
    }

    #[test]
    fn binary_garbage_is_an_error_not_a_panic() {
        for data in [
            &[][..],
            &[0],
            &[0, 9, 9, 9, 9, 1],
            &[1, 0, 0, 0, 0],
            &[0, 1, 0, 0, 0, 0xff],
        ] {
            assert!(decode_binary(Vsn::V2, data).is_err());
        }
    }

    #[test]
    fn binary_reply_and_broadcast_layout() {
        let f = encode(
            Vsn::V2,
            &Outgoing::Reply {
                join_ref: Some("1".into()),
                msg_ref: Some("2".into()),
                topic: "t".into(),
                status: "ok".into(),
                response: Payload::Binary(Bytes::from_static(&[7])),
            },
        )
        .unwrap();
        assert_eq!(
            f,
            Frame::Binary(Bytes::from_static(&[
                1, 1, 1, 1, 2, b'1', b'2', b't', b'o', b'k', 7
            ]))
        );
        let f = encode(
            Vsn::V2,
            &Outgoing::Broadcast {
                topic: "t".into(),
                event: "e".into(),
                payload: Payload::Binary(Bytes::from_static(&[7])),
            },
        )
        .unwrap();
        assert_eq!(
            f,
            Frame::Binary(Bytes::from_static(&[2, 1, 1, b't', b'e', 7]))
        );
    }

    #[test]
    fn vsn_selection() {
        assert_eq!(Vsn::from_param(None), Some(Vsn::V1));
        assert_eq!(Vsn::from_param(Some("1.0.0")), Some(Vsn::V1));
        assert_eq!(Vsn::from_param(Some("2.0.0")), Some(Vsn::V2));
        assert_eq!(Vsn::from_param(Some("3.0.0")), None);
        assert_eq!(Vsn::from_param(Some("")), None);
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn decode_binary_never_panics(data in proptest::collection::vec(any::<u8>(), 0..64)) {
                let _ = decode_binary(Vsn::V2, &data);
                let _ = decode_binary(Vsn::V1, &data);
            }

            #[test]
            fn decode_text_never_panics(text in ".{0,64}") {
                let _ = decode_text(Vsn::V2, &text);
                let _ = decode_text(Vsn::V1, &text);
            }

            #[test]
            fn decode_json_shapes_never_panic(v in json_value()) {
                let text = v.to_string();
                let _ = decode_text(Vsn::V2, &text);
                let _ = decode_text(Vsn::V1, &text);
            }

            #[test]
            fn binary_push_roundtrip(jr in "[a-z0-9]{1,10}", r in "[a-z0-9]{1,10}", topic in ".{0,40}", event in ".{0,40}",
                                     payload in proptest::collection::vec(any::<u8>(), 0..32)) {
                prop_assume!(topic.len() <= 255 && event.len() <= 255);
                let mut frame = vec![0u8, jr.len() as u8, r.len() as u8, topic.len() as u8, event.len() as u8];
                for s in [&jr, &r, &topic, &event] { frame.extend_from_slice(s.as_bytes()); }
                frame.extend_from_slice(&payload);
                let m = decode_binary(Vsn::V2, &frame).unwrap();
                prop_assert_eq!(m.join_ref.as_deref(), Some(jr.as_str()));
                prop_assert_eq!(m.msg_ref.as_deref(), Some(r.as_str()));
                prop_assert_eq!(m.topic, topic);
                prop_assert_eq!(m.event, event);
                prop_assert_eq!(m.payload, Payload::Binary(Bytes::from(payload)));
            }
        }

        fn json_value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(|n| json!(n)),
                "[a-z]{0,6}".prop_map(Value::String),
            ];
            leaf.prop_recursive(3, 24, 6, |inner| {
                prop_oneof![
                    proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                    proptest::collection::btree_map("[a-z_]{1,8}", inner, 0..5)
                        .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }
    }
}
