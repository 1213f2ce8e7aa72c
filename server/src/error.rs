//! Error types: decoding failures (→ close codes) and HTTP errors (→ responses).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// A client frame that cannot be decoded. The socket closes with 1011.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Not JSON.
    #[error("invalid JSON")]
    Json,
    /// JSON of the wrong shape (not a 5-array for v2, not an object for v1).
    #[error("message has the wrong shape")]
    Shape,
    /// A field with the wrong type.
    #[error("bad field {0}")]
    BadField(&'static str),
    /// A binary frame shorter than its header says.
    #[error("truncated binary frame")]
    Truncated,
    /// A binary frame with a kind other than 0 (push).
    #[error("unexpected binary frame kind {0}")]
    BinaryKind(u8),
    /// A binary frame field that is not UTF-8.
    #[error("binary frame field is not UTF-8")]
    Utf8,
    /// A binary frame on a v1 connection.
    #[error("binary frames need the 2.0.0 serializer")]
    BinaryNotSupported,
}

/// WebSocket close codes used by the server.
pub mod close_code {
    /// Normal closure (server-side disconnect, idle timeout).
    pub const NORMAL: u16 = 1000;
    /// Going away (server shutdown).
    pub const GOING_AWAY: u16 = 1001;
    /// Message too big.
    pub const TOO_BIG: u16 = 1009;
    /// Internal error (malformed frame, as Phoenix does when decoding raises).
    pub const INTERNAL: u16 = 1011;
    /// Try again later (the client did not read its frames fast enough).
    pub const TRY_AGAIN_LATER: u16 = 1013;
}

/// Errors of the HTTP handlers. Rendered as `{"error": "..."}`.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad request body or parameters.
    #[error("{0}")]
    BadRequest(String),
    /// Not allowed (e.g. a loopback-only route called from elsewhere).
    #[error("forbidden")]
    Forbidden,
    /// Unknown thing.
    #[error("not found")]
    NotFound,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = match &self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
        };
        (status, Json(serde_json::json!({"error": self.to_string()}))).into_response()
    }
}

impl From<axum::extract::rejection::JsonRejection> for AppError {
    fn from(r: axum::extract::rejection::JsonRejection) -> Self {
        AppError::BadRequest(r.body_text())
    }
}
