//! Reference Phoenix Channels server, modelled on Phoenix 1.7/1.8 as seen by phoenix.js 1.8.16.
//!
//! The library part is protocol only:
//! - [`socket`]: [`SocketHandler`] (`connect`), channel routes ([`Socket`]), per-connection
//!   [`socket::Session`];
//! - [`channel`]: the [`Channel`] trait (join / handle_in / handle_out / terminate) and
//!   [`ChannelSocket`] (push, broadcast, broadcast_from);
//! - [`endpoint`]: broadcast from anywhere, disconnect by socket id, presence, shutdown;
//! - [`presence`]: `Phoenix.Presence` semantics on one node;
//! - [`serializer`]: v1 / v2 JSON and v2 binary frames;
//! - [`transport::websocket`], [`transport::longpoll`]: the WebSocket and LongPoll transports (axum).
//!
//! [`demo`] is an application written against that public API (the demo contract in
//! docs/protocol.md#demo-contract), [`live`] a Phoenix LiveView corner (`/live-demo`, socket
//! `/live`) for the `phoenix_live_view` client, and [`demo::app`] builds the whole HTTP service the
//! `phoenix-server` binary runs.

#![warn(missing_docs)]

pub mod channel;
pub mod config;
pub mod demo;
pub mod endpoint;
pub mod error;
pub mod live;
pub mod presence;
mod pubsub;
pub mod serializer;
pub mod socket;
pub mod transport;

pub use channel::{Channel, ChannelHandle, ChannelSocket, HandleIn, Reply, Terminate};
pub use endpoint::{Endpoint, EndpointConfig, OriginCheck, SecretKeyBase};
pub use error::AppError;
pub use serializer::Payload;
pub use socket::{Assigns, ConnectInfo, ConnectResult, Params, Socket, SocketHandler};
