//! The JavaScript boundary (wasm32 only): exported classes, the `Host` over JS values, timers
//! and transports. Kept thin: behaviour lives in [`crate::core`].
mod channel;
mod globals;
mod host;
mod lifecycle;
mod presence;
mod push;
mod serializer;
mod socket;

use wasm_bindgen::prelude::*;

/// The `LongPoll` class once the transport exists; `undefined` until then.
pub(crate) fn long_poll_class() -> JsValue {
    JsValue::UNDEFINED
}
