//! LongPoll transport tests: a real listener on 127.0.0.1:0 and a minimal HTTP/1.1 client
//! (one request per connection), checking the JSON bodies phoenix.js 1.8.16 reads.

mod common;
use common::{next_json, Transports, WAIT};

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use base64::Engine;
use phoenix_server::transport::longpoll;
use phoenix_server::{Channel, ChannelSocket, Endpoint, EndpointConfig, HandleIn, Payload, Reply};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const WINDOW: Duration = Duration::from_millis(400);

// ---------- the test channel, written against the public API ----------

struct TestChannel;

impl Channel for TestChannel {
    fn join(
        &mut self,
        _: &str,
        _: &Payload,
        socket: &mut ChannelSocket,
    ) -> Result<Payload, Payload> {
        Ok(Value::Object(socket.assigns().clone()).into())
    }

    fn handle_in(&mut self, event: &str, payload: Payload, socket: &mut ChannelSocket) -> HandleIn {
        match event {
            "echo" => HandleIn::Reply(Reply::ok(payload)),
            "size" => HandleIn::Reply(Reply::ok(json!({
                "bytes": payload.as_binary().map(|b| b.len()),
                "first": payload.as_binary().and_then(|b| b.first().copied()),
            }))),
            "shout" => {
                socket.broadcast("shout", payload);
                HandleIn::Reply(Reply::ok(json!({})))
            }
            "push_binary" => {
                socket.push("bin", Payload::Binary(vec![1, 2, 3].into()));
                socket.push("after_bin", json!({}));
                HandleIn::NoReply
            }
            "track" => {
                let key = payload.str_field("key").unwrap_or("k").to_string();
                let r = socket.endpoint().presence().track(socket, &key, json!({}));
                HandleIn::Reply(Reply::ok(json!({"ok": r.is_ok()})))
            }
            _ => HandleIn::Reply(Reply::error(json!({"reason": "unknown"}))),
        }
    }
}

async fn start_with(config: EndpointConfig) -> (SocketAddr, Endpoint) {
    common::start(config, Transports::LongPollAndWebSocket, || TestChannel).await
}

async fn start() -> (SocketAddr, Endpoint) {
    start_with(EndpointConfig {
        longpoll_window: WINDOW,
        ..EndpointConfig::default()
    })
    .await
}

// ---------- a minimal HTTP client ----------

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
}

async fn http(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    tokio::time::timeout(WAIT + WINDOW * 2, async {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut req = format!(
            "{method} {target} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        // The server may answer (413) before reading all of a too big body.
        let _ = s.write_all(body).await;
        let mut raw = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        loop {
            match s.read(&mut buf).await {
                Ok(0) => break,
                Ok(n) => raw.extend_from_slice(&buf[..n]),
                Err(e) if !raw.is_empty() => {
                    eprintln!("read error after {} bytes: {e}", raw.len());
                    break;
                }
                Err(e) => panic!("read failed: {e}"),
            }
        }
        let raw = String::from_utf8(raw).unwrap();
        let (head, body) = raw.split_once("\r\n\r\n").expect("response head");
        let mut lines = head.lines();
        let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        assert!(
            !headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked")),
            "the test client does not decode chunked bodies"
        );
        Resp {
            status,
            headers,
            body: body.to_string(),
        }
    })
    .await
    .expect("request timed out")
}

fn enc(s: &str) -> String {
    s.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

async fn get(addr: SocketAddr, query: &str, token: Option<&str>) -> Value {
    let target = match token {
        Some(t) => format!("/socket/longpoll?{query}&token={}", enc(t)),
        None => format!("/socket/longpoll?{query}&"),
    };
    let r = http(addr, "GET", &target, &[("accept", "application/json")], b"").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

async fn post(addr: SocketAddr, token: &str, lines: &[String]) -> Value {
    post_raw(addr, token, lines.join("\n").as_bytes()).await
}

async fn post_raw(addr: SocketAddr, token: &str, body: &[u8]) -> Value {
    let target = format!("/socket/longpoll?vsn=2.0.0&token={}", enc(token));
    let r = http(
        addr,
        "POST",
        &target,
        &[("content-type", "application/x-ndjson")],
        body,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

/// Opens a session: `(token, first response)`.
async fn open(addr: SocketAddr, query: &str) -> String {
    let v = get(addr, query, None).await;
    assert_eq!(v["status"], 410, "{v}");
    assert_eq!(v["messages"], json!([]));
    v["token"].as_str().expect("token").to_string()
}

/// Polls until `n` messages arrived (each decoded from its JSON text).
async fn poll_n(addr: SocketAddr, token: &str, n: usize) -> Vec<Value> {
    let mut got = Vec::new();
    let deadline = Instant::now() + WAIT;
    while got.len() < n {
        assert!(
            Instant::now() < deadline,
            "only {} of {n} messages: {got:?}",
            got.len()
        );
        let v = get(addr, "vsn=2.0.0", Some(token)).await;
        match v["status"].as_u64() {
            Some(200) => {
                assert_eq!(v["token"], token);
                for m in v["messages"].as_array().unwrap() {
                    got.push(
                        serde_json::from_str(m.as_str().expect("message is a string")).unwrap(),
                    );
                }
            }
            Some(204) => {}
            other => panic!("unexpected poll status {other:?}: {v}"),
        }
    }
    got
}

fn line(v: Value) -> String {
    v.to_string()
}

async fn join(addr: SocketAddr, token: &str, topic: &str, jr: &str) -> Value {
    let r = post(addr, token, &[line(json!([jr, jr, topic, "phx_join", {}]))]).await;
    assert_eq!(r, json!({"status": 200}));
    let msgs = poll_n(addr, token, 1).await;
    assert_eq!(msgs[0][3], "phx_reply", "{msgs:?}");
    assert_eq!(msgs[0][4]["status"], "ok");
    msgs[0].clone()
}

// ---------- tests ----------

#[tokio::test]
async fn handshake_headers_and_poll_statuses() {
    let (addr, endpoint) = start().await;
    let r = http(addr, "GET", "/socket/longpoll?vsn=2.0.0&", &[], b"").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let v = r.json();
    assert_eq!(v["status"], 410);
    assert_eq!(v["messages"], json!([]));
    let token = v["token"].as_str().unwrap().to_string();
    assert_eq!(endpoint.connection_count(), 1);

    // nothing queued: 204 after about the window, same token
    let t0 = Instant::now();
    let v = get(addr, "vsn=2.0.0", Some(&token)).await;
    assert_eq!(v, json!({"status": 204, "token": token, "messages": []}));
    assert!(
        t0.elapsed() >= WINDOW - Duration::from_millis(50),
        "{:?}",
        t0.elapsed()
    );

    // the token from the header works too
    let r = http(
        addr,
        "POST",
        "/socket/longpoll?vsn=2.0.0",
        &[
            ("x-phoenix-longpoll-token", &token),
            ("content-type", "application/x-ndjson"),
        ],
        line(json!([null, "1", "phoenix", "heartbeat", {}])).as_bytes(),
    )
    .await;
    assert_eq!(r.json(), json!({"status": 200}));
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let msgs = poll_n(addr, &token, 1).await;
    assert_eq!(
        msgs[0],
        json!([null, "1", "phoenix", "phx_reply", {"response": {}, "status": "ok"}])
    );
}

#[tokio::test]
async fn options_preflight_and_other_methods() {
    let (addr, _) = start().await;
    let r = http(
        addr,
        "OPTIONS",
        "/socket/longpoll?vsn=2.0.0",
        &[
            ("origin", "https://elsewhere.example"),
            ("access-control-request-method", "POST"),
            (
                "access-control-request-headers",
                "content-type, x-phoenix-authtoken",
            ),
        ],
        b"",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("content-type, x-phoenix-authtoken")
    );
    assert!(r
        .header("access-control-allow-methods")
        .unwrap()
        .contains("post"));
    for m in ["PUT", "DELETE", "PATCH"] {
        let r = http(addr, m, "/socket/longpoll?vsn=2.0.0", &[], b"").await;
        assert_eq!(r.status, 400, "{m}");
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    }
}

#[tokio::test]
async fn join_push_reply_and_batch_order() {
    let (addr, _) = start().await;
    let token = open(addr, "vsn=2.0.0").await;
    let reply = join(addr, &token, "test:a", "1").await;
    assert_eq!(reply[0], "1");
    assert_eq!(reply[1], "1");
    assert_eq!(reply[4]["response"]["transport"], "LongPoll");

    // one POST, several lines (\n and \r\n), handled in order
    let body = [
        line(json!(["1", "2", "test:a", "echo", {"n": 1}])),
        line(json!(["1", "3", "test:a", "echo", {"n": 2}])),
        line(json!([null, "4", "phoenix", "heartbeat", {}])),
        line(json!(["1", "5", "test:a", "echo", {"n": 3}])),
    ];
    let raw = format!("{}\n{}\r\n{}\n{}", body[0], body[1], body[2], body[3]);
    assert_eq!(
        post_raw(addr, &token, raw.as_bytes()).await,
        json!({"status": 200})
    );
    let msgs = poll_n(addr, &token, 4).await;
    let refs: Vec<_> = msgs
        .iter()
        .map(|m| m[1].as_str().unwrap().to_string())
        .collect();
    assert_eq!(refs, ["2", "3", "4", "5"]);
    assert_eq!(
        msgs[3],
        json!(["1", "5", "test:a", "phx_reply", {"response": {"n": 3}, "status": "ok"}])
    );

    // exactly 100 lines are fine
    let many: Vec<String> = (0..100)
        .map(|i| line(json!(["1", format!("m{i}"), "test:a", "echo", {"i": i}])))
        .collect();
    assert_eq!(post(addr, &token, &many).await, json!({"status": 200}));
    let msgs = poll_n(addr, &token, 100).await;
    assert_eq!(msgs[99][1], "m99");
    // a POST whose body is not NDJSON is one text message (older clients)
    let r = http(
        addr,
        "POST",
        &format!("/socket/longpoll?vsn=2.0.0&token={}", enc(&token)),
        &[("content-type", "application/json")],
        line(json!(["1", "x", "test:a", "echo", {}])).as_bytes(),
    )
    .await;
    assert_eq!(r.json(), json!({"status": 200}));
    assert_eq!(poll_n(addr, &token, 1).await[0][1], "x");
}

#[tokio::test]
async fn broadcast_reaches_longpoll_and_websocket_subscribers() {
    let (addr, endpoint) = start().await;
    let a = open(addr, "vsn=2.0.0").await;
    let b = open(addr, "vsn=2.0.0").await;
    join(addr, &a, "test:room", "1").await;
    join(addr, &b, "test:room", "7").await;
    // a WebSocket subscriber of the same topic
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{addr}/socket/websocket?vsn=2.0.0"))
            .await
            .unwrap();
    use futures_util::SinkExt;
    ws.send(tokio_tungstenite::tungstenite::Message::Text(
        json!(["9", "9", "test:room", "phx_join", {}])
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    assert_eq!(next_json(&mut ws).await[3], "phx_reply");
    assert_eq!(endpoint.subscriber_count("test:room"), 3);

    assert_eq!(
        post(
            addr,
            &a,
            &[line(json!(["1", "2", "test:room", "shout", {"hi": 1}]))]
        )
        .await["status"],
        200
    );
    let got_a = poll_n(addr, &a, 2).await;
    assert!(
        got_a.contains(&json!([null, null, "test:room", "shout", {"hi": 1}])),
        "{got_a:?}"
    );
    assert_eq!(
        poll_n(addr, &b, 1).await[0],
        json!([null, null, "test:room", "shout", {"hi": 1}])
    );
    assert_eq!(
        next_json(&mut ws).await,
        json!([null, null, "test:room", "shout", {"hi": 1}])
    );

    endpoint.broadcast("test:room", "from_server", json!({"x": true}));
    assert_eq!(
        poll_n(addr, &b, 1).await[0],
        json!([null, null, "test:room", "from_server", {"x": true}])
    );
}

#[tokio::test]
async fn a_waiting_poll_answers_as_soon_as_a_message_is_queued() {
    let (addr, endpoint) = start_with(EndpointConfig {
        longpoll_window: Duration::from_secs(3),
        ..EndpointConfig::default()
    })
    .await;
    let token = open(addr, "vsn=2.0.0").await;
    join(addr, &token, "test:wake", "1").await;
    let poll = tokio::spawn({
        let token = token.clone();
        async move {
            let t0 = Instant::now();
            (get(addr, "vsn=2.0.0", Some(&token)).await, t0.elapsed())
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    endpoint.broadcast("test:wake", "ping", json!({}));
    let (v, took) = poll.await.unwrap();
    assert_eq!(v["status"], 200);
    assert!(took < Duration::from_secs(2), "{took:?}");

    // a newer poll takes over: the older one answers 204 at once
    let old = tokio::spawn({
        let token = token.clone();
        async move {
            let t0 = Instant::now();
            (get(addr, "vsn=2.0.0", Some(&token)).await, t0.elapsed())
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let newer = tokio::spawn({
        let token = token.clone();
        async move { get(addr, "vsn=2.0.0", Some(&token)).await }
    });
    let (v, took) = old.await.unwrap();
    assert_eq!(v["status"], 204);
    assert!(took < Duration::from_secs(2), "{took:?}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    endpoint.broadcast("test:wake", "ping2", json!({}));
    let v = newer.await.unwrap();
    assert_eq!(v["status"], 200);
    assert!(v["messages"][0].as_str().unwrap().contains("ping2"));
}

#[tokio::test]
async fn unknown_forged_and_gone_sessions() {
    let (addr, endpoint) = start().await;
    // POST without or with a bad token: 410, no session
    assert_eq!(
        post(
            addr,
            "nope",
            &[line(json!([null, "1", "phoenix", "heartbeat", {}]))]
        )
        .await,
        json!({"status": 410})
    );
    let r = http(addr, "POST", "/socket/longpoll?vsn=2.0.0", &[], b"").await;
    assert_eq!(r.json(), json!({"status": 410}));
    assert_eq!(endpoint.connection_count(), 0);

    let token = open(addr, "vsn=2.0.0").await;
    // a forged token (another signature) opens a new session: 410 with a new token
    let (body, _) = token.split_once('.').unwrap();
    let forged = format!("{body}.AAAA");
    let v = get(addr, "vsn=2.0.0", Some(&forged)).await;
    assert_eq!(v["status"], 410);
    assert_ne!(v["token"], token);
    assert_ne!(v["token"], forged);
    assert_eq!(post(addr, &forged, &[]).await, json!({"status": 410}));
    // "undefined" (phoenix.js after a response without token) is just an invalid token
    assert_eq!(
        get(addr, "vsn=2.0.0", Some("undefined")).await["status"],
        410
    );

    // a disconnected session: a waiting poll answers 410 at once, later requests too
    let id_token = open(addr, "vsn=2.0.0&id=zed").await;
    let poll = tokio::spawn({
        let t = id_token.clone();
        async move {
            let t0 = Instant::now();
            (get(addr, "vsn=2.0.0", Some(&t)).await, t0.elapsed())
        }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(endpoint.disconnect("user_socket:zed"), 1);
    let (v, took) = poll.await.unwrap();
    assert_eq!(v["status"], 410, "{v}");
    assert!(took < WINDOW, "{took:?}");
    assert_eq!(
        post(
            addr,
            &id_token,
            &[line(json!([null, "1", "phoenix", "heartbeat", {}]))]
        )
        .await,
        json!({"status": 410})
    );
    let v = get(addr, "vsn=2.0.0", Some(&id_token)).await;
    assert_eq!(v["status"], 410);
    assert_ne!(v["token"], id_token, "a new session");
}

#[tokio::test]
async fn refused_connect_and_bad_vsn_are_403_in_the_body() {
    let (addr, endpoint) = start().await;
    for q in ["vsn=2.0.0&refuse=1", "vsn=3.0.0", "vsn=1.1.0"] {
        let r = http(addr, "GET", &format!("/socket/longpoll?{q}&"), &[], b"").await;
        assert_eq!(r.status, 200, "{q}");
        assert_eq!(r.json(), json!({"status": 403}), "{q}");
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    }
    // a foreign origin too (check_origin applies to LongPoll)
    let r = http(
        addr,
        "GET",
        "/socket/longpoll?vsn=2.0.0&",
        &[("origin", "https://evil.example")],
        b"",
    )
    .await;
    assert_eq!(r.json(), json!({"status": 403}));
    assert_eq!(endpoint.connection_count(), 0);
}

#[tokio::test]
async fn auth_token_header_and_app_token_param_reach_connect() {
    let (addr, endpoint) = start().await;
    let v = get(addr, "token=app-secret&vsn=2.0.0", None).await;
    let session = v["token"].as_str().unwrap().to_string();
    // later requests carry both tokens; the last one (the session) wins
    let target = |q: &str| {
        format!(
            "/socket/longpoll?token=app-secret&vsn=2.0.0{q}&token={}",
            enc(&session)
        )
    };
    let r = http(
        addr,
        "POST",
        &target(""),
        &[("content-type", "application/x-ndjson")],
        line(json!(["1", "1", "test:x", "phx_join", {}])).as_bytes(),
    )
    .await;
    assert_eq!(r.json(), json!({"status": 200}));
    let r = http(addr, "GET", &target(""), &[], b"").await;
    let reply: Value = serde_json::from_str(r.json()["messages"][0].as_str().unwrap()).unwrap();
    assert_eq!(reply[4]["response"]["param_token"], "app-secret");
    assert_eq!(reply[4]["response"]["auth"], Value::Null);

    let r = http(
        addr,
        "GET",
        "/socket/longpoll?vsn=2.0.0&",
        &[("x-phoenix-authtoken", "s3cr3t")],
        b"",
    )
    .await;
    let t = r.json()["token"].as_str().unwrap().to_string();
    let reply = join(addr, &t, "test:y", "1").await;
    assert_eq!(reply[4]["response"]["auth"], "s3cr3t");
    // the app's token first, the session token last: the session resumes
    let v = get(addr, "token=app-secret&vsn=2.0.0", Some(&t)).await;
    assert_eq!(v, json!({"status": 204, "token": t, "messages": []}));

    // a token of a session that is gone, last: a new session, and connect still sees the
    // app's token (our own session tokens are not app params)
    let gone = open(addr, "token=app-secret&vsn=2.0.0&id=gone").await;
    assert_eq!(endpoint.disconnect("user_socket:gone"), 1);
    tokio::time::timeout(WAIT, async {
        while get(addr, "vsn=2.0.0", Some(&gone)).await["token"] == gone {}
    })
    .await
    .expect("session gone");
    let v = get(addr, "token=app-secret&vsn=2.0.0&id=again", Some(&gone)).await;
    assert_eq!(v["status"], 410);
    let fresh = v["token"].as_str().unwrap().to_string();
    assert_ne!(fresh, gone);
    let reply = join(addr, &fresh, "test:z", "1").await;
    assert_eq!(reply[4]["response"]["param_token"], "app-secret");
}

#[tokio::test]
async fn binary_push_in_base64_and_binary_reply_becomes_an_error() {
    let (addr, _) = start().await;
    let token = open(addr, "vsn=2.0.0").await;
    join(addr, &token, "test:bin", "1").await;
    // phoenix.js binary push: kind 0, jr, ref, topic, event lengths, fields, payload
    let frame = |r: &str, event: &str, payload: &[u8]| {
        let mut f = vec![0u8, 1, r.len() as u8, 8, event.len() as u8];
        f.extend_from_slice(b"1");
        f.extend_from_slice(r.as_bytes());
        f.extend_from_slice(b"test:bin");
        f.extend_from_slice(event.as_bytes());
        f.extend_from_slice(payload);
        base64::engine::general_purpose::STANDARD.encode(f)
    };
    let payload: Vec<u8> = (0..=255u8).collect();
    let lines = [
        frame("2", "size", &payload),
        frame("3", "echo", &[0xff, 0, 7]),
        line(json!(["1", "4", "test:bin", "echo", {"after": true}])),
        line(json!(["1", "5", "test:bin", "push_binary", {}])),
    ];
    assert_eq!(post(addr, &token, &lines).await, json!({"status": 200}));
    let msgs = poll_n(addr, &token, 4).await;
    assert_eq!(
        msgs[0],
        json!(["1", "2", "test:bin", "phx_reply", {"status": "ok", "response": {"bytes": 256, "first": 0}}])
    );
    // the binary reply cannot go over LongPoll: an error reply to the same ref instead
    assert_eq!(
        msgs[1],
        json!(["1", "3", "test:bin", "phx_reply", {"status": "error", "response": {"reason": longpoll::BINARY_REPLY_REASON}}])
    );
    assert_eq!(msgs[2][1], "4");
    // the binary push is dropped; the poll goes on
    assert_eq!(msgs[3][3], "after_bin");
}

#[tokio::test]
async fn bad_input_gets_a_clean_status_and_closes_the_session() {
    let (addr, endpoint) = start_with(EndpointConfig {
        longpoll_window: WINDOW,
        max_frame_size: 4096,
        longpoll_max_body: 64 * 1024,
        ..EndpointConfig::default()
    })
    .await;
    let heartbeat = line(json!([null, "1", "phoenix", "heartbeat", {}]));
    let too_many = vec![heartbeat.clone(); 101];
    let cases: Vec<(&str, Vec<u8>, u64)> = vec![
        ("bad JSON", b"[\"1\",\"1\",\"test:a\"".to_vec(), 400),
        ("wrong shape", b"[1,2,3]".to_vec(), 400),
        ("bad base64", b"%%%not base64%%%".to_vec(), 400),
        ("truncated binary", b"AAEB".to_vec(), 400),
        (
            "binary kind 1",
            base64::engine::general_purpose::STANDARD
                .encode([1u8, 0, 0, 0, 0])
                .into_bytes(),
            400,
        ),
        ("not UTF-8", b"[\"\xff\"]".to_vec(), 400),
        ("101 lines", too_many.join("\n").into_bytes(), 400),
        (
            "line over max_frame_size",
            format!(
                "[null,\"1\",\"t\",\"e\",{{\"x\":\"{}\"}}]",
                "a".repeat(5000)
            )
            .into_bytes(),
            413,
        ),
        ("body over the limit", vec![b'['; 70 * 1024], 413),
        (
            "a good line then a bad one",
            format!("{heartbeat}\n[oops").into_bytes(),
            400,
        ),
    ];
    for (what, body, status) in cases {
        let token = open(addr, "vsn=2.0.0").await;
        let v = post_raw(addr, &token, &body).await;
        assert_eq!(v, json!({"status": status}), "{what}");
        // the session is closed (like the WebSocket closing with 1011 / 1009) ...
        let t0 = Instant::now();
        loop {
            let v = get(addr, "vsn=2.0.0", Some(&token)).await;
            if v["status"] == 410 {
                break;
            }
            // ... without having handled any line of the refused batch
            assert_eq!(v["status"], 204, "{what}: {v}");
            assert!(t0.elapsed() < WAIT, "{what}: session not closed");
        }
    }
    tokio::time::timeout(WAIT, async {
        while endpoint.connection_count() > 1 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("sessions cleaned up");
    // empty lines are skipped; an empty body is an empty batch
    let token = open(addr, "vsn=2.0.0").await;
    assert_eq!(post_raw(addr, &token, b"").await, json!({"status": 200}));
    assert_eq!(
        post_raw(addr, &token, format!("\n{heartbeat}\n\n").as_bytes()).await,
        json!({"status": 200})
    );
    assert_eq!(poll_n(addr, &token, 1).await[0][1], "1");
}

#[tokio::test]
async fn idle_session_expires_channels_terminate_and_presence_leaves() {
    let (addr, endpoint) = start().await;
    let watcher = open(addr, "vsn=2.0.0").await;
    join(addr, &watcher, "test:pres", "1").await;
    let idle = open(addr, "vsn=2.0.0&id=idle").await;
    join(addr, &idle, "test:pres", "1").await;
    assert_eq!(
        post(
            addr,
            &idle,
            &[line(
                json!(["1", "2", "test:pres", "track", {"key": "idler"}])
            )]
        )
        .await["status"],
        200
    );
    assert_eq!(poll_n(addr, &idle, 2).await.len(), 2);
    assert!(endpoint.presence().list("test:pres").get("idler").is_some());
    assert_eq!(endpoint.connection_count(), 2);

    // the watcher keeps polling; the idle session gets no poll and goes away after ~the window
    let t0 = Instant::now();
    let mut leaves = false;
    let mut joined = false;
    while !leaves {
        assert!(t0.elapsed() < WAIT, "no presence leave");
        for m in poll_n(addr, &watcher, 1).await {
            if m[3] == "presence_diff" {
                joined |= m[4]["joins"].get("idler").is_some();
                leaves |= m[4]["leaves"].get("idler").is_some();
            }
        }
    }
    assert!(joined);
    let took = t0.elapsed();
    assert!(took >= WINDOW / 2, "expired too early: {took:?}");
    assert_eq!(endpoint.connection_count(), 1);
    assert_eq!(endpoint.subscriber_count("test:pres"), 1);
    assert!(endpoint.presence().list("test:pres").get("idler").is_none());
    // its token now opens a new session
    let v = get(addr, "vsn=2.0.0", Some(&idle)).await;
    assert_eq!(v["status"], 410);
    assert_ne!(v["token"], idle);
    // and disconnecting the old id reaches nobody
    assert_eq!(endpoint.disconnect("user_socket:idle"), 0);
}

#[tokio::test]
async fn a_slow_longpoll_consumer_loses_its_session_not_messages_silently() {
    let (addr, endpoint) = start_with(EndpointConfig {
        longpoll_window: Duration::from_secs(5),
        outbound_queue: 8,
        ..EndpointConfig::default()
    })
    .await;
    let token = open(addr, "vsn=2.0.0").await;
    join(addr, &token, "test:flood", "1").await;
    for i in 0..20 {
        endpoint.broadcast("test:flood", "n", json!({"i": i}));
    }
    // the queue overflowed: the session is gone, the client is told (410 → session_gone)
    tokio::time::timeout(WAIT, async {
        while endpoint.connection_count() > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("slow session closed");
    let v = get(addr, "vsn=2.0.0", Some(&token)).await;
    assert_eq!(v["status"], 410);
}

#[tokio::test]
async fn shutdown_answers_waiting_polls_and_refuses_new_sessions() {
    let (addr, endpoint) = start_with(EndpointConfig {
        longpoll_window: Duration::from_secs(5),
        ..EndpointConfig::default()
    })
    .await;
    let token = open(addr, "vsn=2.0.0").await;
    let poll = tokio::spawn(async move {
        let t0 = Instant::now();
        (get(addr, "vsn=2.0.0", Some(&token)).await, t0.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    endpoint.shutdown();
    let (v, took) = poll.await.unwrap();
    assert_eq!(v["status"], 410);
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert_eq!(get(addr, "vsn=2.0.0", None).await, json!({"status": 500}));
    assert_eq!(endpoint.connection_count(), 0);
}

#[tokio::test]
async fn v1_serializer_over_longpoll() {
    let (addr, _) = start().await;
    let token = open(addr, "vsn=1.0.0").await;
    let join = line(json!({"topic": "test:v1", "event": "phx_join", "payload": {}, "ref": "1"}));
    let r = http(
        addr,
        "POST",
        &format!("/socket/longpoll?vsn=1.0.0&token={}", enc(&token)),
        &[("content-type", "application/x-ndjson")],
        join.as_bytes(),
    )
    .await;
    assert_eq!(r.json(), json!({"status": 200}));
    let msgs = poll_n(addr, &token, 1).await;
    assert_eq!(msgs[0]["event"], "phx_reply");
    assert_eq!(msgs[0]["ref"], "1");
    assert_eq!(msgs[0]["payload"]["status"], "ok");
}

#[tokio::test]
async fn websocket_can_be_refused_for_fallback_tests() {
    let (addr, _) = start_with(EndpointConfig {
        refuse_websocket: true,
        longpoll_window: WINDOW,
        ..EndpointConfig::default()
    })
    .await;
    match tokio_tungstenite::connect_async(format!("ws://{addr}/socket/websocket?vsn=2.0.0")).await
    {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 503),
        other => panic!("upgrade not refused: {:?}", other.map(|_| ())),
    }
    // LongPoll still works
    let token = open(addr, "vsn=2.0.0").await;
    join(addr, &token, "test:fb", "1").await;
}

#[tokio::test]
async fn garbage_requests_always_get_a_json_status() {
    let (addr, endpoint) = start_with(EndpointConfig {
        longpoll_window: WINDOW,
        max_frame_size: 512,
        longpoll_max_body: 4096,
        ..EndpointConfig::default()
    })
    .await;
    // A small deterministic generator: bytes, printable junk, base64-ish and JSON-ish lines.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut token = open(addr, "vsn=2.0.0").await;
    for i in 0..150 {
        let len = (next() % 300) as usize;
        let body: Vec<u8> = match i % 4 {
            0 => (0..len).map(|_| next() as u8).collect(),
            1 => {
                let set = b" ~[]{}\",:\n\r0aZ+/=";
                (0..len)
                    .map(|_| set[(next() % set.len() as u64) as usize])
                    .collect()
            }
            2 => {
                let set = b"ABCDabcd0189+/=\n";
                (0..len)
                    .map(|_| set[(next() % set.len() as u64) as usize])
                    .collect()
            }
            _ => {
                let mut b = br#"[null,"1","test:g","echo",{"k":"#.to_vec();
                let set = b"0123456789{}[]\",:\n";
                b.extend((0..len).map(|_| set[(next() % set.len() as u64) as usize]));
                b
            }
        };
        let target = format!("/socket/longpoll?vsn=2.0.0&token={}", enc(&token));
        let r = http(
            addr,
            "POST",
            &target,
            &[("content-type", "application/x-ndjson")],
            &body,
        )
        .await;
        assert_eq!(r.status, 200, "case {i}");
        assert_eq!(
            r.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        let status = r.json()["status"].as_u64().expect("numeric status");
        assert!([200, 400, 410, 413].contains(&status), "case {i}: {status}");
        if status != 200 {
            token = open(addr, "vsn=2.0.0").await;
        }
    }
    // odd queries and headers
    for target in [
        "/socket/longpoll?token=%ZZ&vsn=%FF&",
        "/socket/longpoll?vsn=2.0.0&token=&token=",
        "/socket/longpoll?&&&=&vsn=2.0.0",
        "/socket/longpoll",
        "/socket/longpoll?vsn=2.0.0&token=a.b.c.d",
    ] {
        let r = http(
            addr,
            "GET",
            target,
            &[("x-phoenix-authtoken", "\u{e9}t\u{e9}")],
            b"",
        )
        .await;
        assert_eq!(r.status, 200, "{target}");
        let status = r.json()["status"].as_u64().unwrap();
        assert!([403, 410].contains(&status), "{target}: {status}");
    }
    // still serving
    let t = open(addr, "vsn=2.0.0").await;
    join(addr, &t, "test:after", "1").await;
    assert!(endpoint.connection_count() >= 1);
}

/// A poll without a token: asks for a new session.
async fn new_session(addr: SocketAddr) -> Resp {
    http(
        addr,
        "GET",
        "/socket/longpoll?vsn=2.0.0",
        &[("accept", "application/json")],
        b"",
    )
    .await
}

#[tokio::test]
async fn session_limits_answer_503_when_full() {
    let (addr, _) = start_with(EndpointConfig {
        longpoll_window: WINDOW,
        max_longpoll_sessions: 2,
        ..EndpointConfig::default()
    })
    .await;
    let a = open(addr, "vsn=2.0.0").await;
    let _b = open(addr, "vsn=2.0.0").await;
    // The third session: HTTP 503, and a body phoenix.js reads as an error to retry after.
    let r = new_session(addr).await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(r.json()["status"], 500);
    // Polls of the live sessions still work.
    join(addr, &a, "test:lp", "1").await;
    // A session that ends gives its place back: with no more polls, the window ends both.
    tokio::time::timeout(WAIT, async {
        loop {
            let r = new_session(addr).await;
            if r.status == 200 && r.json()["status"] == 410 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("a session place was freed");

    // Per peer address: every test client is 127.0.0.1.
    let (addr, _) = start_with(EndpointConfig {
        longpoll_window: WINDOW,
        max_per_peer: 1,
        ..EndpointConfig::default()
    })
    .await;
    let _only = open(addr, "vsn=2.0.0").await;
    let r = new_session(addr).await;
    assert_eq!(r.status, 503, "{}", r.body);
}
