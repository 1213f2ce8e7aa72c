//! Presence's wasm entry points: the few calls `js/presence.js` makes into
//! [`crate::core::presence`]. Numbers and short strings only; no JavaScript object is kept here.
use std::cell::RefCell;

use wasm_bindgen::prelude::*;

use crate::core::presence::{sync_state_metas, unmatched, Removal, Tracker, Trackers};

thread_local! {
    static TRACKERS: RefCell<Trackers> = RefCell::new(Trackers::new());
}

fn with<R>(f: impl FnOnce(&mut Trackers) -> R) -> R {
    TRACKERS.with(|t| f(&mut t.borrow_mut()))
}

/// A tracker for a new, empty state object; returns its handle.
#[wasm_bindgen]
pub fn presence_track() -> u32 {
    with(|t| t.add(Tracker::new()))
}

/// A tracker for a new object with the keys of tracker `h` in the same order (`u32::MAX` when
/// `h` is unknown).
#[wasm_bindgen]
pub fn presence_track_copy(h: u32) -> u32 {
    with(|t| t.copy(h).unwrap_or(u32::MAX))
}

/// Forgets tracker `h` (its state object was collected).
#[wasm_bindgen]
pub fn presence_untrack(h: u32) {
    with(|t| t.free(h));
}

/// `state[key] = value` on the object of tracker `h`: [`crate::core::presence::Placement::code`].
#[wasm_bindgen]
pub fn presence_set(h: u32, key: &str) -> i32 {
    with(|t| t.get_mut(h).map_or(-1, |t| t.set(key).code()))
}

/// `delete state[key]` on the object of tracker `h`: [`Removal::code`].
#[wasm_bindgen]
pub fn presence_delete(h: u32, key: &str) -> i32 {
    with(|t| t.get_mut(h).map_or(Removal::Lost, |t| t.delete(key)).code())
}

/// Tracker `h` stops following its object for good.
#[wasm_bindgen]
pub fn presence_lose(h: u32) {
    with(|t| {
        if let Some(t) = t.get_mut(h) {
            t.lose();
        }
    });
}

/// The indices of the metas (by ref number) to keep: those whose ref is not in `drop`.
#[wasm_bindgen]
pub fn presence_unmatched(refs: &[u32], drop: &[u32]) -> Vec<u32> {
    unmatched(refs, drop)
}

/// `syncState`'s joined and left metas of every presence in both states
/// ([`sync_state_metas`]); empty for a malformed description.
#[wasm_bindgen]
pub fn presence_sync_state(desc: &[u32]) -> Vec<u32> {
    sync_state_metas(desc).unwrap_or_default()
}
