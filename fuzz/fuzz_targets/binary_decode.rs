//! Fuzzes both binary frame decoders (`core::serializer`, docs/protocol.md#binary-frames).
//!
//! Oracles: no input panics; a decoded payload is the tail of the frame; and re-encoding what
//! was decoded, then decoding again, gives the same message (decoding is lossy, so the bytes
//! come back only when every field was valid UTF-8).
#![no_main]

use libfuzzer_sys::fuzz_target;
use phoenix_wasm::core::serializer::{
    decode_binary, decode_client_push, encode_broadcast, encode_push, encode_reply,
    encode_server_push, Kind,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = decode_binary(data) {
        assert!(data.ends_with(m.payload));
        let join_ref = m.join_ref.as_deref().unwrap_or("");
        let ref_ = m.ref_.as_deref().unwrap_or("");
        let status = m.status.as_deref().unwrap_or("");
        // A lossy field can grow past 255 bytes (one bad byte becomes U+FFFD, three bytes), so
        // re-encoding may fail; it must fail cleanly.
        let re = match m.kind {
            Kind::Push => encode_server_push(
                join_ref.as_bytes(),
                m.topic.as_bytes(),
                m.event.as_bytes(),
                m.payload,
            ),
            Kind::Reply => encode_reply(
                join_ref.as_bytes(),
                ref_.as_bytes(),
                m.topic.as_bytes(),
                status.as_bytes(),
                m.payload,
            ),
            Kind::Broadcast => encode_broadcast(m.topic.as_bytes(), m.event.as_bytes(), m.payload),
        };
        // Decoding drops one leading BOM per field (TextDecoder), so a field that still starts
        // with one would lose it on the second pass.
        let fields = [join_ref, ref_, m.topic.as_str(), m.event.as_str(), status];
        if let Ok(re) = re {
            if !fields.iter().any(|f| f.starts_with('\u{FEFF}')) {
                assert_eq!(decode_binary(&re).as_ref(), Ok(&m));
            }
        }
    }

    if let Ok(p) = decode_client_push(data) {
        assert!(data.ends_with(p.payload));
        let fields = [&p.join_ref, &p.ref_, &p.topic, &p.event];
        if let Ok(re) = encode_push(
            p.join_ref.as_bytes(),
            p.ref_.as_bytes(),
            p.topic.as_bytes(),
            p.event.as_bytes(),
            p.payload,
        ) {
            assert_eq!(decode_client_push(&re).as_ref(), Ok(&p));
            // Lossless unless a field held bytes that were replaced.
            if !fields.iter().any(|f| f.contains('\u{FFFD}')) {
                assert_eq!(re, data);
            }
        }
    }
});
