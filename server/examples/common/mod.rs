//! What the reference server's load generators (`fanout`, `presence_room`) share: spawning the
//! server, reading its `/proc` status, and the demo's `/api/token`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A field of `/proc/<pid>/status` in kB (`"VmRSS:"`), 0 when unreadable.
pub fn proc_status_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// The spawned server; killed when dropped.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn spawn_server(bin: &str, extra: &[String]) -> (Server, String) {
    let mut child = Command::new(bin)
        .args([
            "--addr",
            "127.0.0.1:0",
            "--idle-timeout-ms",
            "600000",
            "--static-dir",
            "/nonexistent",
        ])
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read listening line");
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    (Server(child), addr)
}

/// One HTTP/1.1 POST with a JSON body; returns the status and the body.
pub async fn post(addr: &str, path: &str, body: &Value) -> (u16, String) {
    let body = body.to_string();
    let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(req.as_bytes()).await.expect("write");
    let mut resp = String::new();
    let _ = tcp.read_to_string(&mut resp).await;
    let status = resp
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = resp
        .find("\r\n\r\n")
        .map_or(String::new(), |i| resp[i + 4..].to_string());
    (status, body)
}

pub async fn token(addr: &str, name: &str) -> String {
    let (_, body) = post(addr, "/api/token", &json!({ "name": name })).await;
    let v: Value = serde_json::from_str(body.trim()).expect("token json");
    v["token"].as_str().expect("token").to_string()
}
