//! `Channel`.
use std::rc::Rc;

use js_sys::{Array, Function, Object, WeakRef};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::globals::{js_string, object, set};
use super::host::{ref_js, ref_val, JsHost, JsSocketInner};
use super::push::push_value;
use super::socket::{closure, param, JsSocket};
use crate::core::channel::{BindingCb, Channel, ChannelState};

/// A channel and the socket it keeps alive while JavaScript holds it.
#[wasm_bindgen(js_name = Channel)]
pub struct JsChannel {
    pub(crate) channel: Rc<Channel<JsHost>>,
    pub(crate) socket: Rc<JsSocketInner>,
}

/// The JS object of a channel: the same one for as long as JavaScript holds it.
pub fn channel_value(ch: &Rc<Channel<JsHost>>, socket: &Rc<JsSocketInner>) -> JsValue {
    let weak = ch.host_data.borrow().clone();
    if let Some(obj) = weak.and_then(|w| w.unchecked_into::<WeakRef>().deref()) {
        return obj.into();
    }
    let obj: JsValue = JsChannel {
        channel: ch.clone(),
        socket: socket.clone(),
    }
    .into();
    let weak: JsValue = WeakRef::new(obj.unchecked_ref::<Object>()).into();
    *ch.host_data.borrow_mut() = Some(weak);
    obj
}

fn opt_timeout(t: &JsValue) -> Option<f64> {
    if t.is_undefined() {
        None
    } else {
        Some(t.as_f64().unwrap_or(f64::NAN))
    }
}

impl JsChannel {
    fn wrap(&self, p: Rc<crate::core::push::Push<JsHost>>) -> JsValue {
        push_value(&p, &self.channel, &self.socket)
    }
}

#[wasm_bindgen(js_class = Channel)]
impl JsChannel {
    /// `new Channel(topic, params, socket)`: not added to `socket.channels` (C01).
    #[wasm_bindgen(constructor)]
    pub fn new(topic: JsValue, params: JsValue, socket: &JsSocket) -> Result<JsChannel, JsValue> {
        let topic = topic.as_string().unwrap_or_else(|| js_string(&topic));
        let inner = socket.inner.clone();
        let channel = Channel::new(&inner, &topic, param(&params))?;
        Ok(JsChannel {
            channel,
            socket: inner,
        })
    }

    /// `join(timeout)`.
    #[wasm_bindgen(unchecked_return_type = "Push")]
    pub fn join(&self, timeout: JsValue) -> Result<JsValue, JsValue> {
        let p = self.channel.join(opt_timeout(&timeout))?;
        Ok(self.wrap(p))
    }

    /// `push(event, payload, timeout)`.
    #[wasm_bindgen(unchecked_return_type = "Push")]
    pub fn push(
        &self,
        event: JsValue,
        payload: JsValue,
        timeout: JsValue,
    ) -> Result<JsValue, JsValue> {
        let event = event.as_string().unwrap_or_else(|| js_string(&event));
        let p = self.channel.push(&event, payload, opt_timeout(&timeout))?;
        Ok(self.wrap(p))
    }

    /// `leave(timeout)`.
    #[wasm_bindgen(unchecked_return_type = "Push")]
    pub fn leave(&self, timeout: JsValue) -> Result<JsValue, JsValue> {
        let p = self.channel.leave(opt_timeout(&timeout))?;
        Ok(self.wrap(p))
    }

    /// `on(event, callback)` returns the binding ref.
    pub fn on(&self, event: JsValue, callback: Function) -> f64 {
        let event = event.as_string().unwrap_or_else(|| js_string(&event));
        self.channel.on(&event, BindingCb::User(callback)) as f64
    }

    /// `off(event, ref)`.
    pub fn off(&self, event: JsValue, ref_: JsValue) {
        let event = event.as_string().unwrap_or_else(|| js_string(&event));
        if ref_.is_undefined() {
            self.channel.off(&event, None);
        } else {
            let r = ref_.as_f64();
            self.channel.off_matching(&event, |b| r == Some(b as f64));
        }
    }

    /// `onClose(callback)`: returns `undefined` (C11).
    #[wasm_bindgen(js_name = onClose)]
    pub fn on_close(&self, callback: Function) {
        self.channel.on(
            crate::core::constants::event::CLOSE,
            BindingCb::User(callback),
        );
    }

    /// `onError(callback)`: `callback(reason)` only.
    #[wasm_bindgen(js_name = onError)]
    pub fn on_error(&self, callback: Function) -> f64 {
        self.channel.on(
            crate::core::constants::event::ERROR,
            BindingCb::UserOnError(callback),
        ) as f64
    }

    /// The overridable `onMessage(event, payload, ref, joinRef)` hook.
    #[wasm_bindgen(getter, js_name = onMessage)]
    pub fn on_message_hook(&self) -> JsValue {
        match self.channel.st.borrow().on_message.clone() {
            Some(f) => f.into(),
            None => identity_hook(),
        }
    }

    #[wasm_bindgen(setter, js_name = onMessage)]
    pub fn set_on_message_hook(&self, f: JsValue) {
        let f: Option<Function> = f.dyn_into().ok();
        self.channel.st.borrow_mut().on_message =
            f.filter(|f| JsValue::from(f.clone()) != identity_hook());
    }

    /// `joinRef()`.
    #[wasm_bindgen(js_name = joinRef)]
    pub fn join_ref(&self) -> JsValue {
        ref_js(&self.channel.join_ref())
    }

    /// `trigger(event, payload, ref, joinRef)`.
    pub fn trigger(
        &self,
        event: JsValue,
        payload: JsValue,
        ref_: JsValue,
        join_ref: JsValue,
    ) -> Result<(), JsValue> {
        let event = if event.is_null() || event.is_undefined() {
            None
        } else {
            Some(event.as_string().unwrap_or_else(|| js_string(&event)))
        };
        self.channel.trigger(
            &self.socket.host,
            event.as_deref(),
            &payload,
            &ref_val(&ref_),
            &ref_val(&join_ref),
        )
    }

    /// `isMember(topic, event, payload, joinRef)`.
    #[wasm_bindgen(js_name = isMember)]
    pub fn is_member(
        &self,
        topic: String,
        event: String,
        payload: JsValue,
        join_ref: JsValue,
    ) -> Result<bool, JsValue> {
        self.channel
            .is_member(&self.socket, &topic, &event, &payload, &ref_val(&join_ref))
    }

    /// `rejoin(timeout)`.
    pub fn rejoin(&self, timeout: JsValue) -> Result<(), JsValue> {
        let t = opt_timeout(&timeout).unwrap_or_else(|| self.channel.st.borrow().timeout);
        self.channel.rejoin(&self.socket, t)
    }

    /// `canPush()`.
    #[wasm_bindgen(js_name = canPush)]
    pub fn can_push(&self) -> bool {
        self.channel.can_push(&self.socket)
    }

    /// `replyEventName(ref)`.
    #[wasm_bindgen(js_name = replyEventName)]
    pub fn reply_event_name(&self, ref_: JsValue) -> String {
        format!("chan_reply_{}", js_string(&ref_))
    }

    #[wasm_bindgen(js_name = isClosed)]
    pub fn is_closed(&self) -> bool {
        self.channel.state() == ChannelState::Closed
    }
    #[wasm_bindgen(js_name = isErrored)]
    pub fn is_errored(&self) -> bool {
        self.channel.state() == ChannelState::Errored
    }
    #[wasm_bindgen(js_name = isJoined)]
    pub fn is_joined(&self) -> bool {
        self.channel.state() == ChannelState::Joined
    }
    #[wasm_bindgen(js_name = isJoining)]
    pub fn is_joining(&self) -> bool {
        self.channel.state() == ChannelState::Joining
    }
    #[wasm_bindgen(js_name = isLeaving)]
    pub fn is_leaving(&self) -> bool {
        self.channel.state() == ChannelState::Leaving
    }

    #[wasm_bindgen(getter)]
    pub fn state(&self) -> String {
        self.channel.state().as_str().to_owned()
    }

    #[wasm_bindgen(setter)]
    pub fn set_state(&self, s: String) {
        if let Some(s) = ChannelState::parse(&s) {
            self.channel.st.borrow_mut().state = s;
        }
    }

    #[wasm_bindgen(getter)]
    pub fn topic(&self) -> String {
        self.channel.topic()
    }

    #[wasm_bindgen(getter)]
    pub fn timeout(&self) -> f64 {
        self.channel.st.borrow().timeout
    }

    #[wasm_bindgen(setter)]
    pub fn set_timeout(&self, t: f64) {
        self.channel.st.borrow_mut().timeout = t;
    }

    #[wasm_bindgen(getter, js_name = joinedOnce)]
    pub fn joined_once(&self) -> bool {
        self.channel.st.borrow().joined_once
    }

    #[wasm_bindgen(getter, js_name = joinPush, unchecked_return_type = "Push")]
    pub fn join_push(&self) -> JsValue {
        self.wrap(self.channel.join_push.clone())
    }

    #[wasm_bindgen(getter, js_name = pushBuffer)]
    pub fn push_buffer(&self) -> Array {
        let pushes = self.channel.st.borrow().push_buffer.clone();
        pushes.into_iter().map(|p| self.wrap(p)).collect()
    }

    /// `bindings`: `[{event, ref, callback}]` (internal bindings show as no-op functions).
    #[wasm_bindgen(getter)]
    pub fn bindings(&self) -> Array {
        let bindings = self.channel.st.borrow().bindings.clone();
        let arr = Array::new();
        for b in bindings {
            let o = object();
            set(&o, "event", &JsValue::from_str(&b.event));
            set(&o, "ref", &JsValue::from_f64(b.ref_ as f64));
            let f: JsValue = match b.cb {
                BindingCb::User(f) | BindingCb::UserOnError(f) => f.into(),
                _ => super::globals::noop().into(),
            };
            set(&o, "callback", &f);
            arr.push(&o);
        }
        arr
    }

    #[wasm_bindgen(getter, js_name = bindingRef)]
    pub fn binding_ref(&self) -> f64 {
        self.channel.st.borrow().binding_ref as f64
    }

    #[wasm_bindgen(getter, js_name = stateChangeRefs)]
    pub fn state_change_refs(&self) -> Array {
        let refs = self.channel.st.borrow().state_change_refs.clone();
        refs.iter().map(|r| JsValue::from_str(r)).collect()
    }

    /// `params`: always a function (C03).
    #[wasm_bindgen(getter)]
    pub fn params(&self) -> JsValue {
        match self.channel.st.borrow().params.clone() {
            crate::core::host::Param::Func(f) => f.into(),
            crate::core::host::Param::Value(v) => closure(&v),
        }
    }

    #[wasm_bindgen(setter)]
    pub fn set_params(&self, v: JsValue) {
        self.channel.st.borrow_mut().params = match v.dyn_ref::<Function>() {
            Some(f) => crate::core::host::Param::Func(f.clone()),
            None => crate::core::host::Param::Value(v),
        };
    }

    /// `socket`: the socket's own object while JavaScript holds it.
    #[wasm_bindgen(getter, unchecked_return_type = "Socket")]
    pub fn socket(&self) -> JsValue {
        let me = self
            .socket
            .host
            .self_object
            .borrow()
            .as_ref()
            .and_then(|w| w.deref());
        match me {
            Some(obj) => obj.into(),
            None => JsSocket {
                inner: self.socket.clone(),
            }
            .into(),
        }
    }
}

thread_local! {
    static IDENTITY_HOOK: JsValue = super::globals::identity_hook().into();
}

/// The default `onMessage`: returns the payload.
fn identity_hook() -> JsValue {
    IDENTITY_HOOK.with(|f| f.clone())
}
