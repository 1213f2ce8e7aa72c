//! Phoenix Channels client for the browser, a drop-in replacement for phoenix.js 1.8.16.
//!
//! Two halves:
//! - [`core`]: a sans-I/O, deterministic implementation of the socket, channel and push state
//!   machines. It takes events (`handle_*`), commands (`connect`, `join`, `push`, ...) and the
//!   current time in milliseconds, and returns actions for a driver to carry out. It never calls
//!   JavaScript, so `cargo test` runs it natively with a fake clock.
//! - `shell` (wasm32 only): the JavaScript boundary. It owns transports, timers, callbacks and
//!   payload `JsValue`s, and carries out the core's actions with no Rust borrow held while it
//!   calls into JavaScript.
#![warn(missing_docs)]

pub mod core;

#[cfg(target_arch = "wasm32")]
mod shell;
