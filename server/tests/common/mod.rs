//! Fixtures shared by the server's integration tests (`ws.rs`, `longpoll.rs`, and any new
//! file that declares `mod common;`): the test app's socket handler, a listener on
//! 127.0.0.1:0 serving a router, and a raw WebSocket client's reader.
//!
//! Each test file keeps its own `TestChannel` (its events are what that file checks) and calls
//! [`start`] with it.
#![allow(dead_code)] // each test binary uses a different part of this module

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use phoenix_server::transport::{longpoll, websocket};
use phoenix_server::{
    Channel, ConnectInfo, ConnectResult, Endpoint, EndpointConfig, Params, Socket, SocketHandler,
};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for anything the server should send before it fails.
pub const WAIT: Duration = Duration::from_secs(5);

/// A raw client connection (tokio-tungstenite).
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The test app's `connect`: `?refuse` refuses; `?id=X` names the socket `user_socket:X`. The
/// assigns echo what reached `connect`, for the channels to report in their join replies:
/// `token` and `auth` (the `authToken` subprotocol's value), `param_token` (the `token`
/// param) and `transport` (`WebSocket` or `LongPoll`).
pub struct TestSocket;

impl SocketHandler for TestSocket {
    fn connect(&self, params: &Params, info: &ConnectInfo) -> ConnectResult {
        if params.get("refuse").is_some() {
            return ConnectResult::Refuse;
        }
        let mut assigns = phoenix_server::Assigns::new();
        assigns.insert("token".into(), json!(info.auth_token));
        assigns.insert("auth".into(), json!(info.auth_token));
        assigns.insert("param_token".into(), json!(params.get("token")));
        assigns.insert("transport".into(), json!(format!("{:?}", info.transport)));
        ConnectResult::Ok {
            assigns,
            id: params
                .get("id")
                .and_then(Value::as_str)
                .map(|s| format!("user_socket:{s}")),
        }
    }
}

/// Which transports [`start`] mounts at `/socket`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Transports {
    /// `/socket/websocket` only.
    WebSocket,
    /// `/socket/longpoll` and `/socket/websocket`.
    LongPollAndWebSocket,
}

/// Serves [`TestSocket`] with `channel` on `test:*` at `/socket` on 127.0.0.1:0; returns the
/// address and the endpoint (for broadcasts, disconnects, shutdown).
pub async fn start<C, F>(
    config: EndpointConfig,
    transports: Transports,
    channel: F,
) -> (SocketAddr, Endpoint)
where
    C: Channel,
    F: Fn() -> C + Send + Sync + 'static,
{
    let endpoint = Endpoint::new(config);
    let socket = Socket::new(TestSocket).channel("test:*", move |_| channel());
    let app =
        match transports {
            Transports::WebSocket => websocket::router("/socket", endpoint.clone(), socket),
            Transports::LongPollAndWebSocket => {
                longpoll::router("/socket", endpoint.clone(), socket.clone())
                    .merge(websocket::router("/socket", endpoint.clone(), socket))
            }
        };
    (serve(app).await, endpoint)
}

/// Serves `app` on 127.0.0.1:0 in a background task (with peer addresses as connect info).
pub async fn serve(app: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    addr
}

/// Opens a raw WebSocket to `/socket/websocket?{query}`.
pub async fn connect(addr: SocketAddr, query: &str) -> Ws {
    let url = format!("ws://{addr}/socket/websocket?{query}");
    let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
        .await
        .expect("connect timed out")
        .expect("connect failed");
    ws
}

/// Sends a text frame.
pub async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text)).await.unwrap();
}

/// Next data frame (pings and pongs skipped). Panics on close or after [`WAIT`].
pub async fn next(ws: &mut Ws) -> Message {
    loop {
        let msg = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("timed out waiting for a frame")
            .expect("stream ended")
            .expect("read error");
        match msg {
            Message::Ping(_) | Message::Pong(_) => continue,
            other => return other,
        }
    }
}

/// The next data frame, which must be a JSON text frame.
pub async fn next_json(ws: &mut Ws) -> Value {
    match next(ws).await {
        Message::Text(t) => serde_json::from_str(t.as_str()).unwrap(),
        other => panic!("expected text, got {other:?}"),
    }
}

/// Waits for the server's close frame and returns its code.
pub async fn close_code(ws: &mut Ws) -> Option<u16> {
    loop {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("timed out waiting for close")
        {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return None,
        }
    }
}
