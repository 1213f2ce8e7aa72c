//! The interface between the core state machines and the world around them.
//!
//! The core never touches JavaScript, sockets or clocks. Everything it needs from outside — the
//! time, timers, user callbacks, transports, payload objects — goes through a [`Host`]. The wasm
//! shell implements it over `JsValue`s; the native tests implement it with a virtual clock and a
//! scripted transport.
//!
//! Why calls and not a queue of actions: phoenix.js runs user callbacks synchronously in the
//! middle of its state transitions, and those callbacks re-enter the socket (`leave()` inside a
//! receive hook, `connect()` inside `onClose`). A returned action list would run them after the
//! transition instead of inside it. So the core makes each call at the exact point phoenix.js
//! does, holding no `RefCell` borrow, and an `Err` (a JavaScript exception) skips the rest of the
//! transition exactly as an uncaught exception does in phoenix.js (docs/protocol.md#b23).
use std::rc::Rc;

use super::channel::Channel;
use super::push::Push;
use super::socket::{Connection, Fallback, Teardown};
use super::RefVal;

/// A deferred piece of work that phoenix.js would run from `setTimeout`.
pub enum Task<H: Host> {
    /// `socket.reconnectTimer` fired.
    Reconnect,
    /// Time to send the next heartbeat (`socket.heartbeatTimer`).
    Heartbeat,
    /// The pending heartbeat got no reply in time (`socket.heartbeatTimeoutTimer`).
    HeartbeatTimeout,
    /// A channel's `rejoinTimer` fired.
    Rejoin(Rc<Channel<H>>),
    /// A push's reply deadline passed.
    PushTimeout(Rc<Push<H>>),
    /// Teardown step 2: poll `bufferedAmount` again (`waitForBufferDone`).
    BufferWait(Rc<Teardown<H>>),
    /// Teardown step 4: poll `readyState` again (`waitForSocketClosed`).
    ClosedWait(Rc<Teardown<H>>),
    /// `longPollFallbackMs` passed without a healthy primary transport.
    Fallback(Rc<Fallback<H>>),
}

impl<H: Host> Clone for Task<H> {
    fn clone(&self) -> Self {
        match self {
            Task::Reconnect => Task::Reconnect,
            Task::Heartbeat => Task::Heartbeat,
            Task::HeartbeatTimeout => Task::HeartbeatTimeout,
            Task::Rejoin(c) => Task::Rejoin(c.clone()),
            Task::PushTimeout(p) => Task::PushTimeout(p.clone()),
            Task::BufferWait(t) => Task::BufferWait(t.clone()),
            Task::ClosedWait(t) => Task::ClosedWait(t.clone()),
            Task::Fallback(f) => Task::Fallback(f.clone()),
        }
    }
}

/// Data handed to the logger (`logger(kind, msg, data)`).
pub enum LogData<'a, P> {
    /// `undefined`
    None,
    /// A payload, event or error object, by identity.
    Value(&'a P),
    /// A number (timeouts, round-trip times).
    Number(f64),
    /// `{topic, event, payload, joinRef}` of a message dropped as outdated.
    Outdated {
        /// The message's topic.
        topic: &'a str,
        /// The message's event.
        event: &'a str,
        /// The message's payload.
        payload: &'a P,
        /// The message's join_ref.
        join_ref: &'a RefVal,
    },
}

/// A value that phoenix.js wraps with `closure()`: used as is, or called for a fresh value.
pub enum Param<H: Host> {
    /// A value used as is.
    Value(H::Payload),
    /// A function called for a fresh value each time.
    Func(H::Callback),
}

impl<H: Host> Clone for Param<H> {
    fn clone(&self) -> Self {
        match self {
            Param::Value(v) => Param::Value(v.clone()),
            Param::Func(f) => Param::Func(f.clone()),
        }
    }
}

/// An outgoing message, `{topic, event, payload, ref, join_ref}`.
pub struct Outgoing<P> {
    /// `topic`.
    pub topic: String,
    /// `event`.
    pub event: String,
    /// `payload`.
    pub payload: P,
    /// `ref`.
    pub ref_: RefVal,
    /// `join_ref`.
    pub join_ref: RefVal,
    /// The caller's own message object, for a raw `socket.push(data)`: phoenix.js hands that
    /// very object to a custom encoder.
    pub raw: Option<P>,
}

impl<P: Clone> Clone for Outgoing<P> {
    fn clone(&self) -> Self {
        Outgoing {
            topic: self.topic.clone(),
            event: self.event.clone(),
            payload: self.payload.clone(),
            ref_: self.ref_.clone(),
            join_ref: self.join_ref.clone(),
            raw: self.raw.clone(),
        }
    }
}

/// A decoded incoming message.
pub struct Incoming<P> {
    /// `join_ref`.
    pub join_ref: RefVal,
    /// `ref`.
    pub ref_: RefVal,
    /// `topic`.
    pub topic: String,
    /// `event`.
    pub event: String,
    /// `payload`.
    pub payload: P,
    /// The object the decoder produced, handed to `socket.onMessage` callbacks by identity.
    /// `None` when the host decoded the frame itself and builds that object only if a
    /// callback wants it ([`Host::message_object`]).
    pub raw: Option<P>,
}

/// What to do with an encoded frame (the rest of `socket.send` after `encode` calls back).
pub struct SendCont<H: Host> {
    pub(crate) connection: Rc<Connection<H>>,
    pub(crate) channel: Option<Rc<Channel<H>>>,
    pub(crate) event: String,
    pub(crate) join_ref: RefVal,
}

/// What to do with a decoded message (the rest of `socket.onConnMessage`).
pub struct DecodeCont<H: Host> {
    pub(crate) connection: Option<Rc<Connection<H>>>,
    pub(crate) was_open: bool,
}

/// Everything the core needs from its environment. See the module docs.
///
/// Methods returning `Result` may run user code, and `Err` is an exception thrown by it.
pub trait Host: Sized + 'static {
    /// A JSON-like payload (a `JsValue` in the shell), passed around by identity.
    type Payload: Clone;
    /// A user function.
    type Callback: Clone;
    /// A transport instance (a WebSocket, LongPoll or user object).
    type Transport: Clone;
    /// A transport class (constructor).
    type TransportClass: Clone + PartialEq;
    /// An encoded frame (a string or an `ArrayBuffer`).
    type Frame;
    /// An exception.
    type Error;
    /// A handle to cancel a timer.
    type TimerId: Clone;

    // Time and timers.
    /// `Date.now()`, in milliseconds.
    fn now(&self) -> f64;
    /// A random number in `[0, 1)` (`Math.random()`), for `reconnectJitter`. Called only when a
    /// jitter is set, so a socket without one draws nothing.
    fn random(&self) -> f64;
    /// `setTimeout`: when it fires, the host calls `Socket::handle_timer` with `task`.
    fn set_timeout(&self, task: Task<Self>, delay: f64) -> Self::TimerId;
    /// `clearTimeout`.
    fn clear_timeout(&self, id: &Self::TimerId);

    // User code.
    /// `cb()`.
    fn call_void(&self, cb: &Self::Callback) -> Result<(), Self::Error>;
    /// `cb(arg)`.
    fn call_with(&self, cb: &Self::Callback, arg: &Self::Payload) -> Result<(), Self::Error>;
    /// `cb(n)`.
    fn call_number(&self, cb: &Self::Callback, n: f64) -> Result<(), Self::Error>;
    /// A channel binding: `cb(payload, ref, joinRef)`.
    fn call_binding(
        &self,
        cb: &Self::Callback,
        payload: &Self::Payload,
        ref_: &RefVal,
        join_ref: &RefVal,
    ) -> Result<(), Self::Error>;
    /// A socket `onError` callback: `cb(error, transport, establishedConnections)`.
    fn call_on_error(
        &self,
        cb: &Self::Callback,
        error: &Self::Payload,
        transport: &Self::TransportClass,
        established: u32,
    ) -> Result<(), Self::Error>;
    /// `reconnectAfterMs(tries)` / `rejoinAfterMs(tries)` supplied by the user.
    fn call_backoff(&self, cb: &Self::Callback, tries: u32) -> Result<f64, Self::Error>;
    /// A channel's overridden `onMessage(event, payload, ref, joinRef)` hook, called as a method
    /// of that channel (`this` is the channel's object).
    fn call_hook(
        &self,
        channel: &Rc<Channel<Self>>,
        cb: &Self::Callback,
        event: Option<&str>,
        payload: &Self::Payload,
        ref_: &RefVal,
        join_ref: &RefVal,
    ) -> Result<Self::Payload, Self::Error>;
    /// `logger(kind, msg, data)`.
    fn call_logger(
        &self,
        logger: &Self::Callback,
        kind: &str,
        msg: Option<&str>,
        data: LogData<'_, Self::Payload>,
    ) -> Result<(), Self::Error>;
    /// Evaluates a `closure()`-wrapped value.
    fn eval(&self, param: &Param<Self>) -> Result<Self::Payload, Self::Error> {
        match param {
            Param::Value(v) => Ok(v.clone()),
            Param::Func(f) => self.call_value(f),
        }
    }
    /// Calls a `closure()`-wrapped function for its value.
    fn call_value(&self, cb: &Self::Callback) -> Result<Self::Payload, Self::Error>;

    // Payloads.
    /// JavaScript truthiness.
    fn truthy(&self, p: &Self::Payload) -> bool;
    /// A fresh `{}`.
    fn empty_object(&self) -> Self::Payload;
    /// A JS string value.
    fn string_payload(&self, s: &str) -> Self::Payload;
    /// `{status, response}`.
    fn reply_payload(&self, status: &str, response: Self::Payload) -> Self::Payload;
    /// Destructures `{status, response}` (throws on `null`/`undefined` like JS destructuring).
    fn reply_parts(
        &self,
        p: &Self::Payload,
    ) -> Result<(Option<String>, Self::Payload), Self::Error>;
    /// `${payload.status || ""}` for the receive log line (throws on `null`/`undefined`).
    fn log_status(&self, p: &Self::Payload) -> Result<String, Self::Error>;
    /// `{join_ref, ref, topic, event, payload}` for a message decoded without one.
    /// Hosts that leave [`Incoming::raw`] empty must override this.
    fn message_object(&self, msg: &Incoming<Self::Payload>) -> Self::Payload {
        msg.payload.clone()
    }
    /// `{source: "transport", reason}`.
    fn transport_error_payload(&self, reason: &str) -> Self::Payload;
    /// `String(p)`.
    fn to_js_string(&self, p: &Self::Payload) -> String;
    /// A JavaScript `Error` with this message.
    fn make_error(&self, msg: &str) -> Self::Error;

    // URL building.
    /// `Ajax.appendParams(url, params)`.
    fn append_params(&self, url: &str, params: &Self::Payload) -> Result<String, Self::Error>;
    /// `location.protocol` and `location.host` (throws when there is no `location`).
    fn location(&self) -> Result<(String, String), Self::Error>;
    /// `btoa(s)` (throws on characters above U+00FF).
    fn btoa(&self, s: &str) -> Result<String, Self::Error>;

    // Transports.
    /// `new transport(url, protocols)`, then `binaryType` and `timeout` set on the instance.
    fn open_transport(
        &self,
        class: &Self::TransportClass,
        url: &str,
        protocols: Option<&str>,
        binary_type: &Self::Payload,
        timeout: f64,
    ) -> Result<Self::Transport, Self::Error>;
    /// Sets `onopen/onerror/onmessage/onclose` so that they reach this connection.
    fn attach(&self, connection: &Rc<Connection<Self>>);
    /// `transport.readyState`.
    fn ready_state(&self, t: &Self::Transport) -> u16;
    /// `transport.bufferedAmount` is non-zero.
    fn has_buffered_amount(&self, t: &Self::Transport) -> bool;
    /// `transport.skipHeartbeat` is truthy (LongPoll).
    fn skip_heartbeat(&self, t: &Self::Transport) -> bool;
    /// Replaces `onerror` with a no-op, then `close(code, reason)` or `close()`.
    fn close_transport(
        &self,
        t: &Self::Transport,
        code: Option<f64>,
        reason: &str,
    ) -> Result<(), Self::Error>;
    /// `transport.send(frame)`.
    fn send_frame(&self, t: &Self::Transport, frame: &Self::Frame) -> Result<(), Self::Error>;
    /// The size of an outgoing frame for `socket.stats()`: `byteLength` of binary frames,
    /// `length` of text frames.
    fn out_frame_size(&self, frame: &Self::Frame) -> f64;
    /// The size of an incoming frame (`event.data`), as [`Host::out_frame_size`].
    fn frame_size(&self, data: &Self::Payload) -> f64;
    /// The transport class's name (`"WebSocket"`, `"LongPoll"`).
    fn transport_name(&self, class: &Self::TransportClass) -> String;
    /// Encodes `msg` and then calls `Socket::finish_send(k, frame)`, now or later.
    fn encode(&self, msg: Outgoing<Self::Payload>, k: SendCont<Self>) -> Result<(), Self::Error>;
    /// Decodes `raw` and then calls `Socket::finish_receive(k, msg)`, now or later.
    fn decode(&self, raw: &Self::Payload, k: DecodeCont<Self>) -> Result<(), Self::Error>;

    /// `sessionStore.getItem(key)` (fallback memory); `None` without a store.
    fn get_session(&self, _key: &str) -> Result<Option<String>, Self::Error> {
        Ok(None)
    }
    /// `sessionStore.setItem(key, value)`.
    fn store_session(&self, _key: &str, _value: &str) -> Result<(), Self::Error> {
        Ok(())
    }

    // Page and bookkeeping.
    /// `document.visibilityState === "hidden"`.
    fn page_hidden(&self) -> bool;
    /// The channel left `socket.channels` (which phoenix.js replaces with a new array).
    fn channel_removed(&self, channel: &Rc<Channel<Self>>);
}
