//! The LongPoll transport: `GET | POST | OPTIONS <path>/longpoll` (docs/protocol.md#longpoll, #longpoll-server).
//!
//! One LongPoll *session* = one connection: a task that owns a [`Session`] (the same
//! transport-independent channel state the WebSocket uses) and the connection's queues. HTTP
//! requests only talk to that task:
//!
//! * `GET` without a valid session token runs the socket's `connect` and starts a session:
//!   `{"status":410,"token":T,"messages":[]}` (phoenix.js's "session created" handshake), or
//!   `{"status":403}` when `connect` refuses.
//! * `GET` with a session token waits up to the window for the session's outbound queue:
//!   `{"status":200,"token":T,"messages":[<frame JSON text>, ...]}` or `{"status":204,...}`.
//!   A token of a session that is gone creates a new session (410 + new token, which phoenix.js
//!   holding a token reads as `session_gone`).
//! * `POST` carries NDJSON: each line starting with `[` (or `{`, v1) is a JSON text frame,
//!   anything else a base64 binary frame; at most [`MAX_BATCH`] lines. The answer comes once the
//!   session has handled every message: `{"status":200}`, `{"status":410}` (no such session) or
//!   `{"status":408}` (the session did not get to it within the window). A malformed line,
//!   too many lines or a too big body is answered `400` / `413` and closes the session, as the
//!   WebSocket closes on a malformed frame (1011) or a too big one (1009).
//!
//! Every answer is HTTP 200 with the status in the JSON body (phoenix.js ignores the HTTP status),
//! `content-type: application/json; charset=utf-8`, `cache-control: no-store` and
//! `access-control-allow-origin: *`. Other methods get HTTP 400.
//!
//! Tokens are HMAC-SHA256 signed session ids with a key derived from the endpoint's secret key
//! base, like Phoenix's signed LongPoll tokens. A session nobody polls for about a window shuts
//! down: its channels terminate and their presences leave. The outbound queue is bounded like a
//! WebSocket's: a client that stops polling while messages pile up past the bound loses its
//! session (it sees `session_gone` and rejoins) rather than silently missing messages. A new
//! session goes through the handshake both transports share ([`super`]): a full server answers
//! HTTP 503 with `{"status":500}` in the body.
//!
//! Server→client binary frames cannot travel over LongPoll (phoenix.js only decodes JSON there):
//! a binary reply becomes an `error` reply `{"reason": ...}` to the same ref, so the client's
//! push gets an answer, and binary pushes and broadcasts are dropped with a warning.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo as AxumConnectInfo, Query, State};
use axum::http::{header, Extensions, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tracing::Instrument;

use super::{handshake, origin_allowed, Accepted, HandshakeRequest, Refused};
use crate::endpoint::{Endpoint, Slot};
use crate::pubsub::{ConnHandle, Control, Out};
use crate::serializer::{decode_binary, decode_text, encode, Frame, Incoming, Outgoing, Vsn};
use crate::socket::{Assigns, Flow, Params, Session, Socket, TransportKind};

/// Most lines one POST may carry (phoenix.js's `MAX_LONGPOLL_BATCH_SIZE`).
pub const MAX_BATCH: usize = 100;

/// The header phoenix.js sends the `authToken` in over LongPoll.
pub const AUTH_TOKEN_HEADER: &str = "x-phoenix-authtoken";

/// An alternative to the `token` query parameter for the session token.
pub const SESSION_TOKEN_HEADER: &str = "x-phoenix-longpoll-token";

/// The reason of the error reply that replaces a binary reply.
pub const BINARY_REPLY_REASON: &str = "binary replies are not supported over LongPoll";

/// Decoded batches waiting for a session's task.
const INPUT_QUEUE: usize = 16;

struct LpState {
    endpoint: Endpoint,
    socket: Arc<Socket>,
    key: [u8; 32],
    sessions: Mutex<HashMap<u128, Arc<LpSession>>>,
}

enum Input {
    /// Messages of one POST, in order; the sender is told once all were handled.
    Batch(Vec<Incoming>, oneshot::Sender<()>),
    /// Close the session (a malformed POST).
    Close(&'static str),
}

/// What HTTP requests share with one session's task.
struct LpSession {
    id: u128,
    vsn: Vsn,
    conn: Arc<ConnHandle>,
    /// The outbound queue; a poll holds it while it waits.
    out: tokio::sync::Mutex<mpsc::Receiver<Out>>,
    input: mpsc::Sender<Input>,
    /// Bumped by every poll: an older poll still waiting answers 204 (the newest poll gets
    /// the messages, as in Phoenix).
    poll_gen: watch::Sender<u64>,
    /// Set when the session's task has ended.
    closed: watch::Sender<bool>,
    active_polls: AtomicUsize,
    last_poll: Mutex<Instant>,
}

impl LpSession {
    fn idle_for(&self) -> Option<Duration> {
        if self.active_polls.load(Ordering::SeqCst) > 0 {
            return None;
        }
        let last = *self.last_poll.lock().unwrap_or_else(|e| e.into_inner());
        Some(last.elapsed())
    }

    fn touch(&self) {
        *self.last_poll.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }
}

/// Counts a poll in progress; the session is not idle while one waits.
struct PollGuard<'a>(&'a LpSession);

impl<'a> PollGuard<'a> {
    fn enter(s: &'a LpSession) -> Self {
        s.active_polls.fetch_add(1, Ordering::SeqCst);
        s.touch();
        PollGuard(s)
    }
}

impl Drop for PollGuard<'_> {
    fn drop(&mut self) {
        self.0.touch();
        self.0.active_polls.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A router serving `socket` at `<path>/longpoll` (e.g. `path = "/socket"`), on the same
/// endpoint (pubsub, presence, disconnect by id) as the WebSocket router.
pub fn router(path: &str, endpoint: Endpoint, socket: Socket) -> Router {
    let key = endpoint.derive_key("longpoll session token");
    let state = Arc::new(LpState {
        endpoint,
        socket: Arc::new(socket),
        key,
        sessions: Mutex::new(HashMap::new()),
    });
    Router::new()
        .route(
            &format!("{}/longpoll", path.trim_end_matches('/')),
            any(dispatch),
        )
        .with_state(state)
}

// ---------- responses ----------

fn cors_and_cache(resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
}

/// HTTP 200 with a JSON body (the LongPoll status lives in the body).
fn status_json(body: Value) -> Response {
    let mut resp = (StatusCode::OK, body.to_string()).into_response();
    cors_and_cache(&mut resp);
    resp
}

/// The LongPoll session limit is reached: HTTP 503, and a body phoenix.js reads as an error
/// (status 500: it closes and retries with backoff; it would throw on an unknown status).
fn full() -> Response {
    let mut resp = (
        StatusCode::SERVICE_UNAVAILABLE,
        json!({"status": 500, "error": "too many connections"}).to_string(),
    )
        .into_response();
    cors_and_cache(&mut resp);
    resp
}

fn status_only(status: u16) -> Response {
    status_json(json!({ "status": status }))
}

fn poll_answer(status: u16, token: &str, messages: Vec<String>) -> Response {
    status_json(json!({"status": status, "token": token, "messages": messages}))
}

fn preflight(headers: &HeaderMap) -> Response {
    let mut resp = (StatusCode::OK, "").into_response();
    cors_and_cache(&mut resp);
    let allow = headers
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .cloned()
        .unwrap_or_else(|| {
            HeaderValue::from_static(
                "accept, content-type, x-phoenix-authtoken, x-phoenix-longpoll-token",
            )
        });
    let h = resp.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, allow);
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("get, post, options"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("3600"),
    );
    resp
}

// ---------- tokens ----------

impl LpState {
    fn mac(&self, data: &[u8]) -> Hmac<Sha256> {
        // HMAC takes keys of any length; the fallback is unreachable.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| <Hmac<Sha256> as hmac::digest::KeyInit>::new(&Default::default()));
        mac.update(b"phoenix-longpoll:");
        mac.update(data);
        mac
    }

    fn sign(&self, id: u128) -> String {
        let body = URL_SAFE_NO_PAD.encode(id.to_be_bytes());
        let sig = URL_SAFE_NO_PAD.encode(self.mac(body.as_bytes()).finalize().into_bytes());
        format!("{body}.{sig}")
    }

    /// The session id of a token this process signed (the session may be gone).
    fn verify(&self, token: &str) -> Option<u128> {
        let (body, sig) = token.split_once('.')?;
        if body.len() > 64 || sig.len() > 64 {
            return None;
        }
        let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
        self.mac(body.as_bytes()).verify_slice(&sig).ok()?;
        let raw: [u8; 16] = URL_SAFE_NO_PAD.decode(body).ok()?.try_into().ok()?;
        Some(u128::from_be_bytes(raw))
    }

    /// The live session a request's token names.
    fn lookup(&self, token: &str) -> Option<Arc<LpSession>> {
        let id = self.verify(token)?;
        let sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        sessions.get(&id).filter(|s| !*s.closed.borrow()).cloned()
    }

    fn remove(&self, id: u128) {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }
}

fn new_session_id() -> u128 {
    let mut b = [0u8; 16];
    if getrandom::fill(&mut b).is_err() {
        static FALLBACK: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let n = FALLBACK.fetch_add(1, Ordering::Relaxed);
        b[..8].copy_from_slice(&n.to_be_bytes());
        b[8..].copy_from_slice(&crate::demo::now_ms().to_be_bytes());
    }
    u128::from_be_bytes(b)
}

// ---------- dispatch ----------

async fn dispatch(
    State(state): State<Arc<LpState>>,
    method: Method,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: HeaderMap,
    extensions: Extensions,
    body: Body,
) -> Response {
    if method == Method::OPTIONS {
        return preflight(&headers);
    }
    if method != Method::GET && method != Method::POST {
        let mut resp =
            (StatusCode::BAD_REQUEST, json!({"status": 400}).to_string()).into_response();
        cors_and_cache(&mut resp);
        return resp;
    }
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    if !origin_allowed(
        &state.endpoint.config().check_origin,
        origin.as_deref(),
        host,
    ) {
        tracing::info!(?origin, "longpoll refused: origin not allowed");
        return status_only(403);
    }
    // The session token: the header, else the *last* `token` parameter (phoenix.js appends it
    // after the app's own params, which may have a `token` too).
    let token = headers
        .get(SESSION_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| {
            query
                .iter()
                .rev()
                .find(|(k, _)| k == "token")
                .map(|(_, v)| v.clone())
        });
    let session = token.as_deref().and_then(|t| state.lookup(t));
    if method == Method::POST {
        return match (session, token) {
            (Some(s), Some(_)) => publish(&state, s, &headers, body).await,
            _ => status_only(410),
        };
    }
    match (session, token) {
        (Some(s), Some(t)) => listen(&state, s, &t).await,
        _ => new_session(&state, &query, &headers, &extensions),
    }
}

fn new_session(
    state: &Arc<LpState>,
    query: &[(String, String)],
    headers: &HeaderMap,
    extensions: &Extensions,
) -> Response {
    // Connect params: the query, last value wins, minus our own session tokens (the app's
    // `token` param comes first in phoenix.js's URLs, the session token after it).
    let mut params = Params::new();
    for (k, v) in query {
        if k == "token" && state.verify(v).is_some() {
            continue;
        }
        params.insert(k.clone(), Value::String(v.clone()));
    }
    let peer_addr = extensions.get::<AxumConnectInfo<SocketAddr>>().map(|c| c.0);
    let accepted = handshake(
        &state.endpoint,
        &state.socket,
        HandshakeRequest {
            transport: TransportKind::LongPoll,
            headers,
            peer_addr,
            params,
            auth_token: headers
                .get(AUTH_TOKEN_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        },
    );
    let Accepted {
        vsn,
        assigns,
        socket_id,
        slot,
    } = match accepted {
        Ok(a) => a,
        Err(Refused::Origin | Refused::Vsn | Refused::Connect) => return status_only(403),
        // Shutting down: an error (close 1011 + reconnect on the client), not a new session.
        Err(Refused::ShuttingDown) => return status_only(500),
        Err(Refused::Full) => return full(),
    };

    let endpoint = &state.endpoint;
    let cfg = endpoint.config();
    let (out_tx, out_rx) = mpsc::channel(cfg.outbound_queue.max(1));
    let (ctl_tx, ctl_rx) = mpsc::channel(cfg.outbound_queue.max(1));
    let (in_tx, in_rx) = mpsc::channel(INPUT_QUEUE);
    let conn = Arc::new(ConnHandle::new(endpoint.next_id(), vsn, out_tx, ctl_tx));
    let id = new_session_id();
    let session = Arc::new(LpSession {
        id,
        vsn,
        conn: Arc::clone(&conn),
        out: tokio::sync::Mutex::new(out_rx),
        input: in_tx,
        poll_gen: watch::channel(0).0,
        closed: watch::channel(false).0,
        active_polls: AtomicUsize::new(0),
        last_poll: Mutex::new(Instant::now()),
    });
    state
        .sessions
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id, Arc::clone(&session));
    endpoint.register(&conn, socket_id.as_deref());
    tracing::debug!(conn = conn.id, ?vsn, "longpoll session started");
    let span = tracing::info_span!("longpoll", socket_id = socket_id.as_deref().unwrap_or("-"));
    tokio::spawn(
        run(
            Arc::clone(state),
            session,
            in_rx,
            ctl_rx,
            assigns,
            socket_id,
            slot,
        )
        .instrument(span),
    );
    poll_answer(410, &state.sign(id), Vec::new())
}

/// Ends a session whatever way its task stops (even by a panic).
struct Cleanup {
    state: Arc<LpState>,
    session: Arc<LpSession>,
    socket_id: Option<String>,
    /// The session's place under the connection limits, given back last.
    _slot: Slot,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        self.state.remove(self.session.id);
        self.state
            .endpoint
            .unregister(self.session.conn.id, self.socket_id.as_deref());
        self.session.closed.send_replace(true);
    }
}

/// The session's task: client messages from POSTs, control messages, idle timeout.
async fn run(
    state: Arc<LpState>,
    lp: Arc<LpSession>,
    mut input: mpsc::Receiver<Input>,
    mut ctl_rx: mpsc::Receiver<Control>,
    assigns: Assigns,
    socket_id: Option<String>,
    slot: Slot,
) {
    let endpoint = state.endpoint.clone();
    let window = endpoint.config().longpoll_window;
    let _cleanup = Cleanup {
        state: Arc::clone(&state),
        session: Arc::clone(&lp),
        socket_id: socket_id.clone(),
        _slot: slot,
    };
    let conn = Arc::clone(&lp.conn);
    let mut session = Session::new(
        endpoint.clone(),
        Arc::clone(&state.socket),
        Arc::clone(&conn),
        assigns,
        socket_id,
    );
    let mut shutdown = endpoint.shutdown_signal();
    let mut check = tokio::time::interval((window / 4).max(Duration::from_millis(10)));
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

    let why = loop {
        if *shutdown.borrow() {
            break "server shutdown";
        }
        tokio::select! {
            _ = conn.kill_notify.notified() => break "slow consumer",
            _ = shutdown.changed() => break "server shutdown",
            Some(ctl) = ctl_rx.recv() => {
                if let Flow::Close(_) = session.handle_control(ctl) {
                    break "disconnected";
                }
            }
            msg = input.recv() => match msg {
                Some(Input::Batch(msgs, ack)) => {
                    let mut close = false;
                    for m in msgs {
                        if let Flow::Close(_) = session.handle_message(m) {
                            close = true;
                            break;
                        }
                    }
                    let _ = ack.send(());
                    if close {
                        break "closed";
                    }
                }
                Some(Input::Close(why)) => break why,
                None => break "gone",
            },
            _ = check.tick() => {
                if lp.idle_for().is_some_and(|idle| idle > window) {
                    break "no poll within the window";
                }
            }
        }
    };
    tracing::debug!(conn = conn.id, reason = why, "longpoll session ended");
    session.close();
}

/// A GET of a live session: the queued messages, waiting up to the window for the first.
async fn listen(state: &LpState, lp: Arc<LpSession>, token: &str) -> Response {
    let _guard = PollGuard::enter(&lp);
    let deadline = Instant::now() + state.endpoint.config().longpoll_window;
    let mut my_gen = 0;
    lp.poll_gen.send_modify(|g| {
        *g += 1;
        my_gen = *g;
    });
    let mut gen_rx = lp.poll_gen.subscribe();
    let mut closed_rx = lp.closed.subscribe();

    let mut out = tokio::select! {
        g = lp.out.lock() => g,
        _ = superseded(&mut gen_rx, my_gen) => return poll_answer(204, token, Vec::new()),
        _ = tokio::time::sleep_until(deadline) => return poll_answer(204, token, Vec::new()),
    };
    let mut messages = Vec::new();
    loop {
        while let Ok(o) = out.try_recv() {
            if let Some(text) = to_text(lp.vsn, o) {
                messages.push(text);
            }
        }
        if !messages.is_empty() {
            return poll_answer(200, token, messages);
        }
        if *closed_rx.borrow_and_update() {
            return poll_answer(410, token, Vec::new());
        }
        tokio::select! {
            biased;
            o = out.recv() => match o {
                Some(o) => {
                    if let Some(text) = to_text(lp.vsn, o) {
                        messages.push(text);
                    }
                }
                None => return poll_answer(410, token, Vec::new()),
            },
            _ = closed_rx.changed() => {}
            _ = superseded(&mut gen_rx, my_gen) => return poll_answer(204, token, Vec::new()),
            _ = tokio::time::sleep_until(deadline) => return poll_answer(204, token, Vec::new()),
        }
    }
}

/// Resolves once a newer poll of the same session arrived.
async fn superseded(rx: &mut watch::Receiver<u64>, mine: u64) {
    loop {
        if *rx.borrow_and_update() != mine {
            return;
        }
        if rx.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// A queued frame as LongPoll message text; binary frames cannot go over LongPoll.
fn to_text(vsn: Vsn, out: Out) -> Option<String> {
    match out {
        Out::Frame(Frame::Text(t)) => Some(t.as_str().to_owned()),
        Out::Frame(Frame::Binary(b)) => binary_fallback(vsn, &b),
        Out::Shared(b) => match b.frame(vsn)? {
            Frame::Text(t) => Some(t.as_str().to_owned()),
            Frame::Binary(_) => {
                tracing::warn!(topic = %b.topic, event = %b.event, "binary broadcast not delivered over LongPoll");
                None
            }
        },
        Out::Close(..) => None,
    }
}

/// A binary reply (kind 1) becomes an error reply to the same ref; binary pushes are dropped.
fn binary_fallback(vsn: Vsn, frame: &[u8]) -> Option<String> {
    use phoenix_wasm::core::serializer::{decode_binary as decode_frame, Kind};
    let parsed = decode_frame(frame)
        .ok()
        .filter(|m| m.kind == Kind::Reply)
        .map(|m| {
            (
                m.join_ref.unwrap_or_default(),
                m.ref_.unwrap_or_default(),
                m.topic,
            )
        });
    let Some((jr, r, topic)) = parsed else {
        tracing::warn!(kind = ?frame.first(), "binary push not delivered over LongPoll");
        return None;
    };
    tracing::info!(%topic, "binary reply replaced by an error reply over LongPoll");
    let msg = Outgoing::Reply {
        join_ref: (!jr.is_empty()).then_some(jr),
        msg_ref: (!r.is_empty()).then_some(r),
        topic,
        status: "error".into(),
        response: json!({ "reason": BINARY_REPLY_REASON }).into(),
    };
    match encode(vsn, &msg) {
        Ok(Frame::Text(t)) => Some(t.as_str().to_owned()),
        _ => None,
    }
}

/// Why a POST body was refused.
#[derive(Debug, PartialEq, Eq)]
enum BadBody {
    TooMany,
    TooBig,
    Malformed(String),
}

/// Splits an NDJSON body into client messages (or the whole body as one text message when it
/// is not NDJSON, like Phoenix).
fn decode_body(
    vsn: Vsn,
    ndjson: bool,
    body: &[u8],
    max_frame: usize,
) -> Result<Vec<Incoming>, BadBody> {
    let lines: Vec<&[u8]> = if ndjson {
        body.split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .filter(|l| !l.is_empty())
            .collect()
    } else if body.is_empty() {
        Vec::new()
    } else {
        vec![body]
    };
    if lines.len() > MAX_BATCH {
        return Err(BadBody::TooMany);
    }
    let mut msgs = Vec::with_capacity(lines.len());
    for (i, line) in lines.into_iter().enumerate() {
        let bad =
            |what: &dyn std::fmt::Display| BadBody::Malformed(format!("line {}: {what}", i + 1));
        let msg = if !ndjson || matches!(line.first(), Some(b'[' | b'{')) {
            if line.len() > max_frame {
                return Err(BadBody::TooBig);
            }
            let text = std::str::from_utf8(line).map_err(|_| bad(&"not UTF-8"))?;
            decode_text(vsn, text).map_err(|e| bad(&e))?
        } else {
            if line.len() / 4 * 3 > max_frame + 3 {
                return Err(BadBody::TooBig);
            }
            let bytes = STANDARD
                .decode(line)
                .or_else(|_| STANDARD_NO_PAD.decode(line))
                .map_err(|_| bad(&"invalid base64"))?;
            if bytes.len() > max_frame {
                return Err(BadBody::TooBig);
            }
            decode_binary(vsn, &bytes).map_err(|e| bad(&e))?
        };
        msgs.push(msg);
    }
    Ok(msgs)
}

/// A POST: decode every line first (all or nothing), then let the session handle them in order.
async fn publish(state: &LpState, lp: Arc<LpSession>, headers: &HeaderMap, body: Body) -> Response {
    let cfg = state.endpoint.config();
    let window = cfg.longpoll_window;
    let close = |why: &'static str| {
        // Best effort: a full input queue means the session is busy; it still closes on its own.
        let _ = lp.input.try_send(Input::Close(why));
    };
    let bytes = match axum::body::to_bytes(body, cfg.longpoll_max_body).await {
        Ok(b) => b,
        Err(e) => {
            let too_big = std::error::Error::source(&e)
                .map(|s| s.to_string())
                .unwrap_or_else(|| e.to_string())
                .contains("length limit");
            if too_big {
                tracing::info!(conn = lp.conn.id, "longpoll body too big");
                close("body too big");
                return status_only(413);
            }
            tracing::debug!(conn = lp.conn.id, error = %e, "longpoll body read failed");
            return status_only(400);
        }
    };
    let ndjson = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.trim()
                .to_ascii_lowercase()
                .starts_with("application/x-ndjson")
        });
    let msgs = match decode_body(lp.vsn, ndjson, &bytes, cfg.max_frame_size) {
        Ok(m) => m,
        Err(BadBody::TooBig) => {
            tracing::info!(conn = lp.conn.id, "longpoll message too big");
            close("message too big");
            return status_only(413);
        }
        Err(BadBody::TooMany) => {
            tracing::info!(conn = lp.conn.id, "longpoll batch over {MAX_BATCH} lines");
            close("batch too big");
            return status_only(400);
        }
        Err(BadBody::Malformed(why)) => {
            tracing::info!(conn = lp.conn.id, error = %why, "malformed longpoll message");
            close("malformed message");
            return status_only(400);
        }
    };
    if msgs.is_empty() {
        return status_only(200);
    }
    let (ack_tx, ack_rx) = oneshot::channel();
    match tokio::time::timeout(window, lp.input.send(Input::Batch(msgs, ack_tx))).await {
        Ok(Ok(())) => {}
        Ok(Err(_)) => return status_only(410),
        Err(_) => return status_only(408),
    }
    match tokio::time::timeout(window, ack_rx).await {
        Ok(Ok(())) => status_only(200),
        Ok(Err(_)) => status_only(410),
        Err(_) => status_only(408),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> LpState {
        LpState {
            endpoint: Endpoint::default(),
            socket: Arc::new(Socket::new(Refuse)),
            key: [7; 32],
            sessions: Mutex::new(HashMap::new()),
        }
    }

    use crate::socket::{ConnectInfo, ConnectResult};

    struct Refuse;
    impl crate::socket::SocketHandler for Refuse {
        fn connect(&self, _: &Params, _: &ConnectInfo) -> ConnectResult {
            ConnectResult::Refuse
        }
    }

    #[test]
    fn tokens_sign_and_verify() {
        let st = state();
        let t = st.sign(0xdead_beef);
        assert_eq!(st.verify(&t), Some(0xdead_beef));
        let mut other = state();
        other.key = [8; 32];
        assert_eq!(other.verify(&t), None);
        for bad in ["", ".", "x.y", "undefined", &t[1..], &format!("{t}x")] {
            assert_eq!(st.verify(bad), None, "{bad}");
        }
        assert!(st.lookup(&t).is_none());
    }

    #[test]
    fn ndjson_lines() {
        let bin = STANDARD.encode([
            0u8, 1, 1, 6, 4, b'1', b'2', b'r', b'o', b'o', b'm', b':', b'a', b'e', b'c', b'h',
            b'o', 9, 9,
        ]);
        let body = format!("[\"1\",\"1\",\"room:a\",\"phx_join\",{{}}]\r\n{bin}\n");
        let msgs = decode_body(Vsn::V2, true, body.as_bytes(), 1024).unwrap();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].event, "phx_join");
        assert_eq!(msgs[1].topic, "room:a");
        assert_eq!(msgs[1].event, "echo");
        assert_eq!(
            msgs[1].payload.as_binary().map(|b| b.to_vec()),
            Some(vec![9, 9])
        );
        // not NDJSON: the whole body is one text message
        let one = decode_body(
            Vsn::V2,
            false,
            br#"[null,"1","phoenix","heartbeat",{}]"#,
            1024,
        )
        .unwrap();
        assert_eq!(one.len(), 1);
        assert!(decode_body(Vsn::V2, true, b"", 1024).unwrap().is_empty());
        for bad in [
            &b"[1,2"[..],
            b"!!!notbase64",
            b"AAAA",
            b"[\"a\"]",
            b"\xff\xfe",
        ] {
            assert!(
                matches!(
                    decode_body(Vsn::V2, true, bad, 1024),
                    Err(BadBody::Malformed(_))
                ),
                "{bad:?}"
            );
        }
        let many = "[null,\"1\",\"phoenix\",\"heartbeat\",{}]\n".repeat(MAX_BATCH + 1);
        assert_eq!(
            decode_body(Vsn::V2, true, many.as_bytes(), 1024),
            Err(BadBody::TooMany)
        );
        let big = format!(
            "[null,\"1\",\"t\",\"e\",{{\"x\":\"{}\"}}]",
            "a".repeat(2000)
        );
        assert_eq!(
            decode_body(Vsn::V2, true, big.as_bytes(), 1024),
            Err(BadBody::TooBig)
        );
        // binary lines need v2
        assert!(matches!(
            decode_body(Vsn::V1, true, bin.as_bytes(), 1024),
            Err(BadBody::Malformed(_))
        ));
    }

    #[test]
    fn binary_reply_becomes_error_reply() {
        let reply = encode(
            Vsn::V2,
            &Outgoing::Reply {
                join_ref: Some("3".into()),
                msg_ref: Some("7".into()),
                topic: "room:a".into(),
                status: "ok".into(),
                response: crate::Payload::Binary(vec![1, 2, 3].into()),
            },
        )
        .unwrap();
        let Frame::Binary(b) = reply else {
            panic!("binary")
        };
        let text = binary_fallback(Vsn::V2, &b).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v,
            json!(["3", "7", "room:a", "phx_reply", {"status": "error", "response": {"reason": BINARY_REPLY_REASON}}])
        );
        // pushes (kind 0) and garbage are dropped
        assert_eq!(binary_fallback(Vsn::V2, &[0, 1, 1, 1, 9, 9]), None);
        assert_eq!(binary_fallback(Vsn::V2, &[1, 200]), None);
        assert_eq!(binary_fallback(Vsn::V2, &[]), None);
    }

    mod props {
        use super::*;
        use proptest::arbitrary::any;
        use proptest::prelude::*;

        fn base64_line() -> impl Strategy<Value = String> {
            proptest::collection::vec(any::<u8>(), 0..48).prop_map(|b| STANDARD.encode(b))
        }

        proptest! {
            #[test]
            fn decode_body_never_panics(body in proptest::collection::vec(any::<u8>(), 0..1024), ndjson in any::<bool>()) {
                for vsn in [Vsn::V1, Vsn::V2] {
                    let _ = decode_body(vsn, ndjson, &body, 256);
                }
            }

            #[test]
            fn ndjson_of_lines_never_panics(lines in proptest::collection::vec(
                prop_oneof![base64_line(), "\\[[ -~]{0,40}", "[ -~]{0,40}"], 0..120)) {
                let body = lines.join("\n");
                if let Ok(msgs) = decode_body(Vsn::V2, true, body.as_bytes(), 256) {
                    prop_assert!(msgs.len() <= MAX_BATCH);
                }
            }

            #[test]
            fn verify_and_binary_fallback_never_panic(token in "[ -~]{0,120}", frame in proptest::collection::vec(any::<u8>(), 0..64)) {
                prop_assert_eq!(state().verify(&token), None);
                let _ = binary_fallback(Vsn::V2, &frame);
                let _ = binary_fallback(Vsn::V1, &frame);
            }
        }
    }
}
