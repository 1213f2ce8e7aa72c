//! Private bindings to JavaScript globals, looked up at call time (so fake timers installed
//! after our import still catch our timers), and the global object of `constants.js`.
use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    pub fn set_timeout(handler: &Function, timeout: f64, key: u32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    pub fn clear_timeout(id: &JsValue);
    #[wasm_bindgen(js_namespace = Date, js_name = now)]
    pub fn date_now() -> f64;
    #[wasm_bindgen(js_namespace = Math, js_name = random)]
    pub fn math_random() -> f64;
    #[wasm_bindgen(catch, js_name = btoa)]
    pub fn btoa(s: &str) -> Result<String, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Object, js_name = keys)]
    pub fn object_keys(v: &JsValue) -> Result<js_sys::Array, JsValue>;
    #[wasm_bindgen(catch, js_name = encodeURIComponent)]
    pub fn encode_uri_component(v: &JsValue) -> Result<String, JsValue>;
    /// `JSON.parse` on a JS string as it is: no copy through wasm memory.
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
    pub fn json_parse(text: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = String)]
    pub fn js_string(v: &JsValue) -> String;
    #[wasm_bindgen(js_namespace = console, js_name = log)]
    pub fn console_log(a: &JsValue);
    #[wasm_bindgen(js_name = Object)]
    fn to_object(v: &JsValue) -> JsValue;
}

/// The functions of `js/shims.js`, handed over once at load by `js/wasm.js` (an exported setter
/// rather than wasm-bindgen snippet imports, whose generated glue lists one module key per
/// imported function and makes bundlers warn about duplicate keys).
struct Shims {
    noop: Function,
    closure: Function,
    identity_hook: Function,
    debug_logger: Function,
    frame_size: Function,
}

thread_local! {
    static SHIMS: std::cell::RefCell<Option<Shims>> = const { std::cell::RefCell::new(None) };
}

/// Called once by `js/wasm.js` with the functions of `js/shims.js`.
#[wasm_bindgen]
pub fn set_shims(
    noop: Function,
    closure: Function,
    identity_hook: Function,
    debug_logger: Function,
    frame_size: Function,
) {
    SHIMS.with(|s| {
        *s.borrow_mut() = Some(Shims {
            noop,
            closure,
            identity_hook,
            debug_logger,
            frame_size,
        })
    });
}

/// Calls one of the shims with `arg` (`undefined` before `set_shims`, or when it throws).
fn call_shim(pick: fn(&Shims) -> &Function, arg: &JsValue) -> JsValue {
    SHIMS.with(|s| match s.borrow().as_ref() {
        Some(s) => pick(s).call1(&JsValue::UNDEFINED, arg).unwrap_or_default(),
        None => JsValue::UNDEFINED,
    })
}

/// A fresh no-op function.
pub fn noop() -> Function {
    call_shim(|s| &s.noop, &JsValue::UNDEFINED).unchecked_into()
}

/// `closure(value)`: a function returning the value.
pub fn closure(v: &JsValue) -> Function {
    call_shim(|s| &s.closure, v).unchecked_into()
}

/// The default `channel.onMessage`: `(event, payload, ref) => payload`.
pub fn identity_hook() -> Function {
    call_shim(|s| &s.identity_hook, &JsValue::UNDEFINED).unchecked_into()
}

/// The logger of `debug: true`.
pub fn debug_logger() -> Function {
    call_shim(|s| &s.debug_logger, &JsValue::UNDEFINED).unchecked_into()
}

/// The size `socket.stats()` counts for a frame: `length` of a string, else `byteLength`.
pub fn frame_size(frame: &JsValue) -> f64 {
    call_shim(|s| &s.frame_size, frame).as_f64().unwrap_or(0.0)
}

/// `global` of `constants.js`: `self`, else `window`, else `globalThis`.
pub fn global() -> JsValue {
    let g: JsValue = js_sys::global().into();
    for name in ["self", "window"] {
        if let Ok(v) = Reflect::get(&g, &JsValue::from_str(name)) {
            if !v.is_undefined() && !v.is_null() {
                return v;
            }
        }
    }
    g
}

/// `phxWindow`: `window` or `None`.
pub fn window() -> Option<JsValue> {
    let g: JsValue = js_sys::global().into();
    Reflect::get(&g, &JsValue::from_str("window"))
        .ok()
        .filter(|w| !w.is_undefined() && !w.is_null())
}

/// A property name as a JS string. Names are a small fixed set, so they are interned: making
/// a fresh JS string for every property access was a measurable share of message dispatch.
fn key_js(key: &str) -> JsValue {
    JsValue::from_str(wasm_bindgen::intern(key))
}

/// `obj[key]`, `undefined` on any failure (a throwing getter, `null`/`undefined`). Objects
/// are read in one call; primitives (`Reflect.get` throws on them) through their wrapper object,
/// as JS property reads do. Type checks first would cost more calls per message than they save.
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    match Reflect::get(obj, &key_js(key)) {
        Ok(v) => v,
        Err(_) if obj.is_undefined() || obj.is_null() || obj.is_object() || obj.is_function() => {
            JsValue::UNDEFINED
        }
        Err(_) => Reflect::get(&to_object(obj), &key_js(key)).unwrap_or(JsValue::UNDEFINED),
    }
}

/// `obj[key] = value`, ignoring failures (frozen objects; primitives, where `Reflect.set` throws).
pub fn set(obj: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &key_js(key), value);
}

/// A new plain object.
pub fn object() -> JsValue {
    Object::new().into()
}
