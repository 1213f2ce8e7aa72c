//! phoenix.js `ajax.js` for the LongPoll transport: `XDomainRequest`, else `XMLHttpRequest`,
//! else `fetch` + `AbortController`, all looked up on `global` at call time (so the same code
//! runs in pages, Workers and Node).
//!
//! No closure is allocated per request: a handful of long-lived closures (one per event kind)
//! are bound to a request id with `Function.prototype.bind`, and the request's entry in a
//! registry holds its callbacks. The entry, and with it the callbacks (which keep their LongPoll
//! alive, as phoenix.js's closures do), is dropped when the request completes or is abandoned.
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::globals::{self, get, set};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
    fn json_parse(text: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout_raw(handler: &Function, timeout: &JsValue) -> JsValue;
}

/// What a request reports back: `callback(resp)` (a parsed body or `null`) or `ontimeout()`.
pub trait AjaxCallbacks {
    fn done(&self, resp: JsValue) -> Result<(), JsValue>;
    fn timeout(&self) -> Result<(), JsValue>;
}

enum Kind {
    Xhr(JsValue),
    Xdr(JsValue),
    /// The `setTimeout` that aborts the request, cleared when the promise chain settles.
    Fetch(Option<JsValue>),
}

struct Entry {
    kind: Kind,
    /// `None` once the request completed or was abandoned: later events do nothing.
    cb: Option<Rc<dyn AjaxCallbacks>>,
}

type IdHandler = Closure<dyn Fn(JsValue, JsValue) -> Result<(), JsValue>>;

struct Fns {
    xhr_state: IdHandler,
    xhr_error: IdHandler,
    timeout: IdHandler,
    xdr_load: IdHandler,
    noop: Closure<dyn Fn()>,
    fetch_text: Closure<dyn Fn(JsValue) -> Result<JsValue, JsValue>>,
    fetch_parse: Closure<dyn Fn(JsValue) -> Result<JsValue, JsValue>>,
    fetch_done: IdHandler,
    fetch_fail: IdHandler,
}

thread_local! {
    static ENTRIES: RefCell<HashMap<u32, Entry>> = RefCell::new(HashMap::new());
    static NEXT_ID: Cell<u32> = const { Cell::new(0) };
    static FNS: Fns = Fns {
        xhr_state: Closure::new(xhr_state),
        xhr_error: Closure::new(|id: JsValue, _ev: JsValue| done(&id, JsValue::NULL)),
        timeout: Closure::new(|id: JsValue, _ev: JsValue| {
            match take_cb(&id, true) {
                Some(cb) => cb.timeout(),
                None => Ok(()),
            }
        }),
        xdr_load: Closure::new(xdr_load),
        noop: Closure::new(|| {}),
        fetch_text: Closure::new(|response: JsValue| call_method(&response, "text", &Array::new())),
        fetch_parse: Closure::new(|data: JsValue| parse_json(&data)),
        fetch_done: Closure::new(fetch_done),
        fetch_fail: Closure::new(fetch_fail),
    };
}

fn key(id: &JsValue) -> u32 {
    id.as_f64().map_or(u32::MAX, |n| n as u32)
}

/// Takes the callbacks of a request; `remove` drops its entry too.
fn take_cb(id: &JsValue, remove: bool) -> Option<Rc<dyn AjaxCallbacks>> {
    let k = key(id);
    ENTRIES.with(|e| {
        let mut e = e.borrow_mut();
        if remove {
            e.remove(&k).and_then(|entry| entry.cb)
        } else {
            e.get_mut(&k).and_then(|entry| entry.cb.take())
        }
    })
}

fn done(id: &JsValue, resp: JsValue) -> Result<(), JsValue> {
    match take_cb(id, true) {
        Some(cb) => cb.done(resp),
        None => Ok(()),
    }
}

fn request_object(id: &JsValue) -> Option<JsValue> {
    ENTRIES.with(|e| {
        e.borrow()
            .get(&key(id))
            .and_then(|entry| match &entry.kind {
                Kind::Xhr(r) | Kind::Xdr(r) => Some(r.clone()),
                Kind::Fetch(_) => None,
            })
    })
}

/// `req.onreadystatechange`: on `readyState === 4`, `callback(parseJSON(req.responseText))`.
fn xhr_state(id: JsValue, _ev: JsValue) -> Result<(), JsValue> {
    let Some(req) = request_object(&id) else {
        return Ok(());
    };
    if get(&req, "readyState").as_f64() != Some(4.0) {
        return Ok(());
    }
    let Some(cb) = take_cb(&id, true) else {
        return Ok(());
    };
    let resp = parse_json(&get(&req, "responseText"))?;
    cb.done(resp)
}

/// `req.onload` of an `XDomainRequest`.
fn xdr_load(id: JsValue, _ev: JsValue) -> Result<(), JsValue> {
    let Some(req) = request_object(&id) else {
        return Ok(());
    };
    let Some(cb) = take_cb(&id, true) else {
        return Ok(());
    };
    let resp = parse_json(&get(&req, "responseText"))?;
    cb.done(resp)
}

fn fetch_timer(id: &JsValue) -> Option<JsValue> {
    ENTRIES.with(|e| match e.borrow().get(&key(id)) {
        Some(Entry {
            kind: Kind::Fetch(t),
            ..
        }) => t.clone(),
        _ => None,
    })
}

/// `.then(data => { clearTimeout(timeoutId); callback(data) })`. When the callback throws, the
/// `.catch` runs too, so the entry stays until then.
fn fetch_done(id: JsValue, data: JsValue) -> Result<(), JsValue> {
    if let Some(t) = fetch_timer(&id) {
        globals::clear_timeout(&t);
    }
    let cb = take_cb(&id, false);
    let r = match cb {
        Some(cb) => cb.done(data),
        None => Ok(()),
    };
    if r.is_ok() {
        ENTRIES.with(|e| e.borrow_mut().remove(&key(&id)));
    }
    r
}

/// `.catch(err => { clearTimeout(timeoutId); AbortError ? ontimeout() : callback(null) })`.
fn fetch_fail(id: JsValue, err: JsValue) -> Result<(), JsValue> {
    if let Some(t) = fetch_timer(&id) {
        globals::clear_timeout(&t);
    }
    let Some(cb) = take_cb(&id, true) else {
        return Ok(());
    };
    if get(&err, "name").as_string().as_deref() == Some("AbortError") {
        cb.timeout()
    } else {
        cb.done(JsValue::NULL)
    }
}

/// `obj[name](...args)`, a TypeError when it is not a function.
pub fn call_method(obj: &JsValue, name: &str, args: &Array) -> Result<JsValue, JsValue> {
    let f = get(obj, name);
    match f.dyn_ref::<Function>() {
        Some(f) => Reflect::apply(f, obj, args),
        None => Err(js_sys::TypeError::new(&format!("{name} is not a function")).into()),
    }
}

fn construct(class: &JsValue, args: &Array) -> Result<JsValue, JsValue> {
    match class.dyn_ref::<Function>() {
        Some(f) => Reflect::construct(f, args),
        None => Err(js_sys::TypeError::new("not a constructor").into()),
    }
}

fn bind_id(f: &IdHandler, id: u32) -> JsValue {
    let f: &Function = f.as_ref().unchecked_ref();
    f.bind1(&JsValue::NULL, &JsValue::from(id)).into()
}

/// `Ajax.parseJSON(resp)`: `null` for an empty or unparsable body (logged to the console).
pub fn parse_json(resp: &JsValue) -> Result<JsValue, JsValue> {
    if !resp.is_truthy() {
        return Ok(JsValue::NULL);
    }
    match json_parse(resp) {
        Ok(v) => Ok(v),
        Err(_) => {
            let console = get(&js_sys::global().into(), "console");
            if console.is_truthy() {
                let args = Array::of2(&JsValue::from_str("failed to parse JSON response"), resp);
                call_method(&console, "log", &args)?;
            }
            Ok(JsValue::NULL)
        }
    }
}

/// `Ajax.serialize(obj, parentKey)`.
pub fn serialize(obj: &JsValue, parent: Option<&str>) -> Result<String, JsValue> {
    if obj.is_undefined() || obj.is_null() {
        return Ok(String::new());
    }
    let mut parts: Vec<String> = Vec::new();
    for key in globals::object_keys(obj)?.iter() {
        let key = key.as_string().unwrap_or_default();
        let param_key = match parent {
            Some(p) => format!("{p}[{key}]"),
            None => key.clone(),
        };
        let val = Reflect::get(obj, &JsValue::from_str(&key))?;
        parts.push(serialize_pair(&param_key, &val)?);
    }
    Ok(parts.join("&"))
}

fn serialize_pair(param_key: &str, val: &JsValue) -> Result<String, JsValue> {
    if val.is_object() || val.is_null() {
        serialize(val, Some(param_key))
    } else {
        let k = globals::encode_uri_component(&JsValue::from_str(param_key))?;
        let v = globals::encode_uri_component(val)?;
        Ok(format!("{k}={v}"))
    }
}

/// `Ajax.appendParams(url, {token})` (one key, so never the url alone).
pub fn append_token(url: &str, token: &JsValue) -> Result<String, JsValue> {
    let prefix = if url.contains('?') { '&' } else { '?' };
    Ok(format!("{url}{prefix}{}", serialize_pair("token", token)?))
}

/// A started request: its registry id (for [`abandon`]) and what phoenix.js's `Ajax.request`
/// returns (the XHR, or the fetch's `AbortController` or `null`).
pub struct Started {
    pub id: u32,
    pub req: JsValue,
}

fn register(kind: Kind, cb: Rc<dyn AjaxCallbacks>) -> u32 {
    let id = NEXT_ID.with(|n| {
        let id = n.get().wrapping_add(1);
        n.set(id);
        id
    });
    ENTRIES.with(|e| e.borrow_mut().insert(id, Entry { kind, cb: Some(cb) }));
    id
}

fn unregister(id: u32) {
    ENTRIES.with(|e| e.borrow_mut().remove(&id));
}

/// The request will not be waited for any more (its LongPoll stopped and aborted it): its
/// callbacks are dropped. A fetch keeps its entry until its promise chain settles, so that its
/// abort timer is still cleared then, as in phoenix.js.
pub fn abandon(id: u32) {
    ENTRIES.with(|e| {
        let mut e = e.borrow_mut();
        let fetch = matches!(
            e.get(&id),
            Some(Entry {
                kind: Kind::Fetch(_),
                ..
            })
        );
        if fetch {
            if let Some(entry) = e.get_mut(&id) {
                entry.cb = None;
            }
        } else {
            e.remove(&id);
        }
    });
}

/// `Ajax.request(method, endPoint, headers, body, timeout, ontimeout, callback)`.
pub fn request(
    method: &str,
    url: &str,
    headers: &[(String, JsValue)],
    body: &JsValue,
    timeout: &JsValue,
    cb: Rc<dyn AjaxCallbacks>,
) -> Result<Started, JsValue> {
    let g = globals::global();
    let xdr = get(&g, "XDomainRequest");
    if xdr.is_truthy() {
        let req = construct(&xdr, &Array::new())?;
        let _ = Reflect::set(&req, &JsValue::from_str("timeout"), timeout)?;
        call_method(
            &req,
            "open",
            &Array::of2(&JsValue::from_str(method), &JsValue::from_str(url)),
        )?;
        let id = register(Kind::Xdr(req.clone()), cb);
        FNS.with(|f| {
            set(&req, "onload", &bind_id(&f.xdr_load, id));
            set(&req, "ontimeout", &bind_id(&f.timeout, id));
            let noop: &Function = f.noop.as_ref().unchecked_ref();
            set(&req, "onprogress", &noop.bind0(&JsValue::NULL));
        });
        if let Err(e) = call_method(&req, "send", &Array::of1(body)) {
            unregister(id);
            return Err(e);
        }
        return Ok(Started { id, req });
    }
    let xhr = get(&g, "XMLHttpRequest");
    if xhr.is_truthy() {
        let req = construct(&xhr, &Array::new())?;
        call_method(
            &req,
            "open",
            &Array::of3(
                &JsValue::from_str(method),
                &JsValue::from_str(url),
                &JsValue::TRUE,
            ),
        )?;
        let _ = Reflect::set(&req, &JsValue::from_str("timeout"), timeout)?;
        for (k, v) in headers {
            call_method(
                &req,
                "setRequestHeader",
                &Array::of2(&JsValue::from_str(k), v),
            )?;
        }
        let id = register(Kind::Xhr(req.clone()), cb);
        FNS.with(|f| {
            set(&req, "onerror", &bind_id(&f.xhr_error, id));
            set(&req, "onreadystatechange", &bind_id(&f.xhr_state, id));
            set(&req, "ontimeout", &bind_id(&f.timeout, id));
        });
        if let Err(e) = call_method(&req, "send", &Array::of1(body)) {
            unregister(id);
            return Err(e);
        }
        return Ok(Started { id, req });
    }
    let fetch = get(&g, "fetch");
    let abort_controller = get(&g, "AbortController");
    if fetch.is_truthy() && abort_controller.is_truthy() {
        let hdrs: JsValue = Object::new().into();
        for (k, v) in headers {
            set(&hdrs, k, v);
        }
        let options: JsValue = Object::new().into();
        set(&options, "method", &JsValue::from_str(method));
        set(&options, "headers", &hdrs);
        set(&options, "body", body);
        let mut controller = JsValue::NULL;
        let mut timeout_id = None;
        if timeout.is_truthy() {
            controller = construct(&abort_controller, &Array::new())?;
            let abort = get(&controller, "abort");
            let Some(abort) = abort.dyn_ref::<Function>() else {
                return Err(js_sys::TypeError::new("controller.abort is not a function").into());
            };
            timeout_id = Some(set_timeout_raw(&abort.bind0(&controller), timeout));
            set(&options, "signal", &get(&controller, "signal"));
        }
        let id = register(Kind::Fetch(timeout_id), cb);
        let chain = (|| -> Result<(), JsValue> {
            let p = match fetch.dyn_ref::<Function>() {
                Some(f) => f.call2(&g, &JsValue::from_str(url), &options)?,
                None => return Err(js_sys::TypeError::new("global.fetch is not a function").into()),
            };
            FNS.with(|f| -> Result<(), JsValue> {
                let p = call_method(&p, "then", &Array::of1(f.fetch_text.as_ref()))?;
                let p = call_method(&p, "then", &Array::of1(f.fetch_parse.as_ref()))?;
                let p = call_method(&p, "then", &Array::of1(&bind_id(&f.fetch_done, id)))?;
                call_method(&p, "catch", &Array::of1(&bind_id(&f.fetch_fail, id)))?;
                Ok(())
            })
        })();
        if let Err(e) = chain {
            unregister(id);
            return Err(e);
        }
        return Ok(Started {
            id,
            req: controller,
        });
    }
    Err(js_sys::Error::new("No suitable XMLHttpRequest implementation found").into())
}

/// Requests still registered (for tests of the lifecycle).
#[allow(dead_code)]
pub fn pending() -> usize {
    ENTRIES.with(|e| e.borrow().len())
}
