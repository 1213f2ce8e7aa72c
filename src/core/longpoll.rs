//! phoenix.js `longpoll.js`: every decision of the `LongPoll` transport.
//!
//! The JavaScript class (`js/longpoll.js`) owns the live fields phoenix.js exposes (`reqs`,
//! `batchBuffer`, `currentBatch`, `awaitingBatchAck`, `token`, `readyState`, the handlers) and
//! the I/O: requests, `setTimeout`, events. Apps read and mutate those fields, so this module
//! keeps no state of its own: each function takes the facts a step depends on (a status, whether
//! a token is held, a length) and answers with what phoenix.js 1.8.16 does at that step. The
//! facade then carries the answer out, in phoenix.js's order.
//!
//! The steps, as phoenix.js takes them:
//! - constructor: [`auth_token_b64`] (the token subprotocol) and [`normalize_endpoint`];
//! - `isActive()`: [`is_active`];
//! - a GET's callback: [`poll_response`] (status handling, token and session);
//! - `send(body)`: [`send_action`] (open a batch, add to it, or buffer while a POST is unacked);
//! - `batchSend(messages, offset)`: [`batch_end`] (at most [`MAX_LONGPOLL_BATCH_SIZE`] lines);
//! - a POST's callback: [`ack_action`] (next chunk, the buffered messages, or done);
//! - the ways a LongPoll fails (`closeAndRetry`, `close` on 403, `emitClose`): [`Failure`].
use super::constants::{ready_state, AUTH_TOKEN_PREFIX};

/// `MAX_LONGPOLL_BATCH_SIZE`: lines per POST.
pub const MAX_LONGPOLL_BATCH_SIZE: f64 = 100.0;

/// `readyState` values as JavaScript numbers.
pub const CONNECTING: f64 = ready_state::CONNECTING as f64;
/// `SOCKET_STATES.open`.
pub const OPEN: f64 = ready_state::OPEN as f64;
/// `SOCKET_STATES.closed`.
pub const CLOSED: f64 = ready_state::CLOSED as f64;

/// The close code `emitClose()` reports when it is given none: 1005, "no status received", as
/// a WebSocket closed without a code reports (1000 would look like a normal server close).
pub const NO_STATUS: u16 = 1005;

/// The base64 part of an auth-token subprotocol (`base64url.bearer.phx.<b64>`), for the
/// constructor to decode with `atob` into `authToken`; `None` when the protocol does not carry
/// a token. phoenix.js looks at `protocols[1]` only, and only when there are exactly two.
pub fn auth_token_b64(protocol: &str) -> Option<&str> {
    protocol.strip_prefix(AUTH_TOKEN_PREFIX)
}

/// JavaScript line terminators, which `.` in a regular expression does not match.
fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

/// `normalizeEndpoint(endPoint)`:
/// `.replace("ws://", "http://").replace("wss://", "https://")` (first occurrences), then
/// `.replace(/(.*)\/websocket/, "$1/longpoll")`: in the first line holding `/websocket`, its
/// last occurrence there becomes `/longpoll` (`.*` is greedy and stops at line terminators).
pub fn normalize_endpoint(end_point: &str) -> String {
    let s = end_point
        .replacen("ws://", "http://", 1)
        .replacen("wss://", "https://", 1);
    const NEEDLE: &str = "/websocket";
    let mut line_start = 0;
    loop {
        let rest = &s[line_start..];
        let line_len = rest.find(is_line_terminator).unwrap_or(rest.len());
        let line = &rest[..line_len];
        if let Some(i) = line.rfind(NEEDLE) {
            let at = line_start + i;
            let mut out = String::with_capacity(s.len());
            out.push_str(&s[..at]);
            out.push_str("/longpoll");
            out.push_str(&s[at + NEEDLE.len()..]);
            return out;
        }
        if line_len == rest.len() {
            return s;
        }
        // Skip the terminator (all of them are one `char`).
        let term_len = rest[line_len..].chars().next().map_or(1, char::len_utf8);
        line_start += line_len + term_len;
    }
}

/// `isActive()`: `readyState` is open or connecting (compared with `===`: the facade passes
/// `NaN` for a value that is not a number).
pub fn is_active(ready_state: f64) -> bool {
    ready_state == OPEN || ready_state == CONNECTING
}

/// What `poll()`'s callback does with a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PollAction {
    /// 410 while a token is held: the session is gone. [`Failure::SessionGone`]; the token of
    /// the response is not stored.
    SessionGone = 0,
    /// 200: deliver each of `messages` as `onmessage({data: msg})` in its own `setTimeout(0)`
    /// (each message in its own macrotask, as WebSocket messages arrive), then `poll()`.
    Deliver = 1,
    /// 204: `poll()`.
    Poll = 2,
    /// The first 410 (no token yet): the session is established. `readyState` becomes open,
    /// then `onopen({})`, then `poll()`.
    Open = 3,
    /// 403: [`Failure::Forbidden`] (no retry).
    Forbidden = 4,
    /// 500, or no response at all (status 0): [`Failure::ServerError`].
    ServerError = 5,
    /// Any other status (including one that is not a number): throw
    /// `Error("unhandled poll status ${status}")`; polling stops.
    Unhandled = 6,
}

/// The outcome of a poll response: the action, and whether the response's `token` becomes
/// `this.token` first (it does for every response that is not a session-gone 410; a missing
/// response has no token to store).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollOutcome {
    /// What the callback does.
    pub action: PollAction,
    /// `this.token = token` before the action.
    pub store_token: bool,
}

/// A GET's callback. `status` is `None` when there is no response (a falsy parsed body: an
/// empty or unparsable body, a network error, an aborted request), else the response's `status`
/// (`NaN` when it is not a number: `"200"` does not match `200`). `holds_token` is
/// `this.token !== null`.
pub fn poll_response(status: Option<f64>, holds_token: bool) -> PollOutcome {
    let (status, store_token) = match status {
        Some(s) if s == 410.0 && holds_token => {
            return PollOutcome {
                action: PollAction::SessionGone,
                store_token: false,
            }
        }
        Some(s) => (s, true),
        None => (0.0, false),
    };
    let action = if status == 200.0 {
        PollAction::Deliver
    } else if status == 204.0 {
        PollAction::Poll
    } else if status == 410.0 {
        PollAction::Open
    } else if status == 403.0 {
        PollAction::Forbidden
    } else if status == 0.0 || status == 500.0 {
        PollAction::ServerError
    } else {
        PollAction::Unhandled
    };
    PollOutcome {
        action,
        store_token,
    }
}

/// Where `send(body)` puts a frame. Frames sent within one task share a POST (collected by a
/// `setTimeout(0)`), and only one POST is unacknowledged at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendAction {
    /// A batch is open (`currentBatch` is truthy): `currentBatch.push(body)`.
    AddToBatch = 0,
    /// A POST awaits its ack: `batchBuffer.push(body)`, posted when the ack arrives.
    Buffer = 1,
    /// Neither: `currentBatch = [body]`, and `currentBatchTimer = setTimeout(0)`, which calls
    /// `batchSend(currentBatch)` and then sets `currentBatch = null`.
    NewBatch = 2,
}

/// `send(body)`: `batch_open` is the truthiness of `currentBatch`, `awaiting_ack` that of
/// `awaitingBatchAck`.
pub fn send_action(batch_open: bool, awaiting_ack: bool) -> SendAction {
    if batch_open {
        SendAction::AddToBatch
    } else if awaiting_ack {
        SendAction::Buffer
    } else {
        SendAction::NewBatch
    }
}

/// `batchSend(messages, offset)`: `awaitingBatchAck` becomes true and the POST carries
/// `messages.slice(offset, next).join("\n")` where `next` is this.
pub fn batch_end(offset: f64) -> f64 {
    offset + MAX_LONGPOLL_BATCH_SIZE
}

/// What a POST's callback does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckAction {
    /// Not `{status: 200}`: [`Failure::PostFailed`] (whose `stop` clears `awaitingBatchAck`).
    Failed = 0,
    /// More lines in the same messages: `batchSend(messages, next)`.
    Next = 1,
    /// Frames were buffered while waiting: `batchSend(batchBuffer)`, then `batchBuffer = []`.
    PostBuffer = 2,
    /// Nothing left: `awaitingBatchAck = false`.
    Done = 3,
}

/// A POST's callback. `status` is `None` without a response, else the response's `status`
/// (`NaN` when not a number); `next` is [`batch_end`] of the POST, `len` the length of the
/// messages it was cut from, and `buffered` the length of `batchBuffer` now.
pub fn ack_action(status: Option<f64>, next: f64, len: f64, buffered: f64) -> AckAction {
    if status != Some(200.0) {
        AckAction::Failed
    } else if next < len {
        AckAction::Next
    } else if buffered > 0.0 {
        AckAction::PostBuffer
    } else {
        AckAction::Done
    }
}

/// The ways a LongPoll fails, each with the arguments phoenix.js passes.
///
/// All but [`Failure::Forbidden`] go through `closeAndRetry(error, code, reason, false)`: if
/// the LongPoll is still active, `stop(connecting)` (abort the requests, cancel queued messages
/// and batches), `onerror(error)`, and `emitClose(code, reason, false)` if still active after
/// the handler (it may have closed the LongPoll for good). The socket then reconnects, with a
/// new LongPoll. `Forbidden` is `onerror(403)` then `close(1008, "forbidden", false)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// A 410 poll response while a token is held: the server dropped the session; the client
    /// must rejoin its channels on a new one.
    SessionGone = 0,
    /// A 500 poll response or none at all.
    ServerError = 1,
    /// A 403 poll response: the server refused the connection.
    Forbidden = 2,
    /// A POST answered with anything but `{status: 200}`.
    PostFailed = 3,
    /// A request (GET or POST) timed out.
    Timeout = 4,
}

/// The `error` handed to `onerror` for a [`Failure`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureError {
    /// This number.
    Status(u16),
    /// The POST's response status: `resp && resp.status`.
    Response,
    /// The failure's reason string (`"timeout"`).
    Reason,
}

impl Failure {
    /// The failure with this number (`Failure as u8`), for the JavaScript boundary.
    pub fn from_u32(n: u32) -> Option<Failure> {
        Some(match n {
            0 => Failure::SessionGone,
            1 => Failure::ServerError,
            2 => Failure::Forbidden,
            3 => Failure::PostFailed,
            4 => Failure::Timeout,
            _ => return None,
        })
    }

    /// What `onerror` receives.
    pub fn error(self) -> FailureError {
        match self {
            Failure::SessionGone => FailureError::Status(410),
            Failure::ServerError => FailureError::Status(500),
            Failure::Forbidden => FailureError::Status(403),
            Failure::PostFailed => FailureError::Response,
            Failure::Timeout => FailureError::Reason,
        }
    }

    /// The close event's `code`.
    pub fn code(self) -> u16 {
        match self {
            Failure::SessionGone => 3410,
            Failure::ServerError | Failure::PostFailed => 1011,
            Failure::Forbidden => 1008,
            Failure::Timeout => NO_STATUS,
        }
    }

    /// The close event's `reason`.
    pub fn reason(self) -> &'static str {
        match self {
            Failure::SessionGone => "session_gone",
            Failure::ServerError | Failure::PostFailed => "internal server error",
            Failure::Forbidden => "forbidden",
            Failure::Timeout => "timeout",
        }
    }

    /// True when the socket may retry (`closeAndRetry`); false for a close for good.
    pub fn retries(self) -> bool {
        self != Failure::Forbidden
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_endpoints() {
        let n = normalize_endpoint;
        assert_eq!(
            n("ws://h/socket/websocket?vsn=2.0.0"),
            "http://h/socket/longpoll?vsn=2.0.0"
        );
        assert_eq!(n("wss://h/socket/websocket"), "https://h/socket/longpoll");
        // only the first ws:// and the last /websocket
        assert_eq!(
            n("ws://h/websocket/websocket?u=ws://x"),
            "http://h/websocket/longpoll?u=ws://x"
        );
        assert_eq!(n("http://h/socket"), "http://h/socket");
        assert_eq!(n(""), "");
        // `.` stops at line terminators: the first line holding the needle wins
        assert_eq!(n("a/websocket\nb/websocket"), "a/longpoll\nb/websocket");
        assert_eq!(
            n("a\u{2028}b/websocket/websocket"),
            "a\u{2028}b/websocket/longpoll"
        );
        assert_eq!(n("é\r\n/websocketé"), "é\r\n/longpollé");
        assert_eq!(n("\n\n"), "\n\n");
    }

    #[test]
    fn auth_token_needs_the_prefix() {
        assert_eq!(auth_token_b64("base64url.bearer.phx.dG9r"), Some("dG9r"));
        assert_eq!(auth_token_b64("base64url.bearer.phx."), Some(""));
        assert_eq!(auth_token_b64("phoenix"), None);
    }

    #[test]
    fn active_is_open_or_connecting() {
        assert!(is_active(CONNECTING));
        assert!(is_active(OPEN));
        assert!(is_active(-0.0));
        assert!(!is_active(2.0));
        assert!(!is_active(CLOSED));
        assert!(!is_active(f64::NAN));
    }

    fn act(status: Option<f64>, holds: bool) -> (PollAction, bool) {
        let o = poll_response(status, holds);
        (o.action, o.store_token)
    }

    #[test]
    fn poll_statuses() {
        use PollAction::*;
        assert_eq!(act(Some(410.0), false), (Open, true));
        assert_eq!(act(Some(410.0), true), (SessionGone, false));
        for holds in [false, true] {
            assert_eq!(act(Some(200.0), holds), (Deliver, true));
            assert_eq!(act(Some(204.0), holds), (Poll, true));
            assert_eq!(act(Some(403.0), holds), (Forbidden, true));
            assert_eq!(act(Some(500.0), holds), (ServerError, true));
            assert_eq!(act(Some(0.0), holds), (ServerError, true));
            assert_eq!(act(Some(-0.0), holds), (ServerError, true));
            assert_eq!(act(None, holds), (ServerError, false));
            assert_eq!(act(Some(418.0), holds), (Unhandled, true));
            assert_eq!(act(Some(f64::NAN), holds), (Unhandled, true));
        }
    }

    #[test]
    fn sends_batch_then_buffer() {
        assert_eq!(send_action(true, true), SendAction::AddToBatch);
        assert_eq!(send_action(true, false), SendAction::AddToBatch);
        assert_eq!(send_action(false, true), SendAction::Buffer);
        assert_eq!(send_action(false, false), SendAction::NewBatch);
    }

    #[test]
    fn acks() {
        assert_eq!(batch_end(0.0), 100.0);
        assert_eq!(batch_end(100.0), 200.0);
        assert_eq!(ack_action(None, 100.0, 1.0, 0.0), AckAction::Failed);
        assert_eq!(ack_action(Some(500.0), 100.0, 1.0, 0.0), AckAction::Failed);
        assert_eq!(
            ack_action(Some(f64::NAN), 100.0, 1.0, 0.0),
            AckAction::Failed
        );
        assert_eq!(ack_action(Some(200.0), 100.0, 101.0, 5.0), AckAction::Next);
        assert_eq!(
            ack_action(Some(200.0), 100.0, 100.0, 5.0),
            AckAction::PostBuffer
        );
        assert_eq!(ack_action(Some(200.0), 100.0, 100.0, 0.0), AckAction::Done);
    }

    #[test]
    fn failures() {
        let all: Vec<Failure> = (0..5).filter_map(Failure::from_u32).collect();
        assert_eq!(all.len(), 5);
        assert_eq!(Failure::from_u32(5), None);
        for f in all {
            assert_eq!(Failure::from_u32(f as u32), Some(f));
        }
        let f = Failure::SessionGone;
        assert_eq!(
            (f.error(), f.code(), f.reason(), f.retries()),
            (FailureError::Status(410), 3410, "session_gone", true)
        );
        let f = Failure::Forbidden;
        assert_eq!(
            (f.error(), f.code(), f.reason(), f.retries()),
            (FailureError::Status(403), 1008, "forbidden", false)
        );
        let f = Failure::Timeout;
        assert_eq!(
            (f.error(), f.code(), f.reason(), f.retries()),
            (FailureError::Reason, 1005, "timeout", true)
        );
        assert_eq!(Failure::PostFailed.error(), FailureError::Response);
        assert_eq!(Failure::ServerError.code(), 1011);
    }
}
