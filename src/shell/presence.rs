//! `Presence`.
