//! phoenix.js `serializer.js` over JavaScript values: JSON text through the engine's
//! `JSON.parse`/`JSON.stringify`, binary frames through [`crate::core::serializer`].
use js_sys::{Array, ArrayBuffer, Function, Object, Uint8Array, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::globals::{get, js_string, set};
use crate::core::serializer::{decode_binary, encode_push, field_size_error, frame_layout, Kind};

thread_local! {
    /// This realm's `ArrayBuffer` constructor.
    static ARRAY_BUFFER: JsValue = get(&js_sys::global().into(), "ArrayBuffer");
}

/// `payload.constructor === ArrayBuffer` (same realm only, E10).
pub fn is_array_buffer(v: &JsValue) -> bool {
    if !v.is_object() {
        return false;
    }
    let ctor = get(v, "constructor");
    !ctor.is_undefined() && ARRAY_BUFFER.with(|ab| ctor == *ab)
}

/// TextEncoder's view of a field: `undefined` is empty, anything else is `String(x)`.
fn field_bytes(v: &JsValue) -> Vec<u8> {
    if v.is_undefined() {
        return Vec::new();
    }
    match v.as_string() {
        Some(s) => s.into_bytes(),
        None => js_string(v).into_bytes(),
    }
}

/// Encodes `{join_ref, ref, topic, event, payload}` as the default encoder does.
pub fn encode_msg(msg: &JsValue) -> Result<JsValue, JsValue> {
    let payload = get(msg, "payload");
    if payload.is_undefined() || payload.is_null() {
        // msg.payload.constructor throws a TypeError in phoenix.js.
        return Err(js_sys::TypeError::new(
            "Cannot read properties of null (reading 'constructor')",
        )
        .into());
    }
    let join_ref = get(msg, "join_ref");
    let ref_ = get(msg, "ref");
    let topic = get(msg, "topic");
    let event = get(msg, "event");
    encode_parts(&join_ref, &ref_, &topic, &event, &payload)
}

/// The default encoder on already separated fields.
pub fn encode_parts(
    join_ref: &JsValue,
    ref_: &JsValue,
    topic: &JsValue,
    event: &JsValue,
    payload: &JsValue,
) -> Result<JsValue, JsValue> {
    if is_array_buffer(payload) {
        let body = Uint8Array::new(payload).to_vec();
        let frame = encode_push(
            &field_bytes(join_ref),
            &field_bytes(ref_),
            &field_bytes(topic),
            &field_bytes(event),
            &body,
        )
        .map_err(|e| JsValue::from(js_sys::Error::new(&e.message())))?;
        let out = Uint8Array::new_with_length(frame.len() as u32);
        out.copy_from(&frame);
        return Ok(out.buffer().into());
    }
    let arr = Array::of5(join_ref, ref_, topic, event, payload);
    JSON::stringify(&arr).map(JsValue::from)
}

/// A decoded message as `{join_ref, ref, topic, event, payload}`.
pub fn message_object(
    join_ref: &JsValue,
    ref_: &JsValue,
    topic: &JsValue,
    event: &JsValue,
    payload: &JsValue,
) -> JsValue {
    let o: JsValue = Object::new().into();
    set(&o, "join_ref", join_ref);
    set(&o, "ref", ref_);
    set(&o, "topic", topic);
    set(&o, "event", event);
    set(&o, "payload", payload);
    o
}

/// Why a frame could not be decoded.
pub enum DecodeFailure {
    /// `JSON.parse` threw.
    Json(JsValue),
    /// Valid JSON, but not an array (destructuring would throw).
    NotArray,
    /// A binary frame that does not parse.
    Binary(&'static str),
}

impl DecodeFailure {
    pub fn as_str(&self) -> &'static str {
        match self {
            DecodeFailure::Json(_) => "malformed JSON frame",
            DecodeFailure::NotArray => "frame is not a JSON array",
            DecodeFailure::Binary(s) => s,
        }
    }
}

/// A decoded frame's five fields, as JS values.
pub struct Parts {
    pub join_ref: JsValue,
    pub ref_: JsValue,
    pub topic: JsValue,
    pub event: JsValue,
    pub payload: JsValue,
}

/// Decodes a raw frame into `{join_ref, ref, topic, event, payload}` as the default decoder does.
pub fn decode_raw(raw: &JsValue) -> Result<JsValue, DecodeFailure> {
    let p = decode_parts(raw)?;
    Ok(message_object(
        &p.join_ref,
        &p.ref_,
        &p.topic,
        &p.event,
        &p.payload,
    ))
}

/// The default decoder's work without building the message object: text is parsed by the
/// engine's `JSON.parse` straight from the JS string, binary goes through the core decoder.
pub fn decode_parts(raw: &JsValue) -> Result<Parts, DecodeFailure> {
    if raw.is_string() {
        let parsed = super::globals::json_parse(raw).map_err(DecodeFailure::Json)?;
        if !Array::is_array(&parsed) {
            return Err(DecodeFailure::NotArray);
        }
        let a: Array = parsed.unchecked_into();
        return Ok(Parts {
            join_ref: a.get(0),
            ref_: a.get(1),
            topic: a.get(2),
            event: a.get(3),
            payload: a.get(4),
        });
    }
    if is_array_buffer(raw) {
        let buf: ArrayBuffer = raw.clone().unchecked_into();
        let bytes = Uint8Array::new(&buf).to_vec();
        let m = decode_binary(&bytes).map_err(|e| DecodeFailure::Binary(e.as_str()))?;
        let start = (bytes.len() - m.payload.len()) as u32;
        let data: JsValue = buf.slice(start).into();
        let jr = m
            .join_ref
            .as_deref()
            .map_or(JsValue::NULL, JsValue::from_str);
        let r = m.ref_.as_deref().map_or(JsValue::NULL, JsValue::from_str);
        let topic = JsValue::from_str(&m.topic);
        let event = JsValue::from_str(&m.event);
        let payload = match &m.status {
            Some(status) => {
                let p: JsValue = Object::new().into();
                set(&p, "status", &JsValue::from_str(status));
                set(&p, "response", &data);
                p
            }
            None => data,
        };
        return Ok(Parts {
            join_ref: jr,
            ref_: r,
            topic,
            event,
            payload,
        });
    }
    // Anything else is text to JSON.parse, as `JSON.parse(rawPayload)` coerces it.
    let text = JsValue::from_str(&js_string(raw));
    let parsed = super::globals::json_parse(&text).map_err(DecodeFailure::Json)?;
    if !Array::is_array(&parsed) {
        return Err(DecodeFailure::NotArray);
    }
    let a: Array = parsed.unchecked_into();
    Ok(Parts {
        join_ref: a.get(0),
        ref_: a.get(1),
        topic: a.get(2),
        event: a.get(3),
        payload: a.get(4),
    })
}

// ---- Entry points of the JavaScript `Serializer` (js/serializer.js) ---------------------------

/// `binaryEncode`'s frame: the client push layout of [`encode_push`] over the fields as
/// `TextEncoder` sees them (the facade passes `""` for `undefined` and `String(x)` otherwise).
/// Throws phoenix.js's `Error` for a field over 255 bytes, checking join_ref, ref, topic, event
/// in that order.
#[wasm_bindgen]
pub fn binary_encode(
    join_ref: &str,
    ref_: &str,
    topic: &str,
    event: &str,
    payload: &[u8],
) -> Result<Vec<u8>, JsValue> {
    encode_push(
        join_ref.as_bytes(),
        ref_.as_bytes(),
        topic.as_bytes(),
        event.as_bytes(),
        payload,
    )
    .map_err(|e| js_sys::Error::new(&e.message()).into())
}

/// Where a frame's fields lie when read with the layout of `kind` ([`frame_layout`]): byte
/// offsets `[join_ref start, end, ref start, end, topic start, end, event start, end, payload
/// start]`, with `u32::MAX` as the start of a field that is `null`; empty when the frame does not
/// hold that layout (an unknown kind, a truncated frame). `head` is the frame's first bytes (at
/// most 5 are read).
#[wasm_bindgen]
pub fn binary_layout(kind: u8, head: &[u8], frame_len: u32) -> Vec<u32> {
    let Some(kind) = Kind::from_byte(kind) else {
        return Vec::new();
    };
    let Ok(l) = frame_layout(kind, head, frame_len as usize) else {
        return Vec::new();
    };
    // Offsets are below `frame_len`, a u32.
    let pair = |r: Option<(usize, usize)>| match r {
        Some((a, b)) => [a as u32, b as u32],
        None => [u32::MAX, u32::MAX],
    };
    let [a, b] = pair(l.join_ref);
    let [c, d] = pair(l.ref_);
    let [e, f] = pair(Some(l.topic));
    let [g, h] = pair(Some(l.event));
    vec![a, b, c, d, e, f, g, h, l.payload as u32]
}

/// `assertFieldSize(size, name)`: throws phoenix.js's `Error` when a field is over 255 bytes.
#[wasm_bindgen]
pub fn assert_field_size(size: f64, name: &str) -> Result<(), JsValue> {
    match field_size_error(size, name) {
        Some(msg) => Err(js_sys::Error::new(&msg).into()),
        None => Ok(()),
    }
}

thread_local! {
    static ENCODER: JsValue = Closure::<dyn Fn(JsValue, Function) -> Result<JsValue, JsValue>>::new(
        |msg: JsValue, callback: Function| {
            let frame = encode_msg(&msg)?;
            callback.call1(&JsValue::UNDEFINED, &frame)
        },
    )
    .into_js_value();
    static DECODER: JsValue = Closure::<dyn Fn(JsValue, Function) -> Result<JsValue, JsValue>>::new(
        |raw: JsValue, callback: Function| match decode_raw(&raw) {
            Ok(msg) => callback.call1(&JsValue::UNDEFINED, &msg),
            Err(DecodeFailure::Json(e)) => Err(e),
            Err(DecodeFailure::NotArray) => {
                Err(js_sys::TypeError::new("decoded frame is not iterable").into())
            }
            Err(DecodeFailure::Binary(_)) => callback.call1(&JsValue::UNDEFINED, &JsValue::UNDEFINED),
        },
    )
    .into_js_value();
}

/// `Serializer.encode` as a function (`socket.defaultEncoder`), one per module instance.
pub fn default_encoder() -> JsValue {
    ENCODER.with(|e| e.clone())
}

/// `Serializer.decode` as a function (`socket.defaultDecoder`), one per module instance.
pub fn default_decoder() -> JsValue {
    DECODER.with(|d| d.clone())
}
