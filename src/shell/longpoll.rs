//! The exported `LongPoll` class: phoenix.js 1.8.16's `longpoll.js` over
//! [`crate::core::longpoll`], with HTTP through [`super::ajax`].
//!
//! State lives in an `Rc<Inner>`: the core's state machine and the JavaScript-valued fields.
//! Requests and timers keep the `Inner` alive while they are pending (as phoenix.js's closures
//! keep the LongPoll), through registries keyed by id: one long-lived closure per kind of
//! event, no closure per request or timer. No `RefCell` borrow is held while JavaScript runs.
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::ajax::{self, call_method, AjaxCallbacks};
use super::globals::{self, get, set};
use crate::core::constants::AUTH_TOKEN_PREFIX;
use crate::core::longpoll::{
    auth_token_b64, normalize_endpoint, AckAction, Batch, LongPollState, PollAction, PollResponse,
    Post, SendAction, Token, CLOSED, CONNECTING,
};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_name = atob)]
    fn atob(s: &JsValue) -> Result<JsValue, JsValue>;
}

/// A timer handle: our registry key and what `setTimeout` returned.
#[derive(Clone, Debug)]
pub struct TimerRef {
    key: u32,
    id: JsValue,
}

impl PartialEq for TimerRef {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

enum LpTask {
    /// The constructor's deferred first `poll()`.
    Poll,
    /// `onmessage({data: msg})` of one polled message.
    Message(JsValue),
    /// The batch timer: `batchSend(currentBatch)`.
    Batch,
}

#[derive(Clone, Copy)]
enum Handler {
    Open,
    Error,
    Message,
    Close,
}

impl Handler {
    fn name(self) -> &'static str {
        match self {
            Handler::Open => "onopen",
            Handler::Error => "onerror",
            Handler::Message => "onmessage",
            Handler::Close => "onclose",
        }
    }
}

struct Fields {
    end_point: JsValue,
    poll_endpoint: JsValue,
    auth_token: JsValue,
    skip_heartbeat: JsValue,
    timeout: JsValue,
    onopen: JsValue,
    onerror: JsValue,
    onmessage: JsValue,
    onclose: JsValue,
}

impl Fields {
    fn handler(&self, h: Handler) -> &JsValue {
        match h {
            Handler::Open => &self.onopen,
            Handler::Error => &self.onerror,
            Handler::Message => &self.onmessage,
            Handler::Close => &self.onclose,
        }
    }

    fn handler_mut(&mut self, h: Handler) -> &mut JsValue {
        match h {
            Handler::Open => &mut self.onopen,
            Handler::Error => &mut self.onerror,
            Handler::Message => &mut self.onmessage,
            Handler::Close => &mut self.onclose,
        }
    }
}

/// A request in `reqs`: what `Ajax.request` returned (`request.req`) and its registry id.
struct ReqRec {
    req: JsValue,
    ajax: Option<u32>,
}

type Core = LongPollState<JsValue, TimerRef>;

pub(crate) struct Inner {
    core: RefCell<Core>,
    f: RefCell<Fields>,
    reqs: RefCell<HashMap<u32, ReqRec>>,
}

thread_local! {
    static TIMERS: RefCell<HashMap<u32, (Rc<Inner>, LpTask)>> = RefCell::new(HashMap::new());
    static NEXT_TIMER: Cell<u32> = const { Cell::new(0) };
    static TIMER_FN: Closure<dyn Fn(JsValue) -> Result<(), JsValue>> = Closure::new(on_timer);
    static NOOP: Closure<dyn Fn()> = Closure::new(|| {});
    static CLASS: RefCell<Option<JsValue>> = const { RefCell::new(None) };
}

/// A fresh no-op function (phoenix.js gives each instance its own `function(){}`).
fn noop() -> JsValue {
    NOOP.with(|n| {
        let f: &Function = n.as_ref().unchecked_ref();
        f.bind0(&JsValue::NULL).into()
    })
}

/// `setTimeout(task, 0)`.
fn set_timer(inner: &Rc<Inner>, task: LpTask) -> TimerRef {
    let key = NEXT_TIMER.with(|n| {
        let k = n.get().wrapping_add(1);
        n.set(k);
        k
    });
    TIMERS.with(|t| t.borrow_mut().insert(key, (inner.clone(), task)));
    let id = TIMER_FN.with(|f| globals::set_timeout(f.as_ref().unchecked_ref(), 0.0, key));
    TimerRef { key, id }
}

/// `clearTimeout(timer)`, `clearTimeout(null)` for `None`.
fn clear_timer(timer: Option<&TimerRef>) {
    match timer {
        Some(t) => {
            let entry = TIMERS.with(|m| m.borrow_mut().remove(&t.key));
            drop(entry);
            globals::clear_timeout(&t.id);
        }
        None => globals::clear_timeout(&JsValue::NULL),
    }
}

fn on_timer(key: JsValue) -> Result<(), JsValue> {
    let key = key.as_f64().map_or(u32::MAX, |n| n as u32);
    let entry = TIMERS.with(|m| m.borrow_mut().remove(&key));
    let Some((inner, task)) = entry else {
        return Ok(());
    };
    match task {
        LpTask::Poll => inner.poll(),
        LpTask::Message(msg) => {
            inner.core.borrow_mut().message_timer_fired(&TimerRef {
                key,
                id: JsValue::NULL,
            });
            let ev: JsValue = Object::new().into();
            set(&ev, "data", &msg);
            inner.call(Handler::Message, &ev)
        }
        LpTask::Batch => inner.batch_timer_fired(),
    }
}

fn num(n: f64) -> JsValue {
    JsValue::from_f64(n)
}

fn type_error(msg: &str) -> JsValue {
    js_sys::TypeError::new(msg).into()
}

/// What a request's callback continues with.
enum ReqKind {
    Poll,
    Post(Batch),
    /// `ajax(...)` called from JavaScript with its own callbacks.
    Js {
        on_timeout: JsValue,
        callback: JsValue,
    },
}

/// A request's callbacks as `LongPoll.ajax` wraps them: they run only while the request is ours.
struct LpReq {
    inner: Rc<Inner>,
    id: u32,
    kind: RefCell<Option<ReqKind>>,
}

impl LpReq {
    /// `this.reqs.delete(request)`.
    fn claim(&self) -> Option<ReqKind> {
        if !self.inner.core.borrow_mut().finish_request(self.id) {
            return None;
        }
        let rec = self.inner.reqs.borrow_mut().remove(&self.id);
        drop(rec);
        self.kind.borrow_mut().take()
    }
}

fn call_js(f: &JsValue, args: &Array) -> Result<(), JsValue> {
    match f.dyn_ref::<Function>() {
        Some(f) => Reflect::apply(f, &JsValue::UNDEFINED, args).map(drop),
        None => Err(type_error("callback is not a function")),
    }
}

impl AjaxCallbacks for LpReq {
    fn done(&self, resp: JsValue) -> Result<(), JsValue> {
        match self.claim() {
            None => Ok(()),
            Some(ReqKind::Poll) => self.inner.on_poll(resp),
            Some(ReqKind::Post(batch)) => self.inner.on_post(batch, resp),
            Some(ReqKind::Js { callback, .. }) => call_js(&callback, &Array::of1(&resp)),
        }
    }

    fn timeout(&self) -> Result<(), JsValue> {
        match self.claim() {
            None => Ok(()),
            Some(ReqKind::Js { on_timeout, .. }) => call_js(&on_timeout, &Array::new()),
            Some(_) => self.inner.ontimeout(),
        }
    }
}

impl Inner {
    fn new(poll_endpoint: JsValue, auth_token: JsValue) -> Self {
        Inner {
            core: RefCell::new(Core::new()),
            f: RefCell::new(Fields {
                end_point: JsValue::NULL,
                poll_endpoint,
                auth_token,
                skip_heartbeat: JsValue::TRUE,
                timeout: JsValue::UNDEFINED,
                onopen: noop(),
                onerror: noop(),
                onmessage: noop(),
                onclose: noop(),
            }),
            reqs: RefCell::new(HashMap::new()),
        }
    }

    fn is_active(&self) -> bool {
        self.core.borrow().is_active()
    }

    /// `this.onopen(arg)` and friends.
    fn call(&self, h: Handler, arg: &JsValue) -> Result<(), JsValue> {
        let f = self.f.borrow().handler(h).clone();
        match f.dyn_ref::<Function>() {
            Some(f) => f.call1(&JsValue::UNDEFINED, arg).map(drop),
            None => Err(type_error(&format!("this.{} is not a function", h.name()))),
        }
    }

    /// `endpointURL()`.
    fn endpoint_url(&self) -> Result<String, JsValue> {
        let pe = self.f.borrow().poll_endpoint.clone();
        let Some(url) = pe.as_string() else {
            return Err(type_error("url.match is not a function"));
        };
        let token = match &self.core.borrow().token {
            Token::Null => JsValue::NULL,
            Token::Value(v) => v.clone(),
        };
        ajax::append_token(&url, &token)
    }

    /// `ajax(method, headers, body, onCallerTimeout, callback)`.
    fn ajax(
        self: &Rc<Self>,
        method: &str,
        headers: Vec<(String, JsValue)>,
        body: JsValue,
        kind: ReqKind,
    ) -> Result<(), JsValue> {
        let id = self.core.borrow_mut().begin_request();
        self.reqs.borrow_mut().insert(
            id,
            ReqRec {
                req: JsValue::NULL,
                ajax: None,
            },
        );
        let url = self.endpoint_url()?;
        let timeout = self.f.borrow().timeout.clone();
        let cb = Rc::new(LpReq {
            inner: self.clone(),
            id,
            kind: RefCell::new(Some(kind)),
        });
        let started = ajax::request(method, &url, &headers, &body, &timeout, cb)?;
        let mut reqs = self.reqs.borrow_mut();
        match reqs.get_mut(&id) {
            Some(rec) => {
                rec.req = started.req;
                rec.ajax = Some(started.id);
            }
            None => {
                drop(reqs);
                ajax::abandon(started.id);
            }
        }
        Ok(())
    }

    /// `poll()`.
    fn poll(self: &Rc<Self>) -> Result<(), JsValue> {
        if !self.is_active() {
            return Ok(());
        }
        let mut headers = vec![("Accept".to_owned(), JsValue::from_str("application/json"))];
        let auth = self.f.borrow().auth_token.clone();
        if auth.is_truthy() {
            headers.push(("X-Phoenix-AuthToken".to_owned(), auth));
        }
        self.ajax("GET", headers, JsValue::NULL, ReqKind::Poll)
    }

    /// The GET's callback.
    fn on_poll(self: &Rc<Self>, resp: JsValue) -> Result<(), JsValue> {
        let (parsed, status, messages) = if resp.is_truthy() {
            let status = get(&resp, "status");
            let token = get(&resp, "token");
            let messages = get(&resp, "messages");
            let token = if token.is_null() {
                Token::Null
            } else {
                Token::Value(token)
            };
            (
                Some(PollResponse {
                    status: status.as_f64(),
                    token,
                }),
                status,
                messages,
            )
        } else {
            (None, num(0.0), JsValue::UNDEFINED)
        };
        let action = self.core.borrow_mut().poll_response(parsed);
        match action {
            PollAction::SessionGone => self.close_and_retry(
                &num(410.0),
                &num(3410.0),
                &"session_gone".into(),
                &JsValue::FALSE,
            ),
            PollAction::Deliver => {
                if messages.is_undefined() || messages.is_null() {
                    return Err(type_error(&format!(
                        "Cannot read properties of {} (reading 'forEach')",
                        globals::js_string(&messages)
                    )));
                }
                if !Array::is_array(&messages) {
                    return Err(type_error("messages.forEach is not a function"));
                }
                let arr: Array = messages.unchecked_into();
                let len = arr.length();
                for i in 0..len {
                    if !Reflect::has(&arr, &num(f64::from(i))).unwrap_or(false) {
                        continue;
                    }
                    let timer = set_timer(self, LpTask::Message(arr.get(i)));
                    self.core.borrow_mut().message_timer_added(timer);
                }
                self.poll()
            }
            PollAction::Poll => self.poll(),
            PollAction::Open => {
                self.call(Handler::Open, &Object::new().into())?;
                self.poll()
            }
            PollAction::Forbidden => {
                self.call(Handler::Error, &num(403.0))?;
                self.close(&num(1008.0), &"forbidden".into(), &JsValue::FALSE)
            }
            PollAction::ServerError => self.close_and_retry(
                &num(500.0),
                &num(1011.0),
                &"internal server error".into(),
                &JsValue::FALSE,
            ),
            PollAction::Unhandled => Err(js_sys::Error::new(&format!(
                "unhandled poll status {}",
                globals::js_string(&status)
            ))
            .into()),
        }
    }

    /// `send(body)`.
    fn send(self: &Rc<Self>, body: &JsValue) -> Result<(), JsValue> {
        let body = match body.as_string() {
            Some(s) => s,
            None => array_buffer_to_base64(body)?,
        };
        let action = self.core.borrow_mut().send(body);
        if action == SendAction::ArmBatchTimer {
            let timer = set_timer(self, LpTask::Batch);
            self.core.borrow_mut().batch_timer_set(timer);
        }
        Ok(())
    }

    fn batch_timer_fired(self: &Rc<Self>) -> Result<(), JsValue> {
        let messages = self.core.borrow().batch_timer_fired();
        let Some(messages) = messages else {
            return Ok(());
        };
        let post = self.core.borrow_mut().batch_send(messages, 0);
        self.post(post)?;
        self.core.borrow_mut().batch_posted();
        Ok(())
    }

    fn post(self: &Rc<Self>, post: Post) -> Result<(), JsValue> {
        let headers = vec![(
            "Content-Type".to_owned(),
            JsValue::from_str("application/x-ndjson"),
        )];
        self.ajax(
            "POST",
            headers,
            JsValue::from_str(&post.body),
            ReqKind::Post(post.batch),
        )
    }

    /// The POST's callback.
    fn on_post(self: &Rc<Self>, batch: Batch, resp: JsValue) -> Result<(), JsValue> {
        let ok = resp.is_truthy() && get(&resp, "status").as_f64() == Some(200.0);
        let action = self.core.borrow_mut().batch_acked(batch, ok);
        match action {
            AckAction::Failed => {
                let error = if resp.is_truthy() {
                    get(&resp, "status")
                } else {
                    resp
                };
                self.close_and_retry(
                    &error,
                    &num(1011.0),
                    &"internal server error".into(),
                    &JsValue::FALSE,
                )
            }
            AckAction::Post(post) => self.post(post),
            AckAction::PostBuffer => {
                let post = self.core.borrow_mut().buffer_post();
                self.post(post)?;
                self.core.borrow_mut().buffer_posted();
                Ok(())
            }
            AckAction::Done => Ok(()),
        }
    }

    /// `close(code, reason, wasClean)`.
    fn close(&self, code: &JsValue, reason: &JsValue, was_clean: &JsValue) -> Result<(), JsValue> {
        self.stop(CLOSED)?;
        self.emit_close(code, reason, was_clean)
    }

    /// `stop(readyState)`.
    fn stop(&self, ready_state: f64) -> Result<(), JsValue> {
        let stopped = self.core.borrow_mut().stop(ready_state);
        let recs: Vec<ReqRec> = {
            let mut table = self.reqs.borrow_mut();
            stopped
                .reqs
                .iter()
                .filter_map(|id| table.remove(id))
                .collect()
        };
        let mut result = Ok(());
        for rec in recs {
            if result.is_ok() && rec.req.is_truthy() {
                result = call_method(&rec.req, "abort", &Array::new()).map(drop);
            }
            if let Some(a) = rec.ajax {
                ajax::abandon(a);
            }
        }
        result?;
        for t in &stopped.message_timers {
            clear_timer(Some(t));
        }
        clear_timer(stopped.batch_timer.as_ref());
        Ok(())
    }

    /// `closeAndRetry(error, code, reason, wasClean)`.
    fn close_and_retry(
        &self,
        error: &JsValue,
        code: &JsValue,
        reason: &JsValue,
        was_clean: &JsValue,
    ) -> Result<(), JsValue> {
        if !self.is_active() {
            return Ok(());
        }
        self.stop(CONNECTING)?;
        self.call(Handler::Error, error)?;
        if self.is_active() {
            self.emit_close(code, reason, was_clean)?;
        }
        Ok(())
    }

    /// `ontimeout()`.
    fn ontimeout(&self) -> Result<(), JsValue> {
        self.close_and_retry(
            &"timeout".into(),
            &num(1005.0),
            &"timeout".into(),
            &JsValue::FALSE,
        )
    }

    /// `emitClose(code = 1005, reason, wasClean = true)`.
    fn emit_close(
        &self,
        code: &JsValue,
        reason: &JsValue,
        was_clean: &JsValue,
    ) -> Result<(), JsValue> {
        let code = if code.is_undefined() {
            num(1005.0)
        } else {
            code.clone()
        };
        let was_clean = if was_clean.is_undefined() {
            JsValue::TRUE
        } else {
            was_clean.clone()
        };
        let opts: JsValue = Object::new().into();
        set(&opts, "code", &code);
        set(&opts, "reason", reason);
        set(&opts, "wasClean", &was_clean);
        let close_event = get(&js_sys::global().into(), "CloseEvent");
        let ev = if close_event.is_undefined() {
            opts
        } else {
            match close_event.dyn_ref::<Function>() {
                Some(c) => Reflect::construct(c, &Array::of2(&"close".into(), &opts))?,
                None => return Err(type_error("CloseEvent is not a constructor")),
            }
        };
        self.call(Handler::Close, &ev)
    }
}

/// `arrayBufferToBase64(buffer)`: `btoa` of the bytes of `new Uint8Array(buffer)`.
fn array_buffer_to_base64(buffer: &JsValue) -> Result<String, JsValue> {
    let ctor = get(&js_sys::global().into(), "Uint8Array");
    let Some(ctor) = ctor.dyn_ref::<Function>() else {
        return Err(type_error("Uint8Array is not a constructor"));
    };
    let bytes = Reflect::construct(ctor, &Array::of1(buffer))?;
    let bytes = match bytes.dyn_into::<js_sys::Uint8Array>() {
        Ok(b) => b.to_vec(),
        Err(_) => return Err(type_error("not a Uint8Array")),
    };
    let binary: String = bytes.iter().map(|&b| char::from(b)).collect();
    globals::btoa(&binary)
}

/// `String(x)` for an array element joined with `"\n"` (`null`/`undefined` are empty).
fn join_item(v: &JsValue) -> String {
    if v.is_undefined() || v.is_null() {
        String::new()
    } else {
        v.as_string().unwrap_or_else(|| globals::js_string(v))
    }
}

/// The LongPoll transport (phoenix.js `LongPoll`).
#[wasm_bindgen(js_name = LongPoll)]
pub struct JsLongPoll {
    inner: Rc<Inner>,
}

/// The `LongPoll` class constructor, for the Socket (default transport, `transportName`,
/// `getLongPollTransport()`).
pub(crate) fn class() -> JsValue {
    CLASS.with(|c| {
        if let Some(v) = c.borrow().as_ref() {
            return v.clone();
        }
        let inner = Inner::new(JsValue::from_str(""), JsValue::UNDEFINED);
        inner.core.borrow_mut().ready_state = CLOSED;
        let obj = JsValue::from(JsLongPoll {
            inner: Rc::new(inner),
        });
        let ctor = get(&obj, "constructor");
        *c.borrow_mut() = Some(ctor.clone());
        ctor
    })
}

#[wasm_bindgen(js_class = LongPoll)]
impl JsLongPoll {
    /// `new LongPoll(endPoint, protocols)`: no request yet, the first poll runs on
    /// `setTimeout(0)` once the caller has attached its handlers.
    #[wasm_bindgen(constructor)]
    pub fn new(end_point: JsValue, protocols: JsValue) -> Result<JsLongPoll, JsValue> {
        let mut auth_token = JsValue::UNDEFINED;
        if protocols.is_truthy() && get(&protocols, "length").as_f64() == Some(2.0) {
            let p = get(&protocols, "1");
            if let Some(s) = p.as_string() {
                if let Some(b64) = auth_token_b64(&s) {
                    auth_token = atob(&JsValue::from_str(b64))?;
                }
            } else {
                if p.is_undefined() || p.is_null() {
                    return Err(type_error(&format!(
                        "Cannot read properties of {} (reading 'startsWith')",
                        globals::js_string(&p)
                    )));
                }
                let prefix = JsValue::from_str(AUTH_TOKEN_PREFIX);
                if call_method(&p, "startsWith", &Array::of1(&prefix))?.is_truthy() {
                    let len = num(AUTH_TOKEN_PREFIX.len() as f64);
                    auth_token = atob(&call_method(&p, "slice", &Array::of1(&len))?)?;
                }
            }
        }
        let Some(end_point) = end_point.as_string() else {
            return Err(type_error("endPoint.replace is not a function"));
        };
        let inner = Rc::new(Inner::new(
            JsValue::from_str(&normalize_endpoint(&end_point)),
            auth_token,
        ));
        set_timer(&inner, LpTask::Poll);
        Ok(JsLongPoll { inner })
    }

    /// `send(body)`: a string, or binary data sent as a base64 line.
    pub fn send(&self, body: JsValue) -> Result<(), JsValue> {
        self.inner.send(&body)
    }

    /// `close(code, reason, wasClean)`: stops and emits the close; the server is not told.
    pub fn close(&self, code: JsValue, reason: JsValue, was_clean: JsValue) -> Result<(), JsValue> {
        self.inner.close(&code, &reason, &was_clean)
    }

    #[wasm_bindgen(js_name = normalizeEndpoint)]
    pub fn normalize_endpoint(&self, end_point: JsValue) -> Result<String, JsValue> {
        match end_point.as_string() {
            Some(s) => Ok(normalize_endpoint(&s)),
            None => Err(type_error("endPoint.replace is not a function")),
        }
    }

    #[wasm_bindgen(js_name = endpointURL)]
    pub fn endpoint_url(&self) -> Result<String, JsValue> {
        self.inner.endpoint_url()
    }

    pub fn poll(&self) -> Result<(), JsValue> {
        self.inner.poll()
    }

    /// `batchSend(messages, offset = 0)`.
    #[wasm_bindgen(js_name = batchSend)]
    pub fn batch_send(&self, messages: JsValue, offset: JsValue) -> Result<(), JsValue> {
        if !Array::is_array(&messages) {
            return Err(type_error("messages.slice is not a function"));
        }
        let len = get(&messages, "length")
            .as_f64()
            .unwrap_or(0.0)
            .max(0.0)
            .min(f64::from(u32::MAX)) as u32;
        let msgs: Vec<String> = (0..len)
            .map(|i| join_item(&get(&messages, &i.to_string())))
            .collect();
        let offset = offset
            .as_f64()
            .filter(|o| o.is_finite() && *o >= 0.0)
            .map_or(0, |o| o as usize);
        let post = self.inner.core.borrow_mut().batch_send(msgs, offset);
        self.inner.post(post)
    }

    #[wasm_bindgen(js_name = closeAndRetry)]
    pub fn close_and_retry(
        &self,
        error: JsValue,
        code: JsValue,
        reason: JsValue,
        was_clean: JsValue,
    ) -> Result<(), JsValue> {
        self.inner
            .close_and_retry(&error, &code, &reason, &was_clean)
    }

    pub fn ontimeout(&self) -> Result<(), JsValue> {
        self.inner.ontimeout()
    }

    #[wasm_bindgen(js_name = isActive)]
    pub fn is_active(&self) -> bool {
        self.inner.is_active()
    }

    /// `stop(readyState)`: cancels the pending requests, queued messages and outgoing batches.
    pub fn stop(&self, ready_state: JsValue) -> Result<(), JsValue> {
        self.inner.stop(ready_state.as_f64().unwrap_or(f64::NAN))
    }

    #[wasm_bindgen(js_name = emitClose)]
    pub fn emit_close(
        &self,
        code: JsValue,
        reason: JsValue,
        was_clean: JsValue,
    ) -> Result<(), JsValue> {
        self.inner.emit_close(&code, &reason, &was_clean)
    }

    /// `ajax(method, headers, body, onCallerTimeout, callback)`.
    pub fn ajax(
        &self,
        method: JsValue,
        headers: JsValue,
        body: JsValue,
        on_caller_timeout: JsValue,
        callback: JsValue,
    ) -> Result<(), JsValue> {
        let method = method
            .as_string()
            .unwrap_or_else(|| globals::js_string(&method));
        let mut hdrs = Vec::new();
        if !headers.is_undefined() && !headers.is_null() {
            for k in globals::object_keys(&headers)?.iter() {
                let k = k.as_string().unwrap_or_default();
                let v = Reflect::get(&headers, &JsValue::from_str(&k))?;
                hdrs.push((k, v));
            }
        }
        self.inner.ajax(
            &method,
            hdrs,
            body,
            ReqKind::Js {
                on_timeout: on_caller_timeout,
                callback,
            },
        )
    }

    // ---- fields ---------------------------------------------------------------------------

    #[wasm_bindgen(getter, js_name = endPoint)]
    pub fn end_point(&self) -> JsValue {
        self.inner.f.borrow().end_point.clone()
    }
    #[wasm_bindgen(setter, js_name = endPoint)]
    pub fn set_end_point(&self, v: JsValue) {
        self.inner.f.borrow_mut().end_point = v;
    }

    #[wasm_bindgen(getter, js_name = pollEndpoint)]
    pub fn poll_endpoint(&self) -> JsValue {
        self.inner.f.borrow().poll_endpoint.clone()
    }
    #[wasm_bindgen(setter, js_name = pollEndpoint)]
    pub fn set_poll_endpoint(&self, v: JsValue) {
        self.inner.f.borrow_mut().poll_endpoint = v;
    }

    #[wasm_bindgen(getter)]
    pub fn token(&self) -> JsValue {
        match &self.inner.core.borrow().token {
            Token::Null => JsValue::NULL,
            Token::Value(v) => v.clone(),
        }
    }
    #[wasm_bindgen(setter)]
    pub fn set_token(&self, v: JsValue) {
        self.inner.core.borrow_mut().token = if v.is_null() {
            Token::Null
        } else {
            Token::Value(v)
        };
    }

    #[wasm_bindgen(getter, js_name = authToken)]
    pub fn auth_token(&self) -> JsValue {
        self.inner.f.borrow().auth_token.clone()
    }
    #[wasm_bindgen(setter, js_name = authToken)]
    pub fn set_auth_token(&self, v: JsValue) {
        self.inner.f.borrow_mut().auth_token = v;
    }

    #[wasm_bindgen(getter, js_name = skipHeartbeat)]
    pub fn skip_heartbeat(&self) -> JsValue {
        self.inner.f.borrow().skip_heartbeat.clone()
    }
    #[wasm_bindgen(setter, js_name = skipHeartbeat)]
    pub fn set_skip_heartbeat(&self, v: JsValue) {
        self.inner.f.borrow_mut().skip_heartbeat = v;
    }

    #[wasm_bindgen(getter, js_name = readyState)]
    pub fn ready_state(&self) -> f64 {
        self.inner.core.borrow().ready_state
    }
    #[wasm_bindgen(setter, js_name = readyState)]
    pub fn set_ready_state(&self, v: JsValue) {
        self.inner.core.borrow_mut().ready_state = v.as_f64().unwrap_or(f64::NAN);
    }

    #[wasm_bindgen(getter)]
    pub fn timeout(&self) -> JsValue {
        self.inner.f.borrow().timeout.clone()
    }
    #[wasm_bindgen(setter)]
    pub fn set_timeout(&self, v: JsValue) {
        self.inner.f.borrow_mut().timeout = v;
    }

    /// `reqs`: a `Set` of `{req}` (a snapshot).
    #[wasm_bindgen(getter)]
    pub fn reqs(&self) -> js_sys::Set {
        // Data first, JavaScript after: no borrow is held while objects are built.
        let ids: Vec<u32> = self.inner.core.borrow().requests().to_vec();
        let reqs: Vec<JsValue> = {
            let table = self.inner.reqs.borrow();
            ids.iter()
                .map(|id| table.get(id).map_or(JsValue::NULL, |r| r.req.clone()))
                .collect()
        };
        let set_ = js_sys::Set::new(&JsValue::UNDEFINED);
        for req in reqs {
            let o: JsValue = Object::new().into();
            set(&o, "req", &req);
            set_.add(&o);
        }
        set_
    }

    /// `messageTimers`: a `Set` of the pending message timers (a snapshot).
    #[wasm_bindgen(getter, js_name = messageTimers)]
    pub fn message_timers(&self) -> js_sys::Set {
        let ids: Vec<JsValue> = self
            .inner
            .core
            .borrow()
            .message_timers
            .iter()
            .map(|t| t.id.clone())
            .collect();
        let set_ = js_sys::Set::new(&JsValue::UNDEFINED);
        for id in &ids {
            set_.add(id);
        }
        set_
    }

    #[wasm_bindgen(getter, js_name = awaitingBatchAck)]
    pub fn awaiting_batch_ack(&self) -> bool {
        self.inner.core.borrow().awaiting_batch_ack
    }
    #[wasm_bindgen(setter, js_name = awaitingBatchAck)]
    pub fn set_awaiting_batch_ack(&self, v: JsValue) {
        self.inner.core.borrow_mut().awaiting_batch_ack = v.is_truthy();
    }

    #[wasm_bindgen(getter, js_name = currentBatch)]
    pub fn current_batch(&self) -> JsValue {
        let batch = self.inner.core.borrow().current_batch.clone();
        match batch {
            None => JsValue::NULL,
            Some(b) => b
                .iter()
                .map(|s| JsValue::from_str(s))
                .collect::<Array>()
                .into(),
        }
    }

    #[wasm_bindgen(getter, js_name = currentBatchTimer)]
    pub fn current_batch_timer(&self) -> JsValue {
        self.inner
            .core
            .borrow()
            .current_batch_timer
            .as_ref()
            .map_or(JsValue::NULL, |t| t.id.clone())
    }

    #[wasm_bindgen(getter, js_name = batchBuffer)]
    pub fn batch_buffer(&self) -> Array {
        let buffer = self.inner.core.borrow().batch_buffer.clone();
        buffer.iter().map(|s| JsValue::from_str(s)).collect()
    }

    #[wasm_bindgen(getter)]
    pub fn onopen(&self) -> JsValue {
        self.inner.f.borrow().handler(Handler::Open).clone()
    }
    #[wasm_bindgen(setter)]
    pub fn set_onopen(&self, v: JsValue) {
        *self.inner.f.borrow_mut().handler_mut(Handler::Open) = v;
    }

    #[wasm_bindgen(getter)]
    pub fn onerror(&self) -> JsValue {
        self.inner.f.borrow().handler(Handler::Error).clone()
    }
    #[wasm_bindgen(setter)]
    pub fn set_onerror(&self, v: JsValue) {
        *self.inner.f.borrow_mut().handler_mut(Handler::Error) = v;
    }

    #[wasm_bindgen(getter)]
    pub fn onmessage(&self) -> JsValue {
        self.inner.f.borrow().handler(Handler::Message).clone()
    }
    #[wasm_bindgen(setter)]
    pub fn set_onmessage(&self, v: JsValue) {
        *self.inner.f.borrow_mut().handler_mut(Handler::Message) = v;
    }

    #[wasm_bindgen(getter)]
    pub fn onclose(&self) -> JsValue {
        self.inner.f.borrow().handler(Handler::Close).clone()
    }
    #[wasm_bindgen(setter)]
    pub fn set_onclose(&self, v: JsValue) {
        *self.inner.f.borrow_mut().handler_mut(Handler::Close) = v;
    }
}
