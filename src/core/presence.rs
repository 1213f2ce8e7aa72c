//! phoenix.js `presence.js` semantics.
