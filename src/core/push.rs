//! phoenix.js `push.js`: one message sent on a channel and the replies it waits for.
use std::cell::RefCell;
use std::rc::{Rc, Weak};

use super::channel::{BindingCb, Channel};
use super::host::{Host, Outgoing, Param, Task};
use super::RefVal;

/// What runs when a reply with a given status arrives (`recHooks`).
pub enum HookCb<H: Host> {
    /// A user `receive(status, cb)` callback.
    User(H::Callback),
    /// The channel's internal join `ok` hook (state joined, flush the push buffer).
    JoinOk,
    /// The channel's internal join `error` hook (state errored, schedule a rejoin).
    JoinError,
    /// The channel's internal join `timeout` hook (send a leave, reset, schedule a rejoin).
    JoinTimeout,
    /// `leave()`'s hooks: trigger `phx_close` with `"leave"`.
    LeaveClose,
}

impl<H: Host> Clone for HookCb<H> {
    fn clone(&self) -> Self {
        match self {
            HookCb::User(cb) => HookCb::User(cb.clone()),
            HookCb::JoinOk => HookCb::JoinOk,
            HookCb::JoinError => HookCb::JoinError,
            HookCb::JoinTimeout => HookCb::JoinTimeout,
            HookCb::LeaveClose => HookCb::LeaveClose,
        }
    }
}

/// A received reply, `receivedResp`: the `{status, response}` object by identity.
pub struct Received<P> {
    /// `status` of the reply (`None` when the payload had none).
    pub status: Option<String>,
    /// `response` of the reply.
    pub response: P,
    /// The whole `{status, response}` object, as received.
    pub object: P,
}

/// Mutable state of a [`Push`].
pub struct PushState<H: Host> {
    /// `push.event`.
    pub event: String,
    /// `push.payload`: an object or a function called at each send.
    pub payload: Param<H>,
    /// `push.receivedResp`.
    pub received: Option<Received<H::Payload>>,
    /// `push.timeout`.
    pub timeout: f64,
    /// The pending timeout timer.
    pub timeout_timer: Option<H::TimerId>,
    /// The channel, held strongly while the timeout is pending: in phoenix.js the timer's
    /// closure keeps the push and its channel alive, so a push still times out after its
    /// channel left and the app let go of both.
    pub timer_channel: Option<Rc<Channel<H>>>,
    /// `push.recHooks`: `(status, callback)` in registration order.
    pub rec_hooks: Vec<(String, HookCb<H>)>,
    /// `push.sent`.
    pub sent: bool,
    /// `undefined` until first sent, `null` after a reset.
    pub ref_: RefVal,
    /// `chan_reply_<ref>`, or `None` (JS `null`/`undefined`).
    pub ref_event: Option<String>,
}

/// A push. Always used behind an `Rc`; it refers to its channel weakly (the channel owns its
/// join push), so whoever hands a push to JavaScript keeps the channel alive next to it.
pub struct Push<H: Host> {
    /// The channel, weakly (the channel owns its join push).
    pub channel: Weak<Channel<H>>,
    /// Mutable state.
    pub st: RefCell<PushState<H>>,
    /// Opaque to the core: the shell keeps a weak handle to the push's JS object here, so
    /// that JavaScript sees one object per push.
    pub host_data: RefCell<Option<H::Payload>>,
}

impl<H: Host> Push<H> {
    /// A push of `event` with `payload` on `channel`, not sent yet (`new Push(...)`).
    pub fn new(
        channel: Weak<Channel<H>>,
        event: &str,
        payload: Param<H>,
        timeout: f64,
    ) -> Rc<Self> {
        Rc::new(Push {
            channel,
            st: RefCell::new(PushState {
                event: event.to_owned(),
                payload,
                received: None,
                timeout,
                timeout_timer: None,
                timer_channel: None,
                rec_hooks: Vec::new(),
                sent: false,
                ref_: RefVal::Undefined,
                ref_event: None,
            }),
            host_data: RefCell::new(None),
        })
    }

    /// `push.ref`.
    pub fn ref_(&self) -> RefVal {
        self.st.borrow().ref_.clone()
    }

    /// `resend(timeout)`: used by (re)joins.
    pub fn resend(self: &Rc<Self>, host: &H, timeout: f64) -> Result<(), H::Error> {
        self.st.borrow_mut().timeout = timeout;
        self.reset(host);
        self.send(host)
    }

    /// `send()`: a no-op once the push timed out.
    pub fn send(self: &Rc<Self>, host: &H) -> Result<(), H::Error> {
        if self.has_received("timeout") {
            return Ok(());
        }
        let Some(channel) = self.channel.upgrade() else {
            return Ok(());
        };
        let Some(socket) = channel.socket.upgrade() else {
            return Ok(());
        };
        self.start_timeout(host, &channel, &socket);
        let (event, payload_fn, ref_) = {
            let mut st = self.st.borrow_mut();
            st.sent = true;
            (st.event.clone(), st.payload.clone(), st.ref_.clone())
        };
        let payload = host.eval(&payload_fn)?;
        let msg = Outgoing {
            topic: channel.topic(),
            event,
            payload,
            ref_,
            join_ref: channel.join_ref(),
            raw: None,
        };
        socket.push(msg, Some(&channel))
    }

    /// `receive(status, callback)`: runs the callback now if that status already arrived, and
    /// keeps it for later replies either way.
    pub fn receive(&self, host: &H, status: &str, cb: HookCb<H>) -> Result<(), H::Error> {
        let now = {
            let st = self.st.borrow();
            match &st.received {
                Some(r) if r.status.as_deref() == Some(status) => Some(r.response.clone()),
                _ => None,
            }
        };
        if let Some(response) = now {
            if let Some(channel) = self.channel.upgrade() {
                channel.run_hook(host, self, &cb, &response)?;
            }
        }
        self.st.borrow_mut().rec_hooks.push((status.to_owned(), cb));
        Ok(())
    }

    /// `reset()`: forget the ref and any reply. The timer keeps running (P08).
    pub fn reset(&self, _host: &H) {
        self.cancel_ref_event();
        let mut st = self.st.borrow_mut();
        st.ref_ = RefVal::Null;
        st.ref_event = None;
        st.received = None;
        st.sent = false;
    }

    /// `cancelRefEvent()`: stops listening for `chan_reply_<ref>`.
    pub fn cancel_ref_event(&self) {
        let ev = self.st.borrow().ref_event.clone();
        if let (Some(ev), Some(channel)) = (ev, self.channel.upgrade()) {
            channel.off(&ev, None);
        }
    }

    /// `cancelTimeout()`: clears the timeout timer.
    pub fn cancel_timeout(&self, host: &H) {
        let (t, _channel) = {
            let mut st = self.st.borrow_mut();
            (st.timeout_timer.take(), st.timer_channel.take())
        };
        if let Some(t) = t {
            host.clear_timeout(&t);
        }
    }

    /// `startTimeout()`: a fresh ref, a reply binding and a timer.
    pub fn start_timeout(
        self: &Rc<Self>,
        host: &H,
        channel: &Rc<Channel<H>>,
        socket: &Rc<super::socket::SocketInner<H>>,
    ) {
        self.cancel_timeout(host);
        self.cancel_ref_event();
        let ref_ = socket.make_ref();
        let ref_event = format!("chan_reply_{ref_}");
        channel.on(&ref_event, BindingCb::PushReply(Rc::downgrade(self)));
        let timeout = {
            let mut st = self.st.borrow_mut();
            st.ref_ = RefVal::Str(ref_);
            st.ref_event = Some(ref_event);
            st.timeout
        };
        let id = host.set_timeout(Task::PushTimeout(self.clone()), timeout);
        let mut st = self.st.borrow_mut();
        st.timeout_timer = Some(id);
        st.timer_channel = Some(channel.clone());
    }

    /// `hasReceived(status)`: a reply with that status arrived.
    pub fn has_received(&self, status: &str) -> bool {
        matches!(&self.st.borrow().received, Some(r) if r.status.as_deref() == Some(status))
    }

    /// `trigger(status, response)`: a local reply through the channel.
    pub fn trigger(&self, host: &H, status: &str, response: H::Payload) -> Result<(), H::Error> {
        let Some(channel) = self.channel.upgrade() else {
            return Ok(());
        };
        let ev = self.st.borrow().ref_event.clone();
        let payload = host.reply_payload(status, response);
        channel.trigger(
            host,
            ev.as_deref(),
            &payload,
            &RefVal::Undefined,
            &RefVal::Undefined,
        )
    }

    /// The reply binding: the first reply wins.
    pub(crate) fn on_reply(
        self: &Rc<Self>,
        host: &H,
        payload: &H::Payload,
    ) -> Result<(), H::Error> {
        self.cancel_ref_event();
        self.cancel_timeout(host);
        let parts = host.reply_parts(payload);
        // receivedResp is stored before matchReceive destructures it.
        let (status, response) = match parts {
            Ok(p) => p,
            Err(e) => {
                self.st.borrow_mut().received = None;
                return Err(e);
            }
        };
        self.st.borrow_mut().received = Some(Received {
            status: status.clone(),
            response: response.clone(),
            object: payload.clone(),
        });
        self.run_hooks(host, status.as_deref(), &response)
    }

    /// `matchReceive({status, response})`: runs the hooks registered for that status.
    pub fn match_receive(self: &Rc<Self>, host: &H, payload: &H::Payload) -> Result<(), H::Error> {
        let (status, response) = host.reply_parts(payload)?;
        self.run_hooks(host, status.as_deref(), &response)
    }

    fn run_hooks(
        self: &Rc<Self>,
        host: &H,
        status: Option<&str>,
        response: &H::Payload,
    ) -> Result<(), H::Error> {
        let hooks: Vec<HookCb<H>> = {
            let st = self.st.borrow();
            st.rec_hooks
                .iter()
                .filter(|(s, _)| status == Some(s.as_str()))
                .map(|(_, h)| h.clone())
                .collect()
        };
        let Some(channel) = self.channel.upgrade() else {
            return Ok(());
        };
        for hook in &hooks {
            channel.run_hook(host, self, hook, response)?;
        }
        Ok(())
    }
}
