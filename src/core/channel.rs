//! phoenix.js `channel.js`: a topic joined over the socket.
//!
//! ```text
//!            join()                ok reply
//!  closed ───────────▶ joining ─────────────▶ joined
//!                        ▲  │ error reply, timeout,    │ phx_error, transport
//!            rejoin      │  ▼ phx_error              ▼ error or close
//!            (timer or └─ errored ◀─────────────────┘
//!             socket open)
//!  any state ── leave() ──▶ leaving ──(local ok, synchronously)──▶ closed (removed)
//!  any state ── server phx_close ──────────────────────────────────▶ closed (removed)
//! ```
use std::cell::RefCell;
use std::rc::{Rc, Weak};

use super::constants::event;
use super::host::{Host, LogData, Param, Task};
use super::push::{HookCb, Push};
use super::socket::{SockCb, SocketInner};
use super::timer::{default_rejoin_after_ms, Backoff};
use super::RefVal;

/// `CHANNEL_STATES`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelState {
    /// Left, or closed by the server; removed from the socket.
    Closed,
    /// Failed (error reply, timeout, `phx_error` or transport error); will rejoin.
    Errored,
    /// Joined: pushes are sent at once.
    Joined,
    /// A `phx_join` is in flight (or buffered).
    Joining,
    /// `leave()` was called; closes synchronously (docs/protocol.md#b1).
    Leaving,
}

impl ChannelState {
    /// The state's name as phoenix.js spells it (`"joined"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelState::Closed => "closed",
            ChannelState::Errored => "errored",
            ChannelState::Joined => "joined",
            ChannelState::Joining => "joining",
            ChannelState::Leaving => "leaving",
        }
    }

    /// The state for a phoenix.js state name, `None` for any other string.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "closed" => ChannelState::Closed,
            "errored" => ChannelState::Errored,
            "joined" => ChannelState::Joined,
            "joining" => ChannelState::Joining,
            "leaving" => ChannelState::Leaving,
            _ => return None,
        })
    }
}

/// What a binding runs. The internal ones are registered by the constructor and by pushes.
pub enum BindingCb<H: Host> {
    /// `channel.on(event, cb)`: `cb(payload, ref, joinRef)`.
    User(H::Callback),
    /// `channel.onError(cb)`'s wrapper: `cb(reason)`.
    UserOnError(H::Callback),
    /// The constructor's `onClose`: closed, removed from the socket.
    InternalClose,
    /// The constructor's `onError`: errored, rejoin scheduled.
    InternalError,
    /// The constructor's `phx_reply` binding: re-triggers as `chan_reply_<ref>`.
    InternalReply,
    /// A push waiting for its reply.
    PushReply(Weak<Push<H>>),
}

impl<H: Host> Clone for BindingCb<H> {
    fn clone(&self) -> Self {
        match self {
            BindingCb::User(cb) => BindingCb::User(cb.clone()),
            BindingCb::UserOnError(cb) => BindingCb::UserOnError(cb.clone()),
            BindingCb::InternalClose => BindingCb::InternalClose,
            BindingCb::InternalError => BindingCb::InternalError,
            BindingCb::InternalReply => BindingCb::InternalReply,
            BindingCb::PushReply(p) => BindingCb::PushReply(p.clone()),
        }
    }
}

/// One entry of `channel.bindings`.
pub struct Binding<H: Host> {
    /// The event name bound (`channel.on(event, cb)`).
    pub event: String,
    /// The binding's ref, which `channel.off(event, ref)` takes.
    pub ref_: u64,
    /// What runs when the event arrives.
    pub cb: BindingCb<H>,
}

impl<H: Host> Clone for Binding<H> {
    fn clone(&self) -> Self {
        Binding {
            event: self.event.clone(),
            ref_: self.ref_,
            cb: self.cb.clone(),
        }
    }
}

/// Mutable state of a [`Channel`].
pub struct ChannelFields<H: Host> {
    /// `channel.state`.
    pub state: ChannelState,
    /// `channel.topic`.
    pub topic: String,
    /// `channel.params`: an object or a function called at each join.
    pub params: Param<H>,
    /// `channel.bindings`, in registration order.
    pub bindings: Vec<Binding<H>>,
    /// `channel.bindingRef`: the counter numbering bindings.
    pub binding_ref: u64,
    /// `channel.timeout`: default for pushes and leaves (`join(timeout)` changes it).
    pub timeout: f64,
    /// `channel.joinedOnce`: `join()` was called (a second call throws).
    pub joined_once: bool,
    /// `channel.pushBuffer`: pushes waiting for the channel to be joined.
    pub push_buffer: Vec<Rc<Push<H>>>,
    /// Refs of the socket callbacks this channel registered, removed with the channel.
    pub state_change_refs: Vec<String>,
    /// `channel.rejoinTimer` (backoff `rejoinAfterMs`).
    pub rejoin_timer: Backoff<H::TimerId>,
    /// A user override of `onMessage(event, payload, ref, joinRef)`.
    pub on_message: Option<H::Callback>,
}

/// A channel. Always used behind an `Rc`.
pub struct Channel<H: Host> {
    /// The socket, weakly: the socket owns its channels.
    pub socket: Weak<SocketInner<H>>,
    /// `channel.joinPush`: the `phx_join` push, reused for every rejoin.
    pub join_push: Rc<Push<H>>,
    /// Mutable state.
    pub st: RefCell<ChannelFields<H>>,
    /// Opaque to the core: the shell's weak handle to the channel's JS object.
    pub host_data: RefCell<Option<H::Payload>>,
}

impl<H: Host> Channel<H> {
    /// `new Channel(topic, params, socket)`: registers two socket callbacks and the internal
    /// bindings and join hooks, in phoenix.js's order.
    pub fn new(
        socket: &Rc<SocketInner<H>>,
        topic: &str,
        params: Param<H>,
    ) -> Result<Rc<Self>, H::Error> {
        let timeout = socket.st.borrow().timeout;
        let channel = Rc::new_cyclic(|weak: &Weak<Channel<H>>| Channel {
            socket: Rc::downgrade(socket),
            join_push: Push::new(weak.clone(), event::JOIN, params.clone(), timeout),
            st: RefCell::new(ChannelFields {
                state: ChannelState::Closed,
                topic: topic.to_owned(),
                params,
                bindings: Vec::new(),
                binding_ref: 0,
                timeout,
                joined_once: false,
                push_buffer: Vec::new(),
                state_change_refs: Vec::new(),
                rejoin_timer: Backoff::default(),
                on_message: None,
            }),
            host_data: RefCell::new(None),
        });
        let host = &socket.host;
        let r1 = socket.on_error(SockCb::ChannelError(channel.clone()));
        let r2 = socket.on_open(SockCb::ChannelOpen(channel.clone()));
        channel.st.borrow_mut().state_change_refs.extend([r1, r2]);
        channel.join_push.receive(host, "ok", HookCb::JoinOk)?;
        channel
            .join_push
            .receive(host, "error", HookCb::JoinError)?;
        channel.on(event::CLOSE, BindingCb::InternalClose);
        channel.on(event::ERROR, BindingCb::InternalError);
        channel
            .join_push
            .receive(host, "timeout", HookCb::JoinTimeout)?;
        channel.on(event::REPLY, BindingCb::InternalReply);
        Ok(channel)
    }

    /// `channel.topic`.
    pub fn topic(&self) -> String {
        self.st.borrow().topic.clone()
    }

    /// `channel.state`.
    pub fn state(&self) -> ChannelState {
        self.st.borrow().state
    }

    fn set_state(&self, s: ChannelState) {
        self.st.borrow_mut().state = s;
    }

    /// `joinRef()`: the join push's ref.
    pub fn join_ref(&self) -> RefVal {
        self.join_push.ref_()
    }

    /// `join(timeout)`.
    pub fn join(self: &Rc<Self>, timeout: Option<f64>) -> Result<Rc<Push<H>>, H::Error> {
        let Some(socket) = self.socket.upgrade() else {
            return Ok(self.join_push.clone());
        };
        let timeout = {
            let mut st = self.st.borrow_mut();
            if st.joined_once {
                drop(st);
                return Err(socket.host.make_error(
                    "tried to join multiple times. 'join' can only be called a single time per channel instance",
                ));
            }
            let t = timeout.unwrap_or(st.timeout);
            st.timeout = t;
            st.joined_once = true;
            t
        };
        self.rejoin(&socket, timeout)?;
        Ok(self.join_push.clone())
    }

    /// `on(event, callback)` returns the binding ref.
    pub fn on(&self, event: &str, cb: BindingCb<H>) -> u64 {
        let mut st = self.st.borrow_mut();
        let ref_ = st.binding_ref;
        st.binding_ref += 1;
        st.bindings.push(Binding {
            event: event.to_owned(),
            ref_,
            cb,
        });
        ref_
    }

    /// `off(event, ref)`: all bindings of the event, or only the one with that ref.
    pub fn off(&self, event: &str, ref_: Option<u64>) {
        self.st
            .borrow_mut()
            .bindings
            .retain(|b| !(b.event == event && ref_.is_none_or(|r| r == b.ref_)));
    }

    /// `off(event, ref)` with a ref that is not a number: matches nothing unless `undefined`.
    pub fn off_matching(&self, event: &str, pred: impl Fn(u64) -> bool) {
        self.st
            .borrow_mut()
            .bindings
            .retain(|b| !(b.event == event && pred(b.ref_)));
    }

    /// `canPush()`: the socket is connected and the channel joined.
    pub fn can_push(&self, socket: &Rc<SocketInner<H>>) -> bool {
        socket.is_connected() && self.state() == ChannelState::Joined
    }

    /// `push(event, payload, timeout)`.
    pub fn push(
        self: &Rc<Self>,
        event: &str,
        payload: H::Payload,
        timeout: Option<f64>,
    ) -> Result<Rc<Push<H>>, H::Error> {
        let Some(socket) = self.socket.upgrade() else {
            return Ok(Push::new(
                Rc::downgrade(self),
                event,
                Param::Value(payload),
                0.0,
            ));
        };
        let host = &socket.host;
        let payload = if host.truthy(&payload) {
            payload
        } else {
            host.empty_object()
        };
        let (joined_once, default_timeout, topic) = {
            let st = self.st.borrow();
            (st.joined_once, st.timeout, st.topic.clone())
        };
        if !joined_once {
            return Err(host.make_error(&format!(
                "tried to push '{event}' to '{topic}' before joining. Use channel.join() before pushing events"
            )));
        }
        let push = Push::new(
            Rc::downgrade(self),
            event,
            Param::Value(payload),
            timeout.unwrap_or(default_timeout),
        );
        if self.can_push(&socket) {
            push.send(host)?;
        } else {
            push.start_timeout(host, self, &socket);
            self.st.borrow_mut().push_buffer.push(push.clone());
        }
        Ok(push)
    }

    /// `leave(timeout)`: closes the channel synchronously (docs/protocol.md#b1).
    pub fn leave(self: &Rc<Self>, timeout: Option<f64>) -> Result<Rc<Push<H>>, H::Error> {
        let Some(socket) = self.socket.upgrade() else {
            return Ok(self.join_push.clone());
        };
        let host = &socket.host;
        self.reset_rejoin_timer(host);
        self.join_push.cancel_timeout(host);
        let timeout = {
            let mut st = self.st.borrow_mut();
            st.state = ChannelState::Leaving;
            timeout.unwrap_or(st.timeout)
        };
        let leave_push = Push::new(
            Rc::downgrade(self),
            event::LEAVE,
            Param::Value(host.empty_object()),
            timeout,
        );
        leave_push.receive(host, "ok", HookCb::LeaveClose)?;
        leave_push.receive(host, "timeout", HookCb::LeaveClose)?;
        leave_push.send(host)?;
        if !self.can_push(&socket) {
            leave_push.trigger(host, "ok", host.empty_object())?;
        }
        Ok(leave_push)
    }

    /// `rejoin(timeout)`.
    pub fn rejoin(
        self: &Rc<Self>,
        socket: &Rc<SocketInner<H>>,
        timeout: f64,
    ) -> Result<(), H::Error> {
        if self.state() == ChannelState::Leaving {
            return Ok(());
        }
        socket.leave_open_topic(&self.topic())?;
        self.set_state(ChannelState::Joining);
        self.join_push.resend(&socket.host, timeout)
    }

    /// `isMember(topic, event, payload, joinRef)`: the stale join_ref filter (docs/protocol.md#incoming-filter).
    pub fn is_member(
        &self,
        socket: &SocketInner<H>,
        topic: &str,
        event: &str,
        payload: &H::Payload,
        join_ref: &RefVal,
    ) -> Result<bool, H::Error> {
        if self.st.borrow().topic != topic {
            return Ok(false);
        }
        if join_ref.truthy() && *join_ref != self.join_ref() {
            socket.log_with(
                "channel",
                || "dropping outdated message".to_owned(),
                LogData::Outdated {
                    topic,
                    event,
                    payload,
                    join_ref,
                },
            )?;
            return Ok(false);
        }
        Ok(true)
    }

    /// `trigger(event, payload, ref, joinRef)`: the onMessage hook, then a snapshot of the
    /// matching bindings.
    pub fn trigger(
        self: &Rc<Self>,
        host: &H,
        event: Option<&str>,
        payload: &H::Payload,
        ref_: &RefVal,
        join_ref: &RefVal,
    ) -> Result<(), H::Error> {
        let hook = self.st.borrow().on_message.clone();
        let handled = match hook {
            Some(cb) => host.call_hook(self, &cb, event, payload, ref_, join_ref)?,
            None => payload.clone(),
        };
        if host.truthy(payload) && !host.truthy(&handled) {
            return Err(host.make_error(
                "channel onMessage callbacks must return the payload, modified or unmodified",
            ));
        }
        let Some(event) = event else {
            return Ok(());
        };
        let bindings: Vec<Binding<H>> = self
            .st
            .borrow()
            .bindings
            .iter()
            .filter(|b| b.event == event)
            .cloned()
            .collect();
        for b in &bindings {
            // `joinRef || this.joinRef()` is read for each binding: an earlier one may rejoin.
            let join_ref = if join_ref.truthy() {
                join_ref.clone()
            } else {
                self.join_ref()
            };
            self.run_binding(host, &b.cb, &handled, ref_, &join_ref)?;
        }
        Ok(())
    }

    fn run_binding(
        self: &Rc<Self>,
        host: &H,
        cb: &BindingCb<H>,
        payload: &H::Payload,
        ref_: &RefVal,
        join_ref: &RefVal,
    ) -> Result<(), H::Error> {
        match cb {
            BindingCb::User(f) => host.call_binding(f, payload, ref_, join_ref),
            BindingCb::UserOnError(f) => host.call_with(f, payload),
            BindingCb::InternalClose => {
                let Some(socket) = self.socket.upgrade() else {
                    return Ok(());
                };
                self.reset_rejoin_timer(host);
                socket.log_with(
                    "channel",
                    || format!("close {} {}", self.topic(), self.join_ref().js_display()),
                    LogData::None,
                )?;
                self.set_state(ChannelState::Closed);
                socket.remove(self);
                Ok(())
            }
            BindingCb::InternalError => {
                let Some(socket) = self.socket.upgrade() else {
                    return Ok(());
                };
                socket.log_with(
                    "channel",
                    || format!("error {}", self.topic()),
                    LogData::Value(payload),
                )?;
                if self.state() == ChannelState::Joining {
                    self.join_push.reset(host);
                }
                self.set_state(ChannelState::Errored);
                if socket.is_connected() {
                    self.schedule_rejoin(&socket)?;
                }
                Ok(())
            }
            BindingCb::InternalReply => {
                let ev = format!("chan_reply_{}", ref_.js_display());
                self.trigger(
                    host,
                    Some(&ev),
                    payload,
                    &RefVal::Undefined,
                    &RefVal::Undefined,
                )
            }
            BindingCb::PushReply(push) => match push.upgrade() {
                Some(push) => push.on_reply(host, payload),
                None => Ok(()),
            },
        }
    }

    /// Runs one receive hook of one of this channel's pushes.
    pub(crate) fn run_hook(
        self: &Rc<Self>,
        host: &H,
        push: &Push<H>,
        hook: &HookCb<H>,
        response: &H::Payload,
    ) -> Result<(), H::Error> {
        match hook {
            HookCb::User(f) => host.call_with(f, response),
            HookCb::JoinOk => {
                let Some(socket) = self.socket.upgrade() else {
                    return Ok(());
                };
                self.set_state(ChannelState::Joined);
                self.reset_rejoin_timer(host);
                let buffered: Vec<Rc<Push<H>>> = self.st.borrow().push_buffer.clone();
                for p in &buffered {
                    p.send(&socket.host)?;
                }
                self.st.borrow_mut().push_buffer.clear();
                Ok(())
            }
            HookCb::JoinError => {
                let Some(socket) = self.socket.upgrade() else {
                    return Ok(());
                };
                self.set_state(ChannelState::Errored);
                if socket.is_connected() {
                    self.schedule_rejoin(&socket)?;
                }
                Ok(())
            }
            HookCb::JoinTimeout => {
                let Some(socket) = self.socket.upgrade() else {
                    return Ok(());
                };
                let push_timeout = push.st.borrow().timeout;
                socket.log_with(
                    "channel",
                    || {
                        format!(
                            "timeout {} ({})",
                            self.topic(),
                            self.join_ref().js_display()
                        )
                    },
                    LogData::Number(push_timeout),
                )?;
                let timeout = self.st.borrow().timeout;
                let leave_push = Push::new(
                    Rc::downgrade(self),
                    event::LEAVE,
                    Param::Value(host.empty_object()),
                    timeout,
                );
                leave_push.send(host)?;
                self.set_state(ChannelState::Errored);
                self.join_push.reset(host);
                if socket.is_connected() {
                    self.schedule_rejoin(&socket)?;
                }
                Ok(())
            }
            HookCb::LeaveClose => {
                let Some(socket) = self.socket.upgrade() else {
                    return Ok(());
                };
                socket.log_with(
                    "channel",
                    || format!("leave {}", self.topic()),
                    LogData::None,
                )?;
                let payload = host.string_payload("leave");
                self.trigger(
                    host,
                    Some(event::CLOSE),
                    &payload,
                    &RefVal::Undefined,
                    &RefVal::Undefined,
                )
            }
        }
    }

    /// `rejoinTimer.reset()`.
    pub fn reset_rejoin_timer(&self, host: &H) {
        let t = {
            let mut st = self.st.borrow_mut();
            st.rejoin_timer.tries = 0;
            st.rejoin_timer.timer.take()
        };
        if let Some(t) = t {
            host.clear_timeout(&t);
        }
    }

    /// `rejoinTimer.scheduleTimeout()`.
    pub fn schedule_rejoin(self: &Rc<Self>, socket: &Rc<SocketInner<H>>) -> Result<(), H::Error> {
        let host = &socket.host;
        let (old, tries) = {
            let mut st = self.st.borrow_mut();
            (st.rejoin_timer.timer.take(), st.rejoin_timer.tries)
        };
        if let Some(t) = old {
            host.clear_timeout(&t);
        }
        let user = socket.st.borrow().rejoin_after_ms.clone();
        let delay = match user {
            Some(cb) => host.call_backoff(&cb, tries + 1)?,
            None => default_rejoin_after_ms(tries + 1),
        };
        let delay = socket.jitter(delay);
        let id = host.set_timeout(Task::Rejoin(self.clone()), delay);
        self.st.borrow_mut().rejoin_timer.timer = Some(id);
        Ok(())
    }

    /// The rejoin timer fired.
    pub(crate) fn handle_rejoin_timer(self: &Rc<Self>) -> Result<(), H::Error> {
        let Some(socket) = self.socket.upgrade() else {
            return Ok(());
        };
        let timeout = {
            let mut st = self.st.borrow_mut();
            st.rejoin_timer.timer = None;
            st.rejoin_timer.tries += 1;
            st.timeout
        };
        if socket.is_connected() {
            self.rejoin(&socket, timeout)?;
        }
        Ok(())
    }
}
