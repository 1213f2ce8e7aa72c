//! Presence on one node, with `Phoenix.Presence` semantics (docs/protocol.md#presence).
//!
//! Each tracked entry belongs to one channel subscription (the Phoenix "pid"), so leaving,
//! disconnecting or crashing removes it. Every change is broadcast on the topic as
//! `presence_diff` `{"joins": {...}, "leaves": {...}}` (both keys always present). Each meta
//! carries a unique `phx_ref`; an update gives a new `phx_ref` and keeps the old one as
//! `phx_ref_prev`, and is sent as a leave of the old meta plus a join of the new one.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use serde_json::{json, Map, Value};

use crate::channel::ChannelSocket;
use crate::pubsub::{PubSub, SharedBroadcast};
use crate::serializer::Payload;

/// Presence errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresenceError {
    /// `track` of a key this subscription already tracks.
    #[error("already tracked")]
    AlreadyTracked,
    /// `update` of a key this subscription does not track.
    #[error("not tracked")]
    NotTracked,
    /// Metas must be JSON objects.
    #[error("meta must be a JSON object")]
    MetaNotObject,
}

#[derive(Debug, Clone)]
struct Entry {
    sub_id: u64,
    /// The full meta as sent, `phx_ref` (and `phx_ref_prev`) included.
    meta: Map<String, Value>,
}

type TopicState = BTreeMap<String, Vec<Entry>>;

/// Presence tracker; get it from [`crate::Endpoint::presence`].
#[derive(Debug)]
pub struct Presence {
    pubsub: Arc<PubSub>,
    state: Mutex<HashMap<String, TopicState>>,
    counter: AtomicU64,
    prefix: [u8; 4],
}

fn metas_json(entries: &[Map<String, Value>]) -> Value {
    json!({ "metas": entries.iter().cloned().map(Value::Object).collect::<Vec<_>>() })
}

impl Presence {
    pub(crate) fn new(pubsub: Arc<PubSub>) -> Self {
        let mut prefix = [0u8; 4];
        // Any value works; randomness only makes refs differ between server runs.
        let _ = getrandom::fill(&mut prefix);
        Presence {
            pubsub,
            state: Mutex::new(HashMap::new()),
            counter: AtomicU64::new(1),
            prefix,
        }
    }

    fn new_ref(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut bytes = [0u8; 12];
        bytes[..4].copy_from_slice(&self.prefix);
        bytes[4..].copy_from_slice(&n.to_be_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    fn broadcast_diff(&self, topic: &str, joins: Map<String, Value>, leaves: Map<String, Value>) {
        let payload = json!({"joins": joins, "leaves": leaves});
        let bcast = SharedBroadcast::new(
            topic.to_string(),
            "presence_diff".into(),
            Payload::Json(payload),
        );
        self.pubsub.broadcast(&bcast, None);
    }

    /// Tracks `key` with `meta` for this channel; returns the new `phx_ref`.
    pub fn track(
        &self,
        socket: &ChannelSocket,
        key: &str,
        meta: Value,
    ) -> Result<String, PresenceError> {
        self.track_sub(&socket.topic, socket.sub_id, key, meta)
    }

    pub(crate) fn track_sub(
        &self,
        topic: &str,
        sub_id: u64,
        key: &str,
        meta: Value,
    ) -> Result<String, PresenceError> {
        let Value::Object(mut meta) = meta else {
            return Err(PresenceError::MetaNotObject);
        };
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let topic_state = state.entry(topic.to_string()).or_default();
        let entries = topic_state.entry(key.to_string()).or_default();
        if entries.iter().any(|e| e.sub_id == sub_id) {
            return Err(PresenceError::AlreadyTracked);
        }
        let phx_ref = self.new_ref();
        meta.insert("phx_ref".into(), Value::String(phx_ref.clone()));
        entries.push(Entry {
            sub_id,
            meta: meta.clone(),
        });
        let mut joins = Map::new();
        joins.insert(key.to_string(), metas_json(&[meta]));
        // Broadcast under the lock so that diffs of one topic go out in state order.
        self.broadcast_diff(topic, joins, Map::new());
        Ok(phx_ref)
    }

    /// Replaces the meta this channel tracks under `key`; returns the new `phx_ref`.
    pub fn update(
        &self,
        socket: &ChannelSocket,
        key: &str,
        meta: Value,
    ) -> Result<String, PresenceError> {
        let Value::Object(mut meta) = meta else {
            return Err(PresenceError::MetaNotObject);
        };
        let topic = socket.topic.as_str();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let entry = state
            .get_mut(topic)
            .and_then(|t| t.get_mut(key))
            .and_then(|entries| entries.iter_mut().find(|e| e.sub_id == socket.sub_id))
            .ok_or(PresenceError::NotTracked)?;
        let old = entry.meta.clone();
        let phx_ref = self.new_ref();
        meta.insert("phx_ref".into(), Value::String(phx_ref.clone()));
        if let Some(prev) = old.get("phx_ref") {
            meta.insert("phx_ref_prev".into(), prev.clone());
        }
        entry.meta = meta.clone();
        let mut joins = Map::new();
        joins.insert(key.to_string(), metas_json(&[meta]));
        let mut leaves = Map::new();
        leaves.insert(key.to_string(), metas_json(&[old]));
        self.broadcast_diff(topic, joins, leaves);
        Ok(phx_ref)
    }

    /// Stops tracking `key` for this channel (no-op if not tracked).
    pub fn untrack(&self, socket: &ChannelSocket, key: &str) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let Some(topic_state) = state.get_mut(&socket.topic) else {
            return;
        };
        let Some(entries) = topic_state.get_mut(key) else {
            return;
        };
        let removed: Vec<_> = take_where(entries, |e| e.sub_id == socket.sub_id);
        if entries.is_empty() {
            topic_state.remove(key);
        }
        if topic_state.is_empty() {
            state.remove(&socket.topic);
        }
        if !removed.is_empty() {
            let mut leaves = Map::new();
            leaves.insert(key.to_string(), metas_json(&removed));
            self.broadcast_diff(&socket.topic, Map::new(), leaves);
        }
    }

    /// Removes everything a subscription tracked (leave, crash, disconnect).
    pub(crate) fn untrack_sub(&self, topic: &str, sub_id: u64) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let Some(topic_state) = state.get_mut(topic) else {
            return;
        };
        let mut leaves = Map::new();
        topic_state.retain(|key, entries| {
            let removed = take_where(entries, |e| e.sub_id == sub_id);
            if !removed.is_empty() {
                leaves.insert(key.clone(), metas_json(&removed));
            }
            !entries.is_empty()
        });
        if topic_state.is_empty() {
            state.remove(topic);
        }
        if !leaves.is_empty() {
            self.broadcast_diff(topic, Map::new(), leaves);
        }
    }

    /// `Presence.list/1`: `{"<key>": {"metas": [...]}}` for the topic.
    pub fn list(&self, topic: &str) -> Value {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Map::new();
        if let Some(topic_state) = state.get(topic) {
            for (key, entries) in topic_state {
                let metas: Vec<_> = entries.iter().map(|e| e.meta.clone()).collect();
                out.insert(key.clone(), metas_json(&metas));
            }
        }
        Value::Object(out)
    }
}

fn take_where(entries: &mut Vec<Entry>, pred: impl Fn(&Entry) -> bool) -> Vec<Map<String, Value>> {
    let mut removed = Vec::new();
    entries.retain(|e| {
        if pred(e) {
            removed.push(e.meta.clone());
            false
        } else {
            true
        }
    });
    removed
}
