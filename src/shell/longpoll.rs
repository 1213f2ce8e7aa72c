//! The wasm entry points of the `LongPoll` transport (`js/longpoll.js`).
//!
//! The JavaScript class owns the live fields and the I/O; it asks these functions, with numbers,
//! booleans and short strings, what phoenix.js does at each step. Every answer comes from
//! [`crate::core::longpoll`], where the rules and their documentation live; this file only
//! converts. Enum answers are small integers: the facade's constants name the same numbers.
use wasm_bindgen::prelude::*;

use crate::core::longpoll::{self as lp, Failure, FailureError};

/// `normalizeEndpoint(endPoint)` for a string endpoint.
#[wasm_bindgen]
pub fn lp_normalize_endpoint(end_point: &str) -> String {
    lp::normalize_endpoint(end_point)
}

/// The base64 auth token carried by `protocols[1]`, or `undefined`.
#[wasm_bindgen]
pub fn lp_auth_token(protocol: &str) -> Option<String> {
    lp::auth_token_b64(protocol).map(str::to_owned)
}

/// `isActive()` for a numeric `readyState` (`NaN` for anything else).
#[wasm_bindgen]
pub fn lp_is_active(ready_state: f64) -> bool {
    lp::is_active(ready_state)
}

/// A GET's callback: `status` is `undefined` without a response, else the response's status
/// (`NaN` when not a number). Returns the [`lp::PollAction`] number, plus 8 when the response's
/// token is to be stored first.
#[wasm_bindgen]
pub fn lp_poll(status: Option<f64>, holds_token: bool) -> u32 {
    let o = lp::poll_response(status, holds_token);
    o.action as u32 | if o.store_token { 8 } else { 0 }
}

/// `send(body)`: the [`lp::SendAction`] number.
#[wasm_bindgen]
pub fn lp_send(batch_open: bool, awaiting_ack: bool) -> u32 {
    lp::send_action(batch_open, awaiting_ack) as u32
}

/// `batchSend(messages, offset)`: the end of the slice to post.
#[wasm_bindgen]
pub fn lp_batch_end(offset: f64) -> f64 {
    lp::batch_end(offset)
}

/// A POST's callback: the [`lp::AckAction`] number.
#[wasm_bindgen]
pub fn lp_ack(status: Option<f64>, next: f64, len: f64, buffered: f64) -> u32 {
    lp::ack_action(status, next, len, buffered) as u32
}

/// A [`Failure`]'s close code, `onerror` argument and retry flag, packed:
/// `code | error << 16 | retries << 28`, where `error` is a status number, 0 for the POST
/// response's status, 1 for the reason string. Unknown kinds are answered as
/// [`Failure::ServerError`].
#[wasm_bindgen]
pub fn lp_failure(kind: u32) -> u32 {
    let f = Failure::from_u32(kind).unwrap_or(Failure::ServerError);
    let error = match f.error() {
        FailureError::Status(n) => u32::from(n),
        FailureError::Response => 0,
        FailureError::Reason => 1,
    };
    u32::from(f.code()) | error << 16 | u32::from(f.retries()) << 28
}

/// A [`Failure`]'s close reason.
#[wasm_bindgen]
pub fn lp_failure_reason(kind: u32) -> String {
    Failure::from_u32(kind)
        .unwrap_or(Failure::ServerError)
        .reason()
        .to_owned()
}

/// The code `emitClose()` reports when given none ([`lp::NO_STATUS`]).
#[wasm_bindgen]
pub fn lp_no_status() -> u32 {
    u32::from(lp::NO_STATUS)
}
