//! Transports: WebSocket and LongPoll (`/socket/longpoll`), both driving the same
//! transport-independent [`crate::socket::Session`].

pub mod longpoll;
pub mod websocket;
