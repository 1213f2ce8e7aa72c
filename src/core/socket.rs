//! phoenix.js `socket.js` and `connection.js`: connections, heartbeats, reconnects, the send
//! buffer, and message dispatch to channels.
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use super::channel::{Channel, ChannelState};
use super::constants::{event, ready_state, AUTH_TOKEN_PREFIX, WS_CLOSE_NORMAL};
use super::host::{DecodeCont, Host, Incoming, LogData, Outgoing, Param, SendCont, Task};
use super::timer::{default_reconnect_after_ms, jittered, normalize_jitter, Backoff};
use super::RefVal;

/// Which `stateChangeCallbacks` list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallbackKind {
    /// `onOpen`.
    Open,
    /// `onClose`.
    Close,
    /// `onError`.
    Error,
    /// `onMessage`.
    Message,
}

/// A socket state-change callback: the user's, or a channel's internal one.
pub enum SockCb<H: Host> {
    /// A callback the user registered.
    User(H::Callback),
    /// A channel's `socket.onError(() => rejoinTimer.reset())`.
    ChannelError(Rc<Channel<H>>),
    /// A channel's `socket.onOpen(...)`: reset the rejoin timer, rejoin if errored.
    ChannelOpen(Rc<Channel<H>>),
    /// `connectWithFallback`'s error callback.
    FallbackError(Rc<Fallback<H>>),
    /// `connectWithFallback`'s open callback.
    FallbackOpen(Rc<Fallback<H>>),
}

impl<H: Host> Clone for SockCb<H> {
    fn clone(&self) -> Self {
        match self {
            SockCb::User(cb) => SockCb::User(cb.clone()),
            SockCb::ChannelError(c) => SockCb::ChannelError(c.clone()),
            SockCb::ChannelOpen(c) => SockCb::ChannelOpen(c.clone()),
            SockCb::FallbackError(f) => SockCb::FallbackError(f.clone()),
            SockCb::FallbackOpen(f) => SockCb::FallbackOpen(f.clone()),
        }
    }
}

type CbList<H> = Rc<Vec<(String, SockCb<H>)>>;

/// `stateChangeCallbacks`. Each list is replaced, never mutated in place, while it may be
/// iterated, so dispatch iterates a cheap snapshot as phoenix.js does.
pub struct StateChangeCallbacks<H: Host> {
    /// `onOpen` callbacks, with their refs.
    pub open: CbList<H>,
    /// `onClose` callbacks.
    pub close: CbList<H>,
    /// `onError` callbacks.
    pub error: CbList<H>,
    /// `onMessage` callbacks.
    pub message: CbList<H>,
}

impl<H: Host> StateChangeCallbacks<H> {
    fn list_mut(&mut self, kind: CallbackKind) -> &mut CbList<H> {
        match kind {
            CallbackKind::Open => &mut self.open,
            CallbackKind::Close => &mut self.close,
            CallbackKind::Error => &mut self.error,
            CallbackKind::Message => &mut self.message,
        }
    }
}

/// One transport instance and what belongs to it (`connection.js`).
pub struct Connection<H: Host> {
    /// The transport instance.
    pub transport: H::Transport,
    /// Set when we closed it (as opposed to the server or the network).
    pub closing: Cell<bool>,
    /// Set when the socket no longer wants it, so `connect()` builds a new one.
    pub ended: Cell<bool>,
    /// Its channels were already errored (they are errored once per connection).
    pub channels_errored: Cell<bool>,
    /// Its close was already handled (a later close event is ignored).
    pub close_handled: Cell<bool>,
    /// The join ref of each channel whose join was sent over this connection.
    pub joins: RefCell<Vec<(Weak<Channel<H>>, RefVal)>>,
    /// `ping()` callbacks by ref, with their start time.
    pub pings: RefCell<Vec<(String, PingCb<H>, f64)>>,
}

impl<H: Host> Connection<H> {
    fn is_open(&self, host: &H) -> bool {
        host.ready_state(&self.transport) == ready_state::OPEN
    }

    fn is_connecting(&self, host: &H) -> bool {
        host.ready_state(&self.transport) == ready_state::CONNECTING
    }

    fn carried(&self, channel: &Rc<Channel<H>>, join_ref: &RefVal) -> bool {
        self.joins
            .borrow()
            .iter()
            .any(|(c, r)| c.as_ptr() == Rc::as_ptr(channel) && r == join_ref)
    }

    fn set_join(&self, channel: &Rc<Channel<H>>, join_ref: RefVal) {
        let mut joins = self.joins.borrow_mut();
        joins.retain(|(c, _)| c.strong_count() > 0 && c.as_ptr() != Rc::as_ptr(channel));
        joins.push((Rc::downgrade(channel), join_ref));
    }

    fn close(&self, host: &H, code: Option<f64>, reason: &str) -> Result<(), H::Error> {
        self.closing.set(true);
        host.close_transport(
            &self.transport,
            code.filter(|c| *c != 0.0 && !c.is_nan()),
            reason,
        )
    }
}

/// Who waits for a ping's reply.
pub enum PingCb<H: Host> {
    /// `socket.ping(callback)`: `callback(rtt)`.
    User(H::Callback),
    /// The fallback's health check of the primary transport.
    Fallback(Rc<Fallback<H>>),
}

/// One `connectWithFallback` attempt (docs/protocol.md#longpoll-fallback): the closure state phoenix.js keeps.
pub struct Fallback<H: Host> {
    class: H::TransportClass,
    threshold: f64,
    established: Cell<bool>,
    primary: Cell<bool>,
    connect_clock: Cell<Option<u64>>,
    error_ref: RefCell<Option<String>>,
}

/// What runs once a teardown finished.
pub enum AfterTeardown<H: Host> {
    /// Nothing more.
    Nothing,
    /// `disconnect(callback)`.
    User(H::Callback),
    /// `teardownAndReconnect`: only if nothing connected or disconnected meanwhile.
    Reconnect {
        /// The connection torn down.
        connection: Option<Rc<Connection<H>>>,
        /// The socket's `connect_clock` when the teardown began.
        clock: u64,
        /// What reconnects afterwards.
        then: Reconnect,
    },
}

/// How `teardownAndReconnect` reconnects.
#[derive(Clone, Copy, Debug)]
pub enum Reconnect {
    /// The reconnect timer: `connect()`.
    Connect,
    /// A heartbeat timeout: `reconnectTimer.scheduleTimeout()`.
    Schedule,
    /// The page became visible: `connect()` and remember the connection.
    Visibility,
}

/// A teardown in progress (`teardown`, `waitForBufferDone`, `waitForSocketClosed`).
pub struct Teardown<H: Host> {
    connection: Rc<Connection<H>>,
    code: Option<f64>,
    reason: String,
    after: RefCell<Option<AfterTeardown<H>>>,
    tries: Cell<u32>,
}

/// A message waiting in `sendBuffer` for the connection to open.
pub struct Buffered<H: Host> {
    /// The message.
    pub msg: Outgoing<H::Payload>,
    /// The channel it belongs to, for the outdated check at flush.
    pub channel: Option<Rc<Channel<H>>>,
}

impl<H: Host> Clone for Buffered<H> {
    fn clone(&self) -> Self {
        Buffered {
            msg: self.msg.clone(),
            channel: self.channel.clone(),
        }
    }
}

/// What `socket.stats()` reports (a phoenix-wasm extension): see [`SocketInner::stats`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    /// Round trip of the last answered heartbeat, in ms; `None` before the first.
    pub rtt_ms: Option<f64>,
    /// Connections opened after the first one.
    pub reconnects: u32,
    /// Frames received on the socket's current connections.
    pub messages_in: f64,
    /// Frames handed to the transport.
    pub messages_out: f64,
    /// Sizes of those frames: `byteLength` of binary frames, `length` of text frames.
    pub bytes_in: f64,
    /// See `bytes_in`.
    pub bytes_out: f64,
    /// When the current connection opened (host clock, epoch ms); `None` when not connected.
    pub opened_at: Option<f64>,
    /// Whether the current transport is LongPoll.
    pub long_poll: bool,
}

/// The running counters behind [`Stats`].
pub struct Counters<H: Host> {
    rtt_ms: Option<f64>,
    opens: u32,
    messages_in: f64,
    messages_out: f64,
    bytes_in: f64,
    bytes_out: f64,
    heartbeat_sent_at: f64,
    /// The connection that opened last, and when.
    opened: Option<(Weak<Connection<H>>, f64)>,
}

impl<H: Host> Default for Counters<H> {
    fn default() -> Self {
        Counters {
            rtt_ms: None,
            opens: 0,
            messages_in: 0.0,
            messages_out: 0.0,
            bytes_in: 0.0,
            bytes_out: 0.0,
            heartbeat_sent_at: 0.0,
            opened: None,
        }
    }
}

/// Resolved socket options and state (`Socket`'s fields).
pub struct SocketState<H: Host> {
    /// `socket.channels`, replaced (never mutated) on change.
    pub channels: Rc<Vec<Rc<Channel<H>>>>,
    /// `channels` grouped by topic, each group in `channels` order: an inbound message visits
    /// only the channels of its topic instead of every channel (phoenix.js scans them all, which
    /// is the same result: `isMember` rejects every other topic before any side effect).
    pub by_topic: HashMap<String, Rc<Vec<Rc<Channel<H>>>>>,
    /// `socket.sendBuffer` (docs/protocol.md#buffering).
    pub send_buffer: Vec<Buffered<H>>,
    /// `socket.ref`, the counter behind `makeRef()` (docs/protocol.md#refs).
    pub ref_: f64,
    /// `socket.stateChangeCallbacks`.
    pub callbacks: StateChangeCallbacks<H>,
    /// `socket.timeout`.
    pub timeout: f64,
    /// `socket.heartbeatIntervalMs`.
    pub heartbeat_interval_ms: f64,
    /// `opts.reconnectAfterMs`, when given.
    pub reconnect_after_ms: Option<H::Callback>,
    /// `opts.rejoinAfterMs`, when given.
    pub rejoin_after_ms: Option<H::Callback>,
    /// `reconnectJitter` (phoenix-wasm extension), in `[0, 1]`; `0` = phoenix.js's delays.
    pub reconnect_jitter: f64,
    /// `opts.logger`, when given.
    pub logger: Option<H::Callback>,
    /// `logger !== null`: a logger set to `undefined` or `false` by hand still counts.
    pub has_logger: bool,
    /// `socket.longpollerTimeout`.
    pub longpoller_timeout: f64,
    /// `socket.params`.
    pub params: Param<H>,
    /// `socket.endPoint` (with `/websocket`).
    pub end_point: String,
    /// `socket.vsn`.
    pub vsn: String,
    /// `socket.binaryType`.
    pub binary_type: H::Payload,
    /// `socket.authToken`.
    pub auth_token: Option<Param<H>>,
    /// `socket.transport`: the transport class.
    pub transport: H::TransportClass,
    /// `socket.conn`: the current connection.
    pub connection: Option<Rc<Connection<H>>>,
    /// `socket.closeWasClean`: the last close was asked for (no reconnect).
    pub close_was_clean: bool,
    /// `socket.establishedConnections`: opens so far.
    pub established_connections: u32,
    /// Counts connects and disconnects, so delayed work can tell whether one happened meanwhile.
    pub connect_clock: u64,
    /// `socket.reconnectTimer` (backoff `reconnectAfterMs`).
    pub reconnect_timer: Backoff<H::TimerId>,
    /// The next heartbeat.
    pub heartbeat_timer: Option<H::TimerId>,
    /// The pending heartbeat's reply deadline.
    pub heartbeat_timeout_timer: Option<H::TimerId>,
    /// `socket.pendingHeartbeatRef`.
    pub pending_heartbeat_ref: Option<String>,
    /// The connection a visibility change started.
    pub visibility_connection: Option<Rc<Connection<H>>>,
    /// `pagehide` happened at this `connect_clock`; `pageshow` reconnects if nothing changed since.
    pub awaiting_page_show: Option<u64>,
    /// The `LongPoll` class, when the host has one (`transport !== LongPoll` checks).
    pub long_poll: Option<H::TransportClass>,
    /// `longPollFallbackMs`.
    pub long_poll_fallback_ms: Option<f64>,
    /// `socket.primaryPassedHealthCheck` (docs/protocol.md#longpoll-fallback).
    pub primary_passed_health_check: bool,
    /// The fallback timer.
    pub fallback_timer: Option<H::TimerId>,
    /// Ref of the fallback's `onOpen` callback.
    pub fallback_ref: Option<String>,
    /// Ref of the fallback's `onError` callback.
    pub fallback_error_ref: Option<String>,
    /// For `socket.stats()`.
    pub counters: Counters<H>,
}

/// Options for [`SocketInner::new`], already defaulted as phoenix.js's constructor does.
pub struct Options<H: Host> {
    /// `opts.timeout`.
    pub timeout: f64,
    /// `opts.heartbeatIntervalMs`.
    pub heartbeat_interval_ms: f64,
    /// `opts.reconnectAfterMs`.
    pub reconnect_after_ms: Option<H::Callback>,
    /// `opts.rejoinAfterMs`.
    pub rejoin_after_ms: Option<H::Callback>,
    /// `reconnectJitter` as given (normalized by [`SocketInner::new`]).
    pub reconnect_jitter: f64,
    /// `opts.logger`.
    pub logger: Option<H::Callback>,
    /// `opts.longpollerTimeout`.
    pub longpoller_timeout: f64,
    /// `opts.params`.
    pub params: Param<H>,
    /// `opts.vsn`.
    pub vsn: String,
    /// `opts.binaryType`.
    pub binary_type: H::Payload,
    /// `opts.authToken`.
    pub auth_token: Option<Param<H>>,
    /// `opts.transport`.
    pub transport: H::TransportClass,
}

/// The socket. Always used behind an `Rc` (see [`Socket`]).
pub struct SocketInner<H: Host> {
    /// The host: JavaScript, or a test double.
    pub host: H,
    /// Mutable state.
    pub st: RefCell<SocketState<H>>,
}

/// A handle to a socket.
pub type Socket<H> = Rc<SocketInner<H>>;

impl<H: Host> SocketInner<H> {
    /// `new Socket(endPoint, opts)` minus the JS-only parts (the shell adds the page listeners).
    pub fn new(host: H, end_point: &str, opts: Options<H>) -> Rc<Self> {
        Rc::new(SocketInner {
            host,
            st: RefCell::new(SocketState {
                channels: Rc::new(Vec::new()),
                by_topic: HashMap::new(),
                send_buffer: Vec::new(),
                ref_: 0.0,
                callbacks: StateChangeCallbacks {
                    open: Rc::default(),
                    close: Rc::default(),
                    error: Rc::default(),
                    message: Rc::default(),
                },
                timeout: opts.timeout,
                heartbeat_interval_ms: opts.heartbeat_interval_ms,
                reconnect_after_ms: opts.reconnect_after_ms,
                rejoin_after_ms: opts.rejoin_after_ms,
                reconnect_jitter: normalize_jitter(opts.reconnect_jitter),
                has_logger: opts.logger.is_some(),
                logger: opts.logger,
                longpoller_timeout: opts.longpoller_timeout,
                params: opts.params,
                end_point: format!("{end_point}/websocket"),
                vsn: opts.vsn,
                binary_type: opts.binary_type,
                auth_token: opts.auth_token,
                transport: opts.transport,
                connection: None,
                close_was_clean: true,
                established_connections: 0,
                connect_clock: 1,
                reconnect_timer: Backoff::default(),
                heartbeat_timer: None,
                heartbeat_timeout_timer: None,
                pending_heartbeat_ref: None,
                counters: Counters::default(),
                visibility_connection: None,
                awaiting_page_show: None,
                long_poll: None,
                long_poll_fallback_ms: None,
                primary_passed_health_check: false,
                fallback_timer: None,
                fallback_ref: None,
                fallback_error_ref: None,
            }),
        })
    }

    // ---- logging -------------------------------------------------------------------------

    /// `hasLogger()`.
    pub fn has_logger(&self) -> bool {
        self.st.borrow().has_logger
    }

    /// Logs only when a logger is set; `msg` is built only then (phoenix.js `hasLogger()`).
    pub fn log_with(
        &self,
        kind: &str,
        msg: impl FnOnce() -> String,
        data: LogData<'_, H::Payload>,
    ) -> Result<(), H::Error> {
        let (present, logger) = {
            let st = self.st.borrow();
            (st.has_logger, st.logger.clone())
        };
        if !present {
            return Ok(());
        }
        let msg = msg();
        match logger {
            Some(l) => self.host.call_logger(&l, kind, Some(&msg), data),
            None => Ok(()),
        }
    }

    // ---- refs and callbacks --------------------------------------------------------------

    /// `makeRef()`: the shared counter, wrapping where a JS number stops counting (2^53).
    pub fn make_ref(&self) -> String {
        let mut st = self.st.borrow_mut();
        let next = st.ref_ + 1.0;
        st.ref_ = if next == st.ref_ { 0.0 } else { next };
        format_number(st.ref_)
    }

    fn register(&self, kind: CallbackKind, cb: SockCb<H>) -> String {
        let r = self.make_ref();
        let mut st = self.st.borrow_mut();
        Rc::make_mut_vec(st.callbacks.list_mut(kind)).push((r.clone(), cb));
        r
    }

    /// `onOpen(cb)`: returns the callback's ref.
    pub fn on_open(&self, cb: SockCb<H>) -> String {
        self.register(CallbackKind::Open, cb)
    }
    /// `onClose(cb)`: returns the callback's ref.
    pub fn on_close(&self, cb: SockCb<H>) -> String {
        self.register(CallbackKind::Close, cb)
    }
    /// `onError(cb)`: returns the callback's ref.
    pub fn on_error(&self, cb: SockCb<H>) -> String {
        self.register(CallbackKind::Error, cb)
    }
    /// `onMessage(cb)`: returns the callback's ref.
    pub fn on_message(&self, cb: SockCb<H>) -> String {
        self.register(CallbackKind::Message, cb)
    }

    /// `off(refs)`: drops every callback whose ref `is_listed` (phoenix.js uses
    /// `refs.indexOf(ref)`, so the host decides what "listed" means, quirks included).
    pub fn off(
        &self,
        mut is_listed: impl FnMut(&str) -> Result<bool, H::Error>,
    ) -> Result<(), H::Error> {
        for kind in [
            CallbackKind::Open,
            CallbackKind::Close,
            CallbackKind::Error,
            CallbackKind::Message,
        ] {
            let list = self.st.borrow_mut().callbacks.list_mut(kind).clone();
            let mut kept = Vec::with_capacity(list.len());
            for entry in list.iter() {
                if !is_listed(&entry.0)? {
                    kept.push(entry.clone());
                }
            }
            *self.st.borrow_mut().callbacks.list_mut(kind) = Rc::new(kept);
        }
        Ok(())
    }

    fn off_refs(&self, refs: &[String]) {
        let _ = self.off(|r| Ok::<bool, H::Error>(refs.iter().any(|x| x == r)));
    }

    // ---- channels ------------------------------------------------------------------------

    /// `channel(topic, params)`: creates a channel and appends it to `channels`.
    pub fn channel(
        self: &Rc<Self>,
        topic: &str,
        params: Param<H>,
    ) -> Result<Rc<Channel<H>>, H::Error> {
        let ch = Channel::new(self, topic, params)?;
        let mut st = self.st.borrow_mut();
        Rc::make_mut_vec(&mut st.channels).push(ch.clone());
        Rc::make_mut_vec(st.by_topic.entry(topic.to_owned()).or_default()).push(ch.clone());
        drop(st);
        Ok(ch)
    }

    /// `remove(channel)`.
    pub fn remove(&self, channel: &Rc<Channel<H>>) {
        let refs = channel.st.borrow().state_change_refs.clone();
        self.off_refs(&refs);
        {
            let mut st = self.st.borrow_mut();
            let kept: Vec<_> = st
                .channels
                .iter()
                .filter(|c| !Rc::ptr_eq(c, channel))
                .cloned()
                .collect();
            st.channels = Rc::new(kept);
            let topic = channel.st.borrow().topic.clone();
            if let Some(group) = st.by_topic.get_mut(&topic) {
                let kept: Vec<_> = group
                    .iter()
                    .filter(|c| !Rc::ptr_eq(c, channel))
                    .cloned()
                    .collect();
                if kept.is_empty() {
                    st.by_topic.remove(&topic);
                } else {
                    *group = Rc::new(kept);
                }
            }
        }
        self.host.channel_removed(channel);
    }

    /// `socket.channels`.
    pub fn channels(&self) -> Rc<Vec<Rc<Channel<H>>>> {
        self.st.borrow().channels.clone()
    }

    /// `socket.stats()` (a phoenix-wasm extension): a snapshot of the counters.
    pub fn stats(&self) -> Stats {
        let current = self.connection();
        let st = self.st.borrow();
        let c = &st.counters;
        let opened_at = match (&c.opened, &current) {
            (Some((w, at)), Some(cur))
                if w.upgrade().is_some_and(|o| Rc::ptr_eq(&o, cur)) && cur.is_open(&self.host) =>
            {
                Some(*at)
            }
            _ => None,
        };
        Stats {
            rtt_ms: c.rtt_ms,
            reconnects: c.opens.saturating_sub(1),
            messages_in: c.messages_in,
            messages_out: c.messages_out,
            bytes_in: c.bytes_in,
            bytes_out: c.bytes_out,
            opened_at,
            long_poll: st.long_poll.as_ref().is_some_and(|lp| *lp == st.transport),
        }
    }

    /// The channels of one topic, in `channels` order (a snapshot).
    pub fn channels_of(&self, topic: &str) -> Option<Rc<Vec<Rc<Channel<H>>>>> {
        self.st.borrow().by_topic.get(topic).cloned()
    }

    /// `leaveOpenTopic(topic)`: leaves the first joined/joining channel of that topic.
    pub fn leave_open_topic(&self, topic: &str) -> Result<(), H::Error> {
        let dup = self
            .channels_of(topic)
            .unwrap_or_default()
            .iter()
            .find(|c| {
                let st = c.st.borrow();
                st.topic == topic
                    && matches!(st.state, ChannelState::Joined | ChannelState::Joining)
            })
            .cloned();
        if let Some(dup) = dup {
            self.log_with(
                "transport",
                || format!("leaving duplicate topic \"{topic}\""),
                LogData::None,
            )?;
            dup.leave(None)?;
        }
        Ok(())
    }

    // ---- connection state ----------------------------------------------------------------

    /// `socket.conn`.
    pub fn connection(&self) -> Option<Rc<Connection<H>>> {
        self.st.borrow().connection.clone()
    }

    fn is_current(&self, conn: &Rc<Connection<H>>) -> bool {
        self.st
            .borrow()
            .connection
            .as_ref()
            .is_some_and(|c| Rc::ptr_eq(c, conn))
    }

    /// `stillUses(connection)`.
    fn still_uses(&self, conn: Option<&Rc<Connection<H>>>) -> bool {
        let cur = self.connection();
        match (cur.as_ref(), conn) {
            (None, None) => true,
            (Some(a), Some(b)) => Rc::ptr_eq(a, b) && !b.ended.get(),
            _ => false,
        }
    }

    /// `connectionState()`.
    pub fn connection_state(&self) -> &'static str {
        match self
            .connection()
            .map(|c| self.host.ready_state(&c.transport))
        {
            Some(ready_state::CONNECTING) => "connecting",
            Some(ready_state::OPEN) => "open",
            Some(ready_state::CLOSING) => "closing",
            _ => "closed",
        }
    }

    /// `isConnected()`: the connection is open.
    pub fn is_connected(&self) -> bool {
        self.connection_state() == "open"
    }

    // ---- URL -----------------------------------------------------------------------------

    /// `endPointURL()`: calls `params()` each time.
    pub fn end_point_url(&self) -> Result<String, H::Error> {
        let (end_point, params, vsn) = {
            let st = self.st.borrow();
            (st.end_point.clone(), st.params.clone(), st.vsn.clone())
        };
        let params = self.host.eval(&params)?;
        let uri = self.host.append_params(&end_point, &params)?;
        let uri = append_vsn(&uri, &vsn);
        if !uri.starts_with('/') {
            return Ok(uri);
        }
        let (protocol, host) = self.host.location()?;
        let scheme = if protocol.starts_with("https") {
            "wss"
        } else {
            "ws"
        };
        if uri.starts_with("//") {
            return Ok(format!("{scheme}:{uri}"));
        }
        Ok(format!("{scheme}://{host}{uri}"))
    }

    /// `protocol()`.
    pub fn protocol(&self) -> Result<&'static str, H::Error> {
        let (protocol, _) = self.host.location()?;
        Ok(if protocol.starts_with("https") {
            "wss"
        } else {
            "ws"
        })
    }

    // ---- connect / disconnect ------------------------------------------------------------

    /// `connect()` (the deprecated params argument is handled by the caller).
    pub fn connect(self: &Rc<Self>) -> Result<(), H::Error> {
        if self.connection().is_some_and(|c| !c.ended.get()) {
            return Ok(());
        }
        let fallback = {
            let st = self.st.borrow();
            match (st.long_poll_fallback_ms, &st.long_poll) {
                (Some(ms), Some(lp)) if ms != 0.0 && !ms.is_nan() && st.transport != *lp => {
                    Some((lp.clone(), ms))
                }
                _ => None,
            }
        };
        match fallback {
            Some((lp, ms)) => self.connect_with_fallback(lp, ms),
            None => self.transport_connect(),
        }
    }

    /// Sets the `LongPoll` class and `longPollFallbackMs` (the constructor's fallback options).
    pub fn set_long_poll(&self, class: Option<H::TransportClass>, fallback_ms: Option<f64>) {
        let mut st = self.st.borrow_mut();
        st.long_poll = class;
        st.long_poll_fallback_ms = fallback_ms;
    }

    /// `transport === LongPoll`.
    pub fn is_long_poll(&self, class: &H::TransportClass) -> bool {
        self.st.borrow().long_poll.as_ref() == Some(class)
    }

    /// `connectWithFallback(fallbackTransport, fallbackThreshold)`.
    pub fn connect_with_fallback(
        self: &Rc<Self>,
        class: H::TransportClass,
        threshold: f64,
    ) -> Result<(), H::Error> {
        self.cancel_fallback()?;
        let fb = Rc::new(Fallback {
            class,
            threshold,
            established: Cell::new(false),
            primary: Cell::new(true),
            connect_clock: Cell::new(None),
            error_ref: RefCell::new(None),
        });
        let name = self.host.transport_name(&fb.class);
        if self
            .host
            .get_session(&format!("phx:fallback:{name}"))?
            .is_some_and(|v| !v.is_empty())
        {
            let reason = self.host.string_payload("memorized");
            return self.fall_back(&fb, Some(&reason));
        }
        let id = self.host.set_timeout(Task::Fallback(fb.clone()), threshold);
        self.st.borrow_mut().fallback_timer = Some(id);
        let error_ref = self.on_error(SockCb::FallbackError(fb.clone()));
        *fb.error_ref.borrow_mut() = Some(error_ref.clone());
        self.st.borrow_mut().fallback_error_ref = Some(error_ref);
        let open_ref = self.on_open(SockCb::FallbackOpen(fb.clone()));
        self.st.borrow_mut().fallback_ref = Some(open_ref);
        self.transport_connect()?;
        fb.connect_clock.set(Some(self.st.borrow().connect_clock));
        Ok(())
    }

    /// `cancelFallback()`.
    fn cancel_fallback(&self) -> Result<(), H::Error> {
        self.clear_fallback_timer();
        let refs: Vec<String> = {
            let st = self.st.borrow();
            st.fallback_ref
                .iter()
                .chain(st.fallback_error_ref.iter())
                .cloned()
                .collect()
        };
        self.off_refs(&refs);
        Ok(())
    }

    /// `clearTimeout(this.fallbackTimer)`: the field keeps the old id, as in phoenix.js.
    fn clear_fallback_timer(&self) {
        let t = self.st.borrow().fallback_timer.clone();
        if let Some(t) = t {
            self.host.clear_timeout(&t);
        }
    }

    fn fallback_is_current(&self, fb: &Fallback<H>) -> bool {
        let st = self.st.borrow();
        fb.connect_clock.get() == Some(st.connect_clock) && !st.close_was_clean
    }

    /// The `fallback(reason)` closure: switch to LongPoll for good.
    fn fall_back(
        self: &Rc<Self>,
        fb: &Rc<Fallback<H>>,
        reason: Option<&H::Payload>,
    ) -> Result<(), H::Error> {
        let name = self.host.transport_name(&fb.class);
        self.log_with(
            "transport",
            || format!("falling back to {name}..."),
            reason.map_or(LogData::None, LogData::Value),
        )?;
        let error_ref = fb.error_ref.borrow().clone();
        if let Some(r) = error_ref {
            self.off_refs(&[r]);
        }
        fb.primary.set(false);
        let clock = self.replace_transport(fb.class.clone())?;
        if clock != self.st.borrow().connect_clock {
            return Ok(());
        }
        self.transport_connect()
    }

    /// The fallback's error callback.
    fn fallback_on_error(
        self: &Rc<Self>,
        fb: &Rc<Fallback<H>>,
        error: &H::Payload,
    ) -> Result<(), H::Error> {
        if !self.fallback_is_current(fb) {
            return Ok(());
        }
        self.log_with("transport", || "error".to_owned(), LogData::Value(error))?;
        if fb.primary.get() && !fb.established.get() {
            self.clear_fallback_timer();
            self.fall_back(fb, Some(error))?;
        }
        Ok(())
    }

    /// The fallback's open callback.
    fn fallback_on_open(self: &Rc<Self>, fb: &Rc<Fallback<H>>) -> Result<(), H::Error> {
        if !fb.primary.get() {
            let (same, clean, passed) = {
                let st = self.st.borrow();
                (
                    st.transport == fb.class,
                    st.close_was_clean,
                    st.primary_passed_health_check,
                )
            };
            if !same || clean {
                return Ok(());
            }
            let name = self.host.transport_name(&fb.class);
            if !passed {
                self.host
                    .store_session(&format!("phx:fallback:{name}"), "true")?;
            }
            return self.log_with(
                "transport",
                || format!("established {name} fallback"),
                LogData::None,
            );
        }
        if !self.fallback_is_current(fb) {
            return Ok(());
        }
        fb.established.set(true);
        self.clear_fallback_timer();
        let id = self
            .host
            .set_timeout(Task::Fallback(fb.clone()), fb.threshold);
        self.st.borrow_mut().fallback_timer = Some(id);
        self.ping_with(PingCb::Fallback(fb.clone())).map(drop)
    }

    /// The health-check ping came back: the primary transport works.
    fn fallback_health_ok(&self, _fb: &Rc<Fallback<H>>, rtt: f64) -> Result<(), H::Error> {
        self.log_with(
            "transport",
            || "connected to primary after".to_owned(),
            LogData::Number(rtt),
        )?;
        self.st.borrow_mut().primary_passed_health_check = true;
        self.clear_fallback_timer();
        Ok(())
    }

    /// `transportConnect()`.
    fn transport_connect(self: &Rc<Self>) -> Result<(), H::Error> {
        let host = &self.host;
        let previous = self.connection();
        let (auth, class, binary_type, lp_timeout) = {
            let mut st = self.st.borrow_mut();
            st.connect_clock += 1;
            st.close_was_clean = false;
            let t = st.reconnect_timer.timer.take();
            if let Some(t) = t {
                host.clear_timeout(&t);
            }
            (
                st.auth_token.clone(),
                st.transport.clone(),
                st.binary_type.clone(),
                st.longpoller_timeout,
            )
        };
        let protocols = match auth {
            Some(token) => {
                let token = host.eval(&token)?;
                let encoded = host.btoa(&host.to_js_string(&token))?.replace('=', "");
                Some(format!("{AUTH_TOKEN_PREFIX}{encoded}"))
            }
            None => None,
        };
        let url = self.end_point_url()?;
        let transport =
            host.open_transport(&class, &url, protocols.as_deref(), &binary_type, lp_timeout)?;
        let conn = Rc::new(Connection {
            transport,
            closing: Cell::new(false),
            ended: Cell::new(false),
            channels_errored: Cell::new(false),
            close_handled: Cell::new(false),
            joins: RefCell::new(Vec::new()),
            pings: RefCell::new(Vec::new()),
        });
        host.attach(&conn);
        self.st.borrow_mut().connection = Some(conn);
        if let Some(prev) = previous {
            if prev.is_open(host) {
                self.trigger_chan_error("connection_closed", Some(&prev))?;
            }
        }
        Ok(())
    }

    /// `disconnect(callback, code, reason)`.
    pub fn disconnect(
        self: &Rc<Self>,
        callback: Option<H::Callback>,
        code: Option<f64>,
        reason: String,
    ) -> Result<(), H::Error> {
        let conn = {
            let mut st = self.st.borrow_mut();
            st.connect_clock += 1;
            st.close_was_clean = true;
            st.connection.clone()
        };
        self.clear_fallback_timer();
        self.reset_reconnect_timer();
        if let Some(c) = &conn {
            c.ended.set(true);
        }
        let after = match callback {
            Some(cb) => AfterTeardown::User(cb),
            None => AfterTeardown::Nothing,
        };
        self.teardown(after, code, reason)
    }

    /// `replaceTransport(newTransport)`: returns the new connect clock.
    pub fn replace_transport(self: &Rc<Self>, class: H::TransportClass) -> Result<u64, H::Error> {
        let (clock, conn) = {
            let mut st = self.st.borrow_mut();
            st.connect_clock += 1;
            st.close_was_clean = true;
            (st.connect_clock, st.connection.clone())
        };
        self.clear_fallback_timer();
        self.reset_reconnect_timer();
        self.st.borrow_mut().transport = class;
        if let Some(conn) = conn {
            let was_open = conn.is_open(&self.host);
            self.st.borrow_mut().connection = None;
            conn.ended.set(true);
            conn.close(&self.host, None, "")?;
            self.clear_heartbeats();
            if was_open {
                self.trigger_chan_error("connection_closed", Some(&conn))?;
            }
        }
        Ok(clock)
    }

    fn reset_reconnect_timer(&self) {
        let t = {
            let mut st = self.st.borrow_mut();
            st.reconnect_timer.tries = 0;
            st.reconnect_timer.timer.take()
        };
        if let Some(t) = t {
            self.host.clear_timeout(&t);
        }
    }

    /// A reconnect or rejoin delay with `reconnectJitter` applied (untouched without one).
    pub(crate) fn jitter(&self, delay: f64) -> f64 {
        let j = self.st.borrow().reconnect_jitter;
        if j > 0.0 {
            jittered(delay, j, self.host.random())
        } else {
            delay
        }
    }

    /// `reconnectTimer.scheduleTimeout()`.
    fn schedule_reconnect(&self) -> Result<(), H::Error> {
        let (old, tries, user) = {
            let mut st = self.st.borrow_mut();
            (
                st.reconnect_timer.timer.take(),
                st.reconnect_timer.tries,
                st.reconnect_after_ms.clone(),
            )
        };
        if let Some(t) = old {
            self.host.clear_timeout(&t);
        }
        let delay = match user {
            Some(cb) => self.host.call_backoff(&cb, tries + 1)?,
            None => default_reconnect_after_ms(tries + 1),
        };
        let delay = self.jitter(delay);
        let id = self.host.set_timeout(Task::Reconnect, delay);
        self.st.borrow_mut().reconnect_timer.timer = Some(id);
        Ok(())
    }

    // ---- heartbeats ----------------------------------------------------------------------

    fn clear_heartbeats(&self) {
        let (a, b) = {
            let mut st = self.st.borrow_mut();
            st.pending_heartbeat_ref = None;
            (st.heartbeat_timer.take(), st.heartbeat_timeout_timer.take())
        };
        for t in [a, b].into_iter().flatten() {
            self.host.clear_timeout(&t);
        }
    }

    fn reset_heartbeat(&self) {
        if self
            .connection()
            .is_some_and(|c| self.host.skip_heartbeat(&c.transport))
        {
            return;
        }
        self.clear_heartbeats();
        self.arm_heartbeat();
    }

    fn arm_heartbeat(&self) {
        let interval = self.st.borrow().heartbeat_interval_ms;
        let id = self.host.set_timeout(Task::Heartbeat, interval);
        self.st.borrow_mut().heartbeat_timer = Some(id);
    }

    /// `sendHeartbeat()`.
    fn send_heartbeat(self: &Rc<Self>) -> Result<(), H::Error> {
        if self.st.borrow().pending_heartbeat_ref.is_some() && !self.is_connected() {
            return Ok(());
        }
        let r = self.make_ref();
        {
            let mut st = self.st.borrow_mut();
            st.pending_heartbeat_ref = Some(r.clone());
            st.counters.heartbeat_sent_at = self.host.now();
        }
        self.push_heartbeat(r)?;
        let interval = self.st.borrow().heartbeat_interval_ms;
        let id = self.host.set_timeout(Task::HeartbeatTimeout, interval);
        self.st.borrow_mut().heartbeat_timeout_timer = Some(id);
        Ok(())
    }

    /// `heartbeatTimeout()`.
    fn heartbeat_timeout(self: &Rc<Self>) -> Result<(), H::Error> {
        let conn = {
            let mut st = self.st.borrow_mut();
            st.heartbeat_timeout_timer = None;
            if st.pending_heartbeat_ref.is_none() {
                return Ok(());
            }
            st.pending_heartbeat_ref = None;
            st.connection.clone()
        };
        self.log_with(
            "transport",
            || "heartbeat timeout. Attempting to re-establish connection".to_owned(),
            LogData::None,
        )?;
        self.st.borrow_mut().close_was_clean = false;
        if let Some(c) = &conn {
            c.close(&self.host, Some(WS_CLOSE_NORMAL), "heartbeat timeout")?;
        }
        if !self.still_uses(conn.as_ref()) {
            return Ok(());
        }
        self.trigger_chan_error("heartbeat_timeout", self.connection().as_ref())?;
        if !self.still_uses(conn.as_ref()) {
            return Ok(());
        }
        self.teardown_and_reconnect(Reconnect::Schedule)
    }

    /// `ping(callback)`: false when not connected.
    pub fn ping(self: &Rc<Self>, callback: H::Callback) -> Result<bool, H::Error> {
        self.ping_with(PingCb::User(callback))
    }

    /// `ping()` for any waiter: the user's callback or the fallback's health check.
    fn ping_with(self: &Rc<Self>, waiter: PingCb<H>) -> Result<bool, H::Error> {
        if !self.is_connected() {
            return Ok(false);
        }
        let r = self.make_ref();
        let start = self.host.now();
        if let Some(c) = self.connection() {
            c.pings.borrow_mut().push((r.clone(), waiter, start));
        }
        self.push_heartbeat(r)?;
        Ok(true)
    }

    /// `push({topic: "phoenix", event: "heartbeat", payload: {}, ref})`.
    fn push_heartbeat(self: &Rc<Self>, ref_: String) -> Result<(), H::Error> {
        let msg = Outgoing {
            topic: event::PHOENIX_TOPIC.to_owned(),
            event: event::HEARTBEAT.to_owned(),
            payload: self.host.empty_object(),
            ref_: RefVal::Str(ref_),
            join_ref: RefVal::Undefined,
            raw: None,
        };
        self.push(msg, None)
    }

    // ---- teardown ------------------------------------------------------------------------

    fn teardown_and_reconnect(self: &Rc<Self>, then: Reconnect) -> Result<(), H::Error> {
        let (connection, clock) = {
            let st = self.st.borrow();
            (st.connection.clone(), st.connect_clock)
        };
        self.teardown(
            AfterTeardown::Reconnect {
                connection,
                clock,
                then,
            },
            None,
            String::new(),
        )
    }

    /// `teardown(callback, code, reason)`.
    fn teardown(
        self: &Rc<Self>,
        after: AfterTeardown<H>,
        code: Option<f64>,
        reason: String,
    ) -> Result<(), H::Error> {
        let Some(connection) = self.connection() else {
            return self.run_after_teardown(after);
        };
        self.clear_heartbeats();
        let td = Rc::new(Teardown {
            connection,
            code,
            reason,
            after: RefCell::new(Some(after)),
            tries: Cell::new(1),
        });
        self.wait_for_buffer_done(&td)
    }

    fn wait_for_buffer_done(self: &Rc<Self>, td: &Rc<Teardown<H>>) -> Result<(), H::Error> {
        let t = &td.connection.transport;
        let tries = td.tries.get();
        if tries == 5
            || !self.host.has_buffered_amount(t)
            || self.host.ready_state(t) != ready_state::OPEN
        {
            return self.buffer_done(td);
        }
        td.tries.set(tries + 1);
        self.host
            .set_timeout(Task::BufferWait(td.clone()), 150.0 * f64::from(tries));
        Ok(())
    }

    fn buffer_done(self: &Rc<Self>, td: &Rc<Teardown<H>>) -> Result<(), H::Error> {
        let conn = &td.connection;
        if !conn.closing.get() {
            let was_opened = !conn.is_connecting(&self.host);
            conn.close(&self.host, td.code, &td.reason)?;
            if was_opened {
                self.trigger_chan_error("connection_closed", Some(conn))?;
            }
        }
        td.tries.set(1);
        self.wait_for_socket_closed(td)
    }

    fn wait_for_socket_closed(self: &Rc<Self>, td: &Rc<Teardown<H>>) -> Result<(), H::Error> {
        let tries = td.tries.get();
        if tries == 5 || self.host.ready_state(&td.connection.transport) == ready_state::CLOSED {
            if self.is_current(&td.connection) {
                self.st.borrow_mut().connection = None;
            }
            let after = td.after.borrow_mut().take();
            return match after {
                Some(a) => self.run_after_teardown(a),
                None => Ok(()),
            };
        }
        td.tries.set(tries + 1);
        self.host
            .set_timeout(Task::ClosedWait(td.clone()), 150.0 * f64::from(tries));
        Ok(())
    }

    fn run_after_teardown(self: &Rc<Self>, after: AfterTeardown<H>) -> Result<(), H::Error> {
        match after {
            AfterTeardown::Nothing => Ok(()),
            AfterTeardown::User(cb) => self.host.call_void(&cb),
            AfterTeardown::Reconnect {
                connection,
                clock,
                then,
            } => {
                if clock != self.st.borrow().connect_clock
                    || connection.as_ref().is_some_and(|c| c.ended.get())
                {
                    return Ok(());
                }
                match then {
                    Reconnect::Connect => self.connect(),
                    Reconnect::Schedule => self.schedule_reconnect(),
                    Reconnect::Visibility => {
                        self.connect()?;
                        let c = self.connection();
                        self.st.borrow_mut().visibility_connection = c;
                        Ok(())
                    }
                }
            }
        }
    }

    // ---- transport events ----------------------------------------------------------------

    /// The transport opened (`onConnOpen`).
    pub fn handle_open(self: &Rc<Self>, conn: &Rc<Connection<H>>) -> Result<(), H::Error> {
        if !self.is_current(conn) {
            return Ok(());
        }
        if self.has_logger() {
            let class = self.st.borrow().transport.clone();
            let name = self.host.transport_name(&class);
            let url = self.end_point_url()?;
            self.log_with(
                "transport",
                || format!("{name} connected to {url}"),
                LogData::None,
            )?;
        }
        {
            let now = self.host.now();
            let mut st = self.st.borrow_mut();
            st.close_was_clean = false;
            st.established_connections += 1;
            st.counters.opens += 1;
            st.counters.opened = Some((Rc::downgrade(conn), now));
        }
        self.flush_send_buffer()?;
        self.reset_reconnect_timer();
        self.reset_heartbeat();
        let cbs = self.st.borrow().callbacks.open.clone();
        for (_, cb) in cbs.iter() {
            match cb {
                SockCb::User(f) => self.host.call_void(f)?,
                SockCb::ChannelOpen(ch) => {
                    ch.reset_rejoin_timer(&self.host);
                    if ch.state() == ChannelState::Errored {
                        let t = ch.st.borrow().timeout;
                        ch.rejoin(self, t)?;
                    }
                }
                SockCb::ChannelError(ch) => ch.reset_rejoin_timer(&self.host),
                SockCb::FallbackOpen(fb) => self.fallback_on_open(fb)?,
                SockCb::FallbackError(_) => {}
            }
        }
        Ok(())
    }

    /// The transport reported an error (`onConnError`).
    pub fn handle_error(
        self: &Rc<Self>,
        conn: &Rc<Connection<H>>,
        error: &H::Payload,
    ) -> Result<(), H::Error> {
        if !self.is_current(conn) {
            return Ok(());
        }
        self.log_with("transport", || "error".to_owned(), LogData::Value(error))?;
        let (transport_before, established_before, cbs) = {
            let st = self.st.borrow();
            (
                st.transport.clone(),
                st.established_connections,
                st.callbacks.error.clone(),
            )
        };
        for (_, cb) in cbs.iter() {
            match cb {
                SockCb::User(f) => {
                    self.host
                        .call_on_error(f, error, &transport_before, established_before)?
                }
                SockCb::ChannelError(ch) | SockCb::ChannelOpen(ch) => {
                    ch.reset_rejoin_timer(&self.host)
                }
                SockCb::FallbackError(fb) => self.fallback_on_error(fb, error)?,
                SockCb::FallbackOpen(_) => {}
            }
        }
        self.trigger_chan_error("connection_error", Some(conn))
    }

    /// The transport closed (`onConnClose`); a second close of one connection is ignored.
    pub fn handle_close(
        self: &Rc<Self>,
        conn: &Rc<Connection<H>>,
        ev: &H::Payload,
    ) -> Result<(), H::Error> {
        if !self.is_current(conn) || conn.close_handled.get() {
            return Ok(());
        }
        conn.close_handled.set(true);
        self.log_with("transport", || "close".to_owned(), LogData::Value(ev))?;
        self.clear_heartbeats();
        let closed_by_us = conn.closing.get();
        self.trigger_chan_error("connection_closed", Some(conn))?;
        if self.still_uses(Some(conn)) && !closed_by_us && !self.st.borrow().close_was_clean {
            self.schedule_reconnect()?;
        }
        let cbs = self.st.borrow().callbacks.close.clone();
        for (_, cb) in cbs.iter() {
            match cb {
                SockCb::User(f) => self.host.call_with(f, ev)?,
                SockCb::ChannelError(ch) | SockCb::ChannelOpen(ch) => {
                    ch.reset_rejoin_timer(&self.host)
                }
                SockCb::FallbackError(_) | SockCb::FallbackOpen(_) => {}
            }
        }
        Ok(())
    }

    /// A frame arrived (`onConnMessage`): decode, then [`Self::finish_receive`].
    pub fn handle_message(
        self: &Rc<Self>,
        conn: &Rc<Connection<H>>,
        data: &H::Payload,
    ) -> Result<(), H::Error> {
        if !self.is_current(conn) {
            return Ok(());
        }
        let size = self.host.frame_size(data);
        {
            let mut st = self.st.borrow_mut();
            st.counters.messages_in += 1.0;
            st.counters.bytes_in += size;
        }
        let was_open = conn.is_open(&self.host);
        self.host.decode(
            data,
            DecodeCont {
                connection: Some(conn.clone()),
                was_open,
            },
        )
    }

    /// The rest of `onConnMessage` once the decoder called back.
    pub fn finish_receive(
        self: &Rc<Self>,
        k: DecodeCont<H>,
        msg: Incoming<H::Payload>,
    ) -> Result<(), H::Error> {
        let conn = k.connection;
        let current = self.connection();
        let same = match (&conn, &current) {
            (Some(a), Some(b)) => Rc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        if !same || (k.was_open && !conn.as_ref().is_some_and(|c| c.is_open(&self.host))) {
            return Ok(());
        }
        let Incoming {
            join_ref,
            ref_,
            topic,
            event,
            payload,
            ..
        } = &msg;
        let is_heartbeat_reply =
            ref_.truthy() && self.st.borrow().pending_heartbeat_ref.as_deref() == ref_.as_str();
        if is_heartbeat_reply {
            let now = self.host.now();
            {
                let mut st = self.st.borrow_mut();
                st.counters.rtt_ms = Some(now - st.counters.heartbeat_sent_at);
            }
            self.clear_heartbeats();
            self.arm_heartbeat();
        }
        if self.has_logger() {
            let status = self.host.log_status(payload)?;
            let ref_part = if ref_.truthy() {
                format!("({})", ref_.js_display())
            } else {
                String::new()
            };
            self.log_with(
                "receive",
                || format!("{status} {topic} {event} {ref_part}"),
                LogData::Value(payload),
            )?;
        }
        let channels = self.channels_of(topic).unwrap_or_default();
        for ch in channels.iter() {
            if !ch.is_member(self, topic, event, payload, join_ref)? {
                continue;
            }
            ch.trigger(&self.host, Some(event), payload, ref_, join_ref)?;
        }
        let cbs = self.st.borrow().callbacks.message.clone();
        if !cbs.is_empty() {
            let raw = match &msg.raw {
                Some(r) => r.clone(),
                None => self.host.message_object(&msg),
            };
            for (_, cb) in cbs.iter() {
                if let SockCb::User(f) = cb {
                    self.host.call_with(f, &raw)?;
                }
            }
        }
        if let (Some(r), Some(c)) = (ref_.as_str().filter(|r| !r.is_empty()), conn.as_ref()) {
            let ping = {
                let mut pings = c.pings.borrow_mut();
                pings
                    .iter()
                    .position(|(pr, _, _)| pr == r)
                    .map(|i| pings.remove(i))
            };
            match ping {
                Some((_, PingCb::User(cb), start)) => {
                    self.host.call_number(&cb, self.host.now() - start)?
                }
                Some((_, PingCb::Fallback(fb), start)) => {
                    self.fallback_health_ok(&fb, self.host.now() - start)?
                }
                None => {}
            }
        }
        Ok(())
    }

    /// A timer armed through `Host::set_timeout` fired.
    pub fn handle_timer(self: &Rc<Self>, task: Task<H>) -> Result<(), H::Error> {
        match task {
            Task::Reconnect => {
                {
                    let mut st = self.st.borrow_mut();
                    st.reconnect_timer.timer = None;
                    st.reconnect_timer.tries += 1;
                }
                if self.host.page_hidden() {
                    let logger = self.st.borrow().logger.clone();
                    if let Some(l) = logger {
                        self.host.call_logger(
                            &l,
                            "Not reconnecting as page is hidden!",
                            None,
                            LogData::None,
                        )?;
                    }
                    return self.teardown(AfterTeardown::Nothing, None, String::new());
                }
                self.teardown_and_reconnect(Reconnect::Connect)
            }
            Task::Heartbeat => {
                self.st.borrow_mut().heartbeat_timer = None;
                self.send_heartbeat()
            }
            Task::HeartbeatTimeout => self.heartbeat_timeout(),
            Task::Rejoin(ch) => ch.handle_rejoin_timer(),
            Task::PushTimeout(push) => {
                // The timer keeps its id (phoenix.js does not clear it); the channel it kept
                // alive is held for the trigger and released after.
                let _channel = push.st.borrow_mut().timer_channel.take();
                push.trigger(&self.host, "timeout", self.host.empty_object())
            }
            Task::BufferWait(td) => self.wait_for_buffer_done(&td),
            Task::ClosedWait(td) => self.wait_for_socket_closed(&td),
            Task::Fallback(fb) => self.fall_back(&fb, None),
        }
    }

    // ---- page lifecycle (browser only) ---------------------------------------------------

    /// window `pagehide`.
    pub fn handle_pagehide(self: &Rc<Self>) -> Result<(), H::Error> {
        if self.connection().is_some_and(|c| !c.ended.get()) {
            self.disconnect(None, None, String::new())?;
            let clock = self.st.borrow().connect_clock;
            self.st.borrow_mut().awaiting_page_show = Some(clock);
        }
        Ok(())
    }

    /// window `pageshow`.
    pub fn handle_pageshow(self: &Rc<Self>) -> Result<(), H::Error> {
        let resume = {
            let mut st = self.st.borrow_mut();
            let resume = st.awaiting_page_show == Some(st.connect_clock);
            if resume {
                st.awaiting_page_show = None;
            }
            resume
        };
        if resume {
            self.connect()?;
        }
        Ok(())
    }

    /// `handleVisibilityChange()` (window `visibilitychange`, document `resume`).
    pub fn handle_visibility_change(self: &Rc<Self>) -> Result<(), H::Error> {
        if self.host.page_hidden() {
            self.st.borrow_mut().visibility_connection = None;
            return Ok(());
        }
        let (conn, vis) = {
            let st = self.st.borrow();
            (st.connection.clone(), st.visibility_connection.clone())
        };
        if let (Some(c), Some(v)) = (&conn, &vis) {
            if Rc::ptr_eq(c, v) && c.is_connecting(&self.host) {
                return Ok(());
            }
        }
        if !self.is_connected() && !self.st.borrow().close_was_clean {
            self.reset_reconnect_timer();
            self.teardown_and_reconnect(Reconnect::Visibility)?;
        }
        Ok(())
    }

    // ---- sending -------------------------------------------------------------------------

    /// `push(data, channel)`: send now when open, else buffer.
    pub fn push(
        self: &Rc<Self>,
        msg: Outgoing<H::Payload>,
        channel: Option<&Rc<Channel<H>>>,
    ) -> Result<(), H::Error> {
        if self.has_logger() {
            self.log_with(
                "push",
                || {
                    format!(
                        "{} {} ({}, {})",
                        msg.topic,
                        msg.event,
                        msg.join_ref.js_display(),
                        msg.ref_.js_display()
                    )
                },
                LogData::Value(&msg.payload),
            )?;
        }
        if self.is_connected() {
            self.send(msg, channel.cloned())
        } else {
            self.st.borrow_mut().send_buffer.push(Buffered {
                msg,
                channel: channel.cloned(),
            });
            Ok(())
        }
    }

    /// `send(data, channel)`: encode, then [`Self::finish_send`].
    fn send(
        self: &Rc<Self>,
        msg: Outgoing<H::Payload>,
        channel: Option<Rc<Channel<H>>>,
    ) -> Result<(), H::Error> {
        let Some(connection) = self.connection() else {
            return Ok(());
        };
        if let Some(ch) = &channel {
            if msg.event == event::JOIN {
                connection.set_join(ch, msg.join_ref.clone());
            }
        }
        let k = SendCont {
            connection,
            channel,
            event: msg.event.clone(),
            join_ref: msg.join_ref.clone(),
        };
        self.host.encode(msg, k)
    }

    /// The rest of `send` once the encoder called back.
    pub fn finish_send(&self, k: SendCont<H>, frame: H::Frame) -> Result<(), H::Error> {
        if !self.is_current(&k.connection) || !k.connection.is_open(&self.host) {
            return Ok(());
        }
        if k.event != event::LEAVE && is_outdated(&k.join_ref, k.channel.as_ref()) {
            return Ok(());
        }
        let size = self.host.out_frame_size(&frame);
        self.host.send_frame(&k.connection.transport, &frame)?;
        let mut st = self.st.borrow_mut();
        st.counters.messages_out += 1.0;
        st.counters.bytes_out += size;
        Ok(())
    }

    /// `flushSendBuffer()`.
    fn flush_send_buffer(self: &Rc<Self>) -> Result<(), H::Error> {
        if !self.is_connected() || self.st.borrow().send_buffer.is_empty() {
            return Ok(());
        }
        let buffered = self.st.borrow().send_buffer.clone();
        for b in buffered {
            if !is_outdated(&b.msg.join_ref, b.channel.as_ref()) {
                self.send(b.msg, b.channel)?;
            }
        }
        self.st.borrow_mut().send_buffer.clear();
        Ok(())
    }

    /// `triggerChanError(reason, connection)`.
    fn trigger_chan_error(
        self: &Rc<Self>,
        reason: &str,
        conn: Option<&Rc<Connection<H>>>,
    ) -> Result<(), H::Error> {
        let mut errored_before = false;
        if let Some(c) = conn {
            if !c.is_open(&self.host) {
                errored_before = c.channels_errored.get();
                c.channels_errored.set(true);
            }
        }
        let joins: Vec<(Rc<Channel<H>>, RefVal)> = self
            .channels()
            .iter()
            .map(|c| (c.clone(), c.join_ref()))
            .collect();
        for (ch, join_ref) in joins {
            if ch.join_ref() != join_ref {
                continue;
            }
            if let Some(c) = conn {
                if (errored_before || !self.is_current(c)) && !c.carried(&ch, &join_ref) {
                    continue;
                }
            }
            if !matches!(
                ch.state(),
                ChannelState::Errored | ChannelState::Leaving | ChannelState::Closed
            ) {
                let payload = self.host.transport_error_payload(reason);
                ch.trigger(
                    &self.host,
                    Some(event::ERROR),
                    &payload,
                    &RefVal::Undefined,
                    &RefVal::Undefined,
                )?;
            }
        }
        Ok(())
    }
}

/// `isOutdated(data, channel)`.
fn is_outdated<H: Host>(join_ref: &RefVal, channel: Option<&Rc<Channel<H>>>) -> bool {
    channel.is_some_and(|c| *join_ref != c.join_ref() || c.state() == ChannelState::Closed)
}

fn append_vsn(url: &str, vsn: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}vsn={}", encode_uri_component(vsn))
}

/// `encodeURIComponent`.
pub fn encode_uri_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'~'
            | b'*'
            | b'\''
            | b'('
            | b')' => out.push(char::from(b)),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                let hex = |n: u8| char::from(HEX.get(usize::from(n)).copied().unwrap_or(b'0'));
                out.push(hex(b >> 4));
                out.push(hex(b & 15));
            }
        }
    }
    out
}

/// A number as JavaScript's `String(number)` prints it (ECMAScript `Number::toString`, radix 10),
/// for every `f64`: `NaN`, `Infinity`, `-0` → `"0"`, the shortest digits that round-trip, plain
/// notation for decimal exponents from -7 to 21 and `1e+21` / `1.5e-7` outside it.
///
/// Refs are usually strings; this renders the numeric refs a user or an odd server may send
/// (`chan_reply_{ref}` event names) and sizes in error messages. ryu gives the shortest
/// round-trip digits; ties and the layout follow ECMAScript's `Number::toString`.
pub fn format_number(n: f64) -> String {
    if n.is_nan() {
        return "NaN".to_owned();
    }
    if n == 0.0 {
        return "0".to_owned(); // both zeros, as in JavaScript
    }
    if n.is_infinite() {
        return if n > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let (mut digits, point) = shortest_digits(n.abs());
    if digits.len() >= 16 {
        // Only values this long can lie exactly halfway between two shortest candidates.
        if let Some(even) = tie_to_even(n.abs(), &digits, point) {
            digits = even;
        }
    }
    // ECMAScript's k (digit count) and n (position of the decimal point: value = 0.digits × 10^n).
    let k = digits.len() as i64;
    let mut out = String::with_capacity(k as usize + 8);
    if n < 0.0 {
        out.push('-');
    }
    if k <= point && point <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (point - k) as usize));
    } else if 0 < point && point <= 21 {
        let (int, frac) = digits.split_at(point as usize);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else if -6 < point && point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-point) as usize));
        out.push_str(&digits);
    } else {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        out.push(if point - 1 < 0 { '-' } else { '+' });
        out.push_str(&(point - 1).abs().to_string());
    }
    out
}

/// The shortest digits that read back as the positive finite `x`, and the position of the
/// decimal point (`x ≈ 0.digits × 10^point`), from ryu's output (`"123.0"`, `"0.003"`,
/// `"1.5e-7"`, `"1e21"`). ryu (with small tables in the wasm) costs a fraction of the code that
/// `{:e}` pulls in.
fn shortest_digits(x: f64) -> (String, i64) {
    let mut buffer = ryu::Buffer::new();
    let text = buffer.format_finite(x);
    let (mantissa, exp) = text.split_once('e').unwrap_or((text, "0"));
    let int_len = mantissa.find('.').unwrap_or(mantissa.len()) as i64;
    let all: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let significant = all.trim_start_matches('0');
    let leading_zeros = (all.len() - significant.len()) as i64;
    let digits = significant.trim_end_matches('0').to_owned();
    let point = int_len - leading_zeros + exp.parse::<i64>().unwrap_or(0);
    (digits, point)
}

/// ECMAScript's tie rule, which shortest-digit formatters do not all follow: when `x` lies
/// exactly halfway between two shortest digit strings that both read back as `x`, JavaScript
/// takes the even one (`1095944209129418.25` → `…418.2`, not `…418.3`).
/// Returns the even candidate when it differs from `digits`.
///
/// Both candidates are half a step from `x`, and Rust's reads back, so the other does too:
/// the interval that reads back as `x` is symmetric, and a power of ten never equals its
/// bound (a power of two). Except below a power of two `2^-j`, where the interval is half as
/// wide: the lower candidate reads back only if its step `10^q` is at most the gap below `x`,
/// `2^(-j-53)`.
fn tie_to_even(x: f64, digits: &str, point: i64) -> Option<String> {
    let (exact, exact_point, power_of_two) = exact_digits(x)?;
    let exact = exact.trim_end_matches('0');
    let k = digits.len();
    if exact_point != point || exact.len() != k + 1 || !exact.ends_with('5') {
        return None;
    }
    let lower = &exact[..k];
    let even = if lower.as_bytes()[k - 1] % 2 == 0 {
        if let Some(j) = power_of_two {
            // 10^q <= 2^(-j-53) with q < 0, i.e. 2^(j+53) <= 10^-q (u128: j <= 55 here).
            let step = 10u128.checked_pow(u32::try_from(k as i64 - point).ok()?);
            if step.is_some_and(|step| step < 1u128 << (j + 53)) {
                return None;
            }
        }
        lower.to_owned()
    } else {
        increment_digits(lower)?
    };
    (even != digits).then_some(even)
}

/// The exact decimal expansion of a positive `x` as digits and point position, and `j` if `x`
/// is `2^-j`, when it fits in a `u128` (`x = m / 2^j = m × 5^j / 10^j`); `None` for
/// integers and long expansions, which cannot be ties. Integer arithmetic only: exact float
/// formatting or parsing would add tens of KB to the wasm.
fn exact_digits(x: f64) -> Option<(String, i64, Option<u32>)> {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i64;
    let fraction = bits & ((1 << 52) - 1);
    let (mut m, mut e) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), biased - 1075)
    };
    while e < 0 && m % 2 == 0 {
        m >>= 1;
        e += 1;
    }
    if e >= 0 || m == 0 {
        return None;
    }
    let j = u32::try_from(-e).ok()?;
    let scaled = 5u128.checked_pow(j)?.checked_mul(u128::from(m))?;
    let text = scaled.to_string();
    let point = text.len() as i64 - i64::from(j);
    // A normal power of two (a subnormal's interval is symmetric; these are far too long anyway).
    Some((text, point, (m == 1 && biased > 1).then_some(j)))
}

/// A decimal digit string plus one, or `None` when it would gain a digit (`"99"`).
fn increment_digits(digits: &str) -> Option<String> {
    let mut bytes = digits.as_bytes().to_vec();
    for b in bytes.iter_mut().rev() {
        if *b == b'9' {
            *b = b'0';
        } else {
            *b += 1;
            return String::from_utf8(bytes).ok();
        }
    }
    None
}

/// `Rc::make_mut` for vectors whose elements are not `Clone` as a bound (they clone by hand).
trait MakeMutVec<T> {
    fn make_mut_vec(this: &mut Rc<Vec<T>>) -> &mut Vec<T>;
}

impl<T: Clone> MakeMutVec<T> for Rc<Vec<T>> {
    fn make_mut_vec(this: &mut Rc<Vec<T>>) -> &mut Vec<T> {
        Rc::make_mut(this)
    }
}
