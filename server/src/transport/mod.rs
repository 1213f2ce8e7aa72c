//! Transports. WebSocket only for now; LongPoll (`/socket/longpoll`) will sit beside it and
//! drive the same [`crate::socket::Session`] from HTTP requests.

pub mod websocket;
