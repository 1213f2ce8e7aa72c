//! Scenario tests of the core with a virtual clock and a scripted transport.
mod harness;

mod channel;
mod edge;
mod fallback;
mod fuzz;
mod heartbeat;
mod longpoll;
mod presence;
mod push;
mod reconnect;
mod reentrancy;
mod socket;
