//! Page lifecycle listeners (S36): `pagehide`, `pageshow`, `visibilitychange` on `window` and
//! `resume` on `document`, added per Socket when `window.addEventListener` exists.
use std::rc::Rc;

use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::globals::{get, window};
use super::host::JsSocketInner;

fn add(target: &JsValue, event: &str, f: JsValue) {
    let add = get(target, "addEventListener");
    if let Some(add) = add.dyn_ref::<Function>() {
        let _ = add.call2(target, &JsValue::from_str(event), &f);
    }
}

/// Adds the listeners. phoenix.js never removes them (docs/protocol.md#b25), so each closure is handed
/// to JavaScript for good: four per Socket, none per connection. They hold the socket weakly.
pub fn listen(socket: &Rc<JsSocketInner>) {
    let Some(w) = window() else { return };
    if !get(&w, "addEventListener").is_function() {
        return;
    }
    let make = |kind: u8| -> JsValue {
        let weak = Rc::downgrade(socket);
        Closure::<dyn Fn(JsValue) -> Result<(), JsValue>>::new(move |_e: JsValue| {
            let Some(s) = weak.upgrade() else {
                return Ok(());
            };
            match kind {
                0 => s.handle_pagehide(),
                1 => s.handle_pageshow(),
                _ => s.handle_visibility_change(),
            }
        })
        .into_js_value()
    };
    add(&w, "pagehide", make(0));
    add(&w, "pageshow", make(1));
    add(&w, "visibilitychange", make(2));
    let doc = get(&w, "document");
    if doc.is_truthy() {
        add(&doc, "resume", make(2));
    }
}
