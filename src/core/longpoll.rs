//! phoenix.js `longpoll.js`: the deterministic half of the `LongPoll` transport.
//!
//! The shell (`shell/longpoll.rs`) owns the requests, timers, events and JavaScript values; this
//! module decides what they do: which action a poll response leads to, how outgoing frames are
//! batched into NDJSON POSTs, which requests and timers `stop()` cancels, and how the endpoint
//! is worked out. It is generic over the token value `T` (any JSON value in the shell) and the
//! timer handle `Tm`, so it runs natively under `cargo test`.
//!
//! Every method mirrors one step of phoenix.js 1.8.16 and leaves the JavaScript calls (requests,
//! `setTimeout`, `onopen`...) to the caller, in the order phoenix.js makes them.
use super::constants::{ready_state, AUTH_TOKEN_PREFIX};

/// `MAX_LONGPOLL_BATCH_SIZE`: lines per POST.
pub const MAX_LONGPOLL_BATCH_SIZE: usize = 100;

/// `readyState` values as JavaScript numbers.
pub const CONNECTING: f64 = ready_state::CONNECTING as f64;
pub const OPEN: f64 = ready_state::OPEN as f64;
pub const CLOSED: f64 = ready_state::CLOSED as f64;

/// The base64 part of an auth-token subprotocol (`base64url.bearer.phx.<b64>`), to be decoded
/// with `atob`; `None` when the protocol does not carry a token.
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

/// `this.token`: `null` until the first response, then whatever the server sent (`undefined`
/// when the response has no `token`, which the shell keeps as a value).
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Token<T> {
    #[default]
    Null,
    Value(T),
}

/// A parsed poll response: `status` when it is a number, and its `token`.
pub struct PollResponse<T> {
    pub status: Option<f64>,
    pub token: Token<T>,
}

/// What `poll()`'s callback does with a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PollAction {
    /// 410 while a token is held: `closeAndRetry(410, 3410, "session_gone", false)`. The token
    /// of the response is discarded.
    SessionGone,
    /// 200: deliver each of `messages` in its own `setTimeout(0)`, then `poll()`.
    Deliver,
    /// 204: `poll()`.
    Poll,
    /// First 410: `readyState` is now open; `onopen({})`, then `poll()`.
    Open,
    /// 403: `onerror(403)`, then `close(1008, "forbidden", false)`.
    Forbidden,
    /// 500, or no response (status 0): `closeAndRetry(500, 1011, "internal server error", false)`.
    ServerError,
    /// Anything else: throw `Error("unhandled poll status ${status}")`; polling stops.
    Unhandled,
}

/// `batchSend`'s position in the messages it is posting, for its callback.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    pub messages: Vec<String>,
    pub next: usize,
}

/// A POST to make: its NDJSON body and the batch it belongs to.
#[derive(Clone, Debug, PartialEq)]
pub struct Post {
    pub body: String,
    pub batch: Batch,
}

/// What `send(body)` needs from the shell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendAction {
    /// Added to the open batch or to the buffer waiting for the ack.
    Queued,
    /// A new batch opened: arm `setTimeout(0)` and hand its handle to `batch_timer_set`.
    ArmBatchTimer,
}

/// What a POST's callback does next.
#[derive(Clone, Debug, PartialEq)]
pub enum AckAction {
    /// Not `{status: 200}`: `closeAndRetry(resp && resp.status, 1011, "internal server error", false)`.
    Failed,
    /// The next 100 lines of the same batch.
    Post(Post),
    /// The messages sent while waiting: `batchSend(batchBuffer)` (see `buffer_post`), then
    /// `buffer_posted()`.
    PostBuffer,
    /// Nothing left: no longer awaiting an ack.
    Done,
}

/// What `stop(readyState)` cancels, in phoenix.js's order: abort each request, clear each
/// message timer, then clear the batch timer (`clearTimeout(null)` when there is none).
#[derive(Debug, PartialEq)]
pub struct Stopped<Tm> {
    pub reqs: Vec<u32>,
    pub message_timers: Vec<Tm>,
    pub batch_timer: Option<Tm>,
}

/// The LongPoll's state: `readyState`, `token`, the request set, and the batching fields.
#[derive(Debug)]
pub struct LongPollState<T, Tm> {
    pub ready_state: f64,
    pub token: Token<T>,
    /// `reqs`, in insertion order (a `Set`), by request id.
    reqs: Vec<u32>,
    next_req: u32,
    /// `messageTimers`, in insertion order.
    pub message_timers: Vec<Tm>,
    pub awaiting_batch_ack: bool,
    pub current_batch: Option<Vec<String>>,
    /// `currentBatchTimer`: kept after it fires (phoenix.js only resets it in `stop`).
    pub current_batch_timer: Option<Tm>,
    pub batch_buffer: Vec<String>,
}

impl<T, Tm> Default for LongPollState<T, Tm> {
    fn default() -> Self {
        LongPollState {
            ready_state: CONNECTING,
            token: Token::Null,
            reqs: Vec::new(),
            next_req: 0,
            message_timers: Vec::new(),
            awaiting_batch_ack: false,
            current_batch: None,
            current_batch_timer: None,
            batch_buffer: Vec::new(),
        }
    }
}

impl<T, Tm: Clone + PartialEq> LongPollState<T, Tm> {
    pub fn new() -> Self {
        Self::default()
    }

    /// `isActive()`: open or connecting.
    pub fn is_active(&self) -> bool {
        self.ready_state == OPEN || self.ready_state == CONNECTING
    }

    // ---- requests -----------------------------------------------------------------------

    /// `this.reqs.add(request)`: a new request is ours; returns its id.
    pub fn begin_request(&mut self) -> u32 {
        self.next_req = self.next_req.wrapping_add(1);
        let id = self.next_req;
        self.reqs.push(id);
        id
    }

    /// `this.reqs.delete(request)`: true when the request was still ours, so its callback runs.
    pub fn finish_request(&mut self, id: u32) -> bool {
        match self.reqs.iter().position(|r| *r == id) {
            Some(i) => {
                self.reqs.remove(i);
                true
            }
            None => false,
        }
    }

    /// The requests in flight, oldest first.
    pub fn requests(&self) -> &[u32] {
        &self.reqs
    }

    /// `stop(readyState)`: the new state, and everything to cancel. Afterwards no request is
    /// ours, no message is queued and no batch is open or awaiting its ack.
    pub fn stop(&mut self, ready_state: f64) -> Stopped<Tm> {
        self.ready_state = ready_state;
        let reqs = std::mem::take(&mut self.reqs);
        let message_timers = std::mem::take(&mut self.message_timers);
        self.batch_buffer.clear();
        self.awaiting_batch_ack = false;
        let batch_timer = self.current_batch_timer.take();
        self.current_batch = None;
        Stopped {
            reqs,
            message_timers,
            batch_timer,
        }
    }

    // ---- polling ------------------------------------------------------------------------

    /// A GET's callback: `resp` is the parsed body when it is truthy, `None` otherwise (status 0).
    /// Stores the token (unless the session is gone) and moves to open on the first 410.
    pub fn poll_response(&mut self, resp: Option<PollResponse<T>>) -> PollAction {
        let status = match resp {
            Some(r) => {
                if r.status == Some(410.0) && !matches!(self.token, Token::Null) {
                    return PollAction::SessionGone;
                }
                self.token = r.token;
                r.status
            }
            None => Some(0.0),
        };
        let is = |n: f64| status == Some(n);
        if is(200.0) {
            PollAction::Deliver
        } else if is(204.0) {
            PollAction::Poll
        } else if is(410.0) {
            self.ready_state = OPEN;
            PollAction::Open
        } else if is(403.0) {
            PollAction::Forbidden
        } else if is(0.0) || is(500.0) {
            PollAction::ServerError
        } else {
            PollAction::Unhandled
        }
    }

    /// A message timer was armed.
    pub fn message_timer_added(&mut self, timer: Tm) {
        self.message_timers.push(timer);
    }

    /// A message timer fired: `this.messageTimers.delete(timer)`.
    pub fn message_timer_fired(&mut self, timer: &Tm) {
        self.message_timers.retain(|t| t != timer);
    }

    // ---- sending ------------------------------------------------------------------------

    /// `send(body)` once the body is a string.
    pub fn send(&mut self, body: String) -> SendAction {
        if let Some(batch) = self.current_batch.as_mut() {
            batch.push(body);
            SendAction::Queued
        } else if self.awaiting_batch_ack {
            self.batch_buffer.push(body);
            SendAction::Queued
        } else {
            self.current_batch = Some(vec![body]);
            SendAction::ArmBatchTimer
        }
    }

    /// The timer armed for a new batch (`currentBatchTimer`).
    pub fn batch_timer_set(&mut self, timer: Tm) {
        self.current_batch_timer = Some(timer);
    }

    /// The batch timer fired: the messages to `batchSend` (`currentBatch`). Call
    /// `batch_posted()` once the POST is under way.
    pub fn batch_timer_fired(&self) -> Option<Vec<String>> {
        self.current_batch.clone()
    }

    /// `this.currentBatch = null` after the batch timer's `batchSend`.
    pub fn batch_posted(&mut self) {
        self.current_batch = None;
    }

    /// `batchSend(messages, offset)`: now awaiting an ack; the POST for the next 100 lines.
    pub fn batch_send(&mut self, messages: Vec<String>, offset: usize) -> Post {
        self.awaiting_batch_ack = true;
        let next = offset.saturating_add(MAX_LONGPOLL_BATCH_SIZE);
        let start = offset.min(messages.len());
        let end = next.min(messages.len());
        let body = messages
            .get(start..end)
            .map(|m| m.join("\n"))
            .unwrap_or_default();
        Post {
            body,
            batch: Batch { messages, next },
        }
    }

    /// A POST's callback: `ok` when the response is truthy with `status === 200`.
    pub fn batch_acked(&mut self, batch: Batch, ok: bool) -> AckAction {
        if !ok {
            AckAction::Failed
        } else if batch.next < batch.messages.len() {
            AckAction::Post(self.batch_send(batch.messages, batch.next))
        } else if !self.batch_buffer.is_empty() {
            AckAction::PostBuffer
        } else {
            self.awaiting_batch_ack = false;
            AckAction::Done
        }
    }

    /// `batchSend(this.batchBuffer)` for `AckAction::PostBuffer`.
    pub fn buffer_post(&mut self) -> Post {
        let messages = self.batch_buffer.clone();
        self.batch_send(messages, 0)
    }

    /// `this.batchBuffer = []` after the buffer's POST is under way.
    pub fn buffer_posted(&mut self) {
        self.batch_buffer.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type S = LongPollState<&'static str, u32>;

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

    fn resp(status: Option<f64>, token: Token<&'static str>) -> Option<PollResponse<&'static str>> {
        Some(PollResponse { status, token })
    }

    #[test]
    fn first_410_opens_later_410_is_session_gone() {
        let mut s = S::new();
        assert_eq!(s.ready_state, CONNECTING);
        assert_eq!(
            s.poll_response(resp(Some(410.0), Token::Value("T1"))),
            PollAction::Open
        );
        assert_eq!(s.ready_state, OPEN);
        assert_eq!(s.token, Token::Value("T1"));
        assert_eq!(
            s.poll_response(resp(Some(410.0), Token::Value("T9"))),
            PollAction::SessionGone
        );
        assert_eq!(
            s.token,
            Token::Value("T1"),
            "the token of a session-gone response is dropped"
        );
    }

    #[test]
    fn a_null_token_makes_the_next_410_an_open_again() {
        let mut s = S::new();
        assert_eq!(
            s.poll_response(resp(Some(204.0), Token::Null)),
            PollAction::Poll
        );
        assert_eq!(
            s.poll_response(resp(Some(410.0), Token::Value("T"))),
            PollAction::Open
        );
    }

    #[test]
    fn statuses() {
        let mut s = S::new();
        assert_eq!(
            s.poll_response(resp(Some(200.0), Token::Value("A"))),
            PollAction::Deliver
        );
        assert_eq!(s.token, Token::Value("A"));
        assert_eq!(
            s.poll_response(resp(Some(204.0), Token::Value("B"))),
            PollAction::Poll
        );
        assert_eq!(s.token, Token::Value("B"));
        assert_eq!(
            s.poll_response(resp(Some(403.0), Token::Value("C"))),
            PollAction::Forbidden
        );
        assert_eq!(s.token, Token::Value("C"));
        assert_eq!(
            s.poll_response(resp(Some(500.0), Token::Value("D"))),
            PollAction::ServerError
        );
        assert_eq!(
            s.poll_response(resp(Some(0.0), Token::Value("E"))),
            PollAction::ServerError
        );
        assert_eq!(
            s.poll_response(resp(Some(-0.0), Token::Value("E"))),
            PollAction::ServerError
        );
        assert_eq!(
            s.poll_response(resp(Some(418.0), Token::Value("F"))),
            PollAction::Unhandled
        );
        assert_eq!(s.token, Token::Value("F"));
        // a status that is not a number (a string "200", undefined) is unhandled
        assert_eq!(
            s.poll_response(resp(None, Token::Value("G"))),
            PollAction::Unhandled
        );
        assert_eq!(
            s.poll_response(resp(Some(f64::NAN), Token::Value("G"))),
            PollAction::Unhandled
        );
        // no response: status 0, token kept
        assert_eq!(s.poll_response(None), PollAction::ServerError);
        assert_eq!(s.token, Token::Value("G"));
    }

    #[test]
    fn sends_in_one_task_share_a_batch_and_one_post_is_in_flight() {
        let mut s = S::new();
        assert_eq!(s.send("a".into()), SendAction::ArmBatchTimer);
        s.batch_timer_set(7);
        assert_eq!(s.send("b".into()), SendAction::Queued);
        let msgs = s.batch_timer_fired().unwrap();
        let post = s.batch_send(msgs, 0);
        s.batch_posted();
        assert_eq!(post.body, "a\nb");
        assert!(s.awaiting_batch_ack);
        assert_eq!(s.current_batch, None);
        assert_eq!(
            s.current_batch_timer,
            Some(7),
            "kept after firing, as in phoenix.js"
        );
        // while waiting for the ack
        assert_eq!(s.send("c".into()), SendAction::Queued);
        assert_eq!(s.send("d".into()), SendAction::Queued);
        assert_eq!(s.batch_buffer, vec!["c".to_owned(), "d".to_owned()]);
        assert_eq!(s.batch_acked(post.batch, true), AckAction::PostBuffer);
        let post2 = s.buffer_post();
        s.buffer_posted();
        assert_eq!(post2.body, "c\nd");
        assert!(s.batch_buffer.is_empty());
        assert_eq!(s.batch_acked(post2.batch, true), AckAction::Done);
        assert!(!s.awaiting_batch_ack);
        assert_eq!(s.send("e".into()), SendAction::ArmBatchTimer);
    }

    #[test]
    fn batches_over_100_lines_go_in_chunks() {
        let mut s = S::new();
        let msgs: Vec<String> = (0..250).map(|i| i.to_string()).collect();
        let p1 = s.batch_send(msgs, 0);
        assert_eq!(p1.body.split('\n').count(), 100);
        assert!(p1.body.starts_with("0\n1\n"));
        let AckAction::Post(p2) = s.batch_acked(p1.batch, true) else {
            panic!()
        };
        assert_eq!(p2.body.split('\n').count(), 100);
        assert!(p2.body.starts_with("100\n"));
        let AckAction::Post(p3) = s.batch_acked(p2.batch, true) else {
            panic!()
        };
        assert_eq!(p3.body.split('\n').count(), 50);
        assert!(p3.body.ends_with("\n249"));
        assert_eq!(s.batch_acked(p3.batch, true), AckAction::Done);
        // exactly 100: one POST
        let p = s.batch_send((0..100).map(|i| i.to_string()).collect(), 0);
        assert_eq!(s.batch_acked(p.batch, true), AckAction::Done);
        // an offset past the end posts an empty body instead of panicking
        let p = s.batch_send(vec!["x".into()], 5);
        assert_eq!(p.body, "");
        let p = s.batch_send(vec![], usize::MAX);
        assert_eq!(p.body, "");
    }

    #[test]
    fn failed_post_leaves_state_to_stop() {
        let mut s = S::new();
        let p = s.batch_send(vec!["a".into()], 0);
        assert_eq!(s.batch_acked(p.batch, false), AckAction::Failed);
        assert!(s.awaiting_batch_ack);
    }

    #[test]
    fn requests_are_ours_until_they_complete_or_stop() {
        let mut s = S::new();
        let a = s.begin_request();
        let b = s.begin_request();
        assert_eq!(s.requests(), &[a, b]);
        assert!(s.finish_request(a));
        assert!(!s.finish_request(a), "a second completion is ignored");
        let c = s.begin_request();
        s.message_timer_added(1);
        s.message_timer_added(2);
        s.message_timer_fired(&1);
        s.send("x".into());
        s.batch_timer_set(9);
        s.batch_buffer.push("y".into());
        s.awaiting_batch_ack = true;
        let st = s.stop(CONNECTING);
        assert_eq!(
            st,
            Stopped {
                reqs: vec![b, c],
                message_timers: vec![2],
                batch_timer: Some(9)
            }
        );
        assert!(s.is_active());
        assert!(!s.finish_request(b));
        assert!(s.requests().is_empty());
        assert!(s.current_batch.is_none() && s.batch_buffer.is_empty() && !s.awaiting_batch_ack);
        assert_eq!(s.current_batch_timer, None);
        s.stop(CLOSED);
        assert!(!s.is_active());
        s.ready_state = OPEN;
        assert!(s.is_active());
        s.ready_state = 2.0;
        assert!(!s.is_active());
    }
}
