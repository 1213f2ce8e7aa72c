//! The endpoint: shared state reachable from anywhere (HTTP handlers, other tasks):
//! broadcast to a topic, disconnect every socket of an id, presence, shutdown.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use crate::presence::Presence;
use crate::pubsub::{ConnHandle, Control, PubSub, SharedBroadcast};
use crate::serializer::Payload;
use crate::socket::TransportKind;

/// Which `Origin` headers a connection attempt may carry (Phoenix's `check_origin`); see
/// [`crate::transport::origin_allowed`] for the exact rules. A request without `Origin` (not a
/// browser) is always allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginCheck {
    /// Accept any origin (`check_origin: false`).
    Off,
    /// The origin's host must be the host the request was addressed to (`Host` header), like
    /// Phoenix's `check_origin: true` compares it with the endpoint's host (the default).
    SameHost,
    /// Scheme, host and port must match the request's (Phoenix's `check_origin: :conn`).
    Conn,
    /// One of these origins (`scheme://host[:port]`, `//host` for any scheme and port,
    /// `//*.example.com` for a domain and its subdomains).
    Allow(Vec<String>),
}

/// Tunables of the socket transports.
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// Close a WebSocket that sent nothing for this long (Phoenix's `timeout`, 60 s).
    pub idle_timeout: Duration,
    /// Largest accepted client message in bytes; bigger ones close the socket with 1009.
    pub max_frame_size: usize,
    /// Frames queued per connection before it counts as a slow consumer and is closed.
    pub outbound_queue: usize,
    /// Origin policy.
    pub check_origin: OriginCheck,
    /// WebSocket read buffer per connection (tungstenite defaults to 128 KiB, allocated up
    /// front: most of a connection's memory). Bigger messages still work.
    pub read_buffer_size: usize,
    /// Bytes buffered before a write is flushed (the buffer keeps its capacity).
    pub write_buffer_size: usize,
    /// How long a LongPoll GET waits for messages before answering 204; a LongPoll session
    /// with no poll for about this long shuts down (Phoenix's `window_ms`, 10 s).
    pub longpoll_window: Duration,
    /// Largest LongPoll POST body in bytes (bigger: `{"status":413}`).
    pub longpoll_max_body: usize,
    /// Refuse every WebSocket upgrade (HTTP 503), as a proxy that blocks WebSockets would:
    /// for testing the client's LongPoll fallback.
    pub refuse_websocket: bool,
    /// Most open WebSocket connections; more are closed with 1013 right after the upgrade.
    pub max_sockets: usize,
    /// Most live LongPoll sessions; a new one beyond that gets HTTP 503.
    pub max_longpoll_sessions: usize,
    /// Most WebSocket connections plus LongPoll sessions from one peer IP address.
    pub max_per_peer: usize,
    /// The secret signed tokens are derived from ([`Endpoint::derive_key`]); `None`: a random
    /// one per endpoint, so tokens do not survive a restart.
    pub secret_key_base: Option<SecretKeyBase>,
}

/// Phoenix's `secret_key_base`: the secret every signing key is derived from.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKeyBase(Vec<u8>);

impl std::fmt::Debug for SecretKeyBase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKeyBase(..)")
    }
}

impl SecretKeyBase {
    /// Shortest accepted secret, as Phoenix requires (`mix phx.gen.secret` makes 64 characters).
    pub const MIN_LEN: usize = 64;

    /// A secret of at least [`SecretKeyBase::MIN_LEN`] bytes.
    pub fn new(secret: Vec<u8>) -> Result<Self, String> {
        if secret.len() < Self::MIN_LEN {
            return Err(format!(
                "the secret must be at least {} bytes, got {}",
                Self::MIN_LEN,
                secret.len()
            ));
        }
        Ok(SecretKeyBase(secret))
    }

    /// A random secret (64 bytes).
    pub fn random() -> Self {
        let mut secret = vec![0u8; Self::MIN_LEN];
        if getrandom::fill(&mut secret).is_err() {
            // Extremely unlikely; fall back to something process-specific.
            let seed = format!("{:?}{}", std::time::SystemTime::now(), std::process::id());
            for (k, b) in secret.iter_mut().zip(seed.bytes().cycle()) {
                *k = b;
            }
        }
        SecretKeyBase(secret)
    }

    /// A 32-byte key for one purpose: HMAC-SHA256(secret, label).
    pub fn derive(&self, label: &str) -> [u8; 32] {
        use hmac::{Hmac, Mac};
        // HMAC takes keys of any length; the fallback is unreachable.
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| {
            <Hmac<sha2::Sha256> as hmac::digest::KeyInit>::new(&Default::default())
        });
        mac.update(b"phoenix-server key:");
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

impl Default for EndpointConfig {
    fn default() -> Self {
        EndpointConfig {
            idle_timeout: Duration::from_secs(60),
            max_frame_size: 1024 * 1024,
            outbound_queue: 1024,
            check_origin: OriginCheck::SameHost,
            read_buffer_size: 4 * 1024,
            write_buffer_size: 16 * 1024,
            longpoll_window: Duration::from_secs(10),
            longpoll_max_body: 8 * 1024 * 1024,
            refuse_websocket: false,
            max_sockets: 100_000,
            max_longpoll_sessions: 10_000,
            max_per_peer: 16_384,
            secret_key_base: None,
        }
    }
}

#[derive(Debug)]
struct Inner {
    config: EndpointConfig,
    pubsub: Arc<PubSub>,
    presence: Presence,
    next_id: AtomicU64,
    conns: Mutex<HashMap<u64, Arc<ConnHandle>>>,
    by_socket_id: Mutex<HashMap<String, HashMap<u64, Arc<ConnHandle>>>>,
    answer_heartbeats: AtomicBool,
    shutdown: watch::Sender<bool>,
    limits: Arc<Limits>,
    secret: SecretKeyBase,
}

/// Open connections per transport and per peer address.
#[derive(Debug)]
struct Limits {
    sockets: AtomicUsize,
    longpoll: AtomicUsize,
    per_peer: Mutex<HashMap<IpAddr, usize>>,
    /// Slots held (connections whose task has not finished): shutdown waits for 0.
    open: watch::Sender<usize>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            sockets: AtomicUsize::new(0),
            longpoll: AtomicUsize::new(0),
            per_peer: Mutex::default(),
            open: watch::channel(0).0,
        }
    }
}

/// One connection's place under the limits of [`EndpointConfig`]; freed when dropped.
#[derive(Debug)]
pub(crate) struct Slot {
    limits: Arc<Limits>,
    kind: TransportKind,
    peer: Option<IpAddr>,
}

impl Limits {
    fn counter(&self, kind: TransportKind) -> &AtomicUsize {
        match kind {
            TransportKind::WebSocket => &self.sockets,
            TransportKind::LongPoll => &self.longpoll,
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.limits
            .counter(self.kind)
            .fetch_sub(1, Ordering::SeqCst);
        self.limits.open.send_modify(|n| *n = n.saturating_sub(1));
        if let Some(ip) = self.peer {
            let mut map = self
                .limits
                .per_peer
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if let Some(n) = map.get_mut(&ip) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    map.remove(&ip);
                }
            }
        }
    }
}

/// Cheap to clone; all clones share the same state.
#[derive(Debug, Clone)]
pub struct Endpoint(Arc<Inner>);

impl Default for Endpoint {
    fn default() -> Self {
        Endpoint::new(EndpointConfig::default())
    }
}

impl Endpoint {
    /// A new endpoint with its own pubsub and presence.
    pub fn new(config: EndpointConfig) -> Self {
        let pubsub = Arc::new(PubSub::default());
        let (shutdown, _) = watch::channel(false);
        let secret = config
            .secret_key_base
            .clone()
            .unwrap_or_else(SecretKeyBase::random);
        Endpoint(Arc::new(Inner {
            config,
            presence: Presence::new(Arc::clone(&pubsub)),
            pubsub,
            next_id: AtomicU64::new(1),
            conns: Mutex::new(HashMap::new()),
            by_socket_id: Mutex::new(HashMap::new()),
            answer_heartbeats: AtomicBool::new(true),
            shutdown,
            limits: Arc::default(),
            secret,
        }))
    }

    /// A key for one purpose (`label`), derived from the secret key base: the same for every
    /// run given the same `secret_key_base`.
    pub fn derive_key(&self, label: &str) -> [u8; 32] {
        self.0.secret.derive(label)
    }

    /// The configuration.
    pub fn config(&self) -> &EndpointConfig {
        &self.0.config
    }

    /// `Endpoint.broadcast/3`: to every subscriber of `topic`.
    pub fn broadcast(&self, topic: &str, event: &str, payload: impl Into<Payload>) {
        let bcast = SharedBroadcast::new(topic.to_string(), event.to_string(), payload.into());
        self.0.pubsub.broadcast(&bcast, None);
    }

    /// Number of channels joined to `topic` on this node.
    pub fn subscriber_count(&self, topic: &str) -> usize {
        self.0.pubsub.subscriber_count(topic)
    }

    /// Closes every connection whose `connect` returned this socket id
    /// (`Endpoint.broadcast(id, "disconnect", %{})`). Returns how many were told.
    pub fn disconnect(&self, socket_id: &str) -> usize {
        let conns: Vec<_> = {
            let map = self
                .0
                .by_socket_id
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            map.get(socket_id)
                .map(|m| m.values().cloned().collect())
                .unwrap_or_default()
        };
        for c in &conns {
            if !c.control(Control::Disconnect) {
                // Control queue full: the connection is being killed anyway.
            }
        }
        conns.len()
    }

    /// The presence tracker.
    pub fn presence(&self) -> &Presence {
        &self.0.presence
    }

    /// Open socket connections.
    pub fn connection_count(&self) -> usize {
        self.0.conns.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether heartbeats are answered (a test switch; on by default).
    pub fn answers_heartbeats(&self) -> bool {
        self.0.answer_heartbeats.load(Ordering::SeqCst)
    }

    /// Turns heartbeat replies off (to make clients time out) or back on.
    pub fn set_answer_heartbeats(&self, answer: bool) {
        self.0.answer_heartbeats.store(answer, Ordering::SeqCst);
    }

    /// Closes every connection with 1001 (going away). New upgrades are still possible;
    /// stop the listener first.
    pub fn shutdown(&self) {
        self.0.shutdown.send_replace(true);
    }

    /// Whether [`Endpoint::shutdown`] was called.
    pub fn is_shutting_down(&self) -> bool {
        *self.0.shutdown.borrow()
    }

    /// A place for one more connection of `kind` from `peer`, if the limits allow it.
    pub(crate) fn acquire_slot(&self, kind: TransportKind, peer: Option<IpAddr>) -> Option<Slot> {
        let cfg = &self.0.config;
        let max = match kind {
            TransportKind::WebSocket => cfg.max_sockets,
            TransportKind::LongPoll => cfg.max_longpoll_sessions,
        };
        let limits = &self.0.limits;
        let counter = limits.counter(kind);
        if counter.fetch_add(1, Ordering::SeqCst) >= max {
            counter.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        // From here on, dropping the slot gives the place back.
        limits.open.send_modify(|n| *n += 1);
        let mut slot = Slot {
            limits: Arc::clone(limits),
            kind,
            peer: None,
        };
        if let Some(ip) = peer {
            let mut map = limits.per_peer.lock().unwrap_or_else(|e| e.into_inner());
            let n = map.entry(ip).or_insert(0);
            if *n >= cfg.max_per_peer {
                if *n == 0 {
                    map.remove(&ip);
                }
                return None;
            }
            *n += 1;
            slot.peer = Some(ip);
        }
        Some(slot)
    }

    /// Resolves once every connection task (WebSocket or LongPoll session) has finished,
    /// e.g. after [`Endpoint::shutdown`].
    pub async fn drained(&self) {
        let mut rx = self.0.limits.open.subscribe();
        // The sender lives as long as the endpoint, so this only ends at 0.
        let _ = rx.wait_for(|n| *n == 0).await;
    }

    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.0.shutdown.subscribe()
    }

    pub(crate) fn pubsub(&self) -> &Arc<PubSub> {
        &self.0.pubsub
    }

    pub(crate) fn next_id(&self) -> u64 {
        self.0.next_id.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn register(&self, conn: &Arc<ConnHandle>, socket_id: Option<&str>) {
        self.0
            .conns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(conn.id, Arc::clone(conn));
        if let Some(id) = socket_id {
            self.0
                .by_socket_id
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(id.to_string())
                .or_default()
                .insert(conn.id, Arc::clone(conn));
        }
    }

    pub(crate) fn unregister(&self, conn_id: u64, socket_id: Option<&str>) {
        self.0
            .conns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&conn_id);
        if let Some(id) = socket_id {
            let mut map = self
                .0
                .by_socket_id
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if let Some(m) = map.get_mut(id) {
                m.remove(&conn_id);
                if m.is_empty() {
                    map.remove(id);
                }
            }
        }
    }
}
