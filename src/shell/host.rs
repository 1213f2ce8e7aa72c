//! [`JsHost`]: the core's [`Host`] over JavaScript values, timers and transports.
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::globals::{self, get, set};
use super::serializer::{decode_parts, encode_parts, message_object, DecodeFailure};
use crate::core::channel::Channel;
use crate::core::host::{DecodeCont, Host, Incoming, LogData, Outgoing, SendCont, Task};
use crate::core::socket::{Connection, SocketInner};
use crate::core::RefVal;

pub type JsSocketInner = SocketInner<JsHost>;

thread_local! {
    /// Sockets with a connection or pending timers (see [`JsHost::update_liveness`]).
    static LIVE: RefCell<Vec<Rc<JsSocketInner>>> = const { RefCell::new(Vec::new()) };
}

type Handler = Closure<dyn Fn(JsValue, JsValue) -> Result<(), JsValue>>;

/// The JS functions a socket hands out: one per transport event kind and one for timers, each
/// told by an argument which connection or timer it is for. Created once per socket, so
/// connections and timers allocate no closures of their own.
struct Handlers {
    timer: Closure<dyn Fn(JsValue) -> Result<(), JsValue>>,
    open: Handler,
    error: Handler,
    message: Handler,
    close: Handler,
}

#[derive(Default)]
struct HostState {
    timers: HashMap<u32, (Task<JsHost>, JsValue)>,
    next_timer: u32,
    connections: HashMap<u32, Weak<Connection<JsHost>>>,
    next_connection: u32,
    /// `socket.channels`, held weakly: JavaScript sees one array until a channel is removed,
    /// but the socket does not keep it (and the channel objects in it) alive. Holding them
    /// strongly would make a cycle through JavaScript that no collector can see.
    channels_js: Option<js_sys::WeakRef<Array>>,
}

/// The wasm shell's [`Host`].
pub struct JsHost {
    me: RefCell<Weak<JsSocketInner>>,
    handlers: RefCell<Option<Rc<Handlers>>>,
    state: RefCell<HostState>,
    /// `socket.encode` / `socket.decode` when the user supplied them.
    pub encode: RefCell<Option<Function>>,
    pub decode: RefCell<Option<Function>>,
    /// The `LongPoll` class, for `transportName`.
    pub long_poll: RefCell<JsValue>,
    noop: JsValue,
    /// `longPollFallbackMs` and `sessionStore`, kept for the LongPoll fallback.
    pub long_poll_fallback_ms: RefCell<JsValue>,
    pub session_store: RefCell<JsValue>,
    /// `socket.logger` as last assigned from JavaScript (`undefined` until then).
    pub logger_value: RefCell<JsValue>,
    /// `socket.authToken` as phoenix.js holds it: a function, or the falsy option value.
    pub auth_token_value: RefCell<JsValue>,
    /// A `WeakRef` to the socket's own JS object (see `Socket.__bindSelf`).
    pub self_object: RefCell<Option<js_sys::WeakRef<Object>>>,
}

impl JsHost {
    pub fn new() -> Self {
        JsHost {
            me: RefCell::new(Weak::new()),
            handlers: RefCell::new(None),
            state: RefCell::new(HostState::default()),
            encode: RefCell::new(None),
            decode: RefCell::new(None),
            long_poll: RefCell::new(JsValue::UNDEFINED),
            noop: super::globals::noop().into(),
            long_poll_fallback_ms: RefCell::new(JsValue::UNDEFINED),
            session_store: RefCell::new(JsValue::UNDEFINED),
            logger_value: RefCell::new(JsValue::UNDEFINED),
            auth_token_value: RefCell::new(JsValue::UNDEFINED),
            self_object: RefCell::new(None),
        }
    }

    /// Wires the host to its socket; called once right after the socket is built.
    pub fn bind(socket: &Rc<JsSocketInner>) {
        *socket.host.me.borrow_mut() = Rc::downgrade(socket);
        let weak = Rc::downgrade(socket);
        let timer = {
            let weak = weak.clone();
            Closure::<dyn Fn(JsValue) -> Result<(), JsValue>>::new(move |key: JsValue| {
                let Some(s) = weak.upgrade() else {
                    return Ok(());
                };
                let key = key.as_f64().unwrap_or(-1.0) as u32;
                let task = s
                    .host
                    .state
                    .borrow_mut()
                    .timers
                    .remove(&key)
                    .map(|(t, _)| t);
                let result = match task {
                    Some(task) => s.handle_timer(task),
                    None => Ok(()),
                };
                s.host.update_liveness();
                result
            })
        };
        let make = |kind: u8| {
            let weak = weak.clone();
            Closure::<dyn Fn(JsValue, JsValue) -> Result<(), JsValue>>::new(
                move |key: JsValue, ev: JsValue| {
                    let Some(s) = weak.upgrade() else {
                        return Ok(());
                    };
                    let key = key.as_f64().unwrap_or(-1.0) as u32;
                    let conn = s
                        .host
                        .state
                        .borrow()
                        .connections
                        .get(&key)
                        .and_then(Weak::upgrade);
                    let Some(conn) = conn else { return Ok(()) };
                    let result = match kind {
                        0 => s.handle_open(&conn),
                        1 => s.handle_error(&conn, &ev),
                        2 => s.handle_message(&conn, &get(&ev, "data")),
                        _ => s.handle_close(&conn, &ev),
                    };
                    s.host.update_liveness();
                    result
                },
            )
        };
        let handlers = Handlers {
            timer,
            open: make(0),
            error: make(1),
            message: make(2),
            close: make(3),
        };
        *socket.host.handlers.borrow_mut() = Some(Rc::new(handlers));
    }

    fn me(&self) -> Option<Rc<JsSocketInner>> {
        self.me.borrow().upgrade()
    }

    fn handlers(&self) -> Option<Rc<Handlers>> {
        self.handlers.borrow().clone()
    }

    /// `socket.channels`: the same array until a channel is removed (while JavaScript holds it).
    pub fn channels_array(&self, socket: &Rc<JsSocketInner>) -> Array {
        let cached = self
            .state
            .borrow()
            .channels_js
            .as_ref()
            .and_then(|w| w.deref());
        if let Some(arr) = cached {
            return arr;
        }
        let arr: Array = socket
            .channels()
            .iter()
            .map(|ch| super::channel::channel_value(ch, socket))
            .collect();
        self.state.borrow_mut().channels_js = Some(js_sys::WeakRef::new(&arr));
        arr
    }

    /// `socket.channel()` appended a channel: phoenix.js pushes onto the same array.
    pub fn channel_added(&self, obj: &JsValue) {
        let cached = self
            .state
            .borrow()
            .channels_js
            .as_ref()
            .and_then(|w| w.deref());
        if let Some(arr) = cached {
            arr.push(obj);
        }
    }

    /// Keeps the socket alive while it has a connection or pending timers, as the event
    /// sources of a JS socket do; lets it go once it is idle.
    pub fn update_liveness(&self) {
        let Some(me) = self.me() else { return };
        let live = {
            let Ok(st) = self.state.try_borrow() else {
                return;
            };
            let Ok(core) = me.st.try_borrow() else { return };
            !st.timers.is_empty() || core.connection.is_some()
        };
        let ptr = Rc::as_ptr(&me);
        let released = LIVE.with(|l| {
            let Ok(mut l) = l.try_borrow_mut() else {
                return None;
            };
            let pos = l.iter().position(|s| Rc::as_ptr(s) == ptr);
            match (live, pos) {
                (true, None) => {
                    l.push(me.clone());
                    None
                }
                (false, Some(i)) => Some(l.swap_remove(i)),
                _ => None,
            }
        });
        // Dropped outside the borrow of LIVE: it may be the last reference.
        drop(released);
    }

    /// Logs a dropped frame through the logger (never throws: bad input must not break the
    /// socket).
    fn log_dropped(&self, reason: &str, data: &JsValue) {
        let Some(s) = self.me() else { return };
        let logger = s.st.borrow().logger.clone();
        if let Some(l) = logger {
            let _ = l.call3(
                &JsValue::UNDEFINED,
                &JsValue::from_str("transport"),
                &JsValue::from_str(&format!("dropping frame: {reason}")),
                data,
            );
        }
    }

    fn incoming(&self, msg: &JsValue) -> Option<Incoming<JsValue>> {
        if !msg.is_object() {
            return None;
        }
        let to_str = |v: JsValue| v.as_string().unwrap_or_else(|| globals::js_string(&v));
        Some(Incoming {
            join_ref: ref_val(&get(msg, "join_ref")),
            ref_: ref_val(&get(msg, "ref")),
            topic: to_str(get(msg, "topic")),
            event: to_str(get(msg, "event")),
            payload: get(msg, "payload"),
            raw: Some(msg.clone()),
        })
    }
}

impl Default for JsHost {
    fn default() -> Self {
        Self::new()
    }
}

/// Hands a decoded message to the core. phoenix.js throws a TypeError while logging a message
/// whose payload is `null`/`undefined` (LG02); a bad frame is logged and dropped here instead.
fn deliver(
    s: &Rc<JsSocketInner>,
    k: DecodeCont<JsHost>,
    inc: Incoming<JsValue>,
) -> Result<(), JsValue> {
    if (inc.payload.is_null() || inc.payload.is_undefined()) && s.has_logger() {
        s.host
            .log_dropped("message without payload", &JsValue::UNDEFINED);
        return Ok(());
    }
    s.finish_receive(k, inc)
}

/// A ref as a JS value.
pub fn ref_js(r: &RefVal) -> JsValue {
    match r {
        RefVal::Undefined => JsValue::UNDEFINED,
        RefVal::Null => JsValue::NULL,
        RefVal::Str(s) => JsValue::from_str(s),
        RefVal::Num(n) => JsValue::from_f64(*n),
    }
}

/// A JS value as a ref. Numbers and other values become their string form.
pub fn ref_val(v: &JsValue) -> RefVal {
    if v.is_undefined() {
        RefVal::Undefined
    } else if v.is_null() {
        RefVal::Null
    } else if let Some(s) = v.as_string() {
        RefVal::Str(s)
    } else if let Some(n) = v.as_f64() {
        RefVal::Num(n)
    } else {
        RefVal::Str(globals::js_string(v))
    }
}

fn outgoing_object(msg: &Outgoing<JsValue>) -> JsValue {
    let o: JsValue = Object::new().into();
    set(&o, "topic", &JsValue::from_str(&msg.topic));
    set(&o, "event", &JsValue::from_str(&msg.event));
    set(&o, "payload", &msg.payload);
    set(&o, "ref", &ref_js(&msg.ref_));
    if !matches!(msg.join_ref, RefVal::Undefined) {
        set(&o, "join_ref", &ref_js(&msg.join_ref));
    }
    o
}

impl Host for JsHost {
    type Payload = JsValue;
    type Callback = Function;
    type Transport = JsValue;
    type TransportClass = JsValue;
    type Frame = JsValue;
    type Error = JsValue;
    /// Our key for the timer's task, and the id `setTimeout` returned (what phoenix.js keeps
    /// in its timer fields).
    type TimerId = (u32, JsValue);

    fn now(&self) -> f64 {
        globals::date_now()
    }

    fn random(&self) -> f64 {
        globals::math_random()
    }

    fn set_timeout(&self, task: Task<Self>, delay: f64) -> (u32, JsValue) {
        let key = {
            let mut st = self.state.borrow_mut();
            st.next_timer = st.next_timer.wrapping_add(1);
            st.next_timer
        };
        let Some(h) = self.handlers() else {
            return (key, JsValue::UNDEFINED);
        };
        let id = globals::set_timeout(h.timer.as_ref().unchecked_ref(), delay, key);
        self.state
            .borrow_mut()
            .timers
            .insert(key, (task, id.clone()));
        self.update_liveness();
        (key, id)
    }

    fn clear_timeout(&self, id: &(u32, JsValue)) {
        let entry = self.state.borrow_mut().timers.remove(&id.0);
        if let Some((_, js_id)) = entry {
            globals::clear_timeout(&js_id);
        }
        self.update_liveness();
    }

    fn call_void(&self, cb: &Function) -> Result<(), JsValue> {
        cb.call0(&JsValue::UNDEFINED).map(drop)
    }

    fn call_with(&self, cb: &Function, arg: &JsValue) -> Result<(), JsValue> {
        cb.call1(&JsValue::UNDEFINED, arg).map(drop)
    }

    fn call_number(&self, cb: &Function, n: f64) -> Result<(), JsValue> {
        cb.call1(&JsValue::UNDEFINED, &JsValue::from_f64(n))
            .map(drop)
    }

    fn call_binding(
        &self,
        cb: &Function,
        payload: &JsValue,
        ref_: &RefVal,
        join_ref: &RefVal,
    ) -> Result<(), JsValue> {
        cb.call3(
            &JsValue::UNDEFINED,
            payload,
            &ref_js(ref_),
            &ref_js(join_ref),
        )
        .map(drop)
    }

    fn call_on_error(
        &self,
        cb: &Function,
        error: &JsValue,
        transport: &JsValue,
        established: u32,
    ) -> Result<(), JsValue> {
        cb.call3(
            &JsValue::UNDEFINED,
            error,
            transport,
            &JsValue::from_f64(f64::from(established)),
        )
        .map(drop)
    }

    fn call_backoff(&self, cb: &Function, tries: u32) -> Result<f64, JsValue> {
        let v = cb.call1(&JsValue::UNDEFINED, &JsValue::from_f64(f64::from(tries)))?;
        Ok(v.as_f64().unwrap_or(f64::NAN))
    }

    fn call_hook(
        &self,
        channel: &Rc<Channel<JsHost>>,
        cb: &Function,
        event: Option<&str>,
        payload: &JsValue,
        ref_: &RefVal,
        join_ref: &RefVal,
    ) -> Result<JsValue, JsValue> {
        let args = Array::of4(
            &event.map_or(JsValue::NULL, JsValue::from_str),
            payload,
            &ref_js(ref_),
            &ref_js(join_ref),
        );
        // `this.onMessage(...)` in phoenix.js: the hook sees its channel as `this`.
        let this = match self.me.borrow().upgrade() {
            Some(socket) => super::channel::channel_value(channel, &socket),
            None => JsValue::UNDEFINED,
        };
        cb.apply(&this, &args)
    }

    fn call_logger(
        &self,
        logger: &Function,
        kind: &str,
        msg: Option<&str>,
        data: LogData<'_, JsValue>,
    ) -> Result<(), JsValue> {
        let data = match data {
            LogData::None => JsValue::UNDEFINED,
            LogData::Value(v) => v.clone(),
            LogData::Number(n) => JsValue::from_f64(n),
            LogData::Outdated {
                topic,
                event,
                payload,
                join_ref,
            } => {
                let o: JsValue = Object::new().into();
                set(&o, "topic", &JsValue::from_str(topic));
                set(&o, "event", &JsValue::from_str(event));
                set(&o, "payload", payload);
                set(&o, "joinRef", &ref_js(join_ref));
                o
            }
        };
        let msg = msg.map_or(JsValue::UNDEFINED, JsValue::from_str);
        logger
            .call3(&JsValue::UNDEFINED, &JsValue::from_str(kind), &msg, &data)
            .map(drop)
    }

    fn call_value(&self, cb: &Function) -> Result<JsValue, JsValue> {
        cb.call0(&JsValue::UNDEFINED)
    }

    fn truthy(&self, p: &JsValue) -> bool {
        p.is_truthy()
    }

    fn empty_object(&self) -> JsValue {
        Object::new().into()
    }

    fn string_payload(&self, s: &str) -> JsValue {
        JsValue::from_str(s)
    }

    fn reply_payload(&self, status: &str, response: JsValue) -> JsValue {
        let o: JsValue = Object::new().into();
        set(&o, "status", &JsValue::from_str(status));
        set(&o, "response", &response);
        o
    }

    fn reply_parts(&self, p: &JsValue) -> Result<(Option<String>, JsValue), JsValue> {
        if p.is_undefined() || p.is_null() {
            return Err(js_sys::TypeError::new("Cannot destructure the reply payload").into());
        }
        Ok((get(p, "status").as_string(), get(p, "response")))
    }

    fn log_status(&self, p: &JsValue) -> Result<String, JsValue> {
        // phoenix.js throws here for a null payload; a bad frame must not break the socket.
        let s = get(p, "status");
        Ok(if s.is_truthy() {
            globals::js_string(&s)
        } else {
            String::new()
        })
    }

    fn message_object(&self, msg: &Incoming<JsValue>) -> JsValue {
        message_object(
            &ref_js(&msg.join_ref),
            &ref_js(&msg.ref_),
            &JsValue::from_str(&msg.topic),
            &JsValue::from_str(&msg.event),
            &msg.payload,
        )
    }

    fn transport_error_payload(&self, reason: &str) -> JsValue {
        let o: JsValue = Object::new().into();
        set(&o, "source", &JsValue::from_str("transport"));
        set(&o, "reason", &JsValue::from_str(reason));
        o
    }

    fn to_js_string(&self, p: &JsValue) -> String {
        p.as_string().unwrap_or_else(|| globals::js_string(p))
    }

    fn make_error(&self, msg: &str) -> JsValue {
        js_sys::Error::new(msg).into()
    }

    fn append_params(&self, url: &str, params: &JsValue) -> Result<String, JsValue> {
        if globals::object_keys(params)?.length() == 0 {
            return Ok(url.to_owned());
        }
        let prefix = if url.contains('?') { '&' } else { '?' };
        Ok(format!(
            "{url}{prefix}{}",
            super::ajax::serialize(params, None)?
        ))
    }

    fn location(&self) -> Result<(String, String), JsValue> {
        let loc = get(&js_sys::global().into(), "location");
        if loc.is_undefined() {
            return Err(js_sys::ReferenceError::new("location is not defined").into());
        }
        let s = |v: JsValue| v.as_string().unwrap_or_default();
        Ok((s(get(&loc, "protocol")), s(get(&loc, "host"))))
    }

    fn btoa(&self, s: &str) -> Result<String, JsValue> {
        globals::btoa(s)
    }

    fn open_transport(
        &self,
        class: &JsValue,
        url: &str,
        protocols: Option<&str>,
        binary_type: &JsValue,
        timeout: f64,
    ) -> Result<JsValue, JsValue> {
        let protocols = match protocols {
            Some(p) => Array::of2(&JsValue::from_str("phoenix"), &JsValue::from_str(p)).into(),
            None => JsValue::UNDEFINED,
        };
        let class: &Function = class.unchecked_ref();
        let t = Reflect::construct(class, &Array::of2(&JsValue::from_str(url), &protocols))?;
        set(&t, "binaryType", binary_type);
        set(&t, "timeout", &JsValue::from_f64(timeout));
        Ok(t)
    }

    fn attach(&self, connection: &Rc<Connection<Self>>) {
        let key = {
            let mut st = self.state.borrow_mut();
            st.connections.retain(|_, c| c.strong_count() > 0);
            st.next_connection = st.next_connection.wrapping_add(1);
            let key = st.next_connection;
            st.connections.insert(key, Rc::downgrade(connection));
            key
        };
        let Some(h) = self.handlers() else { return };
        let k = JsValue::from_f64(f64::from(key));
        let bind = |f: &Handler| -> JsValue {
            let f: &Function = f.as_ref().unchecked_ref();
            f.bind1(&JsValue::UNDEFINED, &k).into()
        };
        let t = &connection.transport;
        set(t, "onopen", &bind(&h.open));
        set(t, "onerror", &bind(&h.error));
        set(t, "onmessage", &bind(&h.message));
        set(t, "onclose", &bind(&h.close));
        self.update_liveness();
    }

    fn ready_state(&self, t: &JsValue) -> u16 {
        get(t, "readyState")
            .as_f64()
            .filter(|n| (0.0..=3.0).contains(n))
            .map_or(u16::MAX, |n| n as u16)
    }

    fn has_buffered_amount(&self, t: &JsValue) -> bool {
        get(t, "bufferedAmount").is_truthy()
    }

    fn skip_heartbeat(&self, t: &JsValue) -> bool {
        get(t, "skipHeartbeat").is_truthy()
    }

    fn close_transport(&self, t: &JsValue, code: Option<f64>, reason: &str) -> Result<(), JsValue> {
        set(t, "onerror", &self.noop);
        let close = get(t, "close");
        let close: &Function = close.unchecked_ref();
        match code {
            Some(c) => close
                .call2(t, &JsValue::from_f64(c), &JsValue::from_str(reason))
                .map(drop),
            None => close.call0(t).map(drop),
        }
    }

    fn out_frame_size(&self, frame: &JsValue) -> f64 {
        globals::frame_size(frame)
    }

    fn frame_size(&self, data: &JsValue) -> f64 {
        globals::frame_size(data)
    }

    fn send_frame(&self, t: &JsValue, frame: &JsValue) -> Result<(), JsValue> {
        let send = get(t, "send");
        let send: &Function = send.unchecked_ref();
        send.call1(t, frame).map(drop)
    }

    fn transport_name(&self, class: &JsValue) -> String {
        if *class == *self.long_poll.borrow() && !class.is_undefined() {
            return "LongPoll".to_owned();
        }
        let n = get(class, "name");
        n.as_string().unwrap_or_else(|| globals::js_string(&n))
    }

    fn encode(&self, msg: Outgoing<JsValue>, k: SendCont<Self>) -> Result<(), JsValue> {
        let custom = self.encode.borrow().clone();
        match custom {
            None => {
                if msg.payload.is_undefined() || msg.payload.is_null() {
                    return Err(js_sys::TypeError::new(
                        "Cannot read properties of null (reading 'constructor')",
                    )
                    .into());
                }
                let frame = encode_parts(
                    &ref_js(&msg.join_ref),
                    &ref_js(&msg.ref_),
                    &JsValue::from_str(&msg.topic),
                    &JsValue::from_str(&msg.event),
                    &msg.payload,
                )?;
                match self.me() {
                    Some(s) => s.finish_send(k, frame),
                    None => Ok(()),
                }
            }
            Some(f) => {
                let weak = self.me.borrow().clone();
                let k = RefCell::new(Some(k));
                // Custom encoders may call back later, so the rest of `send` is a closure.
                let cb = Closure::once_into_js(move |frame: JsValue| -> Result<(), JsValue> {
                    let (Some(s), Some(k)) = (weak.upgrade(), k.borrow_mut().take()) else {
                        return Ok(());
                    };
                    s.finish_send(k, frame)
                });
                let obj = msg.raw.clone().unwrap_or_else(|| outgoing_object(&msg));
                f.call2(&JsValue::UNDEFINED, &obj, &cb).map(drop)
            }
        }
    }

    fn decode(&self, raw: &JsValue, k: DecodeCont<Self>) -> Result<(), JsValue> {
        let custom = self.decode.borrow().clone();
        match custom {
            None => {
                let parts = match decode_parts(raw) {
                    Ok(p) => p,
                    Err(e) => {
                        let data = match &e {
                            DecodeFailure::Json(err) => err.clone(),
                            _ => raw.clone(),
                        };
                        self.log_dropped(e.as_str(), &data);
                        return Ok(());
                    }
                };
                let to_str = |v: &JsValue| v.as_string().unwrap_or_else(|| globals::js_string(v));
                let inc = Incoming {
                    join_ref: ref_val(&parts.join_ref),
                    ref_: ref_val(&parts.ref_),
                    topic: to_str(&parts.topic),
                    event: to_str(&parts.event),
                    payload: parts.payload,
                    raw: None,
                };
                match self.me() {
                    Some(s) => deliver(&s, k, inc),
                    None => Ok(()),
                }
            }
            Some(f) => {
                let weak = self.me.borrow().clone();
                let k = RefCell::new(Some(k));
                let cb = Closure::once_into_js(move |msg: JsValue| -> Result<(), JsValue> {
                    let (Some(s), Some(k)) = (weak.upgrade(), k.borrow_mut().take()) else {
                        return Ok(());
                    };
                    let Some(inc) = s.host.incoming(&msg) else {
                        s.host.log_dropped("decoder produced no message", &msg);
                        return Ok(());
                    };
                    deliver(&s, k, inc)
                });
                f.call2(&JsValue::UNDEFINED, raw, &cb).map(drop)
            }
        }
    }

    fn get_session(&self, key: &str) -> Result<Option<String>, JsValue> {
        let store = self.session_store.borrow().clone();
        if !store.is_truthy() {
            return Ok(None);
        }
        let get_item = get(&store, "getItem");
        let f: &Function = get_item.unchecked_ref();
        let v = f.call1(&store, &JsValue::from_str(key))?;
        Ok(if v.is_truthy() {
            Some(v.as_string().unwrap_or_default())
        } else {
            None
        })
    }

    fn store_session(&self, key: &str, value: &str) -> Result<(), JsValue> {
        let store = self.session_store.borrow().clone();
        if !store.is_truthy() {
            return Ok(());
        }
        let set_item = get(&store, "setItem");
        let f: &Function = set_item.unchecked_ref();
        f.call2(&store, &JsValue::from_str(key), &JsValue::from_str(value))
            .map(drop)
    }

    fn page_hidden(&self) -> bool {
        let Some(w) = globals::window() else {
            return false;
        };
        let doc = get(&w, "document");
        if !doc.is_truthy() {
            return false;
        }
        get(&doc, "visibilityState").as_string().as_deref() == Some("hidden")
    }

    fn channel_removed(&self, _ch: &Rc<Channel<Self>>) {
        // phoenix.js replaces the array: the next read builds a new one.
        self.state.borrow_mut().channels_js = None;
    }
}
