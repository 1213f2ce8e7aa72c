//! Reference Phoenix Channels server.
