//! `longPollFallbackMs`: falling back from the primary transport to LongPoll (docs/protocol.md#longpoll-fallback).
use super::harness::*;

fn fallback_socket() -> Harness {
    Harness::build(Opts {
        logger: true,
        long_poll_fallback_ms: Some(2500.0),
        ..Opts::default()
    })
}

fn classes(t: &Harness) -> Vec<String> {
    t.transports().iter().map(|tr| tr.class.clone()).collect()
}

#[test]
fn an_error_before_the_primary_opens_falls_back_at_once() {
    let t = fallback_socket();
    t.connect();
    assert_eq!(t.take_timers(), ["fallback 2500"]);
    t.error();
    assert_eq!(
        t.take_logs(),
        [
            r#"transport: error "error""#,
            r#"transport: error "error""#,
            r#"transport: falling back to LongPoll... "error""#,
        ]
    );
    assert_eq!(classes(&t), ["WebSocket", "LongPoll"]);
    assert_eq!(t.take_transport_ops()[1], "#1 close()");
    // The abandoned WebSocket's close event concerns nobody.
    t.advance(0.0);
    assert_eq!(t.transports().len(), 2);
    t.open();
    assert_eq!(
        t.take_logs(),
        [
            "transport: LongPoll connected to ws://example.com/socket/websocket?vsn=2.0.0",
            "transport: established LongPoll fallback",
        ]
    );
    assert_eq!(
        *t.w.session.borrow(),
        [("phx:fallback:LongPoll".to_owned(), "true".to_owned())]
    );
    assert!(
        t.pending_timers().is_empty(),
        "LongPoll has no heartbeat: {:?}",
        t.pending_timers()
    );
}

#[test]
fn no_open_within_the_threshold_falls_back() {
    let t = fallback_socket();
    t.connect();
    t.take_logs();
    t.advance(2499.0);
    assert_eq!(t.transports().len(), 1);
    t.advance(1.0);
    assert_eq!(classes(&t), ["WebSocket", "LongPoll"]);
    assert_eq!(t.take_logs(), ["transport: falling back to LongPoll..."]);
}

#[test]
fn a_healthy_primary_is_kept() {
    let t = fallback_socket();
    t.connect();
    t.take_timers();
    t.open();
    assert_eq!(t.take_timers(), ["heartbeat 30000", "fallback 2500"]);
    t.expect_sent(&[r#"[null,"3","phoenix","heartbeat",{}]"#]);
    t.advance(40.0);
    t.take_logs();
    t.recv(&reply("null", "3", "phoenix", "ok", "{}"));
    assert_eq!(
        t.take_logs(),
        [
            r#"receive: ok phoenix phx_reply (3) {"status":"ok","response":{}}"#,
            "transport: connected to primary after 40",
        ]
    );
    t.advance(10_000.0);
    assert_eq!(classes(&t), ["WebSocket"]);
    // An error once established does not fall back either.
    t.error();
    assert_eq!(classes(&t), ["WebSocket"]);
}

#[test]
fn a_primary_that_opens_but_never_answers_the_ping_falls_back() {
    let t = fallback_socket();
    let (ch, _) = {
        let ch = t.channel("t");
        let jp = t.join(&ch);
        (ch, jp)
    };
    t.on_error(&ch, "onError");
    t.connect();
    t.advance(1000.0);
    t.open();
    t.take_transport_ops();
    t.advance(2499.0);
    assert_eq!(t.transports().len(), 1);
    t.advance(1.0);
    assert_eq!(
        t.take_transport_ops(),
        [
            "#1 close()",
            "#2 new ws://example.com/socket/websocket?vsn=2.0.0"
        ]
    );
    t.expect_calls(&[r#"onError({"source":"transport","reason":"connection_closed"})"#]);
    t.take_sent();
    t.open();
    // The channel rejoins over LongPoll.
    assert_eq!(t.take_sent(), [r#"["7","7","t","phx_join",{}]"#]);
}

#[test]
fn a_memorized_fallback_connects_with_long_poll_directly() {
    let t = fallback_socket();
    t.w.session
        .borrow_mut()
        .push(("phx:fallback:LongPoll".into(), "true".into()));
    t.connect();
    assert_eq!(classes(&t), ["LongPoll"]);
    assert_eq!(
        t.take_logs(),
        [r#"transport: falling back to LongPoll... "memorized""#]
    );
    assert!(t.take_timers().is_empty());
}

#[test]
fn an_empty_memorized_value_does_not_fall_back() {
    let t = fallback_socket();
    t.w.session
        .borrow_mut()
        .push(("phx:fallback:LongPoll".into(), String::new()));
    t.connect();
    assert_eq!(classes(&t), ["WebSocket"]);
}

#[test]
fn reconnects_after_the_fallback_keep_using_long_poll() {
    let t = fallback_socket();
    t.connect();
    t.error();
    t.open();
    t.server_close(1006.0);
    t.advance(10.0);
    assert_eq!(classes(&t), ["WebSocket", "LongPoll", "LongPoll"]);
}

#[test]
fn disconnect_cancels_the_fallback_timer() {
    let t = fallback_socket();
    t.connect();
    t.disconnect();
    t.advance(10_000.0);
    assert_eq!(classes(&t), ["WebSocket"]);
}

#[test]
fn a_primary_that_once_passed_the_health_check_is_not_memorized() {
    let t = fallback_socket();
    t.connect();
    t.open();
    t.recv(&reply("null", "3", "phoenix", "ok", "{}"));
    t.server_close(1006.0);
    t.advance(10.0);
    assert_eq!(classes(&t), ["WebSocket", "WebSocket"]);
    t.error();
    assert_eq!(classes(&t), ["WebSocket", "WebSocket", "LongPoll"]);
    t.open();
    assert!(t.w.session.borrow().is_empty());
}

#[test]
fn every_attempt_with_fallback_registers_two_callbacks_and_pings() {
    let t = fallback_socket();
    let ch = t.channel("t"); // 1, 2
    t.join(&ch); // 3, buffered
    t.connect(); // fallback callbacks 4, 5
    t.open();
    t.expect_sent(&[
        r#"["3","3","t","phx_join",{}]"#,
        r#"[null,"6","phoenix","heartbeat",{}]"#,
    ]);
    t.recv(&reply("3", "3", "t", "ok", "{}"));
    t.recv(&reply("null", "6", "phoenix", "ok", "{}"));
    t.server_close(1006.0);
    t.advance(10.0); // connect() again: callbacks 7, 8
    t.open();
    t.expect_sent(&[
        r#"["9","9","t","phx_join",{}]"#,
        r#"[null,"10","phoenix","heartbeat",{}]"#,
    ]);
    assert_eq!(classes(&t), ["WebSocket", "WebSocket"]);
}

#[test]
fn an_early_fallback_keeps_the_buffered_join_for_long_poll() {
    let t = fallback_socket();
    let ch = t.channel("t"); // 1, 2
    t.join(&ch); // 3
    t.connect(); // 4, 5
    t.sock_on_error("onError"); // 6, after the fallback's own error callback
    t.error();
    t.expect_calls(&[r#"onError("error", "WebSocket", 0)"#]);
    assert_eq!(t.state(&ch), "joining");
    t.open();
    t.expect_sent(&[r#"["3","3","t","phx_join",{}]"#]);
    assert_eq!(classes(&t), ["WebSocket", "LongPoll"]);
}
