//! Scenario tests of the core with a virtual clock and a scripted transport.
//!
//! - `harness`: the [`harness::TestHost`] (payloads as `Rc<Value>`, recording callbacks, fake
//!   transports, a timer table fired in (deadline, creation) order, synchronous or deferred
//!   encode/decode) and the [`harness::Harness`] that tests drive: `connect`, `open`, `recv`,
//!   `server_close`, `advance`, `step`, `drive`, and `take_*`/`expect_*` to read what happened.
//! - One file per area: `socket`, `channel`, `push`, `heartbeat`, `reconnect`, `fallback`,
//!   `reentrancy` (callbacks calling back in, exceptions), `edge`, `longpoll`, `presence`.
//! - `fuzz`: a proptest state machine of commands, frames, transport events and clock jumps
//!   with re-entrant callbacks; it checks that nothing panics and a few invariants hold.
//!   `PROPTEST_CASES=20000` for a longer run.
//!
//! Expected values follow phoenix.js 1.8.16 (`socket.js`, `channel.js`, `push.js`,
//! `connection.js`, `timer.js`), as summarised in `docs/protocol.md`.
mod harness;

mod channel;
mod edge;
mod fallback;
mod format_number;
mod fuzz;
mod heartbeat;
mod longpoll;
mod memory;
mod presence;
mod push;
mod reconnect;
mod reentrancy;
mod socket;
mod stats;
