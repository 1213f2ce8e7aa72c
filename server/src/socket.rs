//! Sockets: the [`SocketHandler`] (`connect/3` + `id/1`), the channel routes, and
//! [`Session`], the transport-independent state of one connection (its joined channels).
//!
//! A transport (WebSocket or LongPoll) decodes client frames into
//! [`Incoming`] messages, feeds them to [`Session::handle_message`], feeds control messages
//! to [`Session::handle_control`], and calls [`Session::close`] when the connection ends.
//! Everything the session sends goes through the connection's outbound queue.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::channel::{
    Channel, ChannelFactory, ChannelSocket, Deferred, HandleIn, Reply, Terminate,
};
use crate::endpoint::Endpoint;
use crate::pubsub::{ConnHandle, Control, Out, SharedBroadcast, Subscriber};
use crate::serializer::{encode, Incoming, Outgoing, Payload};

/// Socket and channel assigns: a JSON object, like Phoenix's assigns map.
pub type Assigns = Map<String, Value>;

/// Connect params from the query string (all values are strings).
pub type Params = Map<String, Value>;

/// Which transport a connection uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// `/websocket`.
    WebSocket,
    /// `/longpoll`.
    LongPoll,
}

/// What `connect` can look at besides the params (Phoenix's `connect_info`).
#[derive(Debug, Clone)]
pub struct ConnectInfo {
    /// The peer address, when the server was started with connect info.
    pub peer_addr: Option<SocketAddr>,
    /// The `Origin` header.
    pub origin: Option<String>,
    /// The token of the `base64url.bearer.phx.*` subprotocol (or LongPoll's header).
    pub auth_token: Option<String>,
    /// The transport.
    pub transport: TransportKind,
}

/// The result of `connect`.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnectResult {
    /// Accept, with the socket's assigns and an optional id (for `Endpoint::disconnect`).
    Ok {
        /// Assigns every channel of this socket starts with.
        assigns: Assigns,
        /// Socket id, e.g. `user_socket:alice`.
        id: Option<String>,
    },
    /// Refuse: HTTP 403 on the upgrade.
    Refuse,
}

/// The application's socket module.
pub trait SocketHandler: Send + Sync + 'static {
    /// Authenticate a connection. Runs before the WebSocket upgrade.
    fn connect(&self, params: &Params, info: &ConnectInfo) -> ConnectResult;
}

/// A socket definition: the handler plus channel routes (`channel "room:*", RoomChannel`).
#[derive(Clone)]
pub struct Socket {
    handler: Arc<dyn SocketHandler>,
    routes: Vec<Route>,
}

type TopicFilter = Arc<dyn Fn(&str) -> bool + Send + Sync>;

#[derive(Clone)]
struct Route {
    pattern: String,
    filter: Option<TopicFilter>,
    factory: ChannelFactory,
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field(
                "routes",
                &self.routes.iter().map(|r| &r.pattern).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Socket {
    /// A socket with no channels yet.
    pub fn new(handler: impl SocketHandler) -> Self {
        Socket {
            handler: Arc::new(handler),
            routes: Vec::new(),
        }
    }

    /// Routes topics matching `pattern` (exact, or a prefix ending in `*`) to channels made by
    /// `factory`. The first matching route wins.
    pub fn channel<F, C>(mut self, pattern: &str, factory: F) -> Self
    where
        F: Fn(&str) -> C + Send + Sync + 'static,
        C: Channel,
    {
        let factory: ChannelFactory =
            Arc::new(move |topic: &str| Box::new(factory(topic)) as Box<dyn Channel>);
        self.routes.push(Route {
            pattern: pattern.to_string(),
            filter: None,
            factory,
        });
        self
    }

    /// Like [`Socket::channel`], but a topic matching `pattern` is only routed when `filter`
    /// accepts it; other topics get the `unmatched topic` error, as if no route existed.
    pub fn channel_filtered<P, F, C>(mut self, pattern: &str, filter: P, factory: F) -> Self
    where
        P: Fn(&str) -> bool + Send + Sync + 'static,
        F: Fn(&str) -> C + Send + Sync + 'static,
        C: Channel,
    {
        let factory: ChannelFactory =
            Arc::new(move |topic: &str| Box::new(factory(topic)) as Box<dyn Channel>);
        self.routes.push(Route {
            pattern: pattern.to_string(),
            filter: Some(Arc::new(filter)),
            factory,
        });
        self
    }

    /// Runs the handler's `connect`, catching panics (a panic refuses the connection).
    pub fn connect(&self, params: &Params, info: &ConnectInfo) -> ConnectResult {
        catch_unwind(AssertUnwindSafe(|| self.handler.connect(params, info))).unwrap_or_else(|_| {
            tracing::error!("connect panicked; refusing the connection");
            ConnectResult::Refuse
        })
    }

    fn route(&self, topic: &str) -> Option<&ChannelFactory> {
        self.routes.iter().find_map(|r| {
            let matches = match r.pattern.strip_suffix('*') {
                Some(prefix) => topic.starts_with(prefix),
                None => topic == r.pattern,
            } && r.filter.as_ref().is_none_or(|f| f(topic));
            matches.then_some(&r.factory)
        })
    }
}

struct Joined {
    channel: Box<dyn Channel>,
    socket: ChannelSocket,
}

/// Why a session ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Keep going.
    Continue,
    /// Close the connection with this code.
    Close(u16),
}

/// The channels of one connection.
pub(crate) struct Session {
    endpoint: Endpoint,
    socket: Arc<Socket>,
    conn: Arc<ConnHandle>,
    assigns: Assigns,
    socket_id: Option<String>,
    channels: HashMap<String, Joined>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("conn", &self.conn.id)
            .field("socket_id", &self.socket_id)
            .field("topics", &self.channels.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

fn unwind<R>(what: &str, topic: &str, f: impl FnOnce() -> R) -> Option<R> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => Some(r),
        Err(_) => {
            tracing::error!(topic, callback = what, "channel callback panicked");
            None
        }
    }
}

impl Session {
    pub(crate) fn new(
        endpoint: Endpoint,
        socket: Arc<Socket>,
        conn: Arc<ConnHandle>,
        assigns: Assigns,
        socket_id: Option<String>,
    ) -> Self {
        Session {
            endpoint,
            socket,
            conn,
            assigns,
            socket_id,
            channels: HashMap::new(),
        }
    }

    fn send(&self, msg: Outgoing) {
        match encode(self.conn.vsn, &msg) {
            Ok(frame) => {
                self.conn.send(Out::Frame(frame));
            }
            Err(e) => {
                // A binary reply to a v1 client: answer with a clear error instead.
                if let Outgoing::Reply {
                    join_ref,
                    msg_ref,
                    topic,
                    ..
                } = msg
                {
                    let fallback = Outgoing::Reply {
                        join_ref,
                        msg_ref,
                        topic,
                        status: "error".into(),
                        response: Payload::Json(json!({"reason": e.to_string()})),
                    };
                    if let Ok(frame) = encode(self.conn.vsn, &fallback) {
                        self.conn.send(Out::Frame(frame));
                    }
                } else {
                    tracing::warn!(error = %e, "message not delivered");
                }
            }
        }
    }

    fn reply(&self, join_ref: Option<String>, msg: &Incoming, reply: Reply) {
        self.send(Outgoing::Reply {
            join_ref,
            msg_ref: msg.msg_ref.clone(),
            topic: msg.topic.clone(),
            status: reply.status,
            response: reply.response,
        });
    }

    fn lifecycle(&self, topic: &str, join_ref: &Option<String>, event: &str) {
        // docs/protocol.md#server-observed: phx_close / phx_error reuse the join_ref as ref, payload {}.
        self.send(Outgoing::Push {
            join_ref: join_ref.clone(),
            msg_ref: join_ref.clone(),
            topic: topic.to_string(),
            event: event.to_string(),
            payload: Payload::empty(),
        });
    }

    /// Handles one decoded client message.
    pub(crate) fn handle_message(&mut self, msg: Incoming) -> Flow {
        if msg.topic == "phoenix" && msg.event == "heartbeat" {
            if self.endpoint.answers_heartbeats() {
                self.reply(msg.join_ref.clone(), &msg, Reply::ok(json!({})));
            }
            return Flow::Continue;
        }
        match msg.event.as_str() {
            "phx_join" => self.join(msg),
            "phx_leave" => self.leave(msg),
            _ => self.event(msg),
        }
        Flow::Continue
    }

    fn join(&mut self, msg: Incoming) {
        // v1 clients may leave join_ref out; their join ref is the message ref then.
        let join_ref = msg.join_ref.clone().or_else(|| msg.msg_ref.clone());
        let old = self.channels.remove(&msg.topic).map(|mut old| {
            tracing::debug!(topic = %msg.topic, "duplicate join, closing the previous channel");
            self.teardown(&mut old, Some(Terminate::Duplicate));
            old.socket.join_ref
        });
        let Some(factory) = self.socket.route(&msg.topic).cloned() else {
            self.reply(
                None,
                &msg,
                Reply::error(json!({"reason": "unmatched topic"})),
            );
            if let Some(old_ref) = old {
                self.lifecycle(&msg.topic, &old_ref, "phx_close");
            }
            return;
        };
        let sub_id = self.endpoint.next_id();
        let mut joined = Joined {
            channel: match unwind("factory", &msg.topic, || factory(&msg.topic)) {
                Some(c) => c,
                None => {
                    self.reply(
                        join_ref,
                        &msg,
                        Reply::error(json!({"reason": "join crashed"})),
                    );
                    return;
                }
            },
            socket: ChannelSocket {
                topic: msg.topic.clone(),
                join_ref: join_ref.clone(),
                sub_id,
                socket_id: self.socket_id.clone(),
                assigns: self.assigns.clone(),
                endpoint: self.endpoint.clone(),
                conn: Arc::clone(&self.conn),
                defer: true,
                deferred: Vec::new(),
                subscribed: false,
                intercepts: Arc::from(Vec::new()),
            },
        };
        let result = {
            let Joined { channel, socket } = &mut joined;
            unwind("join", &msg.topic, || {
                channel.join(&msg.topic, &msg.payload, socket)
            })
        };
        match result {
            Some(Ok(response)) => {
                let intercepts: Arc<[String]> =
                    unwind("intercepts", &msg.topic, || joined.channel.intercepts())
                        .unwrap_or_default()
                        .into();
                joined.socket.intercepts = Arc::clone(&intercepts);
                joined.socket.subscribed = true;
                self.endpoint.pubsub().subscribe(
                    &msg.topic,
                    sub_id,
                    Subscriber {
                        conn: Arc::clone(&self.conn),
                        intercepts,
                    },
                );
                self.reply(join_ref.clone(), &msg, Reply::ok(response));
                if let Some(old_ref) = old {
                    self.lifecycle(&msg.topic, &old_ref, "phx_close");
                }
                self.flush(&mut joined);
                joined.socket.defer = false;
                let ok = {
                    let Joined { channel, socket } = &mut joined;
                    unwind("after_join", &msg.topic, || channel.after_join(socket)).is_some()
                };
                if ok {
                    self.flush(&mut joined);
                    joined.socket.defer = true;
                    self.channels.insert(msg.topic.clone(), joined);
                    self.drain_self_intercepts(&msg.topic);
                } else {
                    self.crash(joined);
                }
            }
            Some(Err(response)) => {
                self.reply(join_ref, &msg, Reply::error(response));
                if let Some(old_ref) = old {
                    self.lifecycle(&msg.topic, &old_ref, "phx_close");
                }
            }
            None => {
                self.reply(
                    join_ref,
                    &msg,
                    Reply::error(json!({"reason": "join crashed"})),
                );
                if let Some(old_ref) = old {
                    self.lifecycle(&msg.topic, &old_ref, "phx_close");
                }
            }
        }
    }

    fn leave(&mut self, msg: Incoming) {
        let Some(mut joined) = self.channels.remove(&msg.topic) else {
            // A leave of a topic that is not joined is answered ok (docs/protocol.md#server-observed).
            self.reply(msg.join_ref.clone(), &msg, Reply::ok(json!({})));
            return;
        };
        let join_ref = joined.socket.join_ref.clone();
        self.teardown(&mut joined, Some(Terminate::Leave));
        self.reply(join_ref.clone(), &msg, Reply::ok(json!({})));
        self.lifecycle(&msg.topic, &join_ref, "phx_close");
    }

    fn event(&mut self, msg: Incoming) {
        let Some(mut joined) = self.channels.remove(&msg.topic) else {
            self.reply(
                None,
                &msg,
                Reply::error(json!({"reason": "unmatched topic"})),
            );
            return;
        };
        // Phoenix 1.7 accepts pushes with a stale join_ref and replies with the current one.
        let join_ref = joined.socket.join_ref.clone();
        let result = {
            let Joined { channel, socket } = &mut joined;
            let payload = msg.payload.clone();
            unwind("handle_in", &msg.topic, || {
                channel.handle_in(&msg.event, payload, socket)
            })
        };
        match result {
            Some(HandleIn::Reply(reply)) => {
                self.reply(join_ref, &msg, reply);
                self.flush(&mut joined);
                self.channels.insert(msg.topic.clone(), joined);
                self.drain_self_intercepts(&msg.topic);
            }
            Some(HandleIn::NoReply) => {
                self.flush(&mut joined);
                self.channels.insert(msg.topic.clone(), joined);
                self.drain_self_intercepts(&msg.topic);
            }
            Some(HandleIn::Stop(reply)) => {
                if let Some(reply) = reply {
                    self.reply(join_ref.clone(), &msg, reply);
                }
                self.flush(&mut joined);
                self.teardown(&mut joined, Some(Terminate::Stop));
                self.lifecycle(&msg.topic, &join_ref, "phx_close");
            }
            None => self.crash(joined),
        }
    }

    /// Sends what a callback queued; self-intercepts stay queued for `drain_self_intercepts`.
    fn flush(&self, joined: &mut Joined) {
        let items = std::mem::take(&mut joined.socket.deferred);
        for item in items {
            match item {
                Deferred::Out(out) => {
                    self.conn.send(out);
                }
                Deferred::SelfIntercept(b) => {
                    joined.socket.deferred.push(Deferred::SelfIntercept(b))
                }
            }
        }
    }

    /// Runs `handle_out` for broadcasts a channel made to itself of intercepted events.
    fn drain_self_intercepts(&mut self, topic: &str) {
        for _ in 0..64 {
            let Some(joined) = self.channels.get_mut(topic) else {
                return;
            };
            let items = std::mem::take(&mut joined.socket.deferred);
            if items.is_empty() {
                return;
            }
            let sub_id = joined.socket.sub_id;
            for item in items {
                if let Deferred::SelfIntercept(bcast) = item {
                    self.intercepted(sub_id, &bcast);
                }
            }
        }
    }

    /// A message from outside the connection's task.
    pub(crate) fn handle_control(&mut self, ctl: Control) -> Flow {
        match ctl {
            Control::Disconnect => Flow::Close(crate::error::close_code::NORMAL),
            Control::Info { topic, sub_id, msg } => {
                self.info(&topic, sub_id, msg);
                self.drain_self_intercepts(&topic);
                Flow::Continue
            }
            Control::Intercepted { sub_id, bcast } => {
                self.intercepted(sub_id, &bcast);
                let topic = bcast.topic.clone();
                self.drain_self_intercepts(&topic);
                Flow::Continue
            }
        }
    }

    fn intercepted(&mut self, sub_id: u64, bcast: &Arc<SharedBroadcast>) {
        let topic = bcast.topic.as_str();
        let Some(mut joined) = self.channels.remove(topic) else {
            return;
        };
        if joined.socket.sub_id != sub_id {
            // Meant for an instance that has since been replaced.
            self.channels.insert(topic.to_string(), joined);
            return;
        }
        let ok = {
            let Joined { channel, socket } = &mut joined;
            unwind("handle_out", topic, || {
                channel.handle_out(&bcast.event, &bcast.payload, socket)
            })
            .is_some()
        };
        if ok {
            self.flush(&mut joined);
            self.channels.insert(topic.to_string(), joined);
        } else {
            self.crash(joined);
        }
    }

    fn info(&mut self, topic: &str, sub_id: u64, msg: Value) {
        let Some(mut joined) = self.channels.remove(topic) else {
            return;
        };
        if joined.socket.sub_id != sub_id {
            self.channels.insert(topic.to_string(), joined);
            return;
        }
        joined.socket.defer = false;
        let ok = {
            let Joined { channel, socket } = &mut joined;
            unwind("handle_info", topic, || channel.handle_info(msg, socket)).is_some()
        };
        joined.socket.defer = true;
        if ok {
            self.flush(&mut joined);
            self.channels.insert(topic.to_string(), joined);
        } else {
            self.crash(joined);
        }
    }

    /// A callback panicked: `phx_error` for this channel only, presences leave.
    fn crash(&mut self, mut joined: Joined) {
        joined.socket.deferred.clear();
        self.teardown(&mut joined, None);
        let topic = joined.socket.topic.clone();
        self.lifecycle(&topic, &joined.socket.join_ref, "phx_error");
    }

    /// Unsubscribes, drops presences, and calls `terminate` (unless the channel crashed).
    fn teardown(&self, joined: &mut Joined, reason: Option<Terminate>) {
        let topic = joined.socket.topic.clone();
        self.endpoint
            .pubsub()
            .unsubscribe(&topic, joined.socket.sub_id);
        joined.socket.subscribed = false;
        if let Some(reason) = reason {
            joined.socket.defer = false;
            let Joined { channel, socket } = joined;
            unwind("terminate", &topic, || channel.terminate(reason, socket));
            joined.socket.deferred.clear();
        }
        self.endpoint
            .presence()
            .untrack_sub(&topic, joined.socket.sub_id);
    }

    /// The connection ended: terminate every channel.
    pub(crate) fn close(&mut self) {
        let channels: Vec<_> = self.channels.drain().collect();
        for (_, mut joined) in channels {
            self.teardown(&mut joined, Some(Terminate::Closed));
        }
    }
}
