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

use std::cell::RefCell;

use wasm_bindgen::prelude::*;

// ---- LongPoll class wiring (for the wasm Socket; the JS Socket takes this over) -------------

thread_local! {
    static LONG_POLL_CLASS: RefCell<JsValue> = const { RefCell::new(JsValue::UNDEFINED) };
}

/// Registers the JavaScript `LongPoll` class (`js/longpoll.js`), once, when `js/index.js`
/// loads: the wasm `Socket` uses it as its default transport without `WebSocket`, for the
/// `longPollFallbackMs` fallback, `getLongPollTransport()` and `transport === LongPoll`.
#[wasm_bindgen]
pub fn set_long_poll_class(class: JsValue) {
    LONG_POLL_CLASS.with(|c| *c.borrow_mut() = class);
}

/// The registered `LongPoll` class (`undefined` before [`set_long_poll_class`]).
pub(crate) fn long_poll_class() -> JsValue {
    LONG_POLL_CLASS.with(|c| c.borrow().clone())
}
