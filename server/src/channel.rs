//! Channels: the [`Channel`] trait an application implements per topic pattern, and the
//! [`ChannelSocket`] its callbacks get (like `Phoenix.Socket` inside a channel).
//!
//! Lifecycle of one joined topic on one connection (the server side of channel.js's states):
//!
//! ```text
//!  phx_join ──► join() ──Err──► reply error, gone
//!                 │Ok
//!                 ▼
//!   reply ok, subscribe, after_join()
//!                 │
//!   handle_in() / handle_out() ◄── client events / intercepted broadcasts
//!                 │
//!   ┌─────────────┼──────────────┬─────────────────────┐
//!   phx_leave   Stop          panic                connection closed /
//!   reply ok,   [reply],      phx_error            duplicate join
//!   phx_close   phx_close     (no terminate)       (terminate, no frame;
//!   terminate   terminate                          duplicate: phx_close)
//! ```
//!
//! Callbacks are synchronous and run on the connection's task, one at a time, as a Phoenix
//! channel process handles one message at a time. A panic in a callback is caught: that
//! channel gets `phx_error`, its presences leave, and the connection goes on.

use std::sync::Arc;

use serde_json::Value;

use crate::endpoint::Endpoint;
use crate::pubsub::{Out, SharedBroadcast};
use crate::serializer::{Outgoing, Payload};
use crate::socket::Assigns;

/// A reply to a client message: `{"status": status, "response": response}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// `"ok"`, `"error"` or a custom status (the client matches it exactly).
    pub status: String,
    /// The response (JSON, or bytes for a binary reply frame).
    pub response: Payload,
}

impl Reply {
    /// `{:reply, {:ok, response}, socket}`.
    pub fn ok(response: impl Into<Payload>) -> Reply {
        Reply {
            status: "ok".into(),
            response: response.into(),
        }
    }

    /// `{:reply, {:error, response}, socket}`.
    pub fn error(response: impl Into<Payload>) -> Reply {
        Reply {
            status: "error".into(),
            response: response.into(),
        }
    }

    /// A reply with a custom status.
    pub fn status(status: impl Into<String>, response: impl Into<Payload>) -> Reply {
        Reply {
            status: status.into(),
            response: response.into(),
        }
    }
}

/// What `handle_in` decided.
#[derive(Debug, Clone, PartialEq)]
pub enum HandleIn {
    /// Reply to the push.
    Reply(Reply),
    /// No reply (the client's push times out unless the app pushes something).
    NoReply,
    /// Stop the channel (`{:stop, reason, [reply,] socket}`): the optional reply, then `phx_close`.
    Stop(Option<Reply>),
}

/// Why a channel ends (argument of [`Channel::terminate`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Terminate {
    /// The client sent `phx_leave`.
    Leave,
    /// `handle_in` returned [`HandleIn::Stop`].
    Stop,
    /// The connection closed (client, idle timeout, disconnect, shutdown, slow consumer).
    Closed,
    /// The client joined the same topic again; this instance is replaced.
    Duplicate,
}

/// One channel instance, created per join by the route's factory.
pub trait Channel: Send + 'static {
    /// Authorise the join. `Ok` becomes the join reply `{"status":"ok","response":...}`,
    /// `Err` a refusal `{"status":"error","response":...}`.
    /// Pushes made here are sent after the reply.
    fn join(
        &mut self,
        topic: &str,
        payload: &Payload,
        socket: &mut ChannelSocket,
    ) -> Result<Payload, Payload>;

    /// Runs right after the ok reply was queued and the topic subscribed: the place for
    /// `send(self(), :after_join)` work such as tracking presence and pushing `presence_state`.
    fn after_join(&mut self, _socket: &mut ChannelSocket) {}

    /// An event from the client.
    fn handle_in(&mut self, event: &str, payload: Payload, socket: &mut ChannelSocket) -> HandleIn;

    /// Broadcast events this channel wants to see in [`Channel::handle_out`] instead of
    /// having them sent straight to the client (Phoenix's `intercept`). Read once, after join.
    fn intercepts(&self) -> Vec<String> {
        Vec::new()
    }

    /// An intercepted broadcast. The default forwards it, as a push carrying this
    /// channel's join_ref.
    fn handle_out(&mut self, event: &str, payload: &Payload, socket: &mut ChannelSocket) {
        socket.push(event, payload.clone());
    }

    /// A message sent with [`ChannelHandle::info`] from another task (Phoenix's
    /// `handle_info`): the way to push results of async work from the channel's own context.
    fn handle_info(&mut self, _msg: Value, _socket: &mut ChannelSocket) {}

    /// The channel ends (not called after a panic).
    fn terminate(&mut self, _reason: Terminate, _socket: &mut ChannelSocket) {}
}

/// Creates one [`Channel`] per join; gets the topic being joined.
pub type ChannelFactory = Arc<dyn Fn(&str) -> Box<dyn Channel> + Send + Sync>;

/// Something the connection must do after the current callback returns, in order.
#[derive(Debug)]
pub(crate) enum Deferred {
    Out(Out),
    /// A broadcast this channel made to itself of an event it intercepts.
    SelfIntercept(Arc<SharedBroadcast>),
}

/// The channel's view of its connection: topic, join_ref, assigns, and the ways to send.
#[derive(Debug)]
pub struct ChannelSocket {
    pub(crate) topic: String,
    pub(crate) join_ref: Option<String>,
    pub(crate) sub_id: u64,
    pub(crate) socket_id: Option<String>,
    pub(crate) assigns: Assigns,
    pub(crate) endpoint: Endpoint,
    pub(crate) conn: Arc<crate::pubsub::ConnHandle>,
    /// While set, frames to this client wait in `deferred` (so a reply goes out first).
    pub(crate) defer: bool,
    pub(crate) deferred: Vec<Deferred>,
    pub(crate) subscribed: bool,
    pub(crate) intercepts: Arc<[String]>,
}

impl ChannelSocket {
    /// The joined topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The join_ref of this join.
    pub fn join_ref(&self) -> Option<&str> {
        self.join_ref.as_deref()
    }

    /// The socket id returned by `connect` (e.g. `user_socket:alice`).
    pub fn socket_id(&self) -> Option<&str> {
        self.socket_id.as_deref()
    }

    /// This channel's assigns (a copy of the socket's assigns taken at join).
    pub fn assigns(&self) -> &Assigns {
        &self.assigns
    }

    /// Mutable assigns.
    pub fn assigns_mut(&mut self) -> &mut Assigns {
        &mut self.assigns
    }

    /// A string assign.
    pub fn assign_str(&self, key: &str) -> Option<&str> {
        self.assigns.get(key).and_then(Value::as_str)
    }

    /// The endpoint (broadcast to any topic, presence, disconnect).
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Subscription id of this join (unique per server run).
    pub fn subscription_id(&self) -> u64 {
        self.sub_id
    }

    fn emit(&mut self, out: Out) {
        if self.defer {
            self.deferred.push(Deferred::Out(out));
        } else {
            self.conn.send(out);
        }
    }

    /// `push/3`: an event to this client only, carrying the join_ref, ref `null`.
    pub fn push(&mut self, event: &str, payload: impl Into<Payload>) {
        let msg = Outgoing::Push {
            join_ref: self.join_ref.clone(),
            msg_ref: None,
            topic: self.topic.clone(),
            event: event.to_string(),
            payload: payload.into(),
        };
        match crate::serializer::encode(self.conn.vsn, &msg) {
            Ok(frame) => self.emit(Out::Frame(frame)),
            Err(e) => tracing::warn!(topic = %self.topic, event, error = %e, "push not delivered"),
        }
    }

    /// A push whose payload is JSON text already (see
    /// [`crate::serializer::encode_push_json_text`]).
    pub(crate) fn push_json_text(&mut self, event: &str, payload_json: &str) {
        let text = crate::serializer::encode_push_json_text(
            self.conn.vsn,
            self.join_ref.as_deref(),
            &self.topic,
            event,
            payload_json,
        );
        self.emit(Out::Frame(crate::serializer::Frame::Text(text)));
    }

    /// `broadcast/3`: to every subscriber of the topic, this one included (after the reply
    /// to the message being handled, as Phoenix is observed to do).
    pub fn broadcast(&mut self, event: &str, payload: impl Into<Payload>) {
        let bcast = SharedBroadcast::new(self.topic.clone(), event.to_string(), payload.into());
        self.endpoint.pubsub().broadcast(&bcast, Some(self.sub_id));
        if !self.subscribed {
            return;
        }
        if self.intercepts.iter().any(|e| *e == bcast.event) {
            // handle_out of this very channel runs once the current callback has returned.
            self.deferred.push(Deferred::SelfIntercept(bcast));
        } else {
            self.emit(Out::Shared(bcast));
        }
    }

    /// A handle other tasks can keep to reach this join of this client.
    pub fn handle(&self) -> ChannelHandle {
        ChannelHandle {
            conn: Arc::downgrade(&self.conn),
            topic: self.topic.clone(),
            join_ref: self.join_ref.clone(),
            sub_id: self.sub_id,
        }
    }

    /// `broadcast_from/3`: to every subscriber of the topic except this one.
    pub fn broadcast_from(&mut self, event: &str, payload: impl Into<Payload>) {
        let bcast = SharedBroadcast::new(self.topic.clone(), event.to_string(), payload.into());
        self.endpoint.pubsub().broadcast(&bcast, Some(self.sub_id));
    }
}

/// A cloneable, `Send` handle to one join of one client, for use from other tasks.
/// It holds the connection weakly: once the client is gone, sends return `false`.
#[derive(Debug, Clone)]
pub struct ChannelHandle {
    conn: std::sync::Weak<crate::pubsub::ConnHandle>,
    topic: String,
    join_ref: Option<String>,
    sub_id: u64,
}

impl ChannelHandle {
    /// Pushes an event to this client (carrying the join_ref), like [`ChannelSocket::push`].
    /// Returns `false` if the connection is gone. The frame may arrive after the channel left.
    pub fn push(&self, event: &str, payload: impl Into<Payload>) -> bool {
        let Some(conn) = self.conn.upgrade() else {
            return false;
        };
        let msg = Outgoing::Push {
            join_ref: self.join_ref.clone(),
            msg_ref: None,
            topic: self.topic.clone(),
            event: event.to_string(),
            payload: payload.into(),
        };
        match crate::serializer::encode(conn.vsn, &msg) {
            Ok(frame) => conn.send(Out::Frame(frame)),
            Err(_) => false,
        }
    }

    /// Delivers `msg` to the channel's [`Channel::handle_info`] on the connection's task
    /// (dropped if that join has ended). Returns `false` if the connection is gone.
    pub fn info(&self, msg: Value) -> bool {
        let Some(conn) = self.conn.upgrade() else {
            return false;
        };
        conn.control(crate::pubsub::Control::Info {
            topic: self.topic.clone(),
            sub_id: self.sub_id,
            msg,
        })
    }
}
