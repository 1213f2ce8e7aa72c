//! `Socket`: options, accessors and methods, over [`crate::core::socket`].
use std::rc::Rc;

use js_sys::{Array, Function, Object};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::channel::JsChannel;
use super::globals::{self, get, js_string, set};
use super::host::{ref_js, ref_val, JsHost, JsSocketInner};
use super::serializer::{default_decoder, default_encoder};
use crate::core::constants::{
    DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_LONGPOLLER_TIMEOUT, DEFAULT_TIMEOUT, DEFAULT_VSN,
};
use crate::core::host::{Outgoing, Param};
use crate::core::socket::{Options, SockCb, SocketInner};
use crate::core::timer::{default_reconnect_after_ms, default_rejoin_after_ms};

/// `closure(value)` of `utils.js`: a function returning the value.
pub fn closure(v: &JsValue) -> JsValue {
    globals::closure(v).into()
}

/// `closure(value)`: functions stay as they are.
fn closure_or_fn(v: &JsValue) -> JsValue {
    if v.is_function() {
        v.clone()
    } else {
        closure(v)
    }
}

/// `closure(value || {})` as the core's `Param`.
pub fn param(v: &JsValue) -> Param<JsHost> {
    if let Some(f) = v.dyn_ref::<Function>() {
        return Param::Func(f.clone());
    }
    Param::Value(if v.is_truthy() {
        v.clone()
    } else {
        Object::new().into()
    })
}

/// `opts.x || default` for numbers.
fn num_or(opts: &JsValue, key: &str, default: f64) -> f64 {
    let v = get(opts, key);
    if v.is_truthy() {
        v.as_f64().unwrap_or(default)
    } else {
        default
    }
}

fn func(opts: &JsValue, key: &str) -> Option<Function> {
    get(opts, key).dyn_into::<Function>().ok()
}

/// The Phoenix socket.
#[wasm_bindgen(js_name = Socket)]
pub struct JsSocket {
    pub(crate) inner: Rc<JsSocketInner>,
}

#[wasm_bindgen(js_class = Socket)]
impl JsSocket {
    /// `new Socket(endPoint, opts)`.
    #[wasm_bindgen(constructor)]
    pub fn new(end_point: JsValue, opts: JsValue) -> Result<JsSocket, JsValue> {
        let opts = if opts.is_undefined() {
            Object::new().into()
        } else {
            opts
        };
        let end_point = end_point
            .as_string()
            .unwrap_or_else(|| js_string(&end_point));
        let g = globals::global();
        let user_transport = get(&opts, "transport");
        let transport = if user_transport.is_truthy() {
            user_transport
        } else {
            let ws = get(&g, "WebSocket");
            if ws.is_truthy() {
                ws
            } else {
                super::long_poll_class()
            }
        };
        let is_long_poll = transport == super::long_poll_class() && !transport.is_undefined();
        let host = JsHost::new();
        *host.long_poll.borrow_mut() = super::long_poll_class();
        if !is_long_poll {
            *host.encode.borrow_mut() = func(&opts, "encode");
            *host.decode.borrow_mut() = func(&opts, "decode");
        }
        let mut logger = func(&opts, "logger");
        if logger.is_none() && get(&opts, "debug").is_truthy() {
            logger = Some(globals::debug_logger());
        }
        let binary_type = get(&opts, "binaryType");
        let auth = get(&opts, "authToken");
        let options = Options {
            timeout: num_or(&opts, "timeout", DEFAULT_TIMEOUT),
            heartbeat_interval_ms: num_or(
                &opts,
                "heartbeatIntervalMs",
                DEFAULT_HEARTBEAT_INTERVAL_MS,
            ),
            reconnect_after_ms: func(&opts, "reconnectAfterMs"),
            rejoin_after_ms: func(&opts, "rejoinAfterMs"),
            reconnect_jitter: get(&opts, "reconnectJitter").as_f64().unwrap_or(0.0),
            logger,
            longpoller_timeout: num_or(&opts, "longpollerTimeout", DEFAULT_LONGPOLLER_TIMEOUT),
            params: param(&get(&opts, "params")),
            vsn: {
                let v = get(&opts, "vsn");
                if v.is_truthy() {
                    js_string(&v)
                } else {
                    DEFAULT_VSN.to_owned()
                }
            },
            binary_type: if binary_type.is_truthy() {
                binary_type
            } else {
                JsValue::from_str("arraybuffer")
            },
            auth_token: if auth.is_truthy() {
                Some(param(&auth))
            } else {
                None
            },
            transport,
        };
        *host.auth_token_value.borrow_mut() = if auth.is_truthy() {
            closure_or_fn(&auth)
        } else {
            auth.clone()
        };
        let inner = SocketInner::new(host, &end_point, options);
        JsHost::bind(&inner);
        let lp = super::long_poll_class();
        let fallback_ms = get(&opts, "longPollFallbackMs").as_f64();
        inner.set_long_poll(if lp.is_undefined() { None } else { Some(lp) }, fallback_ms);
        let session_store = {
            let s = get(&opts, "sessionStorage");
            if s.is_truthy() {
                s
            } else {
                get(&g, "sessionStorage")
            }
        };
        *inner.host.long_poll_fallback_ms.borrow_mut() = get(&opts, "longPollFallbackMs");
        *inner.host.session_store.borrow_mut() = session_store;
        super::lifecycle::listen(&inner);
        Ok(JsSocket { inner })
    }

    /// `connect(params)`: a params argument is deprecated but still honoured.
    pub fn connect(&self, params: JsValue) -> Result<(), JsValue> {
        if params.is_truthy() {
            globals::console_log(&JsValue::from_str(
                "passing params to connect is deprecated. Instead pass :params to the Socket constructor",
            ));
            self.inner.st.borrow_mut().params = param(&params);
        }
        self.inner.connect()
    }

    /// `disconnect(callback, code, reason)`.
    pub fn disconnect(
        &self,
        callback: JsValue,
        code: JsValue,
        reason: JsValue,
    ) -> Result<(), JsValue> {
        let cb = callback.dyn_into::<Function>().ok();
        let code = if code.is_truthy() {
            Some(code.as_f64().unwrap_or(f64::NAN))
        } else {
            None
        };
        let reason = if reason.is_truthy() {
            js_string(&reason)
        } else {
            String::new()
        };
        let result = self.inner.disconnect(cb, code, reason);
        self.inner.host.update_liveness();
        result
    }

    /// `channel(topic, chanParams)`.
    #[wasm_bindgen(unchecked_return_type = "Channel")]
    pub fn channel(&self, topic: JsValue, params: JsValue) -> Result<JsValue, JsValue> {
        let topic = topic.as_string().unwrap_or_else(|| js_string(&topic));
        let ch = self.inner.channel(&topic, param(&params))?;
        let obj = super::channel::channel_value(&ch, &self.inner);
        self.inner.host.channel_added(&obj);
        Ok(obj)
    }

    #[wasm_bindgen(js_name = onOpen)]
    pub fn on_open(&self, callback: Function) -> String {
        self.inner.on_open(SockCb::User(callback))
    }
    #[wasm_bindgen(js_name = onClose)]
    pub fn on_close(&self, callback: Function) -> String {
        self.inner.on_close(SockCb::User(callback))
    }
    #[wasm_bindgen(js_name = onError)]
    pub fn on_error(&self, callback: Function) -> String {
        self.inner.on_error(SockCb::User(callback))
    }
    #[wasm_bindgen(js_name = onMessage)]
    pub fn on_message(&self, callback: Function) -> String {
        self.inner.on_message(SockCb::User(callback))
    }

    /// `off(refs)`: `refs.indexOf(ref)`, so a string does substring matching (S08).
    pub fn off(&self, refs: JsValue) -> Result<(), JsValue> {
        self.inner.off(|r| {
            let index_of = get(&refs, "indexOf");
            let Some(f) = index_of.dyn_ref::<Function>() else {
                return Err(js_sys::TypeError::new("refs.indexOf is not a function").into());
            };
            let i = f.call1(&refs, &JsValue::from_str(r))?;
            Ok(i.as_f64() != Some(-1.0))
        })
    }

    /// `ping(callback)`.
    pub fn ping(&self, callback: Function) -> Result<bool, JsValue> {
        self.inner.ping(callback)
    }

    #[wasm_bindgen(js_name = connectionState)]
    pub fn connection_state(&self) -> String {
        self.inner.connection_state().to_owned()
    }

    #[wasm_bindgen(js_name = isConnected)]
    pub fn is_connected(&self) -> bool {
        self.inner.is_connected()
    }

    /// `stats()` (a phoenix-wasm extension): a fresh plain object of connection counters.
    pub fn stats(&self) -> JsValue {
        let s = self.inner.stats();
        let opt = |v: Option<f64>| v.map_or(JsValue::NULL, JsValue::from_f64);
        let o = globals::object();
        set(&o, "rttMs", &opt(s.rtt_ms));
        set(
            &o,
            "reconnects",
            &JsValue::from_f64(f64::from(s.reconnects)),
        );
        set(&o, "messagesIn", &JsValue::from_f64(s.messages_in));
        set(&o, "messagesOut", &JsValue::from_f64(s.messages_out));
        set(&o, "bytesIn", &JsValue::from_f64(s.bytes_in));
        set(&o, "bytesOut", &JsValue::from_f64(s.bytes_out));
        set(&o, "openedAt", &opt(s.opened_at));
        let transport = if s.long_poll { "longpoll" } else { "websocket" };
        set(&o, "transport", &JsValue::from_str(transport));
        o
    }

    #[wasm_bindgen(js_name = endPointURL)]
    pub fn end_point_url(&self) -> Result<String, JsValue> {
        self.inner.end_point_url()
    }

    pub fn protocol(&self) -> Result<String, JsValue> {
        self.inner.protocol().map(str::to_owned)
    }

    /// `log(kind, msg, data)`.
    pub fn log(&self, kind: JsValue, msg: JsValue, data: JsValue) -> Result<(), JsValue> {
        let logger = self.inner.st.borrow().logger.clone();
        let logger = logger.filter(|_| self.inner.st.borrow().has_logger);
        match logger {
            Some(l) => l.call3(&JsValue::UNDEFINED, &kind, &msg, &data).map(drop),
            None => Ok(()),
        }
    }

    #[wasm_bindgen(js_name = hasLogger)]
    pub fn has_logger(&self) -> bool {
        self.inner.has_logger()
    }

    #[wasm_bindgen(js_name = makeRef)]
    pub fn make_ref(&self) -> String {
        self.inner.make_ref()
    }

    /// `push(data)`: a raw message, sent now or buffered.
    pub fn push(&self, data: JsValue) -> Result<(), JsValue> {
        let s = |k: &str| {
            let v = get(&data, k);
            v.as_string().unwrap_or_else(|| js_string(&v))
        };
        let msg = Outgoing {
            topic: s("topic"),
            event: s("event"),
            payload: get(&data, "payload"),
            ref_: ref_val(&get(&data, "ref")),
            join_ref: ref_val(&get(&data, "join_ref")),
            raw: Some(data.clone()),
        };
        self.inner.push(msg, None)
    }

    /// `replaceTransport(newTransport)`.
    #[wasm_bindgen(js_name = replaceTransport)]
    pub fn replace_transport(&self, transport: JsValue) -> Result<f64, JsValue> {
        self.inner.replace_transport(transport).map(|c| c as f64)
    }

    #[wasm_bindgen(js_name = getLongPollTransport)]
    pub fn get_long_poll_transport(&self) -> JsValue {
        super::long_poll_class()
    }

    /// `remove(channel)`.
    pub fn remove(&self, channel: &JsChannel) {
        self.inner.remove(&channel.channel)
    }

    #[wasm_bindgen(js_name = leaveOpenTopic)]
    pub fn leave_open_topic(&self, topic: String) -> Result<(), JsValue> {
        self.inner.leave_open_topic(&topic)
    }

    // ---- properties ----------------------------------------------------------------------

    #[wasm_bindgen(getter)]
    pub fn channels(&self) -> Array {
        self.inner.host.channels_array(&self.inner)
    }

    /// `sendBuffer`: the waiting messages (phoenix.js keeps closures; their count and order
    /// are what code reads).
    #[wasm_bindgen(getter, js_name = sendBuffer)]
    pub fn send_buffer(&self) -> Array {
        let buf = self.inner.st.borrow().send_buffer.clone();
        buf.iter()
            .map(|b| {
                let o = globals::object();
                set(&o, "topic", &JsValue::from_str(&b.msg.topic));
                set(&o, "event", &JsValue::from_str(&b.msg.event));
                set(&o, "payload", &b.msg.payload);
                set(&o, "ref", &ref_js(&b.msg.ref_));
                set(&o, "join_ref", &ref_js(&b.msg.join_ref));
                o
            })
            .collect()
    }

    #[wasm_bindgen(getter = ref)]
    pub fn ref_(&self) -> f64 {
        self.inner.st.borrow().ref_
    }

    #[wasm_bindgen(setter = ref)]
    pub fn set_ref(&self, v: f64) {
        self.inner.st.borrow_mut().ref_ = v;
    }

    /// `conn`: the current transport instance, or `null`.
    #[wasm_bindgen(getter)]
    pub fn conn(&self) -> JsValue {
        self.inner
            .connection()
            .map_or(JsValue::NULL, |c| c.transport.clone())
    }

    /// `connection`: the current connection's record, or `null`.
    #[wasm_bindgen(getter)]
    pub fn connection(&self) -> JsValue {
        let Some(c) = self.inner.connection() else {
            return JsValue::NULL;
        };
        let o = globals::object();
        set(&o, "transport", &c.transport);
        set(&o, "closing", &JsValue::from_bool(c.closing.get()));
        set(&o, "ended", &JsValue::from_bool(c.ended.get()));
        set(
            &o,
            "channelsErrored",
            &JsValue::from_bool(c.channels_errored.get()),
        );
        set(
            &o,
            "closeHandled",
            &JsValue::from_bool(c.close_handled.get()),
        );
        o
    }

    #[wasm_bindgen(getter)]
    pub fn transport(&self) -> JsValue {
        self.inner.st.borrow().transport.clone()
    }

    #[wasm_bindgen(setter)]
    pub fn set_transport(&self, t: JsValue) {
        self.inner.st.borrow_mut().transport = t;
    }

    /// `stateChangeCallbacks`: `{open, close, error, message}` of `[ref, callback]`.
    #[wasm_bindgen(getter, js_name = stateChangeCallbacks)]
    pub fn state_change_callbacks(&self) -> JsValue {
        let (open, close, error, message) = {
            let st = self.inner.st.borrow();
            let c = &st.callbacks;
            (
                c.open.clone(),
                c.close.clone(),
                c.error.clone(),
                c.message.clone(),
            )
        };
        let o = globals::object();
        for (name, list) in [
            ("open", open),
            ("close", close),
            ("error", error),
            ("message", message),
        ] {
            let arr: Array = list
                .iter()
                .map(|(r, cb)| {
                    let f: JsValue = match cb {
                        SockCb::User(f) => f.clone().into(),
                        _ => globals::noop().into(),
                    };
                    JsValue::from(Array::of2(&JsValue::from_str(r), &f))
                })
                .collect();
            set(&o, name, &arr);
        }
        o
    }

    #[wasm_bindgen(getter, js_name = endPoint)]
    pub fn end_point(&self) -> String {
        self.inner.st.borrow().end_point.clone()
    }

    #[wasm_bindgen(getter)]
    pub fn params(&self) -> JsValue {
        match self.inner.st.borrow().params.clone() {
            Param::Func(f) => f.into(),
            Param::Value(v) => closure(&v),
        }
    }

    #[wasm_bindgen(getter)]
    pub fn vsn(&self) -> String {
        self.inner.st.borrow().vsn.clone()
    }

    #[wasm_bindgen(getter)]
    pub fn timeout(&self) -> f64 {
        self.inner.st.borrow().timeout
    }

    #[wasm_bindgen(setter)]
    pub fn set_timeout(&self, v: f64) {
        self.inner.st.borrow_mut().timeout = v;
    }

    #[wasm_bindgen(getter, js_name = heartbeatIntervalMs)]
    pub fn heartbeat_interval_ms(&self) -> f64 {
        self.inner.st.borrow().heartbeat_interval_ms
    }

    #[wasm_bindgen(setter, js_name = heartbeatIntervalMs)]
    pub fn set_heartbeat_interval_ms(&self, v: f64) {
        self.inner.st.borrow_mut().heartbeat_interval_ms = v;
    }

    #[wasm_bindgen(getter, js_name = longpollerTimeout)]
    pub fn longpoller_timeout(&self) -> f64 {
        self.inner.st.borrow().longpoller_timeout
    }

    #[wasm_bindgen(getter, js_name = binaryType)]
    pub fn binary_type(&self) -> JsValue {
        self.inner.st.borrow().binary_type.clone()
    }

    /// `reconnectAfterMs(tries)`: the user's function or the default table.
    #[wasm_bindgen(js_name = reconnectAfterMs)]
    pub fn reconnect_after_ms(&self, tries: u32) -> Result<f64, JsValue> {
        let user = self.inner.st.borrow().reconnect_after_ms.clone();
        match user {
            Some(f) => Ok(f
                .call1(&JsValue::UNDEFINED, &JsValue::from(tries))?
                .as_f64()
                .unwrap_or(f64::NAN)),
            None => Ok(default_reconnect_after_ms(tries)),
        }
    }

    /// `rejoinAfterMs(tries)`: the user's function or the default table.
    #[wasm_bindgen(js_name = rejoinAfterMs)]
    pub fn rejoin_after_ms(&self, tries: u32) -> Result<f64, JsValue> {
        let user = self.inner.st.borrow().rejoin_after_ms.clone();
        match user {
            Some(f) => Ok(f
                .call1(&JsValue::UNDEFINED, &JsValue::from(tries))?
                .as_f64()
                .unwrap_or(f64::NAN)),
            None => Ok(default_rejoin_after_ms(tries)),
        }
    }

    #[wasm_bindgen(getter)]
    pub fn logger(&self) -> JsValue {
        let set = self.inner.host.logger_value.borrow().clone();
        if set.is_undefined() && self.inner.st.borrow().has_logger {
            return self
                .inner
                .st
                .borrow()
                .logger
                .clone()
                .map_or(JsValue::UNDEFINED, JsValue::from);
        }
        if !self.inner.st.borrow().has_logger {
            return JsValue::NULL;
        }
        set
    }

    #[wasm_bindgen(setter)]
    pub fn set_logger(&self, f: JsValue) {
        let mut st = self.inner.st.borrow_mut();
        st.has_logger = !f.is_null();
        st.logger = f.clone().dyn_into::<Function>().ok();
        drop(st);
        *self.inner.host.logger_value.borrow_mut() = f;
    }

    #[wasm_bindgen(getter)]
    pub fn encode(&self) -> JsValue {
        self.inner
            .host
            .encode
            .borrow()
            .clone()
            .map_or_else(default_encoder, JsValue::from)
    }

    #[wasm_bindgen(setter)]
    pub fn set_encode(&self, f: JsValue) {
        *self.inner.host.encode.borrow_mut() = f
            .dyn_into::<Function>()
            .ok()
            .filter(|f| JsValue::from(f.clone()) != default_encoder());
    }

    #[wasm_bindgen(getter)]
    pub fn decode(&self) -> JsValue {
        self.inner
            .host
            .decode
            .borrow()
            .clone()
            .map_or_else(default_decoder, JsValue::from)
    }

    #[wasm_bindgen(setter)]
    pub fn set_decode(&self, f: JsValue) {
        *self.inner.host.decode.borrow_mut() = f
            .dyn_into::<Function>()
            .ok()
            .filter(|f| JsValue::from(f.clone()) != default_decoder());
    }

    #[wasm_bindgen(getter, js_name = defaultEncoder)]
    pub fn default_encoder(&self) -> JsValue {
        default_encoder()
    }

    #[wasm_bindgen(getter, js_name = defaultDecoder)]
    pub fn default_decoder(&self) -> JsValue {
        default_decoder()
    }

    #[wasm_bindgen(getter, js_name = authToken)]
    pub fn auth_token(&self) -> JsValue {
        self.inner.host.auth_token_value.borrow().clone()
    }

    #[wasm_bindgen(getter, js_name = closeWasClean)]
    pub fn close_was_clean(&self) -> bool {
        self.inner.st.borrow().close_was_clean
    }

    #[wasm_bindgen(getter, js_name = establishedConnections)]
    pub fn established_connections(&self) -> u32 {
        self.inner.st.borrow().established_connections
    }

    #[wasm_bindgen(getter, js_name = connectClock)]
    pub fn connect_clock(&self) -> f64 {
        self.inner.st.borrow().connect_clock as f64
    }

    #[wasm_bindgen(getter, js_name = pendingHeartbeatRef)]
    pub fn pending_heartbeat_ref(&self) -> JsValue {
        self.inner
            .st
            .borrow()
            .pending_heartbeat_ref
            .as_deref()
            .map_or(JsValue::NULL, JsValue::from_str)
    }

    #[wasm_bindgen(getter, js_name = pageHidden)]
    pub fn page_hidden(&self) -> bool {
        use crate::core::host::Host;
        self.inner.host.page_hidden()
    }

    #[wasm_bindgen(getter, js_name = longPollFallbackMs)]
    pub fn long_poll_fallback_ms(&self) -> JsValue {
        self.inner.host.long_poll_fallback_ms.borrow().clone()
    }

    #[wasm_bindgen(getter, js_name = sessionStore)]
    pub fn session_store(&self) -> JsValue {
        self.inner.host.session_store.borrow().clone()
    }

    /// Tells the socket which JS object it is, so that `channel.socket` returns it (the
    /// package's `Socket` calls this from its constructor). Held weakly.
    #[wasm_bindgen(js_name = __bindSelf)]
    pub fn bind_self(&self, me: Object) {
        *self.inner.host.self_object.borrow_mut() = Some(js_sys::WeakRef::new(&me));
    }

    /// Size of the wasm linear memory in bytes: not phoenix.js API, for leak tests and
    /// benchmarks (linear memory only grows, so a leak shows up here).
    #[wasm_bindgen(js_name = __wasmMemoryBytes)]
    pub fn wasm_memory_bytes() -> f64 {
        let mem: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
        let buf: js_sys::ArrayBuffer = mem.buffer().unchecked_into();
        f64::from(buf.byte_length())
    }

    #[wasm_bindgen(getter, js_name = fallbackRef)]
    pub fn fallback_ref(&self) -> JsValue {
        self.inner
            .st
            .borrow()
            .fallback_ref
            .as_deref()
            .map_or(JsValue::NULL, JsValue::from_str)
    }

    #[wasm_bindgen(getter, js_name = fallbackErrorRef)]
    pub fn fallback_error_ref(&self) -> JsValue {
        self.inner
            .st
            .borrow()
            .fallback_error_ref
            .as_deref()
            .map_or(JsValue::NULL, JsValue::from_str)
    }

    #[wasm_bindgen(getter, js_name = fallbackTimer)]
    pub fn fallback_timer(&self) -> JsValue {
        self.inner
            .st
            .borrow()
            .fallback_timer
            .as_ref()
            .map_or(JsValue::NULL, |t| t.1.clone())
    }

    #[wasm_bindgen(getter, js_name = primaryPassedHealthCheck)]
    pub fn primary_passed_health_check(&self) -> bool {
        self.inner.st.borrow().primary_passed_health_check
    }
}
