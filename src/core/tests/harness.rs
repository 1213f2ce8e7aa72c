//! The test host: a virtual clock, a timer table, scripted transports and recording callbacks.
//!
//! Modelled on quinn-proto's `tests/util.rs` (`Pair`: virtual time, `step()`, `drive()`) and on
//! h2's mock peer: a test reads as a conversation between the app (commands on the socket and
//! its channels), the server (`recv`, `open`, `server_close`) and the clock (`advance`).
//!
//! ```ignore
//! let t = Harness::new();
//! let ch = t.channel("room:lobby");
//! t.join(&ch);
//! t.connect();
//! t.open();
//! t.expect_sent(&[r#"["3","3","room:lobby","phx_join",{}]"#]);
//! t.recv(&reply("3", "3", "room:lobby", "ok", "{}"));
//! ```
//!
//! Everything observable goes into one ordered log of [`Ev`]s: frames sent, transports opened
//! and closed, user callbacks called, logger lines and uncaught exceptions. `take_*` drains one
//! kind of entry and leaves the others, so a test can check frames and callbacks separately or
//! everything in order (`take_log`).
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::fmt::Write as _;
use std::rc::{Rc, Weak};

use crate::core::channel::{BindingCb, Channel};
use crate::core::constants::ready_state;
use crate::core::host::{DecodeCont, Host, Incoming, LogData, Outgoing, Param, SendCont, Task};
use crate::core::push::{HookCb, Push};
use crate::core::socket::{Connection, Options, SockCb, SocketInner};
use crate::core::RefVal;

// ---- values ----------------------------------------------------------------------------------

/// A JSON-like JavaScript value. Payloads are `Rc<Value>`, so identity is `Rc::ptr_eq`.
#[derive(Debug, PartialEq)]
pub enum Value {
    Undefined,
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<P>),
    Obj(Vec<(String, P)>),
}

/// A payload.
pub type P = Rc<Value>;

impl Value {
    /// `obj[key]`, `undefined` when missing.
    pub fn get(&self, key: &str) -> Option<&P> {
        match self {
            Value::Obj(kv) => kv.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn truthy(&self) -> bool {
        match self {
            Value::Undefined | Value::Null => false,
            Value::Bool(b) => *b,
            Value::Num(n) => *n != 0.0 && !n.is_nan(),
            Value::Str(s) => !s.is_empty(),
            Value::Arr(_) | Value::Obj(_) => true,
        }
    }

    /// `String(v)`.
    pub fn js_string(&self) -> String {
        match self {
            Value::Undefined => "undefined".into(),
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Num(n) => num(*n),
            Value::Str(s) => s.clone(),
            Value::Arr(a) => a
                .iter()
                .map(|v| match **v {
                    Value::Undefined | Value::Null => String::new(),
                    ref v => v.js_string(),
                })
                .collect::<Vec<_>>()
                .join(","),
            Value::Obj(_) => "[object Object]".into(),
        }
    }
}

fn num(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n.fract() == 0.0 && n.abs() < 1e21 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Compact JSON, except that `undefined` shows as `undefined`.
pub fn show(v: &Value) -> String {
    let mut out = String::new();
    show_into(v, &mut out);
    out
}

fn show_into(v: &Value, out: &mut String) {
    match v {
        Value::Str(s) => {
            out.push('"');
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    c if (c as u32) < 0x20 => {
                        let _ = write!(out, "\\u{:04x}", c as u32);
                    }
                    c => out.push(c),
                }
            }
            out.push('"');
        }
        Value::Arr(a) => {
            out.push('[');
            for (i, v) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                show_into(v, out);
            }
            out.push(']');
        }
        Value::Obj(kv) => {
            out.push('{');
            for (i, (k, v)) in kv.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                show_into(&Value::Str(k.clone()), out);
                out.push(':');
                show_into(v, out);
            }
            out.push('}');
        }
        Value::Num(n) => out.push_str(&num(*n)),
        v => out.push_str(&v.js_string()),
    }
}

/// Parses JSON (plus the literal `undefined`) or panics: for literals in tests.
pub fn json(s: &str) -> P {
    parse(s).unwrap_or_else(|| panic!("bad JSON in test: {s}"))
}

/// Parses JSON (plus the literal `undefined`); `None` on any syntax error. Never panics.
pub fn parse(s: &str) -> Option<P> {
    let mut p = Parser {
        b: s.as_bytes(),
        i: 0,
        depth: 0,
    };
    let v = p.value()?;
    p.ws();
    (p.i == p.b.len()).then_some(v)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    depth: u32,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\t' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.peek()? == c).then(|| self.i += 1)
    }

    fn lit(&mut self, l: &str, v: Value) -> Option<Value> {
        let end = self.i.checked_add(l.len())?;
        (self.b.get(self.i..end)? == l.as_bytes()).then(|| {
            self.i = end;
            v
        })
    }

    fn value(&mut self) -> Option<P> {
        self.ws();
        self.depth += 1;
        if self.depth > 64 {
            return None;
        }
        let v = match self.peek()? {
            b'{' => {
                self.i += 1;
                let mut kv: Vec<(String, P)> = Vec::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        let k = self.string()?;
                        self.eat(b':')?;
                        let v = self.value()?;
                        match kv.iter_mut().find(|(kk, _)| *kk == k) {
                            Some(slot) => slot.1 = v,
                            None => kv.push((k, v)),
                        }
                        self.ws();
                        match self.peek()? {
                            b',' => self.i += 1,
                            b'}' => {
                                self.i += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                Value::Obj(kv)
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                } else {
                    loop {
                        items.push(self.value()?);
                        self.ws();
                        match self.peek()? {
                            b',' => self.i += 1,
                            b']' => {
                                self.i += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                Value::Arr(items)
            }
            b'"' => Value::Str(self.string()?),
            b't' => self.lit("true", Value::Bool(true))?,
            b'f' => self.lit("false", Value::Bool(false))?,
            b'n' => self.lit("null", Value::Null)?,
            b'u' => self.lit("undefined", Value::Undefined)?,
            _ => {
                let start = self.i;
                while matches!(
                    self.peek(),
                    Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                ) {
                    self.i += 1;
                }
                let text = std::str::from_utf8(self.b.get(start..self.i)?).ok()?;
                Value::Num(text.parse().ok()?)
            }
        };
        self.depth -= 1;
        Some(Rc::new(v))
    }

    fn string(&mut self) -> Option<String> {
        if self.peek()? != b'"' {
            return None;
        }
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let c = self.peek()?;
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = self.peek()?;
                    self.i += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'u' => {
                            let hex = std::str::from_utf8(self.b.get(self.i..self.i + 4)?).ok()?;
                            self.i += 4;
                            let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)
                                .unwrap_or('\u{fffd}');
                            out.extend_from_slice(c.to_string().as_bytes());
                        }
                        e => out.push(e),
                    }
                }
                c => out.push(c),
            }
        }
        String::from_utf8(out).ok()
    }
}

fn ref_val(r: &RefVal) -> P {
    Rc::new(match r {
        RefVal::Undefined => Value::Undefined,
        RefVal::Null => Value::Null,
        RefVal::Str(s) => Value::Str(s.clone()),
        RefVal::Num(x) => Value::Num(*x),
    })
}

fn to_ref(v: Option<&P>) -> RefVal {
    match v.map(|v| &**v) {
        None | Some(Value::Undefined) => RefVal::Undefined,
        Some(Value::Null) => RefVal::Null,
        Some(Value::Str(s)) => RefVal::Str(s.clone()),
        Some(Value::Num(x)) => RefVal::Num(*x),
        // Other shapes compare unequal (`===`) to every string ref: keep them distinguishable.
        Some(v) => RefVal::Str(format!("#{}", v.js_string())),
    }
}

/// A `phx_reply` frame from the server.
pub fn reply(join_ref: &str, ref_: &str, topic: &str, status: &str, response: &str) -> String {
    format!(
        r#"[{},{},"{topic}","phx_reply",{{"status":"{status}","response":{response}}}]"#,
        opt_ref(join_ref),
        opt_ref(ref_)
    )
}

/// A frame from the server; `join_ref`/`ref_` of `"null"` become JSON `null`.
pub fn frame(join_ref: &str, ref_: &str, topic: &str, event: &str, payload: &str) -> String {
    format!(
        r#"[{},{},"{topic}","{event}",{payload}]"#,
        opt_ref(join_ref),
        opt_ref(ref_)
    )
}

fn opt_ref(r: &str) -> String {
    if r == "null" {
        "null".into()
    } else {
        format!("\"{r}\"")
    }
}

// ---- the host --------------------------------------------------------------------------------

/// A thrown JavaScript exception.
#[derive(Clone, Debug, PartialEq)]
pub struct JsError(pub String);

/// A user function: recorded in the log when called, then `body` runs (if any).
pub struct Func {
    pub name: String,
    /// Not recorded (backoff functions, params).
    pub quiet: bool,
    pub body: Option<FuncBody>,
}

/// The Rust closure behind a [`Func`]: the call's arguments in, its return value or throw out.
pub type FuncBody = Box<dyn Fn(&[P]) -> Result<Option<P>, JsError>>;

pub type Callback = Rc<Func>;

/// A transport instance.
pub struct FakeTransport {
    pub id: usize,
    /// The class it was made from (`"WebSocket"` or `"LongPoll"`).
    pub class: String,
    pub url: String,
    pub protocols: Option<String>,
    pub ready_state: Cell<u16>,
    pub buffered: Cell<bool>,
    pub skip_heartbeat: Cell<bool>,
    pub onerror_noop: Cell<bool>,
    pub sent: RefCell<Vec<String>>,
    pub closes: RefCell<Vec<(Option<f64>, String)>>,
    pub conn: RefCell<Weak<Connection<TestHost>>>,
}

pub type Tr = Rc<FakeTransport>;

/// One observable thing, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Ev {
    /// A transport was constructed: `(transport id, url)`.
    Connect(usize, String),
    /// A frame went out on a transport.
    Sent(usize, String),
    /// The socket closed a transport.
    Close(usize, Option<f64>, String),
    /// A user callback ran.
    Call(String),
    /// The logger ran.
    Log(String),
    /// An exception escaped a timer callback (uncaught in JS).
    Uncaught(String),
}

impl std::fmt::Display for Ev {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ev::Connect(id, url) => write!(f, "#{id} new {url}"),
            Ev::Sent(id, fr) => write!(f, "#{id} > {fr}"),
            Ev::Close(id, Some(c), r) => write!(f, "#{id} close({}, {r:?})", num(*c)),
            Ev::Close(id, None, _) => write!(f, "#{id} close()"),
            Ev::Call(c) => write!(f, "{c}"),
            Ev::Log(l) => write!(f, "log {l}"),
            Ev::Uncaught(e) => write!(f, "uncaught {e}"),
        }
    }
}

enum HTask {
    Core(Task<TestHost>),
    /// A closing transport finishes closing: `readyState = 3`, then `onclose`.
    CloseEvent(Tr, P),
}

/// An armed timer: due time, arming sequence number (ties fire in arming order), kind, task.
type PendingTimer = (f64, u64, String, Rc<HTask>);

/// Shared state of the test host and the harness.
pub struct World {
    pub now: Cell<f64>,
    /// The seeded random source (xorshift64*), and how many numbers were drawn from it.
    pub rng: Cell<u64>,
    pub randoms_drawn: Cell<u32>,
    seq: Cell<u64>,
    timers: RefCell<Vec<PendingTimer>>,
    /// Every `set_timeout` as `"<kind> <delay>"`, drained by `take_timers`.
    pub timers_set: RefCell<Vec<String>>,
    pub log: RefCell<Vec<Ev>>,
    pub transports: RefCell<Vec<Tr>>,
    pub socket: RefCell<Weak<SocketInner<TestHost>>>,
    /// How long a closed transport takes to emit `close` (`None`: only when the test says so).
    pub close_delay: Cell<Option<f64>>,
    /// `close()` emits the close event synchronously (LongPoll does).
    pub sync_close: Cell<bool>,
    /// The server answers every frame with `ok` from inside `send` (a synchronous fake server).
    pub auto_reply: Cell<bool>,
    work: Cell<u64>,
    /// The logger throws for this kind of line (`"*"`: every line).
    pub logger_throws: RefCell<Option<String>>,
    /// Hold encodes/decodes until `finish_codec` (an async custom encoder/decoder).
    pub defer_codec: Cell<bool>,
    deferred_sends: RefCell<Vec<(SendCont<TestHost>, String)>>,
    deferred_receives: RefCell<Vec<(DecodeCont<TestHost>, Incoming<P>)>>,
    pub page_hidden: Cell<bool>,
    /// `new transport(...)` throws this.
    pub open_error: RefCell<Option<String>>,
    pub removed: RefCell<Vec<String>>,
    /// `sessionStorage`.
    pub session: RefCell<Vec<(String, String)>>,
}

/// The [`Host`] of the native tests.
#[derive(Clone)]
pub struct TestHost {
    pub w: Rc<World>,
}

impl World {
    fn record(&self, ev: Ev) {
        self.log.borrow_mut().push(ev);
    }

    fn socket(&self) -> Option<Rc<SocketInner<TestHost>>> {
        self.socket.borrow().upgrade()
    }

    fn add_timer(&self, delay: f64, kind: String, task: HTask) -> u64 {
        self.tick();
        let seq = self.seq.get() + 1;
        self.seq.set(seq);
        // setTimeout clamps NaN and negative delays to 0.
        let delay = if delay.is_nan() || delay < 0.0 {
            0.0
        } else {
            delay
        };
        self.timers
            .borrow_mut()
            .push((self.now.get() + delay, seq, kind, Rc::new(task)));
        seq
    }

    /// Counts work, so that a runaway loop fails instead of hanging.
    fn tick(&self) {
        let n = self.work.get() + 1;
        self.work.set(n);
        assert!(
            n < 1_000_000,
            "runaway: a million host calls in one harness"
        );
    }

    fn call(&self, f: &Func, args: &[P]) -> Result<Option<P>, JsError> {
        self.tick();
        if !f.quiet {
            let shown: Vec<String> = args.iter().map(|a| show(a)).collect();
            self.record(Ev::Call(format!("{}({})", f.name, shown.join(", "))));
        }
        match &f.body {
            Some(body) => body(args),
            None => Ok(None),
        }
    }
}

fn task_kind(task: &Task<TestHost>) -> String {
    match task {
        Task::Reconnect => "reconnect".into(),
        Task::Heartbeat => "heartbeat".into(),
        Task::HeartbeatTimeout => "heartbeat_timeout".into(),
        Task::Rejoin(c) => {
            format!(
                "rejoin {}",
                c.st.try_borrow()
                    .map(|s| s.topic.clone())
                    .unwrap_or_default()
            )
        }
        Task::PushTimeout(p) => {
            format!(
                "push_timeout {}",
                p.st.try_borrow()
                    .map(|s| s.event.clone())
                    .unwrap_or_default()
            )
        }
        Task::BufferWait(_) => "buffer_wait".into(),
        Task::ClosedWait(_) => "closed_wait".into(),
        Task::Fallback(_) => "fallback".into(),
    }
}

fn obj(kv: Vec<(&str, P)>) -> P {
    Rc::new(Value::Obj(
        kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
    ))
}

fn s(v: &str) -> P {
    Rc::new(Value::Str(v.to_owned()))
}

fn n(v: f64) -> P {
    Rc::new(Value::Num(v))
}

impl Host for TestHost {
    type Payload = P;
    type Callback = Callback;
    type Transport = Tr;
    type TransportClass = String;
    type Frame = String;
    type Error = JsError;
    type TimerId = u64;

    fn now(&self) -> f64 {
        self.w.now.get()
    }

    fn random(&self) -> f64 {
        let mut x = self.w.rng.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.w.rng.set(x);
        self.w.randoms_drawn.set(self.w.randoms_drawn.get() + 1);
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn set_timeout(&self, task: Task<Self>, delay: f64) -> u64 {
        let kind = task_kind(&task);
        self.w
            .timers_set
            .borrow_mut()
            .push(format!("{kind} {}", num(delay)));
        self.w.add_timer(delay, kind, HTask::Core(task))
    }

    fn clear_timeout(&self, id: &u64) {
        self.w.timers.borrow_mut().retain(|t| t.1 != *id);
    }

    fn call_void(&self, cb: &Callback) -> Result<(), JsError> {
        self.w.call(cb, &[]).map(drop)
    }

    fn call_with(&self, cb: &Callback, arg: &P) -> Result<(), JsError> {
        self.w.call(cb, std::slice::from_ref(arg)).map(drop)
    }

    fn call_number(&self, cb: &Callback, x: f64) -> Result<(), JsError> {
        self.w.call(cb, &[n(x)]).map(drop)
    }

    fn call_binding(
        &self,
        cb: &Callback,
        payload: &P,
        r: &RefVal,
        jr: &RefVal,
    ) -> Result<(), JsError> {
        self.w
            .call(cb, &[payload.clone(), ref_val(r), ref_val(jr)])
            .map(drop)
    }

    fn call_on_error(
        &self,
        cb: &Callback,
        error: &P,
        transport: &String,
        established: u32,
    ) -> Result<(), JsError> {
        self.w
            .call(
                cb,
                &[error.clone(), s(transport), n(f64::from(established))],
            )
            .map(drop)
    }

    fn call_backoff(&self, cb: &Callback, tries: u32) -> Result<f64, JsError> {
        let r = self.w.call(cb, &[n(f64::from(tries))])?;
        Ok(match r.as_deref() {
            Some(Value::Num(x)) => *x,
            _ => f64::NAN,
        })
    }

    fn call_hook(
        &self,
        _channel: &Rc<Channel<TestHost>>,
        cb: &Callback,
        event: Option<&str>,
        payload: &P,
        r: &RefVal,
        jr: &RefVal,
    ) -> Result<P, JsError> {
        let ev = event.map_or_else(|| Rc::new(Value::Null), s);
        let out = self
            .w
            .call(cb, &[ev, payload.clone(), ref_val(r), ref_val(jr)])?;
        Ok(out.unwrap_or_else(|| payload.clone()))
    }

    fn call_logger(
        &self,
        _logger: &Callback,
        kind: &str,
        msg: Option<&str>,
        data: LogData<'_, P>,
    ) -> Result<(), JsError> {
        if let Some(k) = self.w.logger_throws.borrow().as_deref() {
            if k == "*" || k == kind {
                return Err(JsError(format!("logger threw on {kind}")));
            }
        }
        let data = match data {
            LogData::None => String::new(),
            LogData::Value(v) => format!(" {}", show(v)),
            LogData::Number(x) => format!(" {}", num(x)),
            LogData::Outdated {
                topic,
                event,
                payload,
                join_ref,
            } => format!(
                " {{topic:{topic},event:{event},payload:{},joinRef:{}}}",
                show(payload),
                join_ref.js_display()
            ),
        };
        self.w.record(Ev::Log(format!(
            "{kind}: {}{data}",
            msg.unwrap_or("undefined")
        )));
        Ok(())
    }

    fn call_value(&self, cb: &Callback) -> Result<P, JsError> {
        Ok(self.w.call(cb, &[])?.unwrap_or_else(|| obj(vec![])))
    }

    fn truthy(&self, p: &P) -> bool {
        p.truthy()
    }

    fn empty_object(&self) -> P {
        obj(vec![])
    }

    fn string_payload(&self, v: &str) -> P {
        s(v)
    }

    fn reply_payload(&self, status: &str, response: P) -> P {
        obj(vec![("status", s(status)), ("response", response)])
    }

    fn reply_parts(&self, p: &P) -> Result<(Option<String>, P), JsError> {
        match &**p {
            Value::Undefined | Value::Null => Err(JsError(format!(
                "TypeError: Cannot destructure '{}'",
                p.js_string()
            ))),
            v => {
                let status = match v.get("status").map(|s| &**s) {
                    Some(Value::Str(s)) => Some(s.clone()),
                    _ => None,
                };
                let response = v
                    .get("response")
                    .cloned()
                    .unwrap_or_else(|| Rc::new(Value::Undefined));
                Ok((status, response))
            }
        }
    }

    fn log_status(&self, p: &P) -> Result<String, JsError> {
        match &**p {
            Value::Undefined | Value::Null => Err(JsError(format!(
                "TypeError: Cannot read properties of {} (reading 'status')",
                p.js_string()
            ))),
            v => Ok(v
                .get("status")
                .filter(|s| s.truthy())
                .map(|s| s.js_string())
                .unwrap_or_default()),
        }
    }

    fn transport_error_payload(&self, reason: &str) -> P {
        obj(vec![("source", s("transport")), ("reason", s(reason))])
    }

    fn to_js_string(&self, p: &P) -> String {
        p.js_string()
    }

    fn make_error(&self, msg: &str) -> JsError {
        JsError(msg.to_owned())
    }

    fn append_params(&self, url: &str, params: &P) -> Result<String, JsError> {
        let Value::Obj(kv) = &**params else {
            return Ok(url.to_owned());
        };
        if kv.is_empty() {
            return Ok(url.to_owned());
        }
        let parts: Vec<String> = kv
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    crate::core::socket::encode_uri_component(k),
                    crate::core::socket::encode_uri_component(&v.js_string())
                )
            })
            .collect();
        let sep = if url.contains('?') { '&' } else { '?' };
        Ok(format!("{url}{sep}{}", parts.join("&")))
    }

    fn location(&self) -> Result<(String, String), JsError> {
        Ok(("https:".into(), "example.com".into()))
    }

    fn btoa(&self, v: &str) -> Result<String, JsError> {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let bytes: Vec<u8> = v.bytes().collect();
        let mut out = String::new();
        for c in bytes.chunks(3) {
            let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
            let x = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= c.len() {
                    out.push(T[((x >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        Ok(out)
    }

    fn open_transport(
        &self,
        class: &String,
        url: &str,
        protocols: Option<&str>,
        _bt: &P,
        _timeout: f64,
    ) -> Result<Tr, JsError> {
        if let Some(e) = self.w.open_error.borrow().clone() {
            return Err(JsError(e));
        }
        let id = self.w.transports.borrow().len() + 1;
        let tr = Rc::new(FakeTransport {
            id,
            class: class.clone(),
            url: url.to_owned(),
            protocols: protocols.map(str::to_owned),
            ready_state: Cell::new(ready_state::CONNECTING),
            buffered: Cell::new(false),
            // LongPoll has `skipHeartbeat = true`.
            skip_heartbeat: Cell::new(class == "LongPoll"),
            onerror_noop: Cell::new(false),
            sent: RefCell::new(Vec::new()),
            closes: RefCell::new(Vec::new()),
            conn: RefCell::new(Weak::new()),
        });
        self.w.transports.borrow_mut().push(tr.clone());
        self.w.record(Ev::Connect(id, url.to_owned()));
        Ok(tr)
    }

    fn attach(&self, connection: &Rc<Connection<Self>>) {
        *connection.transport.conn.borrow_mut() = Rc::downgrade(connection);
    }

    fn ready_state(&self, t: &Tr) -> u16 {
        t.ready_state.get()
    }

    fn has_buffered_amount(&self, t: &Tr) -> bool {
        t.buffered.get()
    }

    fn skip_heartbeat(&self, t: &Tr) -> bool {
        t.skip_heartbeat.get()
    }

    fn close_transport(&self, t: &Tr, code: Option<f64>, reason: &str) -> Result<(), JsError> {
        t.onerror_noop.set(true);
        // WebSocket.close(code) throws for codes other than 1000 and 3000-4999.
        if let Some(c) = code {
            if c != 1000.0 && !(3000.0..=4999.0).contains(&c) {
                return Err(JsError(format!(
                    "InvalidAccessError: close code {}",
                    num(c)
                )));
            }
        }
        t.closes.borrow_mut().push((code, reason.to_owned()));
        self.w.record(Ev::Close(t.id, code, reason.to_owned()));
        // WebSocket.close(): CONNECTING/OPEN → CLOSING, and the close event comes later.
        if matches!(
            t.ready_state.get(),
            ready_state::CONNECTING | ready_state::OPEN
        ) {
            t.ready_state.set(ready_state::CLOSING);
            if self.w.sync_close.get() {
                // Some transports emit `close` from inside `close()`.
                t.ready_state.set(ready_state::CLOSED);
                let conn = t.conn.borrow().upgrade();
                if let (Some(conn), Some(sock)) = (conn, self.w.socket()) {
                    sock.handle_close(&conn, &close_event(code.unwrap_or(1005.0), reason, true))?;
                }
            } else if let Some(delay) = self.w.close_delay.get() {
                let ev = close_event(code.unwrap_or(1005.0), reason, true);
                self.w.add_timer(
                    delay,
                    "close_event".into(),
                    HTask::CloseEvent(t.clone(), ev),
                );
            }
        }
        Ok(())
    }

    fn out_frame_size(&self, frame: &String) -> f64 {
        frame.encode_utf16().count() as f64
    }

    fn frame_size(&self, data: &P) -> f64 {
        match &**data {
            Value::Str(s) => s.encode_utf16().count() as f64,
            _ => 0.0,
        }
    }

    fn send_frame(&self, t: &Tr, frame: &String) -> Result<(), JsError> {
        if t.ready_state.get() == ready_state::CONNECTING {
            return Err(JsError(
                "InvalidStateError: Still in CONNECTING state".into(),
            ));
        }
        // socket.js `send`: only the current, open connection ever sends.
        if let Some(sock) = self.w.socket() {
            let st = sock
                .st
                .try_borrow()
                .expect("socket state borrowed across send_frame");
            let current = st
                .connection
                .as_ref()
                .is_some_and(|c| Rc::ptr_eq(&c.transport, t));
            assert!(
                current && t.ready_state.get() == ready_state::OPEN,
                "frame sent on a stale or closed transport"
            );
        }
        self.w.tick();
        t.sent.borrow_mut().push(frame.clone());
        self.w.record(Ev::Sent(t.id, frame.clone()));
        if self.w.auto_reply.get() {
            return self.auto_reply(t, frame);
        }
        Ok(())
    }

    fn transport_name(&self, class: &String) -> String {
        class.clone()
    }

    fn encode(&self, msg: Outgoing<P>, k: SendCont<Self>) -> Result<(), JsError> {
        let arr = Value::Arr(vec![
            ref_val(&null_if_undefined(&msg.join_ref)),
            ref_val(&null_if_undefined(&msg.ref_)),
            s(&msg.topic),
            s(&msg.event),
            msg.payload.clone(),
        ]);
        let frame = show(&arr);
        if self.w.defer_codec.get() {
            self.w.deferred_sends.borrow_mut().push((k, frame));
            return Ok(());
        }
        match self.w.socket() {
            Some(sock) => sock.finish_send(k, frame),
            None => Ok(()),
        }
    }

    fn decode(&self, raw: &P, k: DecodeCont<Self>) -> Result<(), JsError> {
        let text = match &**raw {
            Value::Str(t) => t.clone(),
            v => return Err(JsError(format!("SyntaxError: not JSON: {}", show(v)))),
        };
        let Some(v) = parse(&text) else {
            return Err(JsError(format!(
                "SyntaxError: Unexpected token in JSON: {text}"
            )));
        };
        let Value::Arr(items) = &*v else {
            return Err(JsError("TypeError: object is not iterable".into()));
        };
        let field = |i: usize| {
            items
                .get(i)
                .cloned()
                .unwrap_or_else(|| Rc::new(Value::Undefined))
        };
        let (jr, r, topic, event, payload) = (field(0), field(1), field(2), field(3), field(4));
        let raw_obj = obj(vec![
            ("join_ref", jr.clone()),
            ("ref", r.clone()),
            ("topic", topic.clone()),
            ("event", event.clone()),
            ("payload", payload.clone()),
        ]);
        let msg = Incoming {
            join_ref: to_ref(Some(&jr)),
            ref_: to_ref(Some(&r)),
            topic: topic.js_string(),
            event: event.js_string(),
            payload,
            raw: Some(raw_obj),
        };
        if self.w.defer_codec.get() {
            self.w.deferred_receives.borrow_mut().push((k, msg));
            return Ok(());
        }
        match self.w.socket() {
            Some(sock) => sock.finish_receive(k, msg),
            None => Ok(()),
        }
    }

    fn get_session(&self, key: &str) -> Result<Option<String>, JsError> {
        Ok(self
            .w
            .session
            .borrow()
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone()))
    }

    fn store_session(&self, key: &str, value: &str) -> Result<(), JsError> {
        let mut session = self.w.session.borrow_mut();
        session.retain(|(k, _)| k != key);
        session.push((key.to_owned(), value.to_owned()));
        Ok(())
    }

    fn page_hidden(&self) -> bool {
        self.w.page_hidden.get()
    }

    fn channel_removed(&self, channel: &Rc<Channel<Self>>) {
        let topic = channel
            .st
            .try_borrow()
            .map(|s| s.topic.clone())
            .unwrap_or_default();
        self.w.removed.borrow_mut().push(topic);
    }
}

impl TestHost {
    /// A synchronous fake server: answers every frame with an `ok` reply from inside `send`.
    fn auto_reply(&self, t: &Tr, frame: &str) -> Result<(), JsError> {
        let Some(v) = parse(frame) else { return Ok(()) };
        let Value::Arr(items) = &*v else {
            return Ok(());
        };
        let [jr, r, topic, ..] = items.as_slice() else {
            return Ok(());
        };
        let reply = format!(
            r#"[{},{},{},"phx_reply",{{"status":"ok","response":{{}}}}]"#,
            show(jr),
            show(r),
            show(topic)
        );
        let conn = t.conn.borrow().upgrade();
        match (conn, self.w.socket()) {
            (Some(conn), Some(sock)) => sock.handle_message(&conn, &s(&reply)),
            _ => Ok(()),
        }
    }
}

fn null_if_undefined(r: &RefVal) -> RefVal {
    match r {
        RefVal::Undefined => RefVal::Null,
        r => r.clone(),
    }
}

/// A close event `{code, reason, wasClean}`.
pub fn close_event(code: f64, reason: &str, clean: bool) -> P {
    obj(vec![
        ("code", n(code)),
        ("reason", s(reason)),
        ("wasClean", Rc::new(Value::Bool(clean))),
    ])
}

// ---- the harness -----------------------------------------------------------------------------

/// Socket options for [`Harness::build`].
pub struct Opts {
    pub timeout: f64,
    pub heartbeat_interval_ms: f64,
    pub reconnect_after_ms: Option<Callback>,
    pub rejoin_after_ms: Option<Callback>,
    pub logger: bool,
    pub params: Option<P>,
    pub auth_token: Option<String>,
    pub end_point: String,
    /// `longPollFallbackMs` (with `"LongPoll"` as the LongPoll class).
    pub long_poll_fallback_ms: Option<f64>,
    /// `reconnectJitter`.
    pub reconnect_jitter: f64,
    /// The seed of the host's random source.
    pub seed: u64,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            timeout: 10000.0,
            heartbeat_interval_ms: 30000.0,
            reconnect_after_ms: None,
            rejoin_after_ms: None,
            logger: false,
            params: None,
            auth_token: None,
            end_point: "ws://example.com/socket".into(),
            long_poll_fallback_ms: None,
            reconnect_jitter: 0.0,
            seed: 0x9E37_79B9_7F4A_7C15,
        }
    }
}

pub type Ch = Rc<Channel<TestHost>>;
pub type Ps = Rc<Push<TestHost>>;
pub type Sock = Rc<SocketInner<TestHost>>;

/// A socket, its host and a virtual clock.
pub struct Harness {
    pub w: Rc<World>,
    pub socket: Sock,
}

impl Default for Harness {
    fn default() -> Self {
        Harness::new()
    }
}

impl Harness {
    pub fn new() -> Self {
        Harness::build(Opts::default())
    }

    pub fn build(opts: Opts) -> Self {
        let w = Rc::new(World {
            now: Cell::new(0.0),
            rng: Cell::new(opts.seed | 1),
            randoms_drawn: Cell::new(0),
            seq: Cell::new(0),
            timers: RefCell::new(Vec::new()),
            timers_set: RefCell::new(Vec::new()),
            log: RefCell::new(Vec::new()),
            transports: RefCell::new(Vec::new()),
            socket: RefCell::new(Weak::new()),
            close_delay: Cell::new(Some(0.0)),
            sync_close: Cell::new(false),
            auto_reply: Cell::new(false),
            work: Cell::new(0),
            logger_throws: RefCell::new(None),
            defer_codec: Cell::new(false),
            deferred_sends: RefCell::new(Vec::new()),
            deferred_receives: RefCell::new(Vec::new()),
            page_hidden: Cell::new(false),
            open_error: RefCell::new(None),
            removed: RefCell::new(Vec::new()),
            session: RefCell::new(Vec::new()),
        });
        let host = TestHost { w: w.clone() };
        let options = Options {
            timeout: opts.timeout,
            heartbeat_interval_ms: opts.heartbeat_interval_ms,
            reconnect_after_ms: opts.reconnect_after_ms,
            rejoin_after_ms: opts.rejoin_after_ms,
            reconnect_jitter: opts.reconnect_jitter,
            logger: opts.logger.then(|| quiet("logger", |_| Ok(None))),
            longpoller_timeout: 20000.0,
            params: Param::Value(opts.params.unwrap_or_else(|| obj(vec![]))),
            vsn: "2.0.0".into(),
            binary_type: s("arraybuffer"),
            auth_token: opts.auth_token.map(|t| Param::Value(s(&t))),
            transport: "WebSocket".into(),
        };
        let socket = SocketInner::new(host, &opts.end_point, options);
        *w.socket.borrow_mut() = Rc::downgrade(&socket);
        socket.set_long_poll(Some("LongPoll".into()), opts.long_poll_fallback_ms);
        Harness { w, socket }
    }

    pub fn host(&self) -> &TestHost {
        &self.socket.host
    }

    // ---- callbacks -------------------------------------------------------------------------

    /// A recording callback that does nothing else.
    pub fn cb(&self, name: &str) -> Callback {
        cb(name)
    }

    // ---- app commands (panicking on exceptions; `socket` is public for the rest) -------------

    pub fn connect(&self) {
        self.socket.connect().expect("connect threw");
    }

    pub fn disconnect(&self) {
        self.socket
            .disconnect(None, None, String::new())
            .expect("disconnect threw");
    }

    pub fn disconnect_cb(&self, name: &str) {
        self.socket
            .disconnect(Some(cb(name)), None, String::new())
            .expect("disconnect threw");
    }

    pub fn channel(&self, topic: &str) -> Ch {
        self.socket
            .channel(topic, Param::Value(obj(vec![])))
            .expect("channel threw")
    }

    pub fn channel_with(&self, topic: &str, params: &str) -> Ch {
        self.socket
            .channel(topic, Param::Value(json(params)))
            .expect("channel threw")
    }

    pub fn join(&self, ch: &Ch) -> Ps {
        ch.join(None).expect("join threw")
    }

    pub fn push(&self, ch: &Ch, event: &str, payload: &str) -> Ps {
        ch.push(event, json(payload), None).expect("push threw")
    }

    pub fn leave(&self, ch: &Ch) -> Ps {
        ch.leave(None).expect("leave threw")
    }

    /// `channel.on(event, name)`.
    pub fn on(&self, ch: &Ch, event: &str, name: &str) -> u64 {
        ch.on(event, BindingCb::User(cb(name)))
    }

    /// `channel.onClose(name)`.
    pub fn on_close(&self, ch: &Ch, name: &str) {
        ch.on("phx_close", BindingCb::User(cb(name)));
    }

    /// `channel.onError(name)`.
    pub fn on_error(&self, ch: &Ch, name: &str) -> u64 {
        ch.on("phx_error", BindingCb::UserOnError(cb(name)))
    }

    /// `push.receive(status, name)`.
    pub fn receive(&self, push: &Ps, status: &str, name: &str) {
        push.receive(self.host(), status, HookCb::User(cb(name)))
            .expect("receive threw");
    }

    pub fn sock_on_open(&self, name: &str) -> String {
        self.socket.on_open(SockCb::User(cb(name)))
    }
    pub fn sock_on_close(&self, name: &str) -> String {
        self.socket.on_close(SockCb::User(cb(name)))
    }
    pub fn sock_on_error(&self, name: &str) -> String {
        self.socket.on_error(SockCb::User(cb(name)))
    }
    pub fn sock_on_message(&self, name: &str) -> String {
        self.socket.on_message(SockCb::User(cb(name)))
    }

    pub fn state(&self, ch: &Ch) -> &'static str {
        ch.state().as_str()
    }

    pub fn join_ref(&self, ch: &Ch) -> String {
        ch.join_ref().js_display().into_owned()
    }

    pub fn topics(&self) -> Vec<String> {
        self.socket.channels().iter().map(|c| c.topic()).collect()
    }

    // ---- the transport and the server --------------------------------------------------------

    /// The current connection's transport.
    pub fn transport(&self) -> Tr {
        self.socket
            .connection()
            .expect("no connection")
            .transport
            .clone()
    }

    pub fn transports(&self) -> Vec<Tr> {
        self.w.transports.borrow().clone()
    }

    fn conn_of(&self, tr: &Tr) -> Option<Rc<Connection<TestHost>>> {
        tr.conn.borrow().upgrade()
    }

    /// The current transport opens.
    pub fn open(&self) {
        self.try_open().expect("onopen threw");
    }

    pub fn try_open(&self) -> Result<(), JsError> {
        self.open_on(&self.transport())
    }

    pub fn open_on(&self, tr: &Tr) -> Result<(), JsError> {
        tr.ready_state.set(ready_state::OPEN);
        match self.conn_of(tr) {
            Some(c) => self.socket.handle_open(&c),
            None => Ok(()),
        }
    }

    /// A text frame arrives on the current transport.
    pub fn recv(&self, frame: &str) {
        self.try_recv(frame).expect("onmessage threw");
    }

    pub fn try_recv(&self, frame: &str) -> Result<(), JsError> {
        self.recv_on(&self.transport(), frame)
    }

    pub fn recv_on(&self, tr: &Tr, frame: &str) -> Result<(), JsError> {
        match self.conn_of(tr) {
            Some(c) => self.socket.handle_message(&c, &s(frame)),
            None => Ok(()),
        }
    }

    /// The current transport reports an error (ignored once the socket closed it).
    pub fn error(&self) {
        self.try_error().expect("onerror threw");
    }

    pub fn try_error(&self) -> Result<(), JsError> {
        self.error_on(&self.transport())
    }

    pub fn error_on(&self, tr: &Tr) -> Result<(), JsError> {
        if tr.onerror_noop.get() {
            return Ok(());
        }
        match self.conn_of(tr) {
            Some(c) => self.socket.handle_error(&c, &s("error")),
            None => Ok(()),
        }
    }

    /// The server (or the network) closes the current transport.
    pub fn server_close(&self, code: f64) {
        self.try_server_close(code).expect("onclose threw");
    }

    pub fn try_server_close(&self, code: f64) -> Result<(), JsError> {
        self.close_on(&self.transport(), close_event(code, "", code == 1000.0))
    }

    /// `tr` becomes closed and emits `close` with `ev`.
    pub fn close_on(&self, tr: &Tr, ev: P) -> Result<(), JsError> {
        tr.ready_state.set(ready_state::CLOSED);
        match self.conn_of(tr) {
            Some(c) => self.socket.handle_close(&c, &ev),
            None => Ok(()),
        }
    }

    /// The WebSocket fails to connect: `error`, then `close` 1006.
    pub fn fail_connect(&self) {
        let tr = self.transport();
        self.error_on(&tr).expect("onerror threw");
        self.close_on(&tr, close_event(1006.0, "", false))
            .expect("onclose threw");
    }

    /// Completes the held encodes and decodes (with `defer_codec`), oldest first.
    pub fn finish_codec(&self) -> Result<(), JsError> {
        loop {
            let send = {
                let mut q = self.w.deferred_sends.borrow_mut();
                (!q.is_empty()).then(|| q.remove(0))
            };
            if let Some((k, frame)) = send {
                self.socket.finish_send(k, frame)?;
                continue;
            }
            let recv = {
                let mut q = self.w.deferred_receives.borrow_mut();
                (!q.is_empty()).then(|| q.remove(0))
            };
            match recv {
                Some((k, msg)) => self.socket.finish_receive(k, msg)?,
                None => return Ok(()),
            }
        }
    }

    // ---- time --------------------------------------------------------------------------------

    pub fn now(&self) -> f64 {
        self.w.now.get()
    }

    /// The earliest pending timer, as `(deadline, kind)`.
    pub fn next_timer(&self) -> Option<(f64, String)> {
        self.w
            .timers
            .borrow()
            .iter()
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
            .map(|t| (t.0, t.2.clone()))
    }

    /// The pending timers as `"<kind> @<deadline>"`, in firing order.
    pub fn pending_timers(&self) -> Vec<String> {
        let mut ts: Vec<(f64, u64, String)> = self
            .w
            .timers
            .borrow()
            .iter()
            .map(|t| (t.0, t.1, t.2.clone()))
            .collect();
        ts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        ts.into_iter()
            .map(|t| format!("{} @{}", t.2, num(t.0)))
            .collect()
    }

    /// Fires the earliest timer due by `limit`; false when there is none.
    fn fire_next(&self, limit: f64) -> bool {
        let next = {
            let mut timers = self.w.timers.borrow_mut();
            let best = timers
                .iter()
                .enumerate()
                .filter(|(_, t)| t.0 <= limit)
                .min_by(|a, b| a.1 .0.total_cmp(&b.1 .0).then(a.1 .1.cmp(&b.1 .1)))
                .map(|(i, _)| i);
            best.map(|i| timers.remove(i))
        };
        let Some((deadline, _, _, task)) = next else {
            return false;
        };
        if deadline > self.w.now.get() {
            self.w.now.set(deadline);
        }
        let result = match &*task {
            HTask::Core(task) => self.socket.handle_timer(task.clone()),
            HTask::CloseEvent(tr, ev) => self.close_on(tr, ev.clone()),
        };
        if let Err(e) = result {
            self.w.record(Ev::Uncaught(e.0));
        }
        true
    }

    /// Lets `ms` of virtual time pass, firing timers in (deadline, creation) order.
    /// Exceptions thrown from timers are recorded as [`Ev::Uncaught`].
    pub fn advance(&self, ms: f64) {
        let target = self.now() + ms;
        let mut fired = 0u32;
        while self.fire_next(target) {
            fired += 1;
            assert!(fired < 100_000, "timer storm: {:?}", self.pending_timers());
        }
        self.w.now.set(target);
    }

    /// Jumps to the next timer and fires it (quinn's `step`).
    pub fn step(&self) -> bool {
        self.fire_next(f64::INFINITY)
    }

    /// Fires timers until none is left, or `max` of them fired.
    pub fn drive(&self, max: usize) -> usize {
        let mut fired = 0;
        while fired < max && self.step() {
            fired += 1;
        }
        fired
    }

    // ---- what happened -----------------------------------------------------------------------

    fn take(&self, pred: impl Fn(&Ev) -> bool) -> Vec<Ev> {
        let mut log = self.w.log.borrow_mut();
        let (taken, kept): (Vec<Ev>, Vec<Ev>) = log.drain(..).partition(|e| pred(e));
        *log = kept;
        taken
    }

    /// Everything since the last `take_*`, rendered, in order.
    pub fn take_log(&self) -> Vec<String> {
        self.take(|_| true).iter().map(Ev::to_string).collect()
    }

    /// Frames sent on any transport.
    pub fn take_sent(&self) -> Vec<String> {
        self.take(|e| matches!(e, Ev::Sent(..)))
            .into_iter()
            .map(|e| match e {
                Ev::Sent(_, f) => f,
                _ => unreachable!(),
            })
            .collect()
    }

    #[track_caller]
    pub fn expect_sent(&self, frames: &[&str]) {
        assert_eq!(self.take_sent(), frames, "frames sent");
    }

    /// User callbacks called, as `name(args)`.
    pub fn take_calls(&self) -> Vec<String> {
        self.take(|e| matches!(e, Ev::Call(_)))
            .iter()
            .map(Ev::to_string)
            .collect()
    }

    #[track_caller]
    pub fn expect_calls(&self, calls: &[&str]) {
        assert_eq!(self.take_calls(), calls, "callbacks called");
    }

    /// Logger lines, as `kind: msg data`.
    pub fn take_logs(&self) -> Vec<String> {
        self.take(|e| matches!(e, Ev::Log(_)))
            .into_iter()
            .map(|e| match e {
                Ev::Log(l) => l,
                _ => unreachable!(),
            })
            .collect()
    }

    /// Transport constructions and closes, rendered.
    pub fn take_transport_ops(&self) -> Vec<String> {
        self.take(|e| matches!(e, Ev::Connect(..) | Ev::Close(..)))
            .iter()
            .map(Ev::to_string)
            .collect()
    }

    /// Whether a timer threw since the last `take_uncaught`/`take_log`.
    pub fn has_uncaught(&self) -> bool {
        self.w
            .log
            .borrow()
            .iter()
            .any(|e| matches!(e, Ev::Uncaught(_)))
    }

    pub fn take_uncaught(&self) -> Vec<String> {
        self.take(|e| matches!(e, Ev::Uncaught(_)))
            .iter()
            .map(Ev::to_string)
            .collect()
    }

    /// Every `setTimeout` the core made, as `"<kind> <delay>"`.
    pub fn take_timers(&self) -> Vec<String> {
        std::mem::take(&mut *self.w.timers_set.borrow_mut())
    }

    /// Drops everything recorded so far.
    pub fn clear(&self) {
        self.w.log.borrow_mut().clear();
        self.w.timers_set.borrow_mut().clear();
    }

    /// A connected socket with `topic` joined: join sent and acknowledged, log cleared.
    pub fn joined(&self, topic: &str) -> (Ch, Ps) {
        let ch = self.channel(topic);
        let jp = self.join(&ch);
        if self.socket.connection().is_none() {
            self.connect();
        }
        if !self.socket.is_connected() {
            self.open();
        }
        let r = self.join_ref(&ch);
        self.recv(&reply(&r, &r, topic, "ok", "{}"));
        assert_eq!(self.state(&ch), "joined");
        self.clear();
        (ch, jp)
    }
}

/// A recording callback.
pub fn cb(name: &str) -> Callback {
    Rc::new(Func {
        name: name.to_owned(),
        quiet: false,
        body: None,
    })
}

/// A recording callback that also runs `body(args)`.
pub fn cb_with(
    name: &str,
    body: impl Fn(&[P]) -> Result<Option<P>, JsError> + 'static,
) -> Callback {
    Rc::new(Func {
        name: name.to_owned(),
        quiet: false,
        body: Some(Box::new(body)),
    })
}

/// A callback that is not recorded.
pub fn quiet(name: &str, body: impl Fn(&[P]) -> Result<Option<P>, JsError> + 'static) -> Callback {
    Rc::new(Func {
        name: name.to_owned(),
        quiet: true,
        body: Some(Box::new(body)),
    })
}

/// A `reconnectAfterMs`/`rejoinAfterMs` function.
pub fn backoff(f: impl Fn(u32) -> f64 + 'static) -> Callback {
    quiet("backoff", move |args| {
        let tries = match args.first().map(|a| &**a) {
            Some(Value::Num(x)) => *x as u32,
            _ => 0,
        };
        Ok(Some(n(f(tries))))
    })
}
