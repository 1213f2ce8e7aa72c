//! The demo chat (docs/protocol.md#demo-contract), written only against the library's public API:
//! a token-authenticated `UserSocket`, `room:*` (history, presence, typing, an intercept),
//! `user:*` notifications, `bench:*` for load tests, and the HTTP API around them.

mod channels;
mod http;
pub mod token;

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::endpoint::Endpoint;
use crate::socket::{ConnectInfo, ConnectResult, Params, Socket, SocketHandler};

pub use channels::{BenchChannel, RoomChannel, UserChannel};
pub use http::app;

/// How many messages / notifications a join returns.
pub const HISTORY: usize = 50;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A chat message as stored and broadcast.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChatMessage {
    /// Per-room id, from 1.
    pub id: u64,
    /// Author.
    pub user: String,
    /// Text.
    pub body: String,
    /// Unix ms.
    pub at: u64,
}

/// A notification for one user.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Notification {
    /// Id, unique on this server.
    pub id: u64,
    /// Text.
    pub body: String,
    /// Unix ms.
    pub at: u64,
    /// Marked read with `mark_read`.
    pub read: bool,
}

#[derive(Debug, Default)]
struct Room {
    next_id: u64,
    messages: VecDeque<ChatMessage>,
}

/// Options of the demo app.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Static files (the chat page).
    pub static_dir: PathBuf,
    /// Enables `/api/test/*` and the `room:*` `test_crash` event.
    pub test_hooks: bool,
}

/// Shared demo state: token signer, room histories, notifications.
#[derive(Debug)]
pub struct DemoState {
    /// The endpoint the demo's sockets live on.
    pub endpoint: Endpoint,
    /// Token signer.
    pub signer: token::Signer,
    /// Options.
    pub options: DemoOptions,
    rooms: Mutex<HashMap<String, Room>>,
    notifications: Mutex<HashMap<String, Vec<Notification>>>,
    next_notification: AtomicU64,
}

impl DemoState {
    /// New state; tokens are signed with a key derived from the endpoint's secret key base
    /// (random per run unless configured).
    pub fn new(endpoint: Endpoint, options: DemoOptions) -> Arc<Self> {
        let key = endpoint.derive_key("demo user token");
        Arc::new(DemoState {
            endpoint,
            signer: token::Signer::new(key.to_vec()),
            options,
            rooms: Mutex::new(HashMap::new()),
            notifications: Mutex::new(HashMap::new()),
            next_notification: AtomicU64::new(1),
        })
    }

    /// The last [`HISTORY`] messages of a room, oldest first.
    pub fn history(&self, room: &str) -> Vec<ChatMessage> {
        let rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        rooms
            .get(room)
            .map(|r| r.messages.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Stores a message and returns it with its id.
    pub fn add_message(&self, room: &str, user: &str, body: &str) -> ChatMessage {
        let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        let r = rooms.entry(room.to_string()).or_default();
        r.next_id += 1;
        let msg = ChatMessage {
            id: r.next_id,
            user: user.to_string(),
            body: body.to_string(),
            at: now_ms(),
        };
        r.messages.push_back(msg.clone());
        while r.messages.len() > HISTORY {
            r.messages.pop_front();
        }
        msg
    }

    /// The last [`HISTORY`] notifications of a user and the unread count.
    pub fn notifications(&self, user: &str) -> (Vec<Notification>, usize) {
        let all = self.notifications.lock().unwrap_or_else(|e| e.into_inner());
        let list = all.get(user).map(Vec::as_slice).unwrap_or(&[]);
        let start = list.len().saturating_sub(HISTORY);
        let unread = list.iter().filter(|n| !n.read).count();
        (list.get(start..).unwrap_or(&[]).to_vec(), unread)
    }

    /// Stores a notification and pushes it to `user:<user>` (a push from outside any socket).
    pub fn notify(&self, user: &str, body: &str) -> Notification {
        let n = Notification {
            id: self.next_notification.fetch_add(1, Ordering::Relaxed),
            body: body.to_string(),
            at: now_ms(),
            read: false,
        };
        self.notifications
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(user.to_string())
            .or_default()
            .push(n.clone());
        let payload = serde_json::to_value(&n).unwrap_or_default();
        self.endpoint
            .broadcast(&format!("user:{user}"), "notification", payload);
        n
    }

    /// Marks one notification read; returns the unread count, or `None` for an unknown id.
    pub fn mark_read(&self, user: &str, id: u64) -> Option<usize> {
        let mut all = self.notifications.lock().unwrap_or_else(|e| e.into_inner());
        let list = all.get_mut(user)?;
        let n = list.iter_mut().find(|n| n.id == id)?;
        n.read = true;
        Some(list.iter().filter(|n| !n.read).count())
    }
}

/// `UserSocket`: `connect` verifies the token (param `token` or the authToken subprotocol).
#[derive(Debug, Clone)]
pub struct UserSocket {
    state: Arc<DemoState>,
}

impl SocketHandler for UserSocket {
    fn connect(&self, params: &Params, info: &ConnectInfo) -> ConnectResult {
        let token = params
            .get("token")
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .or_else(|| info.auth_token.clone());
        let Some(token) = token else {
            return ConnectResult::Refuse;
        };
        match self.state.signer.verify(&token, now_ms()) {
            Ok(user) if token::valid_name(&user) => {
                let mut assigns = crate::socket::Assigns::new();
                assigns.insert("user".into(), user.clone().into());
                ConnectResult::Ok {
                    assigns,
                    id: Some(format!("user_socket:{user}")),
                }
            }
            _ => ConnectResult::Refuse,
        }
    }
}

/// The demo's socket with its three channel routes.
pub fn socket(state: Arc<DemoState>) -> Socket {
    let room_state = Arc::clone(&state);
    let user_state = Arc::clone(&state);
    Socket::new(UserSocket {
        state: Arc::clone(&state),
    })
    .channel_filtered(
        "room:*",
        |t| name_ok(t, "room:"),
        move |_| RoomChannel::new(Arc::clone(&room_state)),
    )
    .channel_filtered(
        "user:*",
        |t| name_ok(t, "user:"),
        move |_| UserChannel::new(Arc::clone(&user_state)),
    )
    .channel_filtered("bench:*", |t| name_ok(t, "bench:"), |_| BenchChannel)
}

fn name_ok(topic: &str, prefix: &str) -> bool {
    topic.strip_prefix(prefix).is_some_and(token::valid_name)
}
