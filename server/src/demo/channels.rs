//! The demo's channels: `room:*`, `user:*`, `bench:*` (docs/protocol.md#demo-contract).

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{json, Value};

use super::{now_ms, DemoState};
use crate::channel::{Channel, ChannelSocket, HandleIn, Reply};
use crate::serializer::Payload;

const MAX_BODY_CHARS: usize = 2000;

fn unknown_event() -> HandleIn {
    HandleIn::Reply(Reply::error(json!({"reason": "unknown event"})))
}

/// `room:<name>`: history, presence, typing, `ignore` (an intercept), `binary_echo`.
#[derive(Debug)]
pub struct RoomChannel {
    state: Arc<DemoState>,
    user: String,
    ignored: HashSet<String>,
}

impl RoomChannel {
    /// One instance per join.
    pub fn new(state: Arc<DemoState>) -> Self {
        RoomChannel {
            state,
            user: String::new(),
            ignored: HashSet::new(),
        }
    }
}

impl Channel for RoomChannel {
    fn join(
        &mut self,
        topic: &str,
        _payload: &Payload,
        socket: &mut ChannelSocket,
    ) -> Result<Payload, Payload> {
        if topic == "room:forbidden" {
            return Err(json!({"reason": "unauthorized"}).into());
        }
        self.user = socket.assign_str("user").unwrap_or_default().to_string();
        let messages = self.state.history(topic);
        Ok(json!({ "messages": messages }).into())
    }

    fn after_join(&mut self, socket: &mut ChannelSocket) {
        let presence = socket.endpoint().presence();
        if let Err(e) = presence.track(socket, &self.user, json!({"online_at": now_ms()})) {
            tracing::warn!(error = %e, "presence track failed");
        }
        let endpoint = socket.endpoint().clone();
        endpoint.presence().push_state(socket);
    }

    fn intercepts(&self) -> Vec<String> {
        vec!["new_msg".into()]
    }

    fn handle_out(&mut self, event: &str, payload: &Payload, socket: &mut ChannelSocket) {
        if event == "new_msg" {
            if let Some(author) = payload.str_field("user") {
                if self.ignored.contains(author) {
                    return;
                }
            }
        }
        socket.push(event, payload.clone());
    }

    fn handle_in(&mut self, event: &str, payload: Payload, socket: &mut ChannelSocket) -> HandleIn {
        match event {
            "new_msg" => {
                let body = payload.str_field("body").unwrap_or("");
                let chars = body.chars().count();
                if body.trim().is_empty() || chars > MAX_BODY_CHARS {
                    return HandleIn::Reply(Reply::error(json!({"reason": "invalid body"})));
                }
                let msg = self.state.add_message(socket.topic(), &self.user, body);
                let id = msg.id;
                socket.broadcast("new_msg", serde_json::to_value(&msg).unwrap_or_default());
                HandleIn::Reply(Reply::ok(json!({ "id": id })))
            }
            "typing" => {
                socket.broadcast_from("typing", json!({"user": self.user}));
                HandleIn::NoReply
            }
            "ignore" => match payload.str_field("user") {
                Some(user) => {
                    self.ignored.insert(user.to_string());
                    HandleIn::Reply(Reply::ok(json!({})))
                }
                None => HandleIn::Reply(Reply::error(json!({"reason": "invalid user"}))),
            },
            "binary_echo" => match payload {
                Payload::Binary(bytes) => HandleIn::Reply(Reply::ok(bytes)),
                Payload::Json(_) => {
                    HandleIn::Reply(Reply::error(json!({"reason": "expected binary"})))
                }
            },
            // Only with --test-hooks: lets browser tests see a channel crash (phx_error).
            "test_crash" if self.state.options.test_hooks => panic!("test_crash requested"),
            _ => unknown_event(),
        }
    }
}

/// `user:<name>`: the user's own notifications.
#[derive(Debug)]
pub struct UserChannel {
    state: Arc<DemoState>,
    user: String,
}

impl UserChannel {
    /// One instance per join.
    pub fn new(state: Arc<DemoState>) -> Self {
        UserChannel {
            state,
            user: String::new(),
        }
    }
}

impl Channel for UserChannel {
    fn join(
        &mut self,
        topic: &str,
        _payload: &Payload,
        socket: &mut ChannelSocket,
    ) -> Result<Payload, Payload> {
        let me = socket.assign_str("user").unwrap_or_default();
        if topic.strip_prefix("user:") != Some(me) {
            return Err(json!({"reason": "unauthorized"}).into());
        }
        self.user = me.to_string();
        let (notifications, unread) = self.state.notifications(me);
        Ok(json!({"notifications": notifications, "unread": unread}).into())
    }

    fn handle_in(
        &mut self,
        event: &str,
        payload: Payload,
        _socket: &mut ChannelSocket,
    ) -> HandleIn {
        match event {
            "mark_read" => {
                let id = payload
                    .as_json()
                    .and_then(|v| v.get("id"))
                    .and_then(Value::as_u64);
                match id.and_then(|id| self.state.mark_read(&self.user, id)) {
                    Some(unread) => HandleIn::Reply(Reply::ok(json!({ "unread": unread }))),
                    None => HandleIn::Reply(Reply::error(json!({"reason": "not found"}))),
                }
            }
            _ => unknown_event(),
        }
    }
}

/// `bench:<name>`: a bare topic (no presence, no history).
#[derive(Debug, Clone, Copy)]
pub struct BenchChannel;

impl Channel for BenchChannel {
    fn join(
        &mut self,
        _topic: &str,
        _payload: &Payload,
        _socket: &mut ChannelSocket,
    ) -> Result<Payload, Payload> {
        Ok(json!({}).into())
    }

    fn handle_in(&mut self, event: &str, payload: Payload, socket: &mut ChannelSocket) -> HandleIn {
        match event {
            "ping" => HandleIn::Reply(Reply::ok(payload)),
            "shout" => {
                socket.broadcast("shout", payload);
                HandleIn::NoReply
            }
            _ => unknown_event(),
        }
    }
}
