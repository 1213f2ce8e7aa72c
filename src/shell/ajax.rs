//! phoenix.js `Ajax.serialize`, for the wasm Socket's `endPointURL()` query string. The
//! LongPoll's requests are made by `js/ajax.js`; this goes when the Socket moves to JavaScript.
use js_sys::Reflect;
use wasm_bindgen::prelude::*;

use super::globals;

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
