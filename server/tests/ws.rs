//! WebSocket protocol tests: a real listener on 127.0.0.1:0 and raw tokio-tungstenite clients.

mod common;
use common::{close_code, connect, next, next_json, send, Transports, Ws, WAIT};

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use phoenix_server::demo::{self, DemoOptions, DemoState};
use phoenix_server::{
    Channel, ChannelSocket, Endpoint, EndpointConfig, HandleIn, OriginCheck, Payload, Reply,
};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Bytes, Message};

// ---------- the test channel, written against the public API ----------

struct TestChannel;

impl Channel for TestChannel {
    fn join(
        &mut self,
        topic: &str,
        _payload: &Payload,
        socket: &mut ChannelSocket,
    ) -> Result<Payload, Payload> {
        if topic == "test:refuse" {
            return Err(json!({"reason": "unauthorized"}).into());
        }
        Ok(json!({"token": socket.assigns().get("token")}).into())
    }

    fn after_join(&mut self, socket: &mut ChannelSocket) {
        socket.push("welcome", json!({}));
    }

    fn intercepts(&self) -> Vec<String> {
        vec!["intercepted".into()]
    }

    fn handle_info(&mut self, msg: Value, socket: &mut ChannelSocket) {
        socket.push("info", msg);
    }

    fn handle_out(&mut self, event: &str, payload: &Payload, socket: &mut ChannelSocket) {
        socket.push(event, json!({"seen": payload.as_json()}));
    }

    fn handle_in(&mut self, event: &str, payload: Payload, socket: &mut ChannelSocket) -> HandleIn {
        match event {
            "echo" => HandleIn::Reply(Reply::ok(payload)),
            "push_binary" => {
                socket.push("bin", Payload::Binary(Bytes::from_static(&[1, 2, 3])));
                HandleIn::NoReply
            }
            "broadcast" => {
                socket.broadcast("shout", payload);
                HandleIn::Reply(Reply::ok(json!({})))
            }
            "panic" => panic!("boom (expected by the test)"),
            "track" | "update" | "untrack" | "list" => {
                let key = payload.str_field("key").unwrap_or("k").to_string();
                let meta = payload
                    .as_json()
                    .and_then(|p| p.get("meta"))
                    .cloned()
                    .unwrap_or(json!({}));
                let presence = socket.endpoint().presence();
                let result = match event {
                    "track" => presence
                        .track(socket, &key, meta)
                        .map(|r| json!({"phx_ref": r})),
                    "update" => presence
                        .update(socket, &key, meta)
                        .map(|r| json!({"phx_ref": r})),
                    "untrack" => {
                        presence.untrack(socket, &key);
                        Ok(json!({}))
                    }
                    _ => Ok(presence.list(socket.topic())),
                };
                match result {
                    Ok(v) => HandleIn::Reply(Reply::ok(v)),
                    Err(e) => HandleIn::Reply(Reply::error(json!({"reason": e.to_string()}))),
                }
            }
            "stop" => HandleIn::Stop(None),
            "later" => {
                // async work in another task, reporting back through the handle
                let handle = socket.handle();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    handle.push("direct", json!({"from": "task"}));
                    handle.info(json!({"done": true}));
                });
                HandleIn::Reply(Reply::ok(json!({})))
            }
            _ => HandleIn::Reply(Reply::error(json!({"reason": "unknown"}))),
        }
    }
}

async fn start_with(config: EndpointConfig) -> (SocketAddr, Endpoint) {
    common::start(config, Transports::WebSocket, || TestChannel).await
}

async fn start() -> (SocketAddr, Endpoint) {
    start_with(EndpointConfig::default()).await
}

async fn join(ws: &mut Ws, topic: &str, join_ref: &str) -> Value {
    send(
        ws,
        &json!([join_ref, join_ref, topic, "phx_join", {}]).to_string(),
    )
    .await;
    let reply = next_json(ws).await;
    assert_eq!(reply[3], "phx_reply", "{reply}");
    reply
}

// ---------- tests ----------

#[tokio::test]
async fn heartbeat_reply_is_exact() {
    let (addr, _) = start().await;
    let mut ws = connect(addr, "vsn=2.0.0").await;
    send(&mut ws, r#"[null,"34","phoenix","heartbeat",{}]"#).await;
    assert_eq!(
        next_json(&mut ws).await,
        json!([null, "34", "phoenix", "phx_reply", {"response": {}, "status": "ok"}])
    );
}

#[tokio::test]
async fn join_push_reply_leave_frames() {
    let (addr, _) = start().await;
    let mut ws = connect(addr, "vsn=2.0.0").await;
    let reply = join(&mut ws, "test:a", "4").await;
    assert_eq!(
        reply,
        json!(["4", "4", "test:a", "phx_reply", {"response": {"token": null}, "status": "ok"}])
    );
    // after_join push carries the join_ref and a null ref
    assert_eq!(
        next_json(&mut ws).await,
        json!(["4", null, "test:a", "welcome", {}])
    );
    send(&mut ws, r#"["4","5","test:a","echo",{"x":1}]"#).await;
    assert_eq!(
        next_json(&mut ws).await,
        json!(["4", "5", "test:a", "phx_reply", {"response": {"x": 1}, "status": "ok"}])
    );
    send(&mut ws, r#"["4","7","test:a","phx_leave",{}]"#).await;
    assert_eq!(
        next_json(&mut ws).await,
        json!(["4", "7", "test:a", "phx_reply", {"response": {}, "status": "ok"}])
    );
    assert_eq!(
        next_json(&mut ws).await,
        json!(["4", "4", "test:a", "phx_close", {}])
    );
    // leave of a topic never joined: ok too
    send(&mut ws, r#"["9","9","test:never","phx_leave",{}]"#).await;
    assert_eq!(
        next_json(&mut ws).await,
        json!(["9", "9", "test:never", "phx_reply", {"response": {}, "status": "ok"}])
    );
}

#[tokio::test]
async fn refused_join_carries_join_ref() {
    let (addr, _) = start().await;
    let mut ws = connect(addr, "vsn=2.0.0").await;
    let reply = join(&mut ws, "test:refuse", "3").await;
    assert_eq!(
        reply,
        json!(["3", "3", "test:refuse", "phx_reply", {"response": {"reason": "unauthorized"}, "status": "error"}])
    );
}

#[tokio::test]
async fn unmatched_topic_has_null_join_ref() {
    let (addr, _) = start().await;
    let mut ws = connect(addr, "vsn=2.0.0").await;
    send(&mut ws, r#"["5","5","nope:1","phx_join",{}]"#).await;
    assert_eq!(
        next_json(&mut ws).await,
        json!([null, "5", "nope:1", "phx_reply", {"response": {"reason": "unmatched topic"}, "status": "error"}])
    );
    send(&mut ws, r#"["1","2","test:notjoined","echo",{}]"#).await;
    assert_eq!(
        next_json(&mut ws).await,
        json!([null, "2", "test:notjoined", "phx_reply", {"response": {"reason": "unmatched topic"}, "status": "error"}])
    );
}

#[tokio::test]
async fn duplicate_join_replies_then_closes_old() {
    let (addr, _) = start().await;
    let mut ws = connect(addr, "vsn=2.0.0").await;
    join(&mut ws, "test:dup", "1").await;
    assert_eq!(next_json(&mut ws).await[3], "welcome");
    send(&mut ws, r#"["2","2","test:dup","phx_join",{}]"#).await;
    assert_eq!(
        next_json(&mut ws).await,
        json!(["2", "2", "test:dup", "phx_reply", {"response": {"token": null}, "status": "ok"}])
    );
    assert_eq!(
        next_json(&mut ws).await,
        json!(["1", "1", "test:dup", "phx_close", {}])
    );
    assert_eq!(
        next_json(&mut ws).await,
        json!(["2", null, "test:dup", "welcome", {}])
    );
}

#[tokio::test]
async fn malformed_json_closes_1011() {
    let (addr, _) = start().await;
    let mut ws = connect(addr, "vsn=2.0.0").await;
    send(&mut ws, "[not json").await;
    assert_eq!(close_code(&mut ws).await, Some(1011));

    // valid JSON of the wrong shape too
    let mut ws = connect(addr, "vsn=2.0.0").await;
    send(&mut ws, r#"{"topic":"x"}"#).await;
    assert_eq!(close_code(&mut ws).await, Some(1011));
}

#[tokio::test]
async fn oversized_frame_closes_1009() {
    let (addr, endpoint) = start_with(EndpointConfig {
        max_frame_size: 1024,
        ..EndpointConfig::default()
    })
    .await;
    let mut ws = connect(addr, "vsn=2.0.0").await;
    let big = format!(
        r#"[null,"1","test:a","echo",{{"x":"{}"}}]"#,
        "a".repeat(4096)
    );
    send(&mut ws, &big).await;
    assert_eq!(close_code(&mut ws).await, Some(1009));
    // a frame under the limit is fine
    let mut ws = connect(addr, "vsn=2.0.0").await;
    send(&mut ws, r#"[null,"1","phoenix","heartbeat",{}]"#).await;
    assert_eq!(next_json(&mut ws).await[3], "phx_reply");
    drop(ws);
    let _ = endpoint;
}

#[tokio::test]
async fn v1_serializer_without_vsn_and_with_1_0_0() {
    let (addr, _) = start().await;
    for query in ["", "vsn=1.0.0"] {
        let mut ws = connect(addr, query).await;
        send(
            &mut ws,
            r#"{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"7"}"#,
        )
        .await;
        assert_eq!(
            next_json(&mut ws).await,
            json!({"event": "phx_reply", "payload": {"response": {}, "status": "ok"}, "ref": "7", "topic": "phoenix"})
        );
        send(
            &mut ws,
            r#"{"topic":"test:v1","event":"phx_join","payload":{},"ref":"1","join_ref":"1"}"#,
        )
        .await;
        let reply = next_json(&mut ws).await;
        assert_eq!(reply["event"], "phx_reply");
        assert!(
            reply.get("join_ref").is_none(),
            "v1 frames never carry join_ref: {reply}"
        );
        assert_eq!(
            next_json(&mut ws).await,
            json!({"event": "welcome", "payload": {}, "ref": null, "topic": "test:v1"})
        );
        // binary is not part of v1: a binary frame is malformed
        ws.send(Message::binary(vec![0u8, 0, 0, 0, 0]))
            .await
            .unwrap();
        assert_eq!(close_code(&mut ws).await, Some(1011));
    }
}

#[tokio::test]
async fn unsupported_vsn_and_refused_connect_are_403() {
    let (addr, _) = start().await;
    for query in ["vsn=3.0.0", "vsn=2.0.0&refuse=1"] {
        let url = format!("ws://{addr}/socket/websocket?{query}");
        match tokio_tungstenite::connect_async(url).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                assert_eq!(resp.status(), 403)
            }
            other => panic!("expected HTTP 403, got {other:?}"),
        }
    }
}

async fn upgrade_with_origin(addr: SocketAddr, origin: &str) -> Result<Ws, u16> {
    let mut req = format!("ws://{addr}/socket/websocket?vsn=2.0.0")
        .into_client_request()
        .unwrap();
    req.headers_mut().insert("origin", origin.parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Err(resp.status().as_u16()),
        Err(e) => panic!("unexpected error {e:?}"),
    }
}

/// Phoenix's `check_origin: true`: the Origin's host must be the host the request was sent to
/// (any scheme or port); a loopback origin is no exception.
#[tokio::test]
async fn origin_must_name_the_host_the_request_was_sent_to() {
    let (addr, _) = start().await;
    assert_eq!(
        upgrade_with_origin(addr, "https://evil.example")
            .await
            .err(),
        Some(403)
    );
    // the Host header is 127.0.0.1:<port>; localhost is another host
    assert_eq!(
        upgrade_with_origin(addr, "http://localhost:4000")
            .await
            .err(),
        Some(403)
    );
    assert_eq!(upgrade_with_origin(addr, "null").await.err(), Some(403));
    assert!(upgrade_with_origin(addr, "http://127.0.0.1:1")
        .await
        .is_ok());
    assert!(upgrade_with_origin(addr, &format!("http://{addr}"))
        .await
        .is_ok());
}

#[tokio::test]
async fn origin_policies_conn_allow_list_and_off() {
    let (addr, _) = start_with(EndpointConfig {
        check_origin: OriginCheck::Conn,
        ..EndpointConfig::default()
    })
    .await;
    assert!(upgrade_with_origin(addr, &format!("http://{addr}"))
        .await
        .is_ok());
    assert_eq!(
        upgrade_with_origin(addr, "http://127.0.0.1:1").await.err(),
        Some(403)
    );
    assert_eq!(
        upgrade_with_origin(addr, &format!("https://{addr}"))
            .await
            .err(),
        Some(403)
    );

    let (addr, _) = start_with(EndpointConfig {
        check_origin: OriginCheck::Allow(vec![
            "https://app.example".into(),
            "//*.corp.example".into(),
        ]),
        ..EndpointConfig::default()
    })
    .await;
    assert!(upgrade_with_origin(addr, "https://app.example")
        .await
        .is_ok());
    assert!(upgrade_with_origin(addr, "http://x.corp.example:81")
        .await
        .is_ok());
    assert_eq!(
        upgrade_with_origin(addr, "http://app.example").await.err(),
        Some(403)
    );
    assert_eq!(
        upgrade_with_origin(addr, &format!("http://{addr}"))
            .await
            .err(),
        Some(403)
    );

    let (addr, _) = start_with(EndpointConfig {
        check_origin: OriginCheck::Off,
        ..EndpointConfig::default()
    })
    .await;
    assert!(upgrade_with_origin(addr, "https://evil.example")
        .await
        .is_ok());
}

#[tokio::test]
async fn auth_token_subprotocol_selects_phoenix() {
    let (addr, _) = start().await;
    let mut req = format!("ws://{addr}/socket/websocket?vsn=2.0.0")
        .into_client_request()
        .unwrap();
    // btoa("s3cret") = "czNjcmV0"
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "phoenix, base64url.bearer.phx.czNjcmV0".parse().unwrap(),
    );
    let (mut ws, resp) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(
        resp.headers().get("sec-websocket-protocol").unwrap(),
        "phoenix"
    );
    let reply = join(&mut ws, "test:tok", "1").await;
    assert_eq!(reply[4]["response"]["token"], "s3cret");
}

#[tokio::test]
async fn binary_push_reply_and_broadcast() {
    let (addr, _) = start().await;
    let mut ws = connect(addr, "vsn=2.0.0").await;
    let mut other = connect(addr, "vsn=2.0.0").await;
    join(&mut ws, "test:bin", "1").await;
    next_json(&mut ws).await; // welcome
    join(&mut other, "test:bin", "1").await;
    next_json(&mut other).await;

    // C→S push kind 0: join_ref "1", ref "2", topic, event "echo", payload 09 08
    let mut frame = vec![0u8, 1, 1, 8, 4];
    frame.extend_from_slice(b"12test:binecho");
    frame.extend_from_slice(&[9, 8]);
    ws.send(Message::binary(frame)).await.unwrap();
    // S→C reply kind 1: join_ref, ref, topic, status "ok", payload
    let mut expected = vec![1u8, 1, 1, 8, 2];
    expected.extend_from_slice(b"12test:binok");
    expected.extend_from_slice(&[9, 8]);
    assert_eq!(next(&mut ws).await, Message::binary(expected));

    // S→C push kind 0 has no ref
    send(&mut ws, r#"["1","3","test:bin","push_binary",{}]"#).await;
    let mut expected = vec![0u8, 1, 8, 3];
    expected.extend_from_slice(b"1test:binbin");
    expected.extend_from_slice(&[1, 2, 3]);
    assert_eq!(next(&mut ws).await, Message::binary(expected));

    // S→C broadcast kind 2
    let mut frame = vec![0u8, 1, 1, 8, 9];
    frame.extend_from_slice(b"14test:binbroadcast");
    frame.extend_from_slice(&[7]);
    ws.send(Message::binary(frame)).await.unwrap();
    let mut expected = vec![2u8, 8, 5];
    expected.extend_from_slice(b"test:binshout");
    expected.extend_from_slice(&[7]);
    assert_eq!(next(&mut other).await, Message::binary(expected.clone()));
    // the sender gets its reply first, then its own copy of the broadcast
    assert_eq!(
        next_json(&mut ws).await,
        json!(["1", "4", "test:bin", "phx_reply", {"response": {}, "status": "ok"}])
    );
    assert_eq!(next(&mut ws).await, Message::binary(expected));

    // a truncated binary frame is malformed
    ws.send(Message::binary(vec![0u8, 9, 9, 9, 9]))
        .await
        .unwrap();
    assert_eq!(close_code(&mut ws).await, Some(1011));
}

#[tokio::test]
async fn intercepted_broadcast_is_a_push_with_join_ref() {
    let (addr, endpoint) = start().await;
    let mut ws = connect(addr, "vsn=2.0.0").await;
    join(&mut ws, "test:i", "6").await;
    next_json(&mut ws).await;
    endpoint.broadcast("test:i", "intercepted", json!({"a": 1}));
    assert_eq!(
        next_json(&mut ws).await,
        json!(["6", null, "test:i", "intercepted", {"seen": {"a": 1}}])
    );
    endpoint.broadcast("test:i", "plain", json!({"a": 2}));
    assert_eq!(
        next_json(&mut ws).await,
        json!([null, null, "test:i", "plain", {"a": 2}])
    );
}

#[tokio::test]
async fn idle_timeout_closes_silent_sockets() {
    let (addr, endpoint) = start_with(EndpointConfig {
        idle_timeout: Duration::from_millis(500),
        ..EndpointConfig::default()
    })
    .await;
    let mut ws = connect(addr, "vsn=2.0.0").await;
    let started = std::time::Instant::now();
    assert_eq!(close_code(&mut ws).await, Some(1000));
    assert!(started.elapsed() >= Duration::from_millis(450));
    // A socket that keeps sending heartbeats stays open past the timeout.
    let mut ws = connect(addr, "vsn=2.0.0").await;
    for i in 0..8 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        send(
            &mut ws,
            &json!([null, i.to_string(), "phoenix", "heartbeat", {}]).to_string(),
        )
        .await;
        assert_eq!(next_json(&mut ws).await[3], "phx_reply");
    }
    assert_eq!(endpoint.connection_count(), 1);
}

#[tokio::test]
async fn handler_panic_errors_only_that_channel() {
    let (addr, _) = start().await;
    let mut ws = connect(addr, "vsn=2.0.0").await;
    join(&mut ws, "test:crash", "1").await;
    next_json(&mut ws).await;
    join(&mut ws, "test:fine", "2").await;
    next_json(&mut ws).await;
    send(&mut ws, r#"["1","3","test:crash","panic",{}]"#).await;
    assert_eq!(
        next_json(&mut ws).await,
        json!(["1", "1", "test:crash", "phx_error", {}])
    );
    // the crashed topic is gone, the other one still works, and so does the connection
    send(&mut ws, r#"["1","4","test:crash","echo",{}]"#).await;
    assert_eq!(
        next_json(&mut ws).await[4]["response"]["reason"],
        "unmatched topic"
    );
    send(&mut ws, r#"["2","5","test:fine","echo",{"ok":true}]"#).await;
    assert_eq!(next_json(&mut ws).await[4]["response"], json!({"ok": true}));
    // and it can be joined again
    join(&mut ws, "test:crash", "6").await;
}

#[tokio::test]
async fn channel_handle_pushes_and_handle_info_from_another_task() {
    let (addr, _) = start().await;
    let mut ws = connect(addr, "vsn=2.0.0").await;
    join(&mut ws, "test:h", "3").await;
    next_json(&mut ws).await;
    send(&mut ws, r#"["3","4","test:h","later",{}]"#).await;
    assert_eq!(next_json(&mut ws).await[3], "phx_reply");
    assert_eq!(
        next_json(&mut ws).await,
        json!(["3", null, "test:h", "direct", {"from": "task"}])
    );
    assert_eq!(
        next_json(&mut ws).await,
        json!(["3", null, "test:h", "info", {"done": true}])
    );
}

#[tokio::test]
async fn stop_without_reply_sends_only_phx_close() {
    let (addr, _) = start().await;
    let mut ws = connect(addr, "vsn=2.0.0").await;
    join(&mut ws, "test:s", "1").await;
    next_json(&mut ws).await;
    send(&mut ws, r#"["1","2","test:s","stop",{}]"#).await;
    assert_eq!(
        next_json(&mut ws).await,
        json!(["1", "1", "test:s", "phx_close", {}])
    );
}

#[tokio::test]
async fn disconnect_by_socket_id() {
    let (addr, endpoint) = start().await;
    let mut a = connect(addr, "vsn=2.0.0&id=alice").await;
    let mut b = connect(addr, "vsn=2.0.0&id=bob").await;
    // make sure both are registered before disconnecting
    send(&mut a, r#"[null,"1","phoenix","heartbeat",{}]"#).await;
    next_json(&mut a).await;
    send(&mut b, r#"[null,"1","phoenix","heartbeat",{}]"#).await;
    next_json(&mut b).await;
    assert_eq!(endpoint.disconnect("user_socket:alice"), 1);
    assert_eq!(close_code(&mut a).await, Some(1000));
    send(&mut b, r#"[null,"2","phoenix","heartbeat",{}]"#).await;
    assert_eq!(next_json(&mut b).await[1], "2");
}

#[tokio::test]
async fn endpoint_shutdown_closes_sockets_with_1001() {
    let (addr, endpoint) = start().await;
    let mut a = connect(addr, "vsn=2.0.0").await;
    join(&mut a, "test:bye", "1").await;
    next_json(&mut a).await;
    endpoint.shutdown();
    assert_eq!(close_code(&mut a).await, Some(1001));
    tokio::time::timeout(WAIT, async {
        while endpoint.connection_count() > 0 || endpoint.subscriber_count("test:bye") > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("connections cleaned up");
    // Every connection task has finished (what the binary waits for before exiting).
    tokio::time::timeout(WAIT, endpoint.drained())
        .await
        .expect("connection tasks finished");
}

#[tokio::test]
async fn slow_consumer_is_disconnected() {
    let (addr, endpoint) = start_with(EndpointConfig {
        outbound_queue: 8,
        ..EndpointConfig::default()
    })
    .await;
    let mut slow = connect(addr, "vsn=2.0.0").await;
    join(&mut slow, "test:flood", "1").await;
    next_json(&mut slow).await;
    let mut fast = connect(addr, "vsn=2.0.0").await;
    assert_eq!(endpoint.subscriber_count("test:flood"), 1);
    // The slow client stops reading; 64 KiB broadcasts fill the socket buffers, then the queue.
    let chunk = "x".repeat(64 * 1024);
    let mut sent = 0;
    while endpoint.subscriber_count("test:flood") > 0 {
        assert!(sent < 20_000, "slow consumer was never disconnected");
        endpoint.broadcast("test:flood", "data", json!({"d": chunk}));
        sent += 1;
        tokio::task::yield_now().await;
    }
    // Server is still fine for others.
    send(&mut fast, r#"[null,"1","phoenix","heartbeat",{}]"#).await;
    assert_eq!(next_json(&mut fast).await[3], "phx_reply");
    // The slow client gets what was already on its way, then a close frame: 1013.
    let code = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match slow.next().await {
                Some(Ok(Message::Close(f))) => return f.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    })
    .await
    .expect("slow connection still open");
    assert_eq!(code, Some(1013));
    assert_eq!(endpoint.connection_count(), 1);
}

/// Waits for the server to close `ws` and returns the close code (frames before it skipped).
async fn closed_with(ws: &mut Ws) -> Option<u16> {
    tokio::time::timeout(WAIT, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(f))) => return f.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    })
    .await
    .expect("server did not close")
}

#[tokio::test]
async fn a_full_server_closes_new_sockets_with_1013() {
    let (addr, endpoint) = start_with(EndpointConfig {
        max_sockets: 2,
        ..EndpointConfig::default()
    })
    .await;
    let mut a = connect(addr, "vsn=2.0.0").await;
    let mut b = connect(addr, "vsn=2.0.0").await;
    join(&mut a, "test:full", "1").await;
    join(&mut b, "test:full", "1").await;
    let mut c = connect(addr, "vsn=2.0.0").await;
    assert_eq!(closed_with(&mut c).await, Some(1013));
    // The others are untouched.
    send(&mut a, r#"[null,"9","phoenix","heartbeat",{}]"#).await;
    next_event(&mut a, "phx_reply").await;
    // A socket that closes gives its place back.
    a.close(None).await.unwrap();
    tokio::time::timeout(WAIT, async {
        while endpoint.connection_count() > 1 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("closed socket unregistered");
    let d = tokio::time::timeout(WAIT, async {
        loop {
            let mut d = connect(addr, "vsn=2.0.0").await;
            send(&mut d, r#"[null,"1","phoenix","heartbeat",{}]"#).await;
            match d.next().await {
                Some(Ok(Message::Text(_))) => return d,
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    })
    .await;
    assert!(d.is_ok(), "no place freed");
}

#[tokio::test]
async fn one_peer_address_is_limited_with_1013() {
    let (addr, _) = start_with(EndpointConfig {
        max_per_peer: 1,
        ..EndpointConfig::default()
    })
    .await;
    let mut a = connect(addr, "vsn=2.0.0").await;
    join(&mut a, "test:peer", "1").await;
    // Same address (127.0.0.1): refused.
    let mut b = connect(addr, "vsn=2.0.0").await;
    assert_eq!(closed_with(&mut b).await, Some(1013));
    send(&mut a, r#"[null,"9","phoenix","heartbeat",{}]"#).await;
    next_event(&mut a, "phx_reply").await;
}

/// Reads frames until one with this event arrives (skipping others).
async fn next_event(ws: &mut Ws, event: &str) -> Value {
    loop {
        let m = next_json(ws).await;
        if m[3] == event {
            return m;
        }
    }
}

#[tokio::test]
async fn presence_track_update_untrack_and_cleanup() {
    let (addr, endpoint) = start().await;
    let mut a = connect(addr, "vsn=2.0.0").await;
    let mut b = connect(addr, "vsn=2.0.0").await;
    join(&mut a, "test:p", "1").await;
    join(&mut b, "test:p", "1").await;

    send(
        &mut a,
        r#"["1","2","test:p","track",{"key":"alice","meta":{"m":1}}]"#,
    )
    .await;
    let reply = next_event(&mut a, "phx_reply").await;
    let ref1 = reply[4]["response"]["phx_ref"]
        .as_str()
        .unwrap()
        .to_string();
    let diff = next_event(&mut b, "presence_diff").await;
    assert_eq!(diff[0], Value::Null);
    assert_eq!(
        diff[4],
        json!({"joins": {"alice": {"metas": [{"m": 1, "phx_ref": ref1}]}}, "leaves": {}})
    );
    // tracking the same key twice from one channel is an error
    send(&mut a, r#"["1","3","test:p","track",{"key":"alice"}]"#).await;
    assert_eq!(
        next_event(&mut a, "phx_reply").await[4]["response"]["reason"],
        "already tracked"
    );

    send(
        &mut a,
        r#"["1","4","test:p","update",{"key":"alice","meta":{"m":2}}]"#,
    )
    .await;
    let ref2 = next_event(&mut a, "phx_reply").await[4]["response"]["phx_ref"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(ref1, ref2);
    let diff = next_event(&mut b, "presence_diff").await;
    assert_eq!(
        diff[4],
        json!({"joins": {"alice": {"metas": [{"m": 2, "phx_ref": ref2, "phx_ref_prev": ref1}]}},
               "leaves": {"alice": {"metas": [{"m": 1, "phx_ref": ref1}]}}})
    );
    assert_eq!(
        endpoint.presence().list("test:p"),
        json!({"alice": {"metas": [{"m": 2, "phx_ref": ref2, "phx_ref_prev": ref1}]}})
    );

    send(&mut a, r#"["1","5","test:p","untrack",{"key":"alice"}]"#).await;
    let diff = next_event(&mut b, "presence_diff").await;
    assert_eq!(diff[4]["joins"], json!({}));
    assert_eq!(
        diff[4]["leaves"]["alice"]["metas"][0]["phx_ref"],
        ref2.as_str()
    );
    assert_eq!(endpoint.presence().list("test:p"), json!({}));

    // two entries under one key from two channels; closing one connection leaves one meta
    send(&mut a, r#"["1","6","test:p","track",{"key":"k"}]"#).await;
    send(&mut b, r#"["1","7","test:p","track",{"key":"k"}]"#).await;
    next_event(&mut b, "phx_reply").await;
    tokio::time::timeout(WAIT, async {
        while endpoint.presence().list("test:p")["k"]["metas"]
            .as_array()
            .map_or(0, Vec::len)
            < 2
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("two metas");
    drop(a);
    loop {
        let diff = next_event(&mut b, "presence_diff").await;
        if diff[4]["leaves"]["k"].is_object() {
            break;
        }
    }
    assert_eq!(
        endpoint.presence().list("test:p")["k"]["metas"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

// ---------- the demo app over raw frames ----------

async fn start_demo() -> (SocketAddr, Arc<DemoState>) {
    let endpoint = Endpoint::new(EndpointConfig::default());
    let state = DemoState::new(
        endpoint,
        DemoOptions {
            static_dir: "/nonexistent-static-dir".into(),
            test_hooks: false,
        },
    );
    let addr = common::serve(demo::app(Arc::clone(&state))).await;
    (addr, state)
}

#[tokio::test]
async fn demo_token_room_presence_and_static_404() {
    let (addr, state) = start_demo().await;
    // no token → 403
    match tokio_tungstenite::connect_async(format!("ws://{addr}/socket/websocket?vsn=2.0.0")).await
    {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 403),
        other => panic!("expected 403, got {other:?}"),
    }
    let token = state.signer.sign("alice", demo::now_ms());
    let mut ws = connect(addr, &format!("token={token}&vsn=2.0.0")).await;
    let reply = join(&mut ws, "room:lobby", "3").await;
    assert_eq!(
        reply[4],
        json!({"response": {"messages": []}, "status": "ok"})
    );
    // presence: the diff (broadcast) and the state (push) both arrive, in either order
    let mut got_state = false;
    let mut got_diff = false;
    for _ in 0..2 {
        let m = next_json(&mut ws).await;
        match m[3].as_str() {
            Some("presence_state") => {
                assert_eq!(m[0], "3");
                assert!(m[4]["alice"]["metas"][0]["phx_ref"].is_string());
                got_state = true;
            }
            Some("presence_diff") => {
                assert_eq!(m[0], Value::Null);
                assert!(m[4]["joins"]["alice"].is_object());
                assert!(m[4]["leaves"].is_object());
                got_diff = true;
            }
            _ => panic!("unexpected {m}"),
        }
    }
    assert!(got_state && got_diff);
    // a bad room name is an unmatched topic
    send(&mut ws, r#"["9","9","room:bad name","phx_join",{}]"#).await;
    assert_eq!(next_json(&mut ws).await[0], Value::Null);

    // static dir missing: 404, not a crash
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    tcp.write_all(b"GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    tcp.read_to_end(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 404"));
}

#[tokio::test]
async fn close_code_helper_sanity() {
    // CloseCode numbering used by the assertions above.
    assert_eq!(u16::from(CloseCode::Error), 1011);
    assert_eq!(u16::from(CloseCode::Size), 1009);
}
