//! `Push` (not exported by phoenix.js, but returned by `join`, `push` and `leave`).
use std::rc::Rc;

use js_sys::{Array, Function, Object, WeakRef};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::globals::{object, set};
use super::host::{ref_js, JsHost, JsSocketInner};
use crate::core::channel::Channel;
use crate::core::push::{HookCb, Push};

/// A push and what keeps its channel and socket alive while JavaScript holds it.
#[wasm_bindgen(js_name = Push)]
pub struct JsPush {
    pub(crate) push: Rc<Push<JsHost>>,
    pub(crate) channel: Rc<Channel<JsHost>>,
    pub(crate) socket: Rc<JsSocketInner>,
}

impl JsPush {
    pub(crate) fn new(
        push: Rc<Push<JsHost>>,
        channel: Rc<Channel<JsHost>>,
        socket: Rc<JsSocketInner>,
    ) -> Self {
        JsPush {
            push,
            channel,
            socket,
        }
    }
}

/// The JS object of a push: the same one for as long as JavaScript holds it.
pub fn push_value(
    push: &Rc<Push<JsHost>>,
    channel: &Rc<Channel<JsHost>>,
    socket: &Rc<JsSocketInner>,
) -> JsValue {
    let weak = push.host_data.borrow().clone();
    if let Some(obj) = weak.and_then(|w| w.unchecked_into::<WeakRef>().deref()) {
        return obj.into();
    }
    let obj: JsValue = JsPush::new(push.clone(), channel.clone(), socket.clone()).into();
    let weak: JsValue = WeakRef::new(obj.unchecked_ref::<Object>()).into();
    *push.host_data.borrow_mut() = Some(weak);
    obj
}

#[wasm_bindgen(js_class = Push)]
impl JsPush {
    /// `receive(status, callback)`: chainable.
    #[wasm_bindgen(unchecked_return_type = "Push")]
    pub fn receive(&self, status: JsValue, callback: Function) -> Result<JsValue, JsValue> {
        let status = status
            .as_string()
            .unwrap_or_else(|| super::globals::js_string(&status));
        self.push
            .receive(&self.socket.host, &status, HookCb::User(callback))?;
        Ok(push_value(&self.push, &self.channel, &self.socket))
    }

    /// `send()`.
    pub fn send(&self) -> Result<(), JsValue> {
        self.push.send(&self.socket.host)
    }

    /// `resend(timeout)`.
    pub fn resend(&self, timeout: f64) -> Result<(), JsValue> {
        self.push.resend(&self.socket.host, timeout)
    }

    /// `reset()`.
    pub fn reset(&self) {
        self.push.reset(&self.socket.host)
    }

    /// `cancelTimeout()`.
    #[wasm_bindgen(js_name = cancelTimeout)]
    pub fn cancel_timeout(&self) {
        self.push.cancel_timeout(&self.socket.host)
    }

    /// `cancelRefEvent()`.
    #[wasm_bindgen(js_name = cancelRefEvent)]
    pub fn cancel_ref_event(&self) {
        self.push.cancel_ref_event()
    }

    /// `startTimeout()`.
    #[wasm_bindgen(js_name = startTimeout)]
    pub fn start_timeout(&self) {
        self.push
            .start_timeout(&self.socket.host, &self.channel, &self.socket)
    }

    /// `hasReceived(status)`.
    #[wasm_bindgen(js_name = hasReceived)]
    pub fn has_received(&self, status: String) -> JsValue {
        // `this.receivedResp && this.receivedResp.status === status`: null before any reply.
        if self.push.st.borrow().received.is_none() {
            return JsValue::NULL;
        }
        JsValue::from_bool(self.push.has_received(&status))
    }

    /// `matchReceive({status, response})`.
    #[wasm_bindgen(js_name = matchReceive)]
    pub fn match_receive(&self, resp: JsValue) -> Result<(), JsValue> {
        self.push.match_receive(&self.socket.host, &resp)
    }

    /// `trigger(status, response)`.
    pub fn trigger(&self, status: String, response: JsValue) -> Result<(), JsValue> {
        self.push.trigger(&self.socket.host, &status, response)
    }

    #[wasm_bindgen(getter = ref)]
    pub fn ref_(&self) -> JsValue {
        ref_js(&self.push.ref_())
    }

    #[wasm_bindgen(getter, js_name = refEvent)]
    pub fn ref_event(&self) -> JsValue {
        let st = self.push.st.borrow();
        match &st.ref_event {
            Some(e) => JsValue::from_str(e),
            None if matches!(st.ref_, crate::core::RefVal::Undefined) => JsValue::UNDEFINED,
            None => JsValue::NULL,
        }
    }

    #[wasm_bindgen(getter)]
    pub fn event(&self) -> String {
        self.push.st.borrow().event.clone()
    }

    #[wasm_bindgen(getter)]
    pub fn timeout(&self) -> f64 {
        self.push.st.borrow().timeout
    }

    #[wasm_bindgen(setter)]
    pub fn set_timeout(&self, t: f64) {
        self.push.st.borrow_mut().timeout = t;
    }

    /// `timeoutTimer`: the pending timer's id, or `null`.
    #[wasm_bindgen(getter, js_name = timeoutTimer)]
    pub fn timeout_timer(&self) -> JsValue {
        self.push
            .st
            .borrow()
            .timeout_timer
            .as_ref()
            .map_or(JsValue::NULL, |t| t.1.clone())
    }

    #[wasm_bindgen(getter)]
    pub fn sent(&self) -> bool {
        self.push.st.borrow().sent
    }

    /// `receivedResp`: the reply's `{status, response}` object, or `null`.
    #[wasm_bindgen(getter, js_name = receivedResp)]
    pub fn received_resp(&self) -> JsValue {
        self.push
            .st
            .borrow()
            .received
            .as_ref()
            .map_or(JsValue::NULL, |r| r.object.clone())
    }

    /// `recHooks`: `[{status, callback}]` (internal hooks show as no-op functions).
    #[wasm_bindgen(getter, js_name = recHooks)]
    pub fn rec_hooks(&self) -> Array {
        let hooks: Vec<(String, HookCb<JsHost>)> = self.push.st.borrow().rec_hooks.clone();
        let arr = Array::new();
        for (status, cb) in hooks {
            let o = object();
            set(&o, "status", &JsValue::from_str(&status));
            let f: JsValue = match cb {
                HookCb::User(f) => f.into(),
                _ => super::globals::noop().into(),
            };
            set(&o, "callback", &f);
            arr.push(&o);
        }
        arr
    }

    /// `payload`: a function returning the payload, as in phoenix.js.
    #[wasm_bindgen(getter)]
    pub fn payload(&self) -> JsValue {
        let p = self.push.st.borrow().payload.clone();
        match p {
            crate::core::host::Param::Func(f) => f.into(),
            crate::core::host::Param::Value(v) => super::socket::closure(&v),
        }
    }

    /// `channel`: the channel this push belongs to.
    #[wasm_bindgen(getter)]
    pub fn channel(&self) -> JsValue {
        super::channel::channel_value(&self.channel, &self.socket)
    }
}
