//! The WebSocket transport: `GET <path>/websocket?vsn=...` (docs/protocol.md#endpoint-url, #server-conformance).
//!
//! Before the upgrade: the shared [`handshake`](super) (origin, serializer from `vsn`,
//! connection limits, the socket's `connect`), with the token of the `authToken` subprotocol.
//! A refusal is a plain HTTP 403; a full server (see [`crate::EndpointConfig`]) upgrades and
//! closes at once with 1013 (try again later), so a browser client sees why.
//!
//! After it, one connection = a reader loop (this task: decode, run channel callbacks,
//! idle timeout) plus a writer task draining a bounded queue. The writer writes everything
//! queued before one flush (one syscall for a burst of presence diffs), and sends a message
//! over [`FRAGMENT`] bytes as several frames, so its buffer never grows to the size of the
//! biggest message (a `presence_state` of thousands of users). A full queue means the client
//! does not read: it is a slow consumer, closed with 1013 after what was already being written.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo as AxumConnectInfo, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine;
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame as WsFrame;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;
use tracing::Instrument;

use super::{handshake, Accepted, HandshakeRequest, Refused};
use crate::endpoint::Endpoint;
use crate::error::close_code;
use crate::pubsub::{ConnHandle, Out};
use crate::serializer::{decode_binary, decode_text, Frame, Vsn};
use crate::socket::{Flow, Params, Session, Socket, TransportKind};

pub use super::origin_allowed;

/// The subprotocol prefix phoenix.js uses to carry `authToken` (docs/protocol.md#auth-token).
pub const AUTH_TOKEN_PREFIX: &str = "base64url.bearer.phx.";

/// Messages longer than this go out as several frames of at most this many bytes.
pub const FRAGMENT: usize = 8 * 1024;

/// Frames written before the writer flushes, even if more are queued.
const MAX_BATCH: usize = 1024;

/// How long a closing connection may take to get its last frames and close frame out.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

type Ws = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

struct WsState {
    endpoint: Endpoint,
    socket: Arc<Socket>,
}

/// A router serving `socket` at `<path>/websocket` (e.g. `path = "/socket"`).
pub fn router(path: &str, endpoint: Endpoint, socket: Socket) -> Router {
    let state = Arc::new(WsState {
        endpoint,
        socket: Arc::new(socket),
    });
    Router::new()
        .route(
            &format!("{}/websocket", path.trim_end_matches('/')),
            get(upgrade),
        )
        .with_state(state)
}

fn forbidden() -> Response {
    StatusCode::FORBIDDEN.into_response()
}

fn header_has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// The `Sec-WebSocket-Key` of a valid WebSocket upgrade request (RFC 6455 §4.2.1), or the
/// status and reason to refuse it with.
fn upgrade_key(
    method: &Method,
    headers: &HeaderMap,
) -> Result<HeaderValue, (StatusCode, &'static str)> {
    let bad = |why: &'static str| Err((StatusCode::BAD_REQUEST, why));
    if method != Method::GET {
        return Err((
            StatusCode::METHOD_NOT_ALLOWED,
            "WebSocket upgrades are GETs",
        ));
    }
    if !header_has_token(headers, header::CONNECTION, "upgrade") {
        return bad("Connection header did not include 'upgrade'");
    }
    if !header_has_token(headers, header::UPGRADE, "websocket") {
        return bad("Upgrade header did not include 'websocket'");
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_none_or(|v| v.as_bytes() != b"13")
    {
        return bad("Sec-WebSocket-Version must be 13");
    }
    match headers.get(header::SEC_WEBSOCKET_KEY) {
        Some(k) => Ok(k.clone()),
        None => bad("Sec-WebSocket-Key missing"),
    }
}

async fn upgrade(
    State(state): State<Arc<WsState>>,
    Query(query): Query<Vec<(String, String)>>,
    mut req: Request,
) -> Response {
    if state.endpoint.config().refuse_websocket {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "WebSocket transport disabled",
        )
            .into_response();
    }
    let key = match upgrade_key(req.method(), req.headers()) {
        Ok(k) => k,
        Err(refusal) => return refusal.into_response(),
    };
    let Some(on_upgrade) = req.extensions_mut().remove::<hyper::upgrade::OnUpgrade>() else {
        return (
            StatusCode::UPGRADE_REQUIRED,
            "connection cannot be upgraded",
        )
            .into_response();
    };
    let headers = req.headers();
    let peer_addr = req
        .extensions()
        .get::<AxumConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let mut params = Params::new();
    for (k, v) in query {
        params.insert(k, Value::String(v));
    }
    let accepted = handshake(
        &state.endpoint,
        &state.socket,
        HandshakeRequest {
            transport: TransportKind::WebSocket,
            headers,
            peer_addr,
            params,
            auth_token: auth_token(headers),
        },
    );
    let accepted = match accepted {
        Ok(a) => Some(a),
        Err(Refused::Full | Refused::ShuttingDown) => None,
        Err(Refused::Origin | Refused::Vsn | Refused::Connect) => return forbidden(),
    };
    let offers_phoenix = header_has_token(headers, header::SEC_WEBSOCKET_PROTOCOL, "phoenix");

    let cfg = state.endpoint.config();
    let ws_config = WebSocketConfig::default()
        .read_buffer_size(cfg.read_buffer_size)
        .write_buffer_size(cfg.write_buffer_size)
        .max_message_size(Some(cfg.max_frame_size))
        .max_frame_size(Some(cfg.max_frame_size));
    let span = tracing::info_span!(
        "ws",
        socket_id = accepted
            .as_ref()
            .and_then(|a| a.socket_id.as_deref())
            .unwrap_or("-")
    );
    tokio::spawn(
        async move {
            let io = match on_upgrade.await {
                Ok(io) => TokioIo::new(io),
                Err(e) => {
                    tracing::debug!(error = %e, "upgrade failed");
                    return;
                }
            };
            let ws = WebSocketStream::from_raw_socket(io, Role::Server, Some(ws_config)).await;
            match accepted {
                Some(accepted) => run(ws, state, accepted).await,
                None => refuse_full(ws, &state.endpoint).await,
            }
        }
        .instrument(span),
    );

    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
    let mut resp = StatusCode::SWITCHING_PROTOCOLS.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(v) = HeaderValue::from_str(&accept) {
        h.insert(header::SEC_WEBSOCKET_ACCEPT, v);
    }
    if offers_phoenix {
        h.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("phoenix"),
        );
    }
    resp
}

/// The server is full (or shutting down): close at once with 1013 / 1001.
async fn refuse_full(mut ws: Ws, endpoint: &Endpoint) {
    let (code, reason) = if endpoint.is_shutting_down() {
        (close_code::GOING_AWAY, "server shutdown")
    } else {
        (close_code::TRY_AGAIN_LATER, "too many connections")
    };
    let frame = CloseFrame {
        code: CloseCode::from(code),
        reason: reason.into(),
    };
    let _ = tokio::time::timeout(CLOSE_GRACE, async {
        let _ = ws.send(Message::Close(Some(frame))).await;
        // Let the client's close frame arrive, so the TCP connection ends cleanly.
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
}

/// Finds the token in `Sec-WebSocket-Protocol: phoenix, base64url.bearer.phx.<b64>`.
/// phoenix.js encodes it with `btoa` (standard alphabet) minus padding; url-safe is accepted too.
pub fn auth_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| p.trim().strip_prefix(AUTH_TOKEN_PREFIX))
        .and_then(|b64| {
            let b64 = b64.trim_end_matches('=');
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(b64)
                .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(b64))
                .ok()
        })
        .and_then(|bytes| String::from_utf8(bytes).ok())
}

fn is_capacity_error(e: &tokio_tungstenite::tungstenite::Error) -> bool {
    matches!(e, tokio_tungstenite::tungstenite::Error::Capacity(_))
}

/// A frame as raw WebSocket frames: one, or fragments of at most [`FRAGMENT`] bytes (the
/// payload is shared, not copied).
fn ws_frames(frame: Frame) -> impl Iterator<Item = WsFrame> {
    let (bytes, data) = match frame {
        Frame::Text(t) => (Bytes::from(t), Data::Text),
        Frame::Binary(b) => (b, Data::Binary),
    };
    let len = bytes.len();
    let count = len.div_ceil(FRAGMENT).max(1);
    (0..count).map(move |i| {
        let start = i * FRAGMENT;
        let end = (start + FRAGMENT).min(len);
        let opcode = if i == 0 { data } else { Data::Continue };
        WsFrame::message(
            bytes.slice(start..end),
            OpCode::Data(opcode),
            i + 1 == count,
        )
    })
}

/// Writes one queued item into the sink's buffer (tungstenite writes to the socket on its own
/// once the buffer is over `write_buffer_size`). `Err` ends the writer.
async fn feed(sink: &mut SplitSink<Ws, Message>, out: Out, vsn: Vsn) -> Result<(), ()> {
    let frame = match out {
        Out::Frame(f) => f,
        Out::Shared(b) => match b.frame(vsn) {
            Some(f) => f,
            None => return Ok(()),
        },
        Out::Close(code, reason) => {
            let frame = CloseFrame {
                code: CloseCode::from(code),
                reason: reason.into(),
            };
            let _ = sink.send(Message::Close(Some(frame))).await;
            return Err(());
        }
    };
    for f in ws_frames(frame) {
        sink.feed(Message::Frame(f)).await.map_err(|_| ())?;
    }
    Ok(())
}

async fn write_loop(
    mut sink: SplitSink<Ws, Message>,
    mut rx: mpsc::Receiver<Out>,
    conn: Arc<ConnHandle>,
) {
    let vsn = conn.vsn;
    let writing = async {
        while let Some(first) = rx.recv().await {
            feed(&mut sink, first, vsn).await?;
            // Everything queued meanwhile goes out with the same flush.
            for _ in 1..MAX_BATCH {
                match rx.try_recv() {
                    Ok(out) => feed(&mut sink, out, vsn).await?,
                    Err(_) => break,
                }
            }
            sink.flush().await.map_err(|_| ())?;
        }
        Ok::<(), ()>(())
    };
    let killed = tokio::select! {
        _ = writing => false,
        _ = conn.kill_writer.notified() => true,
    };
    if killed {
        // Slow consumer: what is queued is dropped; the close frame follows whatever was
        // already buffered (tungstenite keeps whole frames), if the client reads at all.
        drop(rx);
        let frame = CloseFrame {
            code: CloseCode::from(close_code::TRY_AGAIN_LATER),
            reason: "slow consumer".into(),
        };
        let _ = tokio::time::timeout(CLOSE_GRACE, sink.send(Message::Close(Some(frame)))).await;
    }
}

enum End {
    /// Close with this code and reason.
    Close(u16, &'static str),
    /// The client went away or closed; nothing to send.
    Gone,
    /// Slow consumer: the writer sends the close frame.
    Kill,
}

async fn run(ws: Ws, state: Arc<WsState>, accepted: Accepted) {
    let Accepted {
        vsn,
        assigns,
        socket_id,
        slot,
    } = accepted;
    let endpoint = state.endpoint.clone();
    let cfg = endpoint.config().clone();
    let (out_tx, out_rx) = mpsc::channel(cfg.outbound_queue.max(1));
    let (ctl_tx, mut ctl_rx) = mpsc::channel(cfg.outbound_queue.max(1));
    let conn = Arc::new(ConnHandle::new(endpoint.next_id(), vsn, out_tx, ctl_tx));
    endpoint.register(&conn, socket_id.as_deref());
    tracing::debug!(conn = conn.id, ?vsn, "connected");

    let (sink, mut stream) = ws.split();
    let mut writer = tokio::spawn(write_loop(sink, out_rx, Arc::clone(&conn)));
    let mut session = Session::new(
        endpoint.clone(),
        Arc::clone(&state.socket),
        Arc::clone(&conn),
        assigns,
        socket_id.clone(),
    );
    let mut shutdown = endpoint.shutdown_signal();
    let idle = tokio::time::sleep(cfg.idle_timeout);
    tokio::pin!(idle);

    let end = loop {
        if *shutdown.borrow() {
            break End::Close(close_code::GOING_AWAY, "server shutdown");
        }
        // Unbiased: a flood of intercepted broadcasts must not starve client frames.
        tokio::select! {
            _ = conn.kill_notify.notified() => break End::Kill,
            _ = shutdown.changed() => break End::Close(close_code::GOING_AWAY, "server shutdown"),
            Some(ctl) = ctl_rx.recv() => {
                if let Flow::Close(code) = session.handle_control(ctl) {
                    break End::Close(code, "");
                }
            }
            msg = stream.next() => {
                idle.as_mut().reset(tokio::time::Instant::now() + cfg.idle_timeout);
                let decoded = match msg {
                    None | Some(Ok(Message::Close(_))) => break End::Gone,
                    Some(Err(e)) => {
                        if is_capacity_error(&e) {
                            tracing::info!(conn = conn.id, "frame too big");
                            break End::Close(close_code::TOO_BIG, "message too big");
                        }
                        tracing::debug!(conn = conn.id, error = %e, "read error");
                        break End::Gone;
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                    Some(Ok(Message::Text(t))) => decode_text(vsn, t.as_str()),
                    Some(Ok(Message::Binary(b))) => decode_binary(vsn, &b),
                };
                match decoded {
                    Ok(m) => {
                        if let Flow::Close(code) = session.handle_message(m) {
                            break End::Close(code, "");
                        }
                    }
                    Err(e) => {
                        tracing::info!(conn = conn.id, error = %e, "malformed frame");
                        break End::Close(close_code::INTERNAL, "malformed frame");
                    }
                }
            }
            _ = &mut idle => {
                tracing::info!(conn = conn.id, "idle timeout");
                break End::Close(close_code::NORMAL, "idle timeout");
            }
        }
    };

    session.close();
    endpoint.unregister(conn.id, socket_id.as_deref());
    drop(session);
    // A killed connection's writer is sending the 1013 close frame: let it.
    let wait_writer = match end {
        End::Kill => true,
        _ if conn.is_killed() => true,
        End::Close(code, reason) => conn.send(Out::Close(code, reason)) || conn.is_killed(),
        End::Gone => false,
    };
    if !wait_writer
        || tokio::time::timeout(CLOSE_GRACE, &mut writer)
            .await
            .is_err()
    {
        writer.abort();
    }
    drop(slot);
    tracing::debug!(conn = conn.id, "closed");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_frames_are_fragmented() {
        let text = "é".repeat(FRAGMENT); // 2 × FRAGMENT bytes
        let frames: Vec<_> = ws_frames(Frame::Text(text.clone().into())).collect();
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0].header().opcode, OpCode::Data(Data::Text));
        assert!(!frames[0].header().is_final);
        assert_eq!(frames[1].header().opcode, OpCode::Data(Data::Continue));
        assert!(frames[1].header().is_final);
        let joined: Vec<u8> = frames.iter().flat_map(|f| f.payload().to_vec()).collect();
        assert_eq!(joined, text.as_bytes());
        let one: Vec<_> = ws_frames(Frame::Binary(Bytes::from_static(&[1, 2]))).collect();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].header().opcode, OpCode::Data(Data::Binary));
        assert!(one[0].header().is_final);
        let empty: Vec<_> = ws_frames(Frame::Text("".into())).collect();
        assert_eq!(empty.len(), 1);
        assert!(empty[0].header().is_final);
        // exactly FRAGMENT bytes: one frame
        let exact: Vec<_> = ws_frames(Frame::Binary(vec![0u8; FRAGMENT].into())).collect();
        assert_eq!(exact.len(), 1);
    }

    #[test]
    fn token_from_subprotocol() {
        let mut h = HeaderMap::new();
        // btoa("ab?") = "YWI/" (standard alphabet, docs/protocol.md#b17)
        h.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            "phoenix, base64url.bearer.phx.YWI/".parse().unwrap(),
        );
        assert_eq!(auth_token(&h).as_deref(), Some("ab?"));
        h.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            "phoenix, base64url.bearer.phx.dG9rZW4".parse().unwrap(),
        );
        assert_eq!(auth_token(&h).as_deref(), Some("token"));
        h.insert(header::SEC_WEBSOCKET_PROTOCOL, "phoenix".parse().unwrap());
        assert_eq!(auth_token(&h), None);
    }
}
