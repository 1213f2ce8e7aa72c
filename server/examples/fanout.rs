//! Broadcast fan-out benchmark (not a test). Run it through `server/bench/fanout.sh`, which
//! builds the release server, raises the fd limit and calls:
//!
//! ```text
//! cargo run --release -p phoenix-server --example fanout -- \
//!     --server target/release/phoenix-server --clients 2000 --messages 200 --payload 100
//! ```
//!
//! It spawns the server binary on 127.0.0.1:0, connects N WebSocket clients (v2 JSON) that all
//! join one `bench:fanout` topic, records the server's RSS before and after, then one more
//! client sends M `shout`s and the clock runs until every client got every broadcast.
//! Results go to `server/bench-results.json` (override with `--out`). Loopback only; every loop
//! is bounded in count and time.

mod common;

use common::{proc_status_kb, spawn_server, token};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

struct Args {
    server: String,
    clients: usize,
    messages: usize,
    payload: usize,
    out: String,
}

fn args() -> Args {
    let mut a = Args {
        server: "target/release/phoenix-server".into(),
        clients: 2000,
        messages: 200,
        payload: 100,
        out: concat!(env!("CARGO_MANIFEST_DIR"), "/bench-results.json").into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().unwrap_or_default();
        match flag.as_str() {
            "--server" => a.server = v,
            "--clients" => a.clients = v.parse().expect("--clients N"),
            "--messages" => a.messages = v.parse().expect("--messages M"),
            "--payload" => a.payload = v.parse().expect("--payload BYTES"),
            "--out" => a.out = v,
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

#[tokio::main]
async fn main() {
    let a = args();
    let (server, addr) = spawn_server(&a.server, &[]);
    let pid = server.0.id();
    let tok = token(&addr, "bench").await;
    let url = format!("ws://{addr}/socket/websocket?token={tok}&vsn=2.0.0");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rss_base = proc_status_kb(pid, "VmRSS:");

    // Connect and join, 100 at a time.
    let received = Arc::new(AtomicU64::new(0));
    let t_connect = Instant::now();
    let mut readers = Vec::with_capacity(a.clients);
    let mut connected = 0usize;
    for chunk_start in (0..a.clients).step_by(100) {
        let n = (a.clients - chunk_start).min(100);
        let mut pending = Vec::with_capacity(n);
        for _ in 0..n {
            let url = url.clone();
            pending.push(tokio::spawn(async move {
                let (mut ws, _) = tokio_tungstenite::connect_async(url).await.ok()?;
                ws.send(Message::text(r#"["1","1","bench:fanout","phx_join",{}]"#))
                    .await
                    .ok()?;
                loop {
                    match ws.next().await? {
                        Ok(Message::Text(t)) if t.as_str().contains("phx_reply") => {
                            return Some(ws)
                        }
                        Ok(_) => continue,
                        Err(_) => return None,
                    }
                }
            }));
        }
        for p in pending {
            if let Ok(Some(ws)) = p.await {
                connected += 1;
                let received = Arc::clone(&received);
                readers.push(tokio::spawn(async move {
                    let (_sink, mut stream) = ws.split();
                    while let Some(Ok(msg)) = stream.next().await {
                        if let Message::Text(t) = msg {
                            if t.as_str().contains("\"shout\"") {
                                received.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                }));
            }
        }
    }
    let connect_s = t_connect.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_connected = proc_status_kb(pid, "VmRSS:");
    eprintln!("connected {connected}/{} clients in {connect_s:.1}s; server RSS {rss_base} -> {rss_connected} kB", a.clients);

    // One more client shouts M times; everyone (sender included) receives each shout.
    let (mut sender, _) = tokio_tungstenite::connect_async(url.clone())
        .await
        .expect("sender connect");
    sender
        .send(Message::text(r#"["1","1","bench:fanout","phx_join",{}]"#))
        .await
        .expect("sender join");
    let body = "x".repeat(a.payload);
    let expected = (connected as u64 + 1) * a.messages as u64;
    let sender_count = Arc::new(AtomicU64::new(0));
    let frame = json!(["1", null, "bench:fanout", "shout", {"b": body}]).to_string();
    let t0 = Instant::now();
    let (mut sink, mut stream) = sender.split();
    let sc = Arc::clone(&sender_count);
    let sender_reader = tokio::spawn(async move {
        while let Some(Ok(Message::Text(t))) = stream.next().await {
            if t.as_str().contains("\"shout\"") {
                sc.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    for _ in 0..a.messages {
        sink.send(Message::text(frame.clone()))
            .await
            .expect("shout");
    }
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut peak_rss = rss_connected;
    loop {
        let got = received.load(Ordering::Relaxed) + sender_count.load(Ordering::Relaxed);
        peak_rss = peak_rss.max(proc_status_kb(pid, "VmRSS:"));
        if got >= expected || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let delivered = received.load(Ordering::Relaxed) + sender_count.load(Ordering::Relaxed);
    let rate = delivered as f64 / elapsed;
    let per_conn = if connected > 0 {
        (rss_connected.saturating_sub(rss_base)) as f64 / connected as f64
    } else {
        0.0
    };
    let result = json!({
        "clients_requested": a.clients,
        "clients_connected": connected,
        "messages": a.messages,
        "payload_bytes": a.payload,
        "expected_deliveries": expected,
        "delivered": delivered,
        "elapsed_s": elapsed,
        "deliveries_per_s": rate.round(),
        "connect_s": connect_s,
        "server_rss_base_kb": rss_base,
        "server_rss_connected_kb": rss_connected,
        "server_rss_peak_kb": peak_rss,
        "server_rss_per_connection_kb": (per_conn * 10.0).round() / 10.0,
        "note": "server and clients share this machine's cores over loopback; the client side costs CPU too",
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        // Other work on the machine skews these numbers a lot; record how busy it was.
        "loadavg": std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim(),
    });
    eprintln!(
        "{}",
        serde_json::to_string_pretty(&result).unwrap_or_default()
    );
    std::fs::write(
        &a.out,
        serde_json::to_string_pretty(&result).unwrap_or_default() + "\n",
    )
    .expect("write results");
    eprintln!("wrote {}", a.out);
    for r in readers {
        r.abort();
    }
    sender_reader.abort();
    drop(server);
}
