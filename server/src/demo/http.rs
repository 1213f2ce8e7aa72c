//! The demo's HTTP API and static files (docs/protocol.md#demo-contract "Endpoints").

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::{Extensions, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tower_http::services::ServeDir;

use super::{now_ms, socket, token, DemoState};
use crate::error::AppError;
use crate::transport::{longpoll, websocket};

/// The whole service: `/socket/websocket`, `/socket/longpoll`, `/api/*`, the LiveView corner
/// (`/live-demo`, `/live/*`: [`crate::live`]), static files.
/// Serve it with `into_make_service_with_connect_info::<SocketAddr>()` (loopback checks).
pub fn app(state: Arc<DemoState>) -> Router {
    let mut api = Router::new()
        .route("/api/token", post(create_token))
        .route("/api/broadcast", post(broadcast))
        .route("/api/notify", post(notify))
        .route("/api/disconnect", post(disconnect));
    if state.options.test_hooks {
        api = api.route("/api/test/heartbeats", post(test_heartbeats));
    }
    let static_files = ServeDir::new(&state.options.static_dir);
    let user_socket = socket(Arc::clone(&state));
    api.with_state(Arc::clone(&state))
        .merge(websocket::router(
            "/socket",
            state.endpoint.clone(),
            user_socket.clone(),
        ))
        .merge(longpoll::router(
            "/socket",
            state.endpoint.clone(),
            user_socket,
        ))
        .merge(crate::live::router(state.endpoint.clone()))
        .fallback_service(static_files)
}

fn require_loopback(ext: &Extensions) -> Result<(), AppError> {
    match ext.get::<ConnectInfo<SocketAddr>>() {
        Some(ConnectInfo(addr)) if addr.ip().is_loopback() => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

type JsonBody<T> = Result<Json<T>, axum::extract::rejection::JsonRejection>;

#[derive(Deserialize)]
struct TokenReq {
    name: Value,
}

async fn create_token(
    State(st): State<Arc<DemoState>>,
    body: JsonBody<TokenReq>,
) -> Result<Response, AppError> {
    let Json(req) = body?;
    let name = req.name.as_str().unwrap_or("");
    if !token::valid_name(name) {
        return Err(AppError::BadRequest(
            "name must be 1-32 characters of letters, digits, _ or -".into(),
        ));
    }
    Ok(Json(json!({"token": st.signer.sign(name, now_ms())})).into_response())
}

#[derive(Deserialize)]
struct BroadcastReq {
    topic: String,
    event: String,
    #[serde(default)]
    payload: Value,
}

async fn broadcast(
    State(st): State<Arc<DemoState>>,
    ext: Extensions,
    body: JsonBody<BroadcastReq>,
) -> Result<StatusCode, AppError> {
    require_loopback(&ext)?;
    let Json(req) = body?;
    let payload = if req.payload.is_null() {
        json!({})
    } else {
        req.payload
    };
    st.endpoint.broadcast(&req.topic, &req.event, payload);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct NotifyReq {
    user: String,
    body: String,
}

async fn notify(
    State(st): State<Arc<DemoState>>,
    ext: Extensions,
    body: JsonBody<NotifyReq>,
) -> Result<Response, AppError> {
    require_loopback(&ext)?;
    let Json(req) = body?;
    if !token::valid_name(&req.user) {
        return Err(AppError::BadRequest("invalid user".into()));
    }
    let n = st.notify(&req.user, &req.body);
    Ok((StatusCode::CREATED, Json(json!({"id": n.id}))).into_response())
}

#[derive(Deserialize)]
struct DisconnectReq {
    user: String,
}

async fn disconnect(
    State(st): State<Arc<DemoState>>,
    ext: Extensions,
    body: JsonBody<DisconnectReq>,
) -> Result<StatusCode, AppError> {
    require_loopback(&ext)?;
    let Json(req) = body?;
    st.endpoint.disconnect(&format!("user_socket:{}", req.user));
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct HeartbeatsReq {
    answer: bool,
}

async fn test_heartbeats(
    State(st): State<Arc<DemoState>>,
    ext: Extensions,
    body: JsonBody<HeartbeatsReq>,
) -> Result<StatusCode, AppError> {
    require_loopback(&ext)?;
    let Json(req) = body?;
    st.endpoint.set_answer_heartbeats(req.answer);
    Ok(StatusCode::NO_CONTENT)
}
