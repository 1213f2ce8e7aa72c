//! Heartbeats: interval, reply rescheduling, timeout and reconnect.
use super::harness::*;

#[test]
fn heartbeat_is_sent_after_the_interval_and_rescheduled_from_the_reply() {
    let t = Harness::new();
    t.connect();
    t.open();
    t.advance(29_999.0);
    t.expect_sent(&[]);
    t.advance(1.0);
    t.expect_sent(&[r#"[null,"1","phoenix","heartbeat",{}]"#]);
    t.advance(500.0);
    t.recv(&reply("null", "1", "phoenix", "ok", "{}"));
    t.advance(29_999.0);
    t.expect_sent(&[]);
    t.advance(1.0);
    t.expect_sent(&[r#"[null,"2","phoenix","heartbeat",{}]"#]);
    assert_eq!(t.now(), 60_500.0);
}

#[test]
fn any_message_with_the_pending_ref_counts_as_the_reply() {
    let t = Harness::new();
    t.connect();
    t.open();
    t.advance(30_000.0);
    t.take_sent();
    t.recv(&frame("null", "1", "elsewhere", "whatever", "{}"));
    t.advance(30_000.0);
    t.expect_sent(&[r#"[null,"2","phoenix","heartbeat",{}]"#]);
    assert_eq!(t.transports().len(), 1);
}

#[test]
fn missed_reply_closes_errors_channels_and_reconnects() {
    let t = Harness::build(Opts {
        logger: true,
        ..Opts::default()
    });
    let (ch, _) = t.joined("room:lobby");
    t.on_error(&ch, "chanError");
    t.sock_on_close("onClose");
    t.advance(30_000.0);
    t.expect_sent(&[r#"[null,"5","phoenix","heartbeat",{}]"#]);
    t.clear();
    t.advance(30_000.0);
    assert_eq!(
        t.take_log(),
        [
            "log transport: heartbeat timeout. Attempting to re-establish connection",
            "#1 close(1000, \"heartbeat timeout\")",
            r#"log channel: error room:lobby {"source":"transport","reason":"heartbeat_timeout"}"#,
            r#"chanError({"source":"transport","reason":"heartbeat_timeout"})"#,
            "log transport: close {\"code\":1000,\"reason\":\"heartbeat timeout\",\"wasClean\":true}",
            r#"onClose({"code":1000,"reason":"heartbeat timeout","wasClean":true})"#,
        ]
    );
    assert_eq!(t.state(&ch), "errored");
    // Teardown polls readyState (150 ms), then the reconnect timer (10 ms).
    t.advance(159.0);
    assert_eq!(t.transports().len(), 1);
    t.advance(1.0);
    assert_eq!(t.transports().len(), 2);
    assert_eq!(t.take_timers(), ["closed_wait 150", "reconnect 10"]);
    t.open();
    t.expect_sent(&[r#"["6","6","room:lobby","phx_join",{}]"#]);
}

#[test]
fn heartbeat_timeout_on_a_dead_network_gives_up_on_the_close_event() {
    let t = Harness::new();
    t.w.close_delay.set(None);
    t.sock_on_close("onClose");
    t.connect();
    t.open();
    let old = t.transport();
    t.advance(60_000.0);
    t.advance(1_500.0 + 10.0);
    assert_eq!(t.transports().len(), 2);
    // The late close event concerns nobody: onClose is not called (docs/protocol.md#b12).
    t.close_on(&old, close_event(1006.0, "", false)).unwrap();
    t.expect_calls(&[]);
}

#[test]
fn a_late_reply_after_the_timeout_does_not_restart_heartbeats() {
    let t = Harness::new();
    t.w.close_delay.set(None);
    t.connect();
    t.open();
    t.advance(60_000.0);
    t.recv(&reply("null", "1", "phoenix", "ok", "{}"));
    assert!(
        t.pending_timers()
            .iter()
            .all(|k| !k.starts_with("heartbeat")),
        "{:?}",
        t.pending_timers()
    );
}

#[test]
fn custom_interval_and_no_heartbeat_for_skip_heartbeat_transports() {
    let t = Harness::build(Opts {
        heartbeat_interval_ms: 1000.0,
        ..Opts::default()
    });
    t.connect();
    t.open();
    t.advance(1000.0);
    t.expect_sent(&[r#"[null,"1","phoenix","heartbeat",{}]"#]);

    let t = Harness::new();
    t.connect();
    t.transport().skip_heartbeat.set(true);
    t.open();
    t.advance(120_000.0);
    t.expect_sent(&[]);
    assert!(t.pending_timers().is_empty());
}

#[test]
fn server_close_stops_heartbeats() {
    let t = Harness::new();
    t.connect();
    t.open();
    t.server_close(1000.0);
    assert_eq!(t.pending_timers(), ["reconnect @10"]);
}

/// phoenix.js quirk: `sendHeartbeat` arms the reply deadline *after* `push`, so a reply that a
/// synchronous transport delivers from inside `send` is handled first (clearing the heartbeats),
/// and the deadline armed afterwards stays behind. It fires together with the next heartbeat:
/// unless that one is answered synchronously too, the socket closes right after sending it.
#[test]
fn a_reply_from_inside_send_leaves_a_stray_deadline() {
    let t = Harness::new();
    t.connect();
    t.open();
    t.w.auto_reply.set(true);
    t.advance(30_000.0);
    assert_eq!(
        t.pending_timers(),
        ["heartbeat @60000", "heartbeat_timeout @60000"]
    );
    t.w.auto_reply.set(false);
    t.take_transport_ops();
    t.advance(30_000.0);
    assert_eq!(
        t.take_sent().last().unwrap(),
        r#"[null,"2","phoenix","heartbeat",{}]"#
    );
    assert_eq!(
        t.take_transport_ops(),
        ["#1 close(1000, \"heartbeat timeout\")"]
    );
}
