//! phoenix.js `constants.js`.

/// Protocol version sent as `vsn` unless `opts.vsn` overrides it.
pub const DEFAULT_VSN: &str = "2.0.0";
/// Push, join and leave timeout (`opts.timeout`).
pub const DEFAULT_TIMEOUT: f64 = 10000.0;
/// Heartbeat interval and reply deadline (`opts.heartbeatIntervalMs`).
pub const DEFAULT_HEARTBEAT_INTERVAL_MS: f64 = 30000.0;
/// LongPoll request timeout (`opts.longpollerTimeout`).
pub const DEFAULT_LONGPOLLER_TIMEOUT: f64 = 20000.0;
/// Close code of a heartbeat timeout close.
pub const WS_CLOSE_NORMAL: f64 = 1000.0;
/// Prefix of the subprotocol carrying `authToken` (docs/protocol.md#auth-token).
pub const AUTH_TOKEN_PREFIX: &str = "base64url.bearer.phx.";
/// Path appended to the endpoint for the WebSocket URL.
pub const WEBSOCKET_PATH: &str = "websocket";

/// `SOCKET_STATES`: the WebSocket `readyState` values.
pub mod ready_state {
    /// `WebSocket.CONNECTING`.
    pub const CONNECTING: u16 = 0;
    /// `WebSocket.OPEN`.
    pub const OPEN: u16 = 1;
    /// `WebSocket.CLOSING`.
    pub const CLOSING: u16 = 2;
    /// `WebSocket.CLOSED`.
    pub const CLOSED: u16 = 3;
}

/// `CHANNEL_EVENTS`.
pub mod event {
    /// The server closed the channel.
    pub const CLOSE: &str = "phx_close";
    /// The channel crashed on the server (or the transport failed).
    pub const ERROR: &str = "phx_error";
    /// Join request.
    pub const JOIN: &str = "phx_join";
    /// Reply to a request, matched by ref.
    pub const REPLY: &str = "phx_reply";
    /// Leave request.
    pub const LEAVE: &str = "phx_leave";
    /// Heartbeat request, on [`PHOENIX_TOPIC`].
    pub const HEARTBEAT: &str = "heartbeat";
    /// Topic of heartbeats and their replies.
    pub const PHOENIX_TOPIC: &str = "phoenix";
}
