//! Topic subscriptions on one node, and the per-connection handle they deliver to.
//!
//! Delivery never blocks: a broadcast `try_send`s one shared, lazily encoded frame into each
//! subscriber's bounded outbound queue (Phoenix's "fastlane"). A subscriber whose queue is full
//! is a slow consumer: its connection is killed instead of letting memory grow. Intercepted
//! events go to the connection's control queue instead, where the channel's `handle_out` runs.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use tokio::sync::{mpsc, Notify};

use crate::serializer::{encode, Frame, Outgoing, Payload, Vsn};

/// A broadcast shared by every subscriber, encoded at most once per serializer.
#[derive(Debug)]
pub(crate) struct SharedBroadcast {
    pub topic: String,
    pub event: String,
    pub payload: Payload,
    v1: OnceLock<Option<Frame>>,
    v2: OnceLock<Option<Frame>>,
}

impl SharedBroadcast {
    pub fn new(topic: String, event: String, payload: Payload) -> Arc<Self> {
        Arc::new(SharedBroadcast {
            topic,
            event,
            payload,
            v1: OnceLock::new(),
            v2: OnceLock::new(),
        })
    }

    /// The frame for a connection speaking `vsn`; `None` if it cannot be encoded there
    /// (a binary payload for a v1 client).
    pub fn frame(&self, vsn: Vsn) -> Option<Frame> {
        let cell = match vsn {
            Vsn::V1 => &self.v1,
            Vsn::V2 => &self.v2,
        };
        cell.get_or_init(|| {
            let msg = Outgoing::Broadcast {
                topic: self.topic.clone(),
                event: self.event.clone(),
                payload: self.payload.clone(),
            };
            match encode(vsn, &msg) {
                Ok(f) => Some(f),
                Err(e) => {
                    tracing::warn!(topic = %self.topic, event = %self.event, error = %e, "broadcast not delivered");
                    None
                }
            }
        })
        .clone()
    }
}

/// What the writer task sends.
#[derive(Debug)]
pub(crate) enum Out {
    /// A frame for this connection only.
    Frame(Frame),
    /// A broadcast frame shared with other subscribers.
    Shared(Arc<SharedBroadcast>),
    /// Send a close frame, then stop writing.
    Close(u16, &'static str),
}

/// Messages to a connection's own task.
#[derive(Debug)]
pub(crate) enum Control {
    /// A broadcast of an event that the subscriber's channel intercepts.
    Intercepted {
        sub_id: u64,
        bcast: Arc<SharedBroadcast>,
    },
    /// Close the connection (`Endpoint::disconnect`).
    Disconnect,
    /// A message for one channel's `handle_info` (sent through a `ChannelHandle`).
    Info {
        topic: String,
        sub_id: u64,
        msg: serde_json::Value,
    },
}

/// Why a connection was killed from outside its task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kill {
    SlowConsumer,
}

/// The handle other tasks use to reach one connection.
#[derive(Debug)]
pub(crate) struct ConnHandle {
    pub id: u64,
    pub vsn: Vsn,
    out: mpsc::Sender<Out>,
    control: mpsc::Sender<Control>,
    killed: AtomicBool,
    /// Wakes the connection's task when it is killed.
    pub kill_notify: Notify,
    /// Wakes the connection's writer when it is killed: it drops what is queued and sends a
    /// close frame (1013) after what it already started writing.
    pub kill_writer: Notify,
}

impl ConnHandle {
    pub fn new(id: u64, vsn: Vsn, out: mpsc::Sender<Out>, control: mpsc::Sender<Control>) -> Self {
        ConnHandle {
            id,
            vsn,
            out,
            control,
            killed: AtomicBool::new(false),
            kill_notify: Notify::new(),
            kill_writer: Notify::new(),
        }
    }

    /// Queues an outbound frame. Returns false if the connection is gone or was just killed
    /// for being slow.
    pub fn send(&self, out: Out) -> bool {
        match self.out.try_send(out) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.kill(Kill::SlowConsumer);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// Queues a control message, with the same slow-consumer rule.
    pub fn control(&self, msg: Control) -> bool {
        match self.control.try_send(msg) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.kill(Kill::SlowConsumer);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    pub fn kill(&self, _why: Kill) {
        if !self.killed.swap(true, Ordering::SeqCst) {
            tracing::info!(conn = self.id, "slow consumer: closing the connection");
        }
        self.kill_notify.notify_one();
        self.kill_writer.notify_one();
    }

    pub fn is_killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }
}

/// One joined channel's subscription.
#[derive(Debug, Clone)]
pub(crate) struct Subscriber {
    pub conn: Arc<ConnHandle>,
    pub intercepts: Arc<[String]>,
}

/// The subscribers of one topic, as an immutable snapshot: a broadcast clones the `Arc` under a
/// short lock and fans out with no lock held; (un)subscribing copies the list only when a
/// broadcast is still walking the old snapshot (copy-on-write).
#[derive(Debug, Default)]
struct TopicSubs {
    list: Mutex<Arc<Vec<(u64, Subscriber)>>>,
}

impl TopicSubs {
    fn snapshot(&self) -> Arc<Vec<(u64, Subscriber)>> {
        Arc::clone(&self.list.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

type TopicMap = HashMap<String, Arc<TopicSubs>>;

/// Number of independently locked parts of the topic map.
const SHARDS: usize = 32;

/// Topic → subscribers, in [`SHARDS`] independently locked maps: a join or leave on one topic
/// never waits for a fan-out, and touches only its own shard's map when a topic appears or goes.
#[derive(Debug)]
pub(crate) struct PubSub {
    shards: Box<[RwLock<TopicMap>]>,
}

impl Default for PubSub {
    fn default() -> Self {
        PubSub {
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
        }
    }
}

fn shard_of(topic: &str) -> usize {
    // FNV-1a: cheap, and topics are not attacker-chosen keys of a map that could degrade
    // (each shard's map has its own randomly seeded hasher).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in topic.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    (h % SHARDS as u64) as usize
}

impl PubSub {
    fn shard(&self, topic: &str) -> &RwLock<TopicMap> {
        &self.shards[shard_of(topic)]
    }

    fn topic(&self, topic: &str) -> Option<Arc<TopicSubs>> {
        let shard = self.shard(topic).read().unwrap_or_else(|e| e.into_inner());
        shard.get(topic).cloned()
    }

    pub fn subscribe(&self, topic: &str, sub_id: u64, sub: Subscriber) {
        let mut shard = self.shard(topic).write().unwrap_or_else(|e| e.into_inner());
        let subs = shard.entry(topic.to_string()).or_default();
        let mut list = subs.list.lock().unwrap_or_else(|e| e.into_inner());
        let v = Arc::make_mut(&mut list);
        v.retain(|(id, _)| *id != sub_id);
        v.push((sub_id, sub));
    }

    pub fn unsubscribe(&self, topic: &str, sub_id: u64) {
        let mut shard = self.shard(topic).write().unwrap_or_else(|e| e.into_inner());
        let Some(subs) = shard.get(topic) else {
            return;
        };
        let empty = {
            let mut list = subs.list.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(pos) = list.iter().position(|(id, _)| *id == sub_id) {
                Arc::make_mut(&mut list).swap_remove(pos);
            }
            list.is_empty()
        };
        if empty {
            shard.remove(topic);
        }
    }

    /// Number of subscriptions of a topic.
    pub fn subscriber_count(&self, topic: &str) -> usize {
        self.topic(topic).map_or(0, |t| t.snapshot().len())
    }

    /// Delivers to every subscriber of the topic except `except` (a subscription id). No lock
    /// is held while delivering.
    pub fn broadcast(&self, bcast: &Arc<SharedBroadcast>, except: Option<u64>) {
        let Some(subs) = self.topic(&bcast.topic) else {
            return;
        };
        let snapshot = subs.snapshot();
        drop(subs);
        for (sub_id, sub) in snapshot.iter() {
            if Some(*sub_id) == except {
                continue;
            }
            deliver(*sub_id, sub, bcast);
        }
    }
}

/// Sends one broadcast to one subscriber: straight to the writer, or through `handle_out`.
pub(crate) fn deliver(sub_id: u64, sub: &Subscriber, bcast: &Arc<SharedBroadcast>) {
    if sub.intercepts.iter().any(|e| *e == bcast.event) {
        sub.conn.control(Control::Intercepted {
            sub_id,
            bcast: Arc::clone(bcast),
        });
    } else {
        sub.conn.send(Out::Shared(Arc::clone(bcast)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(id: u64) -> (Subscriber, mpsc::Receiver<Out>) {
        let (tx, rx) = mpsc::channel(8);
        let (ctl, _) = mpsc::channel(8);
        let conn = Arc::new(ConnHandle::new(id, Vsn::V2, tx, ctl));
        (
            Subscriber {
                conn,
                intercepts: Arc::from(Vec::new()),
            },
            rx,
        )
    }

    #[test]
    fn snapshots_survive_changes_and_empty_topics_go() {
        let ps = PubSub::default();
        let (a, mut ra) = sub(1);
        let (b, mut rb) = sub(2);
        ps.subscribe("t", 10, a);
        ps.subscribe("t", 20, b);
        assert_eq!(ps.subscriber_count("t"), 2);
        // A fan-out in progress keeps its snapshot while the list changes (copy-on-write).
        let snapshot = ps.topic("t").map(|t| t.snapshot()).unwrap_or_default();
        ps.unsubscribe("t", 10);
        assert_eq!(snapshot.len(), 2);
        assert_eq!(ps.subscriber_count("t"), 1);
        let bc = SharedBroadcast::new("t".into(), "e".into(), Payload::empty());
        ps.broadcast(&bc, None);
        assert!(ra.try_recv().is_err());
        assert!(matches!(rb.try_recv(), Ok(Out::Shared(_))));
        // `except` skips one subscription.
        ps.broadcast(&bc, Some(20));
        assert!(rb.try_recv().is_err());
        ps.unsubscribe("t", 20);
        assert_eq!(ps.subscriber_count("t"), 0);
        assert!(ps
            .shards
            .iter()
            .all(|s| s.read().is_ok_and(|m| m.is_empty())));
    }
}
