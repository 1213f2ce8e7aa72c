//! The JavaScript boundary (wasm32 only).
use wasm_bindgen::prelude::*;

/// Placeholder export so the build pipeline has something to bind.
#[wasm_bindgen(js_name = version)]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").into()
}
