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
    /// `meta` encoded once, so a `presence_state` of N members is N copies, not N encodings.
    json: Box<str>,
}

impl Entry {
    fn new(sub_id: u64, meta: Map<String, Value>) -> Self {
        let json = serde_json::to_string(&meta)
            .unwrap_or_else(|_| "{}".into())
            .into_boxed_str();
        Entry { sub_id, meta, json }
    }
}

/// One topic's presences. `dead` is set when the topic is removed from the map (it became
/// empty); a tracker that still holds it looks the topic up again.
#[derive(Debug, Default)]
struct TopicState {
    dead: bool,
    keys: BTreeMap<String, Vec<Entry>>,
}

type Topics = HashMap<String, Arc<Mutex<TopicState>>>;

/// Number of independently locked parts of the topic map.
const SHARDS: usize = 32;

/// Presence tracker; get it from [`crate::Endpoint::presence`].
///
/// Locking: a sharded map finds a topic's state, which has its own lock. A change takes only
/// that topic's lock, and fans its `presence_diff` out while holding it, so the diffs of one
/// topic reach every subscriber in the order of the state changes; other topics (and
/// broadcasts) never wait for it.
#[derive(Debug)]
pub struct Presence {
    pubsub: Arc<PubSub>,
    shards: Box<[Mutex<Topics>]>,
    counter: AtomicU64,
    prefix: [u8; 4],
}

fn metas_json(entries: &[Map<String, Value>]) -> Value {
    json!({ "metas": entries.iter().cloned().map(Value::Object).collect::<Vec<_>>() })
}

fn shard_of(topic: &str) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in topic.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    (h % SHARDS as u64) as usize
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Presence {
    pub(crate) fn new(pubsub: Arc<PubSub>) -> Self {
        let mut prefix = [0u8; 4];
        // Any value works; randomness only makes refs differ between server runs.
        let _ = getrandom::fill(&mut prefix);
        Presence {
            pubsub,
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
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

    /// Runs `f` on the topic's state under that topic's lock (creating the state if `create`),
    /// then drops the topic from the map if it became empty.
    fn with_topic<R>(
        &self,
        topic: &str,
        create: bool,
        mut f: impl FnMut(&mut TopicState) -> R,
    ) -> Option<R> {
        let shard = &self.shards[shard_of(topic)];
        loop {
            let state = {
                let mut map = lock(shard);
                match map.get(topic) {
                    Some(t) => Arc::clone(t),
                    None if create => Arc::clone(map.entry(topic.to_string()).or_default()),
                    None => return None,
                }
            };
            let mut st = lock(&state);
            if st.dead {
                // Removed while we looked it up: look again.
                continue;
            }
            let r = f(&mut st);
            if st.keys.is_empty() {
                st.dead = true;
                let mut map = lock(shard);
                if map.get(topic).is_some_and(|t| Arc::ptr_eq(t, &state)) {
                    map.remove(topic);
                }
            }
            return Some(r);
        }
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
        let Value::Object(meta) = meta else {
            return Err(PresenceError::MetaNotObject);
        };
        let mut meta = Some(meta);
        self.with_topic(topic, true, |st| {
            let entries = st.keys.entry(key.to_string()).or_default();
            if entries.iter().any(|e| e.sub_id == sub_id) {
                return Err(PresenceError::AlreadyTracked);
            }
            let mut meta = meta.take().unwrap_or_default();
            let phx_ref = self.new_ref();
            meta.insert("phx_ref".into(), Value::String(phx_ref.clone()));
            let mut joins = Map::new();
            joins.insert(key.to_string(), metas_json(std::slice::from_ref(&meta)));
            entries.push(Entry::new(sub_id, meta));
            // Fanned out under this topic's lock so that its diffs go out in state order.
            self.broadcast_diff(topic, joins, Map::new());
            Ok(phx_ref)
        })
        .unwrap_or(Err(PresenceError::NotTracked))
    }

    /// Replaces the meta this channel tracks under `key`; returns the new `phx_ref`.
    pub fn update(
        &self,
        socket: &ChannelSocket,
        key: &str,
        meta: Value,
    ) -> Result<String, PresenceError> {
        let Value::Object(meta) = meta else {
            return Err(PresenceError::MetaNotObject);
        };
        let topic = socket.topic.as_str();
        let mut meta = Some(meta);
        self.with_topic(topic, false, |st| {
            let entry = st
                .keys
                .get_mut(key)
                .and_then(|entries| entries.iter_mut().find(|e| e.sub_id == socket.sub_id))
                .ok_or(PresenceError::NotTracked)?;
            let mut meta = meta.take().unwrap_or_default();
            let old = entry.meta.clone();
            let phx_ref = self.new_ref();
            meta.insert("phx_ref".into(), Value::String(phx_ref.clone()));
            if let Some(prev) = old.get("phx_ref") {
                meta.insert("phx_ref_prev".into(), prev.clone());
            }
            let mut joins = Map::new();
            joins.insert(key.to_string(), metas_json(std::slice::from_ref(&meta)));
            *entry = Entry::new(socket.sub_id, meta);
            let mut leaves = Map::new();
            leaves.insert(key.to_string(), metas_json(&[old]));
            self.broadcast_diff(topic, joins, leaves);
            Ok(phx_ref)
        })
        .unwrap_or(Err(PresenceError::NotTracked))
    }

    /// Stops tracking `key` for this channel (no-op if not tracked).
    pub fn untrack(&self, socket: &ChannelSocket, key: &str) {
        self.with_topic(&socket.topic, false, |st| {
            let Some(entries) = st.keys.get_mut(key) else {
                return;
            };
            let removed: Vec<_> = take_where(entries, |e| e.sub_id == socket.sub_id);
            if entries.is_empty() {
                st.keys.remove(key);
            }
            if !removed.is_empty() {
                let mut leaves = Map::new();
                leaves.insert(key.to_string(), metas_json(&removed));
                self.broadcast_diff(&socket.topic, Map::new(), leaves);
            }
        });
    }

    /// Removes everything a subscription tracked (leave, crash, disconnect).
    pub(crate) fn untrack_sub(&self, topic: &str, sub_id: u64) {
        self.with_topic(topic, false, |st| {
            let mut leaves = Map::new();
            st.keys.retain(|key, entries| {
                let removed = take_where(entries, |e| e.sub_id == sub_id);
                if !removed.is_empty() {
                    leaves.insert(key.clone(), metas_json(&removed));
                }
                !entries.is_empty()
            });
            if !leaves.is_empty() {
                self.broadcast_diff(topic, Map::new(), leaves);
            }
        });
    }

    /// `Presence.list/1`: `{"<key>": {"metas": [...]}}` for the topic.
    pub fn list(&self, topic: &str) -> Value {
        let mut out = Map::new();
        self.with_topic(topic, false, |st| {
            for (key, entries) in &st.keys {
                let metas: Vec<_> = entries.iter().map(|e| e.meta.clone()).collect();
                out.insert(key.clone(), metas_json(&metas));
            }
        });
        Value::Object(out)
    }

    /// [`Presence::list`] as JSON text (the same text `list(topic).to_string()` gives), built
    /// from the metas' stored encodings.
    pub fn list_json(&self, topic: &str) -> String {
        let mut out: Vec<u8> = vec![b'{'];
        self.with_topic(topic, false, |st| {
            out.reserve(st.keys.len() * 96);
            for (i, (key, entries)) in st.keys.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                // Writing into a Vec cannot fail.
                let _ = serde_json::to_writer(&mut out, key);
                out.extend_from_slice(b":{\"metas\":[");
                for (j, e) in entries.iter().enumerate() {
                    if j > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(e.json.as_bytes());
                }
                out.extend_from_slice(b"]}");
            }
        });
        out.push(b'}');
        // Only JSON text and UTF-8 strings went in.
        String::from_utf8(out).unwrap_or_else(|_| "{}".into())
    }

    /// Phoenix's `push(socket, "presence_state", Presence.list(socket))`: pushes the topic's
    /// presences to this channel's client only.
    pub fn push_state(&self, socket: &mut ChannelSocket) {
        let list = self.list_json(&socket.topic);
        socket.push_json_text("presence_state", &list);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_json_is_the_text_of_list() {
        let p = Presence::new(Arc::new(PubSub::default()));
        assert_eq!(p.list_json("room:a"), "{}");
        p.track_sub("room:a", 1, "bob", json!({"online_at": 1}))
            .unwrap();
        p.track_sub(
            "room:a",
            2,
            "al\"ice",
            json!({"n": "é", "x": [1, {"y": null}]}),
        )
        .unwrap();
        p.track_sub("room:a", 3, "bob", json!({"online_at": 2}))
            .unwrap();
        p.track_sub("room:b", 4, "carol", json!({})).unwrap();
        let text = p.list_json("room:a");
        assert_eq!(text, p.list("room:a").to_string());
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["bob"]["metas"].as_array().map(Vec::len), Some(2));
        assert_eq!(
            p.track_sub("room:a", 1, "bob", json!({})),
            Err(PresenceError::AlreadyTracked)
        );
        // Leaving removes the entries, and an empty topic is gone from the map.
        p.untrack_sub("room:a", 1);
        p.untrack_sub("room:a", 2);
        p.untrack_sub("room:a", 3);
        assert_eq!(p.list_json("room:a"), "{}");
        assert!(p.shards.iter().all(|s| !lock(s).contains_key("room:a")));
        assert!(p.list("room:b")["carol"]["metas"][0]["phx_ref"].is_string());
    }
}
