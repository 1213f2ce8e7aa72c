//! The sans-I/O core: phoenix.js 1.8.16's socket, channel and push state machines in plain Rust.
//!
//! No JavaScript, no network and no clock: everything from outside comes through a
//! [`host::Host`]. How to drive it:
//!
//! - Build a [`socket::Socket`] with its host and options, then issue commands as the app does:
//!   `connect`, `disconnect`, `channel`, `Channel::join`, `Channel::push`, `Channel::leave`, ...
//! - Feed transport events for the connection they belong to: `handle_open`, `handle_error`,
//!   `handle_message`, `handle_close`.
//! - When a timer the core armed with `Host::set_timeout` fires, call `Socket::handle_timer` with
//!   its [`host::Task`].
//! - When the host finishes an encode or decode it was asked for, call `Socket::finish_send` /
//!   `Socket::finish_receive`.
//!
//! Every entry point returns `Result<_, H::Error>`: an `Err` is an exception thrown by user code,
//! which the shell rethrows unchanged, with the rest of the transition skipped as in phoenix.js.
pub mod channel;
pub mod constants;
pub mod error;
pub mod host;
// Being redesigned, issue 12: documented when the rewrite lands.
#[allow(missing_docs)]
pub mod longpoll;
// Being redesigned, issue 12: documented when the rewrite lands.
#[allow(missing_docs)]
pub mod presence;
pub mod push;
pub mod serializer;
pub mod socket;
pub mod timer;

use std::borrow::Cow;

/// A `ref` or `join_ref` as JavaScript sees it: a string, `null` or `undefined`.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum RefVal {
    #[default]
    /// `undefined` (never set).
    Undefined,
    /// `null` (reset, or `null` on the wire).
    Null,
    /// A string ref, as on the wire.
    Str(String),
    /// A number where a string ref is usual (a user's `socket.push`, an odd server): it never
    /// equals a string ref, as with `===`.
    Num(f64),
}

impl RefVal {
    /// JavaScript truthiness (`""` is falsy).
    pub fn truthy(&self) -> bool {
        match self {
            RefVal::Str(s) => !s.is_empty(),
            RefVal::Num(n) => *n != 0.0 && !n.is_nan(),
            _ => false,
        }
    }

    /// `String(ref)` as a template literal renders it.
    pub fn js_display(&self) -> Cow<'_, str> {
        match self {
            RefVal::Undefined => Cow::Borrowed("undefined"),
            RefVal::Null => Cow::Borrowed("null"),
            RefVal::Str(s) => Cow::Borrowed(s),
            RefVal::Num(n) => Cow::Owned(socket::format_number(*n)),
        }
    }

    /// The string, when the ref is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            RefVal::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl From<&str> for RefVal {
    fn from(s: &str) -> Self {
        RefVal::Str(s.to_owned())
    }
}

#[cfg(test)]
mod tests;
