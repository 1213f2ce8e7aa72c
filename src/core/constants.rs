//! phoenix.js `constants.js`.

pub const DEFAULT_VSN: &str = "2.0.0";
pub const DEFAULT_TIMEOUT: f64 = 10000.0;
pub const DEFAULT_HEARTBEAT_INTERVAL_MS: f64 = 30000.0;
pub const DEFAULT_LONGPOLLER_TIMEOUT: f64 = 20000.0;
pub const WS_CLOSE_NORMAL: f64 = 1000.0;
pub const AUTH_TOKEN_PREFIX: &str = "base64url.bearer.phx.";
pub const WEBSOCKET_PATH: &str = "websocket";

/// `SOCKET_STATES`: the WebSocket `readyState` values.
pub mod ready_state {
    pub const CONNECTING: u16 = 0;
    pub const OPEN: u16 = 1;
    pub const CLOSING: u16 = 2;
    pub const CLOSED: u16 = 3;
}

/// `CHANNEL_EVENTS`.
pub mod event {
    pub const CLOSE: &str = "phx_close";
    pub const ERROR: &str = "phx_error";
    pub const JOIN: &str = "phx_join";
    pub const REPLY: &str = "phx_reply";
    pub const LEAVE: &str = "phx_leave";
    pub const HEARTBEAT: &str = "heartbeat";
    pub const PHOENIX_TOPIC: &str = "phoenix";
}
