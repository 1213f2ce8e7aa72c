//! The JavaScript boundary (wasm32 only): exported classes, the `Host` over JS values, timers
//! and transports. Kept thin: behaviour lives in [`crate::core`].
mod ajax;
mod channel;
mod globals;
mod host;
mod lifecycle;
mod longpoll;
mod presence;
mod push;
mod serializer;
mod socket;

use wasm_bindgen::prelude::*;

/// The exported `LongPoll` class constructor.
pub(crate) fn long_poll_class() -> JsValue {
    longpoll::class()
}
