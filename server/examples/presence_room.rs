//! Presence-room benchmark (not a test). Run it through `server/bench/presence.sh`, which builds
//! the server with `--profile server`, raises the fd limit and calls:
//!
//! ```text
//! target/server/examples/presence_room --server target/server/phoenix-server --clients 1000
//! ```
//!
//! It spawns the server binary on 127.0.0.1:0 and runs three phases against one `room:` topic of
//! the demo app (docs/protocol.md#demo-contract), with N WebSocket clients (v2 JSON), each a different user:
//!
//! 1. **join + settle**: the clients connect and join (`--concurrency` joins in flight). Every join
//!    tracks a presence, so the server pushes a `presence_diff` to everyone already in the room
//!    (about N²/2 frames in all). The phase ends when every client knows all N users (its
//!    `presence_state` plus the diffs it got). Reported: the time, the presence frames delivered,
//!    the server's CPU time (utime + stime from `/proc`) per presence frame, and the server's RSS
//!    per connection once settled.
//! 2. **broadcast fan-out**: `--broadcasts` server broadcasts (`POST /api/broadcast`) at
//!    `--broadcast-rate` per second, each carrying a sequence number and its send time; every
//!    client checks it gets each one once, in order. Reported: losses, reorders, latency
//!    percentiles over every delivery.
//! 3. **chat**: 10 clients push `--chat` `new_msg`s in all at `--chat-rate` per second; every client
//!    (the senders too) should get each (the room intercepts `new_msg`, so this runs `handle_out`
//!    once per subscriber). Reported: losses and latency percentiles.
//!
//! Results go to `server/bench-presence.json` (override with `--out`). Loopback only; every wait
//! is bounded.

mod common;

use common::{post, proc_status_kb, spawn_server, token};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

const TOPIC: &str = "room:bench";

struct Args {
    server: String,
    server_args: Vec<String>,
    clients: usize,
    concurrency: usize,
    broadcasts: usize,
    broadcast_rate: f64,
    chat: usize,
    chat_rate: f64,
    out: String,
}

fn args() -> Args {
    let mut a = Args {
        server: "target/server/phoenix-server".into(),
        server_args: Vec::new(),
        clients: 1000,
        concurrency: 100,
        broadcasts: 200,
        broadcast_rate: 100.0,
        chat: 200,
        chat_rate: 50.0,
        out: concat!(env!("CARGO_MANIFEST_DIR"), "/bench-presence.json").into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().unwrap_or_default();
        let num = |what: &str| -> f64 {
            v.parse()
                .unwrap_or_else(|_| panic!("{what} needs a number, got {v:?}"))
        };
        match flag.as_str() {
            "--server" => a.server = v.clone(),
            // Extra server flags, whitespace-separated (e.g. "--outbound-queue 4096").
            "--server-args" => a.server_args = v.split_whitespace().map(String::from).collect(),
            "--clients" => a.clients = num("--clients") as usize,
            "--concurrency" => a.concurrency = (num("--concurrency") as usize).max(1),
            "--broadcasts" => a.broadcasts = num("--broadcasts") as usize,
            "--broadcast-rate" => a.broadcast_rate = num("--broadcast-rate").max(1.0),
            "--chat" => a.chat = num("--chat") as usize,
            "--chat-rate" => a.chat_rate = num("--chat-rate").max(1.0),
            "--out" => a.out = v.clone(),
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

/// utime + stime of a process, in seconds.
fn cpu_s(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the `(comm)`; utime and stime are fields 14 and 15 of the whole line.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
    // `rest` starts at field 3 (state), so utime (14) is index 11 and stime (15) index 12.
    // Linux reports them in USER_HZ, which is 100 on every mainstream configuration.
    (ticks(11) + ticks(12)) as f64 / 100.0
}

/// What one client saw.
#[derive(Default)]
struct ClientStats {
    /// Bit i: user `u<i>` is known (from `presence_state` or a diff's joins).
    known: Vec<u64>,
    known_count: usize,
    presence_frames: u64,
    /// Next expected broadcast sequence number.
    next_seq: u64,
    bcast_got: u64,
    bcast_reordered: u64,
    bcast_lat_us: Vec<u32>,
    chat_got: u64,
    chat_lat_us: Vec<u32>,
}

impl ClientStats {
    fn know(&mut self, idx: usize) -> bool {
        let (w, b) = (idx / 64, idx % 64);
        match self.known.get_mut(w) {
            Some(word) if *word & (1 << b) == 0 => {
                *word |= 1 << b;
                self.known_count += 1;
                true
            }
            _ => false,
        }
    }
}

/// The user index of every `"u<digits>":` key in `s`.
fn user_keys(s: &str, mut f: impl FnMut(usize)) {
    let bytes = s.as_bytes();
    let mut i = 0;
    while let Some(pos) = s.get(i..).and_then(|r| r.find("\"u")) {
        let start = i + pos + 2;
        let mut end = start;
        while end < bytes.len() && bytes[end].is_ascii_digit() {
            end += 1;
        }
        if end > start && bytes.get(end) == Some(&b'"') && bytes.get(end + 1) == Some(&b':') {
            if let Ok(n) = s[start..end].parse() {
                f(n);
            }
        }
        i = end.max(start);
    }
}

/// Microseconds since `epoch` of this run (the clock broadcasts and chat carry).
fn now_us(epoch: Instant) -> u64 {
    epoch.elapsed().as_micros() as u64
}

fn handle_frame(text: &str, st: &mut ClientStats, epoch: Instant, settled: &AtomicUsize, n: usize) {
    // Cheap classification by substring: the load generator shares the cores with the server.
    if text.contains("\"presence_diff\"") {
        st.presence_frames += 1;
        if let Some(j) = text.find("\"joins\":") {
            let end = text.find("\"leaves\":").unwrap_or(text.len());
            let before = st.known_count;
            let joins = &text[j..end.max(j)];
            user_keys(joins, |i| {
                st.know(i);
            });
            if before < n && st.known_count == n {
                settled.fetch_add(1, Ordering::Relaxed);
            }
        }
    } else if text.contains("\"presence_state\"") {
        st.presence_frames += 1;
        let before = st.known_count;
        user_keys(text, |i| {
            st.know(i);
        });
        if before < n && st.known_count == n {
            settled.fetch_add(1, Ordering::Relaxed);
        }
    } else if text.contains("\"bcast\"") {
        // Numbers read by substring: a full JSON parse per frame would make the load generator,
        // not the server, what the latency measures.
        let seq = number_after(text, "\"seq\":").unwrap_or(u64::MAX);
        let sent = number_after(text, "\"t\":").unwrap_or(0);
        st.bcast_got += 1;
        if seq != st.next_seq {
            st.bcast_reordered += 1;
        }
        st.next_seq = seq.wrapping_add(1);
        st.bcast_lat_us
            .push(now_us(epoch).saturating_sub(sent).min(u32::MAX as u64) as u32);
    } else if text.contains("\"new_msg\"") && !text.contains("phx_reply") {
        if let Some(sent) = number_after(text, "\"body\":\"t=") {
            st.chat_got += 1;
            st.chat_lat_us
                .push(now_us(epoch).saturating_sub(sent).min(u32::MAX as u64) as u32);
        }
    }
}

/// The unsigned integer right after the first `key` in `text`.
fn number_after(text: &str, key: &str) -> Option<u64> {
    let rest = &text[text.find(key)? + key.len()..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

fn percentiles(mut v: Vec<u32>) -> Value {
    if v.is_empty() {
        return Value::Null;
    }
    v.sort_unstable();
    let p = |q: f64| {
        let i = ((v.len() as f64 - 1.0) * q).round() as usize;
        (v[i.min(v.len() - 1)] as f64 / 1000.0 * 100.0).round() / 100.0
    };
    json!({"p50_ms": p(0.5), "p90_ms": p(0.9), "p99_ms": p(0.99), "max_ms": p(1.0), "samples": v.len()})
}

type Sink = futures_util::stream::SplitSink<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    Message,
>;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let a = args();
    let n = a.clients;
    let (server, addr) = spawn_server(&a.server, &a.server_args);
    let pid = server.0.id();

    // Tokens first (not timed): one user per client.
    let mut tokens = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(200) {
        let futs: Vec<_> = chunk
            .iter()
            .map(|&i| {
                let addr = addr.clone();
                tokio::spawn(async move { token(&addr, &format!("u{i}")).await })
            })
            .collect();
        for f in futs {
            tokens.push(f.await.expect("token task"));
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_base = proc_status_kb(pid, "VmRSS:");
    let cpu0 = cpu_s(pid);
    let epoch = Instant::now();
    let settled = Arc::new(AtomicUsize::new(0));
    let stats: Vec<Arc<Mutex<ClientStats>>> = (0..n)
        .map(|_| {
            Arc::new(Mutex::new(ClientStats {
                known: vec![0; n.div_ceil(64)],
                ..ClientStats::default()
            }))
        })
        .collect();
    let failed = Arc::new(AtomicU64::new(0));
    let closed = Arc::new(AtomicU64::new(0));

    // Phase 1: join + settle.
    let sem = Arc::new(tokio::sync::Semaphore::new(a.concurrency));
    let mut joins = Vec::with_capacity(n);
    for (i, tok) in tokens.into_iter().enumerate() {
        let permit = Arc::clone(&sem).acquire_owned().await.expect("semaphore");
        let url = format!("ws://{addr}/socket/websocket?token={tok}&vsn=2.0.0");
        let st = Arc::clone(&stats[i]);
        let settled = Arc::clone(&settled);
        let failed = Arc::clone(&failed);
        let closed = Arc::clone(&closed);
        joins.push(tokio::spawn(async move {
            let conn = async {
                let (mut ws, _) = tokio_tungstenite::connect_async(url).await.ok()?;
                ws.send(Message::text(
                    json!([i.to_string(), "1", TOPIC, "phx_join", {}]).to_string(),
                ))
                .await
                .ok()?;
                Some(ws)
            };
            let Some(ws) = conn.await else {
                failed.fetch_add(1, Ordering::Relaxed);
                drop(permit);
                return None;
            };
            let (sink, mut stream) = ws.split();
            let mut permit = Some(permit);
            let reader = tokio::spawn(async move {
                while let Some(msg) = stream.next().await {
                    match msg {
                        Ok(Message::Text(t)) => {
                            let t = t.as_str();
                            if permit.is_some() && t.contains("phx_reply") {
                                // Joined: let the next client start.
                                permit = None;
                            }
                            let mut s = st.lock().unwrap_or_else(|e| e.into_inner());
                            handle_frame(t, &mut s, epoch, &settled, n);
                        }
                        Ok(Message::Close(_)) | Err(_) => break,
                        Ok(_) => {}
                    }
                }
                closed.fetch_add(1, Ordering::Relaxed);
            });
            Some((sink, reader))
        }));
    }
    let mut sinks: Vec<Option<Sink>> = Vec::with_capacity(n);
    let mut readers = Vec::with_capacity(n);
    for j in joins {
        match j.await.ok().flatten() {
            Some((s, r)) => {
                sinks.push(Some(s));
                readers.push(r);
            }
            None => sinks.push(None),
        }
    }
    let joined = sinks.iter().filter(|s| s.is_some()).count();
    let all_joined_s = epoch.elapsed().as_secs_f64();
    eprintln!(
        "{joined}/{n} clients connected in {all_joined_s:.1}s; waiting for presence to settle"
    );
    let settle_deadline = Instant::now() + Duration::from_secs(600);
    let mut peak_rss = 0;
    while settled.load(Ordering::Relaxed) < joined && Instant::now() < settle_deadline {
        peak_rss = peak_rss.max(proc_status_kb(pid, "VmRSS:"));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let settle_s = epoch.elapsed().as_secs_f64();
    let cpu_join = cpu_s(pid) - cpu0;
    let settled_n = settled.load(Ordering::Relaxed);
    let presence_frames: u64 = stats
        .iter()
        .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).presence_frames)
        .sum();
    eprintln!(
        "settled {settled_n}/{joined} in {settle_s:.1}s: {presence_frames} presence frames, server CPU {cpu_join:.1}s"
    );
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let rss_settled = proc_status_kb(pid, "VmRSS:");
    peak_rss = peak_rss.max(rss_settled);

    // Phase 2: server broadcasts, paced.
    let cpu1 = cpu_s(pid);
    let t_b = Instant::now();
    let gap = Duration::from_secs_f64(1.0 / a.broadcast_rate);
    for seq in 0..a.broadcasts {
        let due = t_b + gap * seq as u32;
        tokio::time::sleep_until(due.into()).await;
        let (status, _) = post(
            &addr,
            "/api/broadcast",
            &json!({"topic": TOPIC, "event": "bcast", "payload": {"seq": seq, "t": now_us(epoch), "pad": "x".repeat(64)}}),
        )
        .await;
        assert_eq!(status, 204, "broadcast refused");
    }
    let expected_b = (a.broadcasts * joined) as u64;
    let got = |f: &dyn Fn(&ClientStats) -> u64| -> u64 {
        stats
            .iter()
            .map(|s| f(&s.lock().unwrap_or_else(|e| e.into_inner())))
            .sum()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while got(&|s| s.bcast_got) < expected_b && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let bcast_s = t_b.elapsed().as_secs_f64();
    let cpu_bcast = cpu_s(pid) - cpu1;

    // Phase 3: chat from 10 clients.
    let senders: Vec<usize> = (0..n).filter(|&i| sinks[i].is_some()).take(10).collect();
    let t_c = Instant::now();
    let gap = Duration::from_secs_f64(1.0 / a.chat_rate);
    for k in 0..a.chat {
        if senders.is_empty() {
            break;
        }
        let due = t_c + gap * k as u32;
        tokio::time::sleep_until(due.into()).await;
        let who = senders[k % senders.len()];
        if let Some(sink) = sinks[who].as_mut() {
            let frame = json!([who.to_string(), (k + 2).to_string(), TOPIC, "new_msg", {"body": format!("t={}", now_us(epoch))}]);
            let _ = sink.send(Message::text(frame.to_string())).await;
        }
    }
    let expected_c = if senders.is_empty() {
        0
    } else {
        (a.chat * joined) as u64
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while got(&|s| s.chat_got) < expected_c && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let chat_s = t_c.elapsed().as_secs_f64();

    let mut b_lat = Vec::new();
    let mut c_lat = Vec::new();
    for s in &stats {
        let mut s = s.lock().unwrap_or_else(|e| e.into_inner());
        b_lat.append(&mut s.bcast_lat_us);
        c_lat.append(&mut s.chat_lat_us);
    }
    let result = json!({
        "clients_requested": n,
        "clients_joined": joined,
        "clients_failed": failed.load(Ordering::Relaxed),
        "clients_closed_by_server": closed.load(Ordering::Relaxed),
        "join": {
            "all_joined_s": all_joined_s,
            "settled_clients": settled_n,
            "join_settle_s": settle_s,
            "presence_frames": presence_frames,
            "presence_frames_per_s": (presence_frames as f64 / settle_s).round(),
            "server_cpu_s": cpu_join,
            "server_cpu_us_per_presence_frame": ((cpu_join * 1e6 / presence_frames.max(1) as f64) * 100.0).round() / 100.0,
        },
        "memory": {
            "server_rss_base_kb": rss_base,
            "server_rss_settled_kb": rss_settled,
            "server_rss_peak_kb": peak_rss,
            "server_rss_per_connection_kb": ((rss_settled.saturating_sub(rss_base)) as f64 / joined.max(1) as f64 * 10.0).round() / 10.0,
        },
        "broadcast": {
            "sent": a.broadcasts,
            "rate_per_s": a.broadcast_rate,
            "expected_deliveries": expected_b,
            "delivered": got(&|s| s.bcast_got),
            "lost": expected_b.saturating_sub(got(&|s| s.bcast_got)),
            "reordered": got(&|s| s.bcast_reordered),
            "elapsed_s": bcast_s,
            "server_cpu_s": cpu_bcast,
            "latency": percentiles(b_lat),
        },
        "chat": {
            "senders": senders.len(),
            "sent": a.chat,
            "rate_per_s": a.chat_rate,
            "expected_deliveries": expected_c,
            "delivered": got(&|s| s.chat_got),
            "lost": expected_c.saturating_sub(got(&|s| s.chat_got)),
            "elapsed_s": chat_s,
            "latency": percentiles(c_lat),
        },
        // This process's own CPU time over the whole run (it shares the cores with the server).
        "load_generator_cpu_s": cpu_s(std::process::id()),
        "server": a.server,
        "server_args": a.server_args,
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        // Other work on the machine skews these numbers a lot; record how busy it was.
        "loadavg_at_end": std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim(),
        "note": "server and load generator share this machine's cores over loopback",
    });
    let text = serde_json::to_string_pretty(&result).unwrap_or_default();
    eprintln!("{text}");
    std::fs::write(&a.out, text + "\n").expect("write results");
    eprintln!("wrote {}", a.out);
    for r in readers {
        r.abort();
    }
    drop(sinks);
    drop(server);
}
