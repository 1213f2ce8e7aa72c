//! Binary frames of protocol v2 (docs/protocol.md#binary-frames) [serializer.js `binaryEncode`, `binaryDecode`].
//!
//! Works on bytes only: the shell turns `ArrayBuffer`s into slices and strings into UTF-8 with
//! `TextEncoder` semantics before calling in. The reference server reuses the same functions for
//! the other direction ([`encode_server_push`], [`encode_reply`], [`encode_broadcast`],
//! [`decode_client_push`]).
//!
//! Layouts (each length is one unsigned byte, so each string field is at most 255 bytes; the
//! payload is the rest of the frame):
//!
//! ```text
//! C→S push       0 | JL RL TL EL | join_ref ref topic event  | payload
//! S→C push       0 | JL TL EL    | join_ref topic event      | payload
//! S→C reply      1 | JL RL TL SL | join_ref ref topic status | response
//! S→C broadcast  2 | TL EL       | topic event               | payload
//! ```
//!
//! Kind 0 means two layouts: the client's has a ref, the server's has none. Which one applies
//! depends on the direction, so there are two decoders: [`decode_binary`] (client side) and
//! [`decode_client_push`] (server side).
//!
//! Deliberate differences from phoenix.js: its decoder clamps slices that run past the end of the
//! frame and returns `undefined` for an unknown kind. Ours returns a [`DecodeError`]; the shell
//! logs it and drops the frame. No input makes these functions panic.

use super::error::{DecodeError, EncodeError, Field};

/// Bytes before the length bytes: the kind. [serializer.js `HEADER_LENGTH`]
pub const HEADER_LENGTH: usize = 1;
/// Number of length bytes in a client push and a reply. [serializer.js `META_LENGTH`]
pub const META_LENGTH: usize = 4;

/// The reply event name that [`decode_binary`] gives replies. [constants.js `CHANNEL_EVENTS.reply`]
const PHX_REPLY: &str = "phx_reply";

/// Largest length a field's one length byte can carry.
const MAX_FIELD_LEN: usize = u8::MAX as usize;

/// The kind byte that opens every binary frame. [serializer.js `KINDS`]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A push: client → server (with a ref) or server → client (without one).
    Push = 0,
    /// A server reply to a client push.
    Reply = 1,
    /// A server broadcast (no join_ref, no ref).
    Broadcast = 2,
}

impl Kind {
    /// The kind for a frame's first byte, if known.
    pub fn from_byte(byte: u8) -> Option<Kind> {
        match byte {
            0 => Some(Kind::Push),
            1 => Some(Kind::Reply),
            2 => Some(Kind::Broadcast),
            _ => None,
        }
    }

    /// The byte that encodes this kind.
    pub fn as_byte(self) -> u8 {
        self as u8
    }
}

/// A decoded binary frame (server → client). Strings decoded like TextDecoder (lossy UTF-8).
///
/// Like phoenix.js's `decodePush`/`decodeReply`/`decodeBroadcast`, but the reply's
/// `{status, response}` object is flattened into `status` and `payload`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinaryMessage<'a> {
    /// Which layout the frame had.
    pub kind: Kind,
    /// None = null (broadcast); push/reply: Some (may be "", which phoenix.js treats as falsy, so
    /// never stale: docs/protocol.md#binary-notes).
    pub join_ref: Option<String>,
    /// None for push and broadcast.
    pub ref_: Option<String>,
    /// The topic.
    pub topic: String,
    /// The event; `"phx_reply"` for replies.
    pub event: String,
    /// Replies only: the status field.
    pub status: Option<String>,
    /// Rest of the frame (the response for replies).
    pub payload: &'a [u8],
}

/// A decoded client push (kind 0 with four lengths), as the server sees it.
///
/// Strings are decoded as lossy UTF-8 but, unlike [`decode_binary`], a leading BOM is kept: the
/// Phoenix server keeps these fields as raw binaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientPush<'a> {
    /// The join_ref; `""` when the client's was `undefined`, `"null"` when it was `null`
    /// (TextEncoder quirk, docs/protocol.md#b19).
    pub join_ref: String,
    /// The ref (same quirks as `join_ref`).
    pub ref_: String,
    /// The topic.
    pub topic: String,
    /// The event.
    pub event: String,
    /// Rest of the frame.
    pub payload: &'a [u8],
}

/// Where the fields of a server → client frame lie, as byte ranges of the whole frame
/// (`start..end`). [serializer.js `decodePush`, `decodeReply`, `decodeBroadcast`]
///
/// The JavaScript `Serializer` slices and decodes the fields itself (with the `TextDecoder` it
/// is handed), so this is the layout rule alone; [`decode_binary`] is built on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLayout {
    /// The layout that was read.
    pub kind: Kind,
    /// `None` = `null` (broadcasts).
    pub join_ref: Option<(usize, usize)>,
    /// `None` = `null` (pushes and broadcasts).
    pub ref_: Option<(usize, usize)>,
    /// The topic.
    pub topic: (usize, usize),
    /// The event; for replies the status.
    pub event: (usize, usize),
    /// Where the payload (the response for replies) starts; it runs to the end of the frame.
    pub payload: usize,
}

/// Reads the layout of `kind` from the front of a frame of `frame_len` bytes, whatever its own
/// kind byte says (phoenix.js's per-kind helpers read it that way). `head` is the frame's first
/// bytes: at least its length bytes (`frame[..5]` is always enough).
///
/// Errors when the length bytes are missing or the fields run past `frame_len`.
pub fn frame_layout(kind: Kind, head: &[u8], frame_len: usize) -> Result<FrameLayout, DecodeError> {
    let lens = head.get(HEADER_LENGTH..).unwrap_or(&[]);
    // The header's own length bytes come first: 3 for a push (no ref), 4 for a reply, 2 for
    // a broadcast.
    let n = match kind {
        Kind::Push => 3,
        Kind::Reply => 4,
        Kind::Broadcast => 2,
    };
    if lens.len() < n || frame_len < HEADER_LENGTH + n {
        return Err(DecodeError::TruncatedHeader);
    }
    let mut at = HEADER_LENGTH + n;
    let mut field = |i: usize| -> Result<(usize, usize), DecodeError> {
        let len = usize::from(*lens.get(i).ok_or(DecodeError::TruncatedHeader)?);
        let start = at;
        at = start.saturating_add(len);
        Ok((start, at))
    };
    let layout = match kind {
        Kind::Push => {
            let join_ref = field(0)?;
            let topic = field(1)?;
            let event = field(2)?;
            FrameLayout {
                kind,
                join_ref: Some(join_ref),
                ref_: None,
                topic,
                event,
                payload: at,
            }
        }
        Kind::Reply => {
            let join_ref = field(0)?;
            let ref_ = field(1)?;
            let topic = field(2)?;
            let status = field(3)?;
            FrameLayout {
                kind,
                join_ref: Some(join_ref),
                ref_: Some(ref_),
                topic,
                event: status,
                payload: at,
            }
        }
        Kind::Broadcast => {
            let topic = field(0)?;
            let event = field(1)?;
            FrameLayout {
                kind,
                join_ref: None,
                ref_: None,
                topic,
                event,
                payload: at,
            }
        }
    };
    if layout.payload > frame_len {
        return Err(DecodeError::Truncated);
    }
    Ok(layout)
}

/// Decodes a server → client frame. [serializer.js `binaryDecode`] (SE06, SE07)
///
/// Errors on an empty frame, an unknown kind, or lengths that run past the end of the frame.
pub fn decode_binary(frame: &[u8]) -> Result<BinaryMessage<'_>, DecodeError> {
    let &kind = frame.first().ok_or(DecodeError::Empty)?;
    let kind = Kind::from_byte(kind).ok_or(DecodeError::UnknownKind)?;
    let l = frame_layout(kind, frame, frame.len())?;
    // frame_layout checked every range against the frame's length.
    let text = |(a, b): (usize, usize)| text_decode(frame.get(a..b).unwrap_or(&[]));
    Ok(BinaryMessage {
        kind,
        join_ref: l.join_ref.map(text),
        ref_: l.ref_.map(text),
        topic: text(l.topic),
        event: match kind {
            // serializer.js decodeReply: the fourth field is the status.
            Kind::Reply => PHX_REPLY.to_owned(),
            _ => text(l.event),
        },
        status: match kind {
            Kind::Reply => Some(text(l.event)),
            _ => None,
        },
        payload: frame.get(l.payload..).unwrap_or(&[]),
    })
}

/// `assertFieldSize(size, name)`: phoenix.js's error text when a field of `size` bytes is too
/// long for its one length byte, `None` when it fits (`size > 255` as JavaScript compares, so
/// `NaN` fits). [serializer.js `assertFieldSize`] (SE05)
pub fn field_size_error(size: f64, name: &str) -> Option<String> {
    if size > MAX_FIELD_LEN as f64 {
        let mut s = String::with_capacity(96);
        s.push_str("unable to convert ");
        s.push_str(name);
        s.push_str(" to binary: must be less than or equal to 255 bytes, but is ");
        s.push_str(&super::socket::format_number(size));
        s.push_str(" bytes");
        Some(s)
    } else {
        None
    }
}

/// Client push (kind 0). Fields are already-encoded UTF-8 bytes (the shell maps JS undefined to
/// b"" and null to b"null", as TextEncoder does). [serializer.js `binaryEncode`]
///
/// Fields are checked in the order join_ref, ref, topic, event, as phoenix.js does.
pub fn encode_push(
    join_ref: &[u8],
    ref_: &[u8],
    topic: &[u8],
    event: &[u8],
    payload: &[u8],
) -> Result<Vec<u8>, EncodeError> {
    encode(
        Kind::Push,
        &[
            (Field::JoinRef, join_ref),
            (Field::Ref, ref_),
            (Field::Topic, topic),
            (Field::Event, event),
        ],
        payload,
    )
}

/// Server push (kind 0, no ref), as the server's `push/3` sends with `{:binary, data}`.
/// Checks join_ref, topic, event in that order.
pub fn encode_server_push(
    join_ref: &[u8],
    topic: &[u8],
    event: &[u8],
    payload: &[u8],
) -> Result<Vec<u8>, EncodeError> {
    encode(
        Kind::Push,
        &[
            (Field::JoinRef, join_ref),
            (Field::Topic, topic),
            (Field::Event, event),
        ],
        payload,
    )
}

/// Server reply (kind 1). `payload` is the response. Checks join_ref, ref, topic, status in that
/// order.
pub fn encode_reply(
    join_ref: &[u8],
    ref_: &[u8],
    topic: &[u8],
    status: &[u8],
    payload: &[u8],
) -> Result<Vec<u8>, EncodeError> {
    encode(
        Kind::Reply,
        &[
            (Field::JoinRef, join_ref),
            (Field::Ref, ref_),
            (Field::Topic, topic),
            (Field::Status, status),
        ],
        payload,
    )
}

/// Server broadcast (kind 2). Checks topic, event in that order.
pub fn encode_broadcast(
    topic: &[u8],
    event: &[u8],
    payload: &[u8],
) -> Result<Vec<u8>, EncodeError> {
    encode(
        Kind::Broadcast,
        &[(Field::Topic, topic), (Field::Event, event)],
        payload,
    )
}

/// Decodes a client → server push: kind 0 with all four lengths (docs/protocol.md#binary-notes [server]).
///
/// Errors with [`DecodeError::UnexpectedKind`] for kinds 1 and 2, which a client never sends.
pub fn decode_client_push(frame: &[u8]) -> Result<ClientPush<'_>, DecodeError> {
    let raw = decode_client_push_raw(frame)?;
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    Ok(ClientPush {
        join_ref: text(raw.join_ref),
        ref_: text(raw.ref_),
        topic: text(raw.topic),
        event: text(raw.event),
        payload: raw.payload,
    })
}

/// A client → server push with its fields as the raw bytes of the frame, for a decoder that
/// wants strict UTF-8 (the reference server closes the socket on invalid UTF-8, as Phoenix's
/// JSON encoding of such a field would fail) and no copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawClientPush<'a> {
    /// The join_ref bytes (empty when the client's was `undefined`).
    pub join_ref: &'a [u8],
    /// The ref bytes.
    pub ref_: &'a [u8],
    /// The topic bytes.
    pub topic: &'a [u8],
    /// The event bytes.
    pub event: &'a [u8],
    /// Rest of the frame.
    pub payload: &'a [u8],
}

/// [`decode_client_push`] without decoding the fields as text: same layout checks and errors.
pub fn decode_client_push_raw(frame: &[u8]) -> Result<RawClientPush<'_>, DecodeError> {
    let (&kind, rest) = frame.split_first().ok_or(DecodeError::Empty)?;
    match Kind::from_byte(kind) {
        Some(Kind::Push) => {}
        Some(Kind::Reply | Kind::Broadcast) => return Err(DecodeError::UnexpectedKind),
        None => return Err(DecodeError::UnknownKind),
    }
    let ([jl, rl, tl, el], mut r) = header::<4>(rest)?;
    Ok(RawClientPush {
        join_ref: r.take(jl)?,
        ref_: r.take(rl)?,
        topic: r.take(tl)?,
        event: r.take(el)?,
        payload: r.rest,
    })
}

/// Writes `kind`, the fields' lengths, the fields, then the payload.
fn encode(kind: Kind, fields: &[(Field, &[u8])], payload: &[u8]) -> Result<Vec<u8>, EncodeError> {
    // serializer.js assertFieldSize: check every field before writing anything.
    let mut meta_len = fields.len();
    for &(field, bytes) in fields {
        if bytes.len() > MAX_FIELD_LEN {
            return Err(EncodeError::FieldTooLong {
                field,
                len: bytes.len(),
            });
        }
        meta_len += bytes.len();
    }
    // A slice is at most isize::MAX bytes and the header at most 1 + 4 * 256, so this cannot
    // overflow; saturate anyway, it is only a capacity hint.
    let mut out = Vec::with_capacity((HEADER_LENGTH + meta_len).saturating_add(payload.len()));
    out.push(kind.as_byte());
    for &(field, bytes) in fields {
        let len = u8::try_from(bytes.len()).map_err(|_| EncodeError::FieldTooLong {
            field,
            len: bytes.len(),
        })?;
        out.push(len);
    }
    for &(_, bytes) in fields {
        out.extend_from_slice(bytes);
    }
    out.extend_from_slice(payload);
    Ok(out)
}

/// Splits `N` length bytes off the front of `rest` (the frame after its kind byte).
fn header<const N: usize>(rest: &[u8]) -> Result<([usize; N], Reader<'_>), DecodeError> {
    let (lens, rest) = rest
        .split_first_chunk::<N>()
        .ok_or(DecodeError::TruncatedHeader)?;
    Ok((lens.map(usize::from), Reader { rest }))
}

/// The unread part of a frame.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// The next `len` bytes; strict where phoenix.js's `buffer.slice` would clamp.
    fn take(&mut self, len: usize) -> Result<&'a [u8], DecodeError> {
        let (head, tail) = self
            .rest
            .split_at_checked(len)
            .ok_or(DecodeError::Truncated)?;
        self.rest = tail;
        Ok(head)
    }
}

/// `new TextDecoder().decode(bytes)`: UTF-8 with U+FFFD for each maximal invalid subpart (as
/// `from_utf8_lossy` does), and one leading BOM dropped. serializer.js calls `decode` once per
/// field and each call starts afresh, so every field loses its own leading BOM.
fn text_decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn push_msg<'a>(
        join_ref: &str,
        topic: &str,
        event: &str,
        payload: &'a [u8],
    ) -> BinaryMessage<'a> {
        BinaryMessage {
            kind: Kind::Push,
            join_ref: Some(join_ref.into()),
            ref_: None,
            topic: topic.into(),
            event: event.into(),
            status: None,
            payload,
        }
    }

    // ---- golden vectors (docs/protocol.md#binary-frames) ----

    #[test]
    fn constants() {
        assert_eq!(HEADER_LENGTH, 1);
        assert_eq!(META_LENGTH, 4);
        assert_eq!(
            [Kind::Push as u8, Kind::Reply as u8, Kind::Broadcast as u8],
            [0, 1, 2]
        );
        assert_eq!(Kind::from_byte(3), None);
        assert_eq!(Kind::from_byte(255), None);
    }

    #[test]
    fn client_push_golden() {
        // docs/protocol.md#binary-push example.
        let frame = encode_push(b"1", b"2", b"t", b"e", &[9, 8]).unwrap();
        assert_eq!(
            frame,
            [0x00, 0x01, 0x01, 0x01, 0x01, 0x31, 0x32, 0x74, 0x65, 0x09, 0x08]
        );
        let d = decode_client_push(&frame).unwrap();
        assert_eq!(
            d,
            ClientPush {
                join_ref: "1".into(),
                ref_: "2".into(),
                topic: "t".into(),
                event: "e".into(),
                payload: &[9, 8]
            }
        );
    }

    #[test]
    fn client_push_textencoder_quirks() {
        // docs/protocol.md#b19: undefined -> 0 bytes, null -> "null" (the shell maps them).
        let frame = encode_push(b"", b"null", b"phoenix", b"heartbeat", &[]).unwrap();
        let mut expected = vec![0, 0, 4, 7, 9];
        expected.extend_from_slice(b"nullphoenixheartbeat");
        assert_eq!(frame, expected);
        let d = decode_client_push(&frame).unwrap();
        assert_eq!((d.join_ref.as_str(), d.ref_.as_str()), ("", "null"));
        assert!(d.payload.is_empty());
    }

    #[test]
    fn server_push_golden() {
        // docs/protocol.md#binary-server-push: 4-byte header, no ref.
        let frame = encode_server_push(b"3", b"room:lobby", b"ping", &[1, 2, 3]).unwrap();
        let mut expected = vec![0, 1, 10, 4];
        expected.extend_from_slice(b"3room:lobbyping");
        expected.extend_from_slice(&[1, 2, 3]);
        assert_eq!(frame, expected);
        assert_eq!(
            decode_binary(&frame).unwrap(),
            push_msg("3", "room:lobby", "ping", &[1, 2, 3])
        );
    }

    #[test]
    fn reply_golden() {
        // docs/protocol.md#binary-reply: status sits where the event would.
        let frame = encode_reply(b"3", b"5", b"room:lobby", b"ok", &[0xFF]).unwrap();
        let mut expected = vec![1, 1, 1, 10, 2];
        expected.extend_from_slice(b"35room:lobbyok");
        expected.push(0xFF);
        assert_eq!(frame, expected);
        assert_eq!(
            decode_binary(&frame).unwrap(),
            BinaryMessage {
                kind: Kind::Reply,
                join_ref: Some("3".into()),
                ref_: Some("5".into()),
                topic: "room:lobby".into(),
                event: "phx_reply".into(),
                status: Some("ok".into()),
                payload: &[0xFF],
            }
        );
    }

    #[test]
    fn broadcast_golden() {
        // docs/protocol.md#binary-broadcast: join_ref and ref are null.
        let frame = encode_broadcast(b"room:lobby", b"new_msg", b"hi").unwrap();
        let mut expected = vec![2, 10, 7];
        expected.extend_from_slice(b"room:lobbynew_msghi");
        assert_eq!(frame, expected);
        assert_eq!(
            decode_binary(&frame).unwrap(),
            BinaryMessage {
                kind: Kind::Broadcast,
                join_ref: None,
                ref_: None,
                topic: "room:lobby".into(),
                event: "new_msg".into(),
                status: None,
                payload: b"hi",
            }
        );
    }

    #[test]
    fn empty_join_ref_decodes_to_empty_string() {
        // docs/protocol.md#binary-notes: "" (falsy in JS), not null.
        let m = decode_binary(&[0, 0, 1, 1, b't', b'e']).unwrap();
        assert_eq!(m, push_msg("", "t", "e", &[]));
        let m = decode_binary(&[1, 0, 0, 0, 0]).unwrap();
        assert_eq!(m.join_ref.as_deref(), Some(""));
        assert_eq!(m.ref_.as_deref(), Some(""));
        assert_eq!(m.status.as_deref(), Some(""));
        assert_eq!(m.event, "phx_reply");
    }

    #[test]
    fn payload_borrows_the_frame_tail() {
        let frame = encode_broadcast(b"t", b"e", &[7; 100]).unwrap();
        let m = decode_binary(&frame).unwrap();
        assert_eq!(m.payload.len(), 100);
        assert!(std::ptr::eq(m.payload.as_ptr(), frame[5..].as_ptr()));
    }

    // ---- field size limit ----

    #[test]
    fn field_of_255_bytes_is_accepted() {
        let f = [b'x'; 255];
        let frame = encode_push(&f, &f, &f, &f, b"p").unwrap();
        assert_eq!(frame.len(), 5 + 4 * 255 + 1);
        assert_eq!(&frame[..5], &[0, 255, 255, 255, 255]);
        let d = decode_client_push(&frame).unwrap();
        assert_eq!(d.event.len(), 255);
        assert_eq!(d.payload, b"p");
        for frame in [
            encode_server_push(&f, &f, &f, &[]).unwrap(),
            encode_reply(&f, &f, &f, &f, &[]).unwrap(),
            encode_broadcast(&f, &f, &[]).unwrap(),
        ] {
            let m = decode_binary(&frame).unwrap();
            assert_eq!(m.topic.len(), 255);
        }
    }

    #[test]
    fn field_of_256_bytes_is_rejected_with_phoenix_js_message() {
        let ok = [b'x'; 255];
        let long = [b'x'; 256];
        let cases: [(Field, Result<Vec<u8>, EncodeError>); 4] = [
            (Field::JoinRef, encode_push(&long, &ok, &ok, &ok, &[])),
            (Field::Ref, encode_push(&ok, &long, &ok, &ok, &[])),
            (Field::Topic, encode_push(&ok, &ok, &long, &ok, &[])),
            (Field::Event, encode_push(&ok, &ok, &ok, &long, &[])),
        ];
        for (field, res) in cases {
            let err = res.unwrap_err();
            assert_eq!(err, EncodeError::FieldTooLong { field, len: 256 });
            let expected = String::from("unable to convert ")
                + field.as_str()
                + " to binary: must be less than or equal to 255 bytes, but is 256 bytes";
            assert_eq!(err.message(), expected);
        }
        assert_eq!(
            encode_push(&long, &long, &[], &[], &[]).unwrap_err().message(),
            "unable to convert join_ref to binary: must be less than or equal to 255 bytes, but is 256 bytes"
        );
    }

    #[test]
    fn oversized_fields_are_checked_in_order() {
        let a = [b'a'; 300];
        let b = [b'b'; 400];
        // serializer.js checks join_ref, ref, topic, event: the first oversized one wins.
        assert_eq!(
            encode_push(&[], &a, &b, &b, &[]),
            Err(EncodeError::FieldTooLong {
                field: Field::Ref,
                len: 300
            })
        );
        assert_eq!(
            encode_push(&[], &[], &b, &a, &[]),
            Err(EncodeError::FieldTooLong {
                field: Field::Topic,
                len: 400
            })
        );
        assert_eq!(
            encode_reply(&[], &[], &[], &a, &[]),
            Err(EncodeError::FieldTooLong {
                field: Field::Status,
                len: 300
            })
        );
        assert_eq!(
            encode_server_push(&[], &a, &b, &[]),
            Err(EncodeError::FieldTooLong {
                field: Field::Topic,
                len: 300
            })
        );
        assert_eq!(
            encode_broadcast(&[], &b, &[]),
            Err(EncodeError::FieldTooLong {
                field: Field::Event,
                len: 400
            })
        );
        // A large payload is fine: it has no length byte.
        assert!(encode_push(&[], &[], &[], &[], &[0; 70_000]).is_ok());
    }

    // ---- malformed frames ----

    #[test]
    fn empty_frame() {
        assert_eq!(decode_binary(&[]), Err(DecodeError::Empty));
        assert_eq!(decode_client_push(&[]), Err(DecodeError::Empty));
    }

    #[test]
    fn unknown_kind() {
        for k in [3u8, 4, 0x7F, 0x80, 0xFF] {
            assert_eq!(
                decode_binary(&[k, 0, 0, 0, 0]),
                Err(DecodeError::UnknownKind)
            );
            assert_eq!(
                decode_client_push(&[k, 0, 0, 0, 0]),
                Err(DecodeError::UnknownKind)
            );
        }
        assert_eq!(
            decode_client_push(&[1, 0, 0, 0, 0]),
            Err(DecodeError::UnexpectedKind)
        );
        assert_eq!(
            decode_client_push(&[2, 0, 0, 0, 0]),
            Err(DecodeError::UnexpectedKind)
        );
    }

    #[test]
    fn truncated_header() {
        assert_eq!(decode_binary(&[0]), Err(DecodeError::TruncatedHeader));
        assert_eq!(decode_binary(&[0, 0, 0]), Err(DecodeError::TruncatedHeader));
        assert_eq!(
            decode_binary(&[1, 0, 0, 0]),
            Err(DecodeError::TruncatedHeader)
        );
        assert_eq!(decode_binary(&[2, 0]), Err(DecodeError::TruncatedHeader));
        assert_eq!(
            decode_client_push(&[0, 0, 0, 0]),
            Err(DecodeError::TruncatedHeader)
        );
        // The shortest valid frames.
        assert!(decode_binary(&[0, 0, 0, 0]).is_ok());
        assert!(decode_binary(&[1, 0, 0, 0, 0]).is_ok());
        assert!(decode_binary(&[2, 0, 0]).is_ok());
        assert!(decode_client_push(&[0, 0, 0, 0, 0]).is_ok());
    }

    #[test]
    fn lengths_past_the_end_are_rejected() {
        // phoenix.js would clamp these to shorter strings; we refuse the frame.
        assert_eq!(decode_binary(&[0, 1, 0, 0]), Err(DecodeError::Truncated));
        assert_eq!(
            decode_binary(&[0, 0, 0, 2, b'e']),
            Err(DecodeError::Truncated)
        );
        assert_eq!(
            decode_binary(&[1, 0, 0, 0, 3, b'o', b'k']),
            Err(DecodeError::Truncated)
        );
        assert_eq!(
            decode_binary(&[2, 255, 0, b't']),
            Err(DecodeError::Truncated)
        );
        assert_eq!(
            decode_client_push(&[0, 0, 1, 0, 0]),
            Err(DecodeError::Truncated)
        );
        // Every strict prefix of a valid frame's header region fails; the full header succeeds.
        let frame = encode_reply(b"12", b"34", b"room", b"ok", &[]).unwrap();
        for n in 0..frame.len() {
            assert!(decode_binary(&frame[..n]).is_err(), "prefix {n}");
        }
        assert!(decode_binary(&frame).is_ok());
        let frame = encode_push(b"12", b"34", b"room", b"ev", &[]).unwrap();
        for n in 0..frame.len() {
            assert!(decode_client_push(&frame[..n]).is_err(), "prefix {n}");
        }
    }

    // ---- UTF-8 like TextDecoder ----

    #[test]
    fn utf8_is_decoded_lossily_like_text_decoder() {
        // Expected outputs recorded from Node 20's `new TextDecoder().decode(...)`.
        let cases: &[(&[u8], &str)] = &[
            (b"\xEF\xBB\xBFa", "a"),
            (b"\xEF\xBB\xBF\xEF\xBB\xBFa", "\u{FEFF}a"),
            (b"\xEF\xBB", "\u{FFFD}"),
            (b"a\xEF\xBB\xBF", "a\u{FEFF}"),
            (b"\xF0\x80\x80", "\u{FFFD}\u{FFFD}\u{FFFD}"),
            (b"\xE0\x80A", "\u{FFFD}\u{FFFD}A"),
            (b"\xED\xA0\x80", "\u{FFFD}\u{FFFD}\u{FFFD}"),
            (b"\xF4\x90\x80\x80", "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}"),
            (b"\xC0\xAF", "\u{FFFD}\u{FFFD}"),
            (b"\xF0\x9F\x98", "\u{FFFD}"),
            (b"\xFF\xFE", "\u{FFFD}\u{FFFD}"),
            ("héllo 😀".as_bytes(), "héllo 😀"),
        ];
        for &(bytes, expected) in cases {
            let frame = encode_broadcast(bytes, bytes, &[]).unwrap();
            let m = decode_binary(&frame).unwrap();
            assert_eq!(m.topic, expected, "{bytes:x?}");
            assert_eq!(m.event, expected, "{bytes:x?}");
        }
    }

    #[test]
    fn each_field_loses_its_own_bom() {
        // serializer.js decodes each field with a separate decode() call.
        let bom = "\u{FEFF}";
        let j = format!("{bom}1");
        let r = format!("{bom}2");
        let frame = encode_reply(
            j.as_bytes(),
            r.as_bytes(),
            b"\xEF\xBB\xBFt",
            b"\xEF\xBB\xBFok",
            b"\xEF\xBB\xBF",
        )
        .unwrap();
        let m = decode_binary(&frame).unwrap();
        assert_eq!(
            (m.join_ref.unwrap(), m.ref_.unwrap()),
            ("1".into(), "2".into())
        );
        assert_eq!((m.topic.as_str(), m.status.as_deref()), ("t", Some("ok")));
        // The payload is raw bytes, untouched.
        assert_eq!(m.payload, b"\xEF\xBB\xBF");
    }

    #[test]
    fn client_push_keeps_bom_but_replaces_invalid_utf8() {
        let frame = encode_push(b"\xEF\xBB\xBF1", b"\xFF", b"t", b"e", &[]).unwrap();
        let d = decode_client_push(&frame).unwrap();
        assert_eq!(d.join_ref, "\u{FEFF}1");
        assert_eq!(d.ref_, "\u{FFFD}");
    }

    #[test]
    fn errors_display_static_text() {
        assert_eq!(
            decode_binary(&[]).unwrap_err().to_string(),
            "empty binary frame"
        );
        assert_eq!(
            decode_binary(&[9]).unwrap_err().as_str(),
            "unknown binary frame kind"
        );
    }

    // ---- properties ----

    /// serializer.js `binaryDecode`, transliterated with its clamping `buffer.slice`, as an
    /// oracle: wherever we accept a frame, we must agree with phoenix.js.
    fn phoenix_js_decode(frame: &[u8]) -> Option<BinaryMessage<'_>> {
        fn slice(b: &[u8], start: usize, end: usize) -> &[u8] {
            let end = end.min(b.len());
            let start = start.min(end);
            &b[start..end]
        }
        let byte = |i: usize| frame.get(i).map(|&b| usize::from(b));
        let text = |start: usize, len: usize| text_decode(slice(frame, start, start + len));
        match *frame.first()? {
            0 => {
                let (jl, tl, el) = (byte(1)?, byte(2)?, byte(3)?);
                let o = HEADER_LENGTH + META_LENGTH - 1;
                Some(BinaryMessage {
                    kind: Kind::Push,
                    join_ref: Some(text(o, jl)),
                    ref_: None,
                    topic: text(o + jl, tl),
                    event: text(o + jl + tl, el),
                    status: None,
                    payload: slice(frame, o + jl + tl + el, frame.len()),
                })
            }
            1 => {
                let (jl, rl, tl, sl) = (byte(1)?, byte(2)?, byte(3)?, byte(4)?);
                let o = HEADER_LENGTH + META_LENGTH;
                Some(BinaryMessage {
                    kind: Kind::Reply,
                    join_ref: Some(text(o, jl)),
                    ref_: Some(text(o + jl, rl)),
                    topic: text(o + jl + rl, tl),
                    event: PHX_REPLY.into(),
                    status: Some(text(o + jl + rl + tl, sl)),
                    payload: slice(frame, o + jl + rl + tl + sl, frame.len()),
                })
            }
            2 => {
                let (tl, el) = (byte(1)?, byte(2)?);
                let o = HEADER_LENGTH + 2;
                Some(BinaryMessage {
                    kind: Kind::Broadcast,
                    join_ref: None,
                    ref_: None,
                    topic: text(o, tl),
                    event: text(o + tl, el),
                    status: None,
                    payload: slice(frame, o + tl + el, frame.len()),
                })
            }
            _ => None,
        }
    }

    /// Frames that reach the deep paths: a known (or nearly known) kind, small length bytes.
    fn plausible_frame() -> impl Strategy<Value = Vec<u8>> {
        (
            0u8..4,
            proptest::collection::vec(0u8..8, 0..5),
            proptest::collection::vec(any::<u8>(), 0..40),
        )
            .prop_map(|(kind, lens, tail)| {
                let mut f = vec![kind];
                f.extend(lens);
                f.extend(tail);
                f
            })
    }

    fn field() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(any::<u8>(), 0..=255)
    }

    fn payload() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(any::<u8>(), 0..300)
    }

    /// Strings of at most 255 UTF-8 bytes, often starting with a BOM.
    fn utf8_field() -> impl Strategy<Value = String> {
        (any::<bool>(), ".{0,60}").prop_map(|(bom, s)| {
            let mut s = if bom { format!("\u{FEFF}{s}") } else { s };
            while s.len() > 255 {
                s.pop();
            }
            s
        })
    }

    /// What TextDecoder makes of a string's UTF-8: the same string less one leading BOM.
    fn decoded(s: &str) -> String {
        s.strip_prefix('\u{FEFF}').unwrap_or(s).to_owned()
    }

    proptest! {
        #[test]
        fn decode_never_panics(frame in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = decode_binary(&frame);
            let _ = decode_client_push(&frame);
        }

        #[test]
        fn accepted_frames_agree_with_phoenix_js(frame in plausible_frame()) {
            let ours = decode_binary(&frame);
            let theirs = phoenix_js_decode(&frame);
            match ours {
                Ok(m) => prop_assert_eq!(Some(m), theirs),
                // phoenix.js returns undefined (unknown kind) or throws (short header) too.
                Err(DecodeError::Empty | DecodeError::UnknownKind | DecodeError::TruncatedHeader) => {
                    prop_assert_eq!(theirs, None)
                }
                // Only here do we differ: phoenix.js clamps.
                Err(DecodeError::Truncated) => prop_assert!(theirs.is_some()),
                Err(DecodeError::UnexpectedKind) => prop_assert!(false, "not produced by decode_binary"),
            }
            let _ = decode_client_push(&frame);
        }

        #[test]
        fn client_push_round_trips(j in field(), r in field(), t in field(), e in field(), p in payload()) {
            let frame = encode_push(&j, &r, &t, &e, &p).unwrap();
            prop_assert_eq!(frame.len(), 5 + j.len() + r.len() + t.len() + e.len() + p.len());
            let d = decode_client_push(&frame).unwrap();
            prop_assert_eq!(d.join_ref, String::from_utf8_lossy(&j));
            prop_assert_eq!(d.ref_, String::from_utf8_lossy(&r));
            prop_assert_eq!(d.topic, String::from_utf8_lossy(&t));
            prop_assert_eq!(d.event, String::from_utf8_lossy(&e));
            prop_assert_eq!(d.payload, &p[..]);
        }

        #[test]
        fn client_push_round_trips_utf8_exactly(
            j in utf8_field(), r in utf8_field(), t in utf8_field(), e in utf8_field(), p in payload()
        ) {
            let frame = encode_push(j.as_bytes(), r.as_bytes(), t.as_bytes(), e.as_bytes(), &p).unwrap();
            let d = decode_client_push(&frame).unwrap();
            prop_assert_eq!(
                d,
                ClientPush { join_ref: j, ref_: r, topic: t, event: e, payload: &p[..] }
            );
        }

        #[test]
        fn server_frames_round_trip(
            j in utf8_field(), r in utf8_field(), t in utf8_field(), e in utf8_field(), p in payload()
        ) {
            let frame = encode_server_push(j.as_bytes(), t.as_bytes(), e.as_bytes(), &p).unwrap();
            prop_assert_eq!(
                decode_binary(&frame).unwrap(),
                BinaryMessage {
                    kind: Kind::Push,
                    join_ref: Some(decoded(&j)),
                    ref_: None,
                    topic: decoded(&t),
                    event: decoded(&e),
                    status: None,
                    payload: &p[..],
                }
            );
            let frame = encode_reply(j.as_bytes(), r.as_bytes(), t.as_bytes(), e.as_bytes(), &p).unwrap();
            prop_assert_eq!(
                decode_binary(&frame).unwrap(),
                BinaryMessage {
                    kind: Kind::Reply,
                    join_ref: Some(decoded(&j)),
                    ref_: Some(decoded(&r)),
                    topic: decoded(&t),
                    event: "phx_reply".into(),
                    status: Some(decoded(&e)),
                    payload: &p[..],
                }
            );
            let frame = encode_broadcast(t.as_bytes(), e.as_bytes(), &p).unwrap();
            prop_assert_eq!(
                decode_binary(&frame).unwrap(),
                BinaryMessage {
                    kind: Kind::Broadcast,
                    join_ref: None,
                    ref_: None,
                    topic: decoded(&t),
                    event: decoded(&e),
                    status: None,
                    payload: &p[..],
                }
            );
        }

        #[test]
        fn server_frames_round_trip_bytes(j in field(), r in field(), t in field(), s in field(), p in payload()) {
            let frame = encode_reply(&j, &r, &t, &s, &p).unwrap();
            let m = decode_binary(&frame).unwrap();
            prop_assert_eq!(m.join_ref, Some(text_decode(&j)));
            prop_assert_eq!(m.ref_, Some(text_decode(&r)));
            prop_assert_eq!(m.topic, text_decode(&t));
            prop_assert_eq!(m.status, Some(text_decode(&s)));
            prop_assert_eq!(m.payload, &p[..]);
        }

        #[test]
        fn long_fields_always_rejected(len in 256usize..1024, which in 0usize..4) {
            let long = vec![b'x'; len];
            let mut f: [&[u8]; 4] = [b"", b"", b"", b""];
            f[which] = &long;
            let err = encode_push(f[0], f[1], f[2], f[3], &[]).unwrap_err();
            let field = [Field::JoinRef, Field::Ref, Field::Topic, Field::Event][which];
            prop_assert_eq!(err, EncodeError::FieldTooLong { field, len });
            let expected = String::from("unable to convert ") + field.as_str()
                + " to binary: must be less than or equal to 255 bytes, but is "
                + &len.to_string() + " bytes";
            prop_assert_eq!(err.message(), expected);
        }
    }
    #[test]
    fn frame_layout_reads_the_asked_kind() {
        // A reply frame: 1 | 1 2 1 2 | "5" "12" "t" "ok" | 1 2 3
        let frame = [1, 1, 2, 1, 2, b'5', b'1', b'2', b't', b'o', b'k', 1, 2, 3];
        let l = frame_layout(Kind::Reply, &frame[..5], frame.len()).unwrap();
        assert_eq!(
            l,
            FrameLayout {
                kind: Kind::Reply,
                join_ref: Some((5, 6)),
                ref_: Some((6, 8)),
                topic: (8, 9),
                event: (9, 11),
                payload: 11,
            }
        );
        // The same bytes read as a broadcast (decodeBroadcast ignores the kind byte).
        let b = frame_layout(Kind::Broadcast, &frame[..5], frame.len()).unwrap();
        assert_eq!(
            (b.join_ref, b.ref_, b.topic, b.event, b.payload),
            (None, None, (3, 4), (4, 6), 6)
        );
        // Lengths past the end, and a head without its length bytes, are errors.
        assert_eq!(
            frame_layout(Kind::Reply, &frame[..5], 10),
            Err(DecodeError::Truncated)
        );
        assert_eq!(
            frame_layout(Kind::Push, &frame[..2], 2),
            Err(DecodeError::TruncatedHeader)
        );
        assert_eq!(
            frame_layout(Kind::Push, &[], 0),
            Err(DecodeError::TruncatedHeader)
        );
    }

    #[test]
    fn field_size_error_text() {
        assert_eq!(field_size_error(255.0, "topic"), None);
        assert_eq!(field_size_error(f64::NAN, "topic"), None);
        assert_eq!(
            field_size_error(1000.0, "whatever").unwrap(),
            "unable to convert whatever to binary: must be less than or equal to 255 bytes, but is 1000 bytes"
        );
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod raw_client_push_tests {
    use super::*;

    #[test]
    fn raw_decoder_agrees_with_the_text_decoder() {
        let frame = [0u8, 1, 1, 2, 1, b'1', b'2', b'r', 0xff, b'e', 9, 8];
        let raw = decode_client_push_raw(&frame).unwrap();
        assert_eq!(raw.join_ref, b"1");
        assert_eq!(raw.ref_, b"2");
        assert_eq!(raw.topic, [b'r', 0xff]);
        assert_eq!(raw.event, b"e");
        assert_eq!(raw.payload, [9, 8]);
        let text = decode_client_push(&frame).unwrap();
        assert_eq!(text.topic, String::from_utf8_lossy(raw.topic));
        assert_eq!(text.payload, raw.payload);
        for bad in [
            &[][..],
            &[1, 0, 0, 0, 0],
            &[7],
            &[0, 1],
            &[0, 9, 0, 0, 0, 1],
        ] {
            assert_eq!(
                decode_client_push_raw(bad).err(),
                decode_client_push(bad).err(),
                "{bad:?}"
            );
            assert!(decode_client_push_raw(bad).is_err());
        }
    }
}
