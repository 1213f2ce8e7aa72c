//! The WebSocket transport: `GET <path>/websocket?vsn=...` (docs/protocol.md#endpoint-url, #server-conformance).
//!
//! Before the upgrade: origin check, serializer choice from `vsn`, the `authToken`
//! subprotocol, and the socket's `connect`; any refusal is a plain HTTP 403.
//! After it, one connection = a reader loop (this task: decode, run channel callbacks,
//! idle timeout) plus a writer task draining a bounded queue. A full queue means the client
//! does not read: the connection is dropped instead of buffering without limit.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo as AxumConnectInfo, Query, State};
use axum::http::{header, Extensions, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine;
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::mpsc;
use tracing::Instrument;

use crate::endpoint::{Endpoint, OriginCheck};
use crate::error::close_code;
use crate::pubsub::{ConnHandle, Out};
use crate::serializer::{decode_binary, decode_text, Frame, Vsn};
use crate::socket::{ConnectInfo, ConnectResult, Flow, Params, Session, Socket, TransportKind};

/// The subprotocol prefix phoenix.js uses to carry `authToken` (docs/protocol.md#auth-token).
pub const AUTH_TOKEN_PREFIX: &str = "base64url.bearer.phx.";

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

async fn upgrade(
    State(state): State<Arc<WsState>>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    extensions: Extensions,
    ws: WebSocketUpgrade,
) -> Response {
    if state.endpoint.config().refuse_websocket {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "WebSocket transport disabled",
        )
            .into_response();
    }
    let peer_addr = extensions.get::<AxumConnectInfo<SocketAddr>>().map(|c| c.0);
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
        tracing::info!(?origin, "websocket refused: origin not allowed");
        return forbidden();
    }
    let mut params = Params::new();
    let mut vsn_param = None;
    for (k, v) in query {
        if k == "vsn" {
            vsn_param = Some(v.clone());
        }
        params.insert(k, Value::String(v));
    }
    let Some(vsn) = Vsn::from_param(vsn_param.as_deref()) else {
        tracing::info!(vsn = ?vsn_param, "websocket refused: unsupported vsn");
        return forbidden();
    };
    let info = ConnectInfo {
        peer_addr,
        origin,
        auth_token: auth_token(&headers),
        transport: TransportKind::WebSocket,
    };
    let (assigns, socket_id) = match state.socket.connect(&params, &info) {
        ConnectResult::Ok { assigns, id } => (assigns, id),
        ConnectResult::Refuse => {
            tracing::info!(peer = ?peer_addr, "websocket refused by connect");
            return forbidden();
        }
    };
    let cfg = state.endpoint.config();
    let max = cfg.max_frame_size;
    ws.protocols(["phoenix"])
        .read_buffer_size(cfg.read_buffer_size)
        .write_buffer_size(cfg.write_buffer_size)
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |ws| {
            let span = tracing::info_span!("ws", socket_id = socket_id.as_deref().unwrap_or("-"));
            run(ws, state, vsn, assigns, socket_id).instrument(span)
        })
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

fn host_of(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    authority.rsplit_once(':').map_or(authority, |(h, _)| h)
}

fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.to_ascii_lowercase().ends_with(".localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Phoenix's `check_origin`: see [`OriginCheck`].
pub fn origin_allowed(check: &OriginCheck, origin: Option<&str>, host: Option<&str>) -> bool {
    let Some(origin) = origin else { return true };
    match check {
        OriginCheck::Off => true,
        OriginCheck::Allow(list) => list
            .iter()
            .any(|o| o.eq_ignore_ascii_case(origin.trim_end_matches('/'))),
        OriginCheck::SameHost => {
            let Some((_, rest)) = origin.split_once("://") else {
                return false;
            };
            let authority = rest.split('/').next().unwrap_or("");
            let origin_host = host_of(authority);
            if is_loopback_host(origin_host) {
                return true;
            }
            host.is_some_and(|h| host_of(h).eq_ignore_ascii_case(origin_host))
        }
    }
}

fn is_capacity_error(e: &axum::Error) -> bool {
    std::error::Error::source(e)
        .and_then(|s| s.downcast_ref::<tungstenite::Error>())
        .is_some_and(|t| matches!(t, tungstenite::Error::Capacity(_)))
}

fn to_message(frame: Frame) -> Message {
    match frame {
        Frame::Text(t) => Message::Text(t),
        Frame::Binary(b) => Message::Binary(b),
    }
}

async fn write_loop(
    mut sink: SplitSink<WebSocket, Message>,
    mut rx: mpsc::Receiver<Out>,
    vsn: Vsn,
) {
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        let mut batch = 0;
        while let Some(out) = next.take() {
            let msg = match out {
                Out::Frame(f) => to_message(f),
                Out::Shared(b) => match b.frame(vsn) {
                    Some(f) => to_message(f),
                    None => {
                        next = rx.try_recv().ok();
                        continue;
                    }
                },
                Out::Close(code, reason) => {
                    let frame = CloseFrame {
                        code,
                        reason: reason.into(),
                    };
                    let _ = sink.send(Message::Close(Some(frame))).await;
                    return;
                }
            };
            if sink.feed(msg).await.is_err() {
                return;
            }
            batch += 1;
            if batch < 256 {
                next = rx.try_recv().ok();
            }
        }
        if sink.flush().await.is_err() {
            return;
        }
    }
}

enum End {
    /// Close with this code and reason.
    Close(u16, &'static str),
    /// The client went away or closed; nothing to send.
    Gone,
    /// Slow consumer: drop without waiting for the writer.
    Kill,
}

async fn run(
    ws: WebSocket,
    state: Arc<WsState>,
    vsn: Vsn,
    assigns: crate::socket::Assigns,
    socket_id: Option<String>,
) {
    let endpoint = state.endpoint.clone();
    let cfg = endpoint.config().clone();
    let (out_tx, out_rx) = mpsc::channel(cfg.outbound_queue.max(1));
    let (ctl_tx, mut ctl_rx) = mpsc::channel(cfg.outbound_queue.max(1));
    let conn = Arc::new(ConnHandle::new(endpoint.next_id(), vsn, out_tx, ctl_tx));
    endpoint.register(&conn, socket_id.as_deref());
    tracing::debug!(conn = conn.id, ?vsn, "connected");

    let (sink, mut stream) = ws.split();
    let mut writer = tokio::spawn(write_loop(sink, out_rx, vsn));
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
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
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
    match end {
        End::Close(code, reason) if !conn.is_killed() => {
            if conn.send(Out::Close(code, reason)) {
                let grace = std::time::Duration::from_secs(5);
                if tokio::time::timeout(grace, &mut writer).await.is_err() {
                    writer.abort();
                }
            } else {
                writer.abort();
            }
        }
        _ => writer.abort(),
    }
    tracing::debug!(conn = conn.id, "closed");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        let c = OriginCheck::SameHost;
        assert!(origin_allowed(&c, None, None));
        assert!(origin_allowed(
            &c,
            Some("http://localhost:4000"),
            Some("example.com")
        ));
        assert!(origin_allowed(&c, Some("http://127.0.0.1:9"), None));
        assert!(origin_allowed(&c, Some("http://[::1]:9"), None));
        assert!(origin_allowed(
            &c,
            Some("https://chat.example.com"),
            Some("chat.example.com:443")
        ));
        assert!(!origin_allowed(
            &c,
            Some("https://evil.example"),
            Some("chat.example.com")
        ));
        assert!(!origin_allowed(&c, Some("null"), Some("chat.example.com")));
        assert!(origin_allowed(
            &OriginCheck::Off,
            Some("https://evil.example"),
            None
        ));
        let allow = OriginCheck::Allow(vec!["https://a.example".into()]);
        assert!(origin_allowed(&allow, Some("https://a.example"), None));
        assert!(!origin_allowed(&allow, Some("https://b.example"), None));
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
