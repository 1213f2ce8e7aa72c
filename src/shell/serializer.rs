//! phoenix.js `serializer.js` over JavaScript values: JSON text through the engine's
//! `JSON.parse`/`JSON.stringify`, binary frames through [`crate::core::serializer`].
use js_sys::{Array, ArrayBuffer, Function, Object, Uint8Array, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::globals::{get, js_string, set};
use crate::core::serializer::{decode_binary, encode_push};

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

/// The exported `Serializer`: a plain object with `encode(msg, callback)` and
/// `decode(raw, callback)` like phoenix.js's, plus its constants and binary helpers.
#[wasm_bindgen(js_name = serializer)]
pub fn serializer() -> JsValue {
    let o: JsValue = Object::new().into();
    set(&o, "HEADER_LENGTH", &JsValue::from_f64(1.0));
    set(&o, "META_LENGTH", &JsValue::from_f64(4.0));
    let kinds: JsValue = Object::new().into();
    set(&kinds, "push", &JsValue::from_f64(0.0));
    set(&kinds, "reply", &JsValue::from_f64(1.0));
    set(&kinds, "broadcast", &JsValue::from_f64(2.0));
    set(&o, "KINDS", &kinds);
    set(&o, "encode", &default_encoder());
    set(&o, "decode", &default_decoder());
    // One closure per Serializer object (created once by the package entry), never per message.
    let binary_encode =
        Closure::<dyn Fn(JsValue) -> Result<JsValue, JsValue>>::new(|msg: JsValue| {
            encode_msg(&msg)
        });
    set(&o, "binaryEncode", &binary_encode.into_js_value());
    let binary_decode = Closure::<dyn Fn(JsValue) -> JsValue>::new(|buf: JsValue| {
        decode_raw(&buf).unwrap_or(JsValue::UNDEFINED)
    });
    set(&o, "binaryDecode", &binary_decode.into_js_value());
    // decodePush/decodeReply/decodeBroadcast(buffer, view, decoder): the per-kind layouts,
    // whatever the kind byte says, as phoenix.js's helpers read them.
    for (name, kind) in [
        ("decodePush", 0u8),
        ("decodeReply", 1),
        ("decodeBroadcast", 2),
    ] {
        let f = Closure::<dyn Fn(JsValue) -> JsValue>::new(move |buf: JsValue| {
            if !is_array_buffer(&buf) {
                return JsValue::UNDEFINED;
            }
            let ab: ArrayBuffer = buf.unchecked_into();
            let mut bytes = Uint8Array::new(&ab).to_vec();
            if let Some(b) = bytes.first_mut() {
                *b = kind;
            }
            let out = Uint8Array::new_with_length(bytes.len() as u32);
            out.copy_from(&bytes);
            decode_raw(&out.buffer().into()).unwrap_or(JsValue::UNDEFINED)
        });
        set(&o, name, &f.into_js_value());
    }
    let assert_field_size = Closure::<dyn Fn(f64, String) -> Result<(), JsValue>>::new(
        |size: f64, name: String| {
            if size > 255.0 {
                let size = crate::core::socket::format_number(size);
                return Err(js_sys::Error::new(&format!(
                "unable to convert {name} to binary: must be less than or equal to 255 bytes, but is {size} bytes"
            ))
            .into());
            }
            Ok(())
        },
    );
    set(&o, "assertFieldSize", &assert_field_size.into_js_value());
    o
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
