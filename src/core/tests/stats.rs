//! `socket.stats()` (a phoenix-wasm extension): counters move with traffic, the heartbeat round
//! trip, reconnects and the current connection's open time.
use super::harness::*;

#[test]
fn stats_start_empty() {
    let t = Harness::new();
    let s = t.socket.stats();
    assert_eq!(s.rtt_ms, None);
    assert_eq!(s.reconnects, 0);
    assert_eq!((s.messages_in, s.messages_out), (0.0, 0.0));
    assert_eq!((s.bytes_in, s.bytes_out), (0.0, 0.0));
    assert_eq!(s.opened_at, None);
    assert!(!s.long_poll);
}

#[test]
fn frames_and_bytes_are_counted_both_ways() {
    let t = Harness::new();
    t.advance(1_000.0);
    let (ch, _) = t.joined("room:lobby");
    let s = t.socket.stats();
    assert_eq!(s.opened_at, Some(1_000.0));
    let join = r#"["3","3","room:lobby","phx_join",{}]"#;
    assert_eq!(s.messages_out, 1.0);
    assert_eq!(s.bytes_out, join.len() as f64);
    let join_reply = reply("3", "3", "room:lobby", "ok", "{}");
    assert_eq!(s.messages_in, 1.0);
    assert_eq!(s.bytes_in, join_reply.len() as f64);

    t.push(&ch, "new_msg", r#"{"body":"héllo"}"#);
    let bc = frame("null", "null", "room:lobby", "bc", r#"{"n":"é"}"#);
    t.recv(&bc);
    let s = t.socket.stats();
    assert_eq!(s.messages_out, 2.0);
    // Text frames count UTF-16 code units, as `string.length` does.
    assert_eq!(
        s.bytes_out,
        (join.len()
            + r#"["3","4","room:lobby","new_msg",{"body":"héllo"}]"#
                .chars()
                .count()) as f64
    );
    assert_eq!(s.messages_in, 2.0);
    assert_eq!(s.bytes_in, (join_reply.len() + bc.chars().count()) as f64);
}

#[test]
fn rtt_is_the_last_heartbeat_round_trip() {
    let t = Harness::new();
    t.connect();
    t.open();
    t.advance(30_000.0);
    assert_eq!(t.socket.stats().rtt_ms, None, "sent, not answered yet");
    t.advance(42.0);
    t.recv(&reply("null", "1", "phoenix", "ok", "{}"));
    assert_eq!(t.socket.stats().rtt_ms, Some(42.0));
    t.advance(30_000.0);
    t.advance(7.0);
    t.recv(&reply("null", "2", "phoenix", "ok", "{}"));
    assert_eq!(t.socket.stats().rtt_ms, Some(7.0));
}

#[test]
fn reconnects_count_opens_after_the_first_and_opened_at_follows_the_connection() {
    let t = Harness::new();
    t.connect();
    t.open();
    assert_eq!(t.socket.stats().opened_at, Some(0.0));
    t.server_close(1006.0);
    let s = t.socket.stats();
    assert_eq!(s.opened_at, None, "closed: no current open connection");
    assert_eq!(s.reconnects, 0);
    t.advance(10.0);
    t.open();
    let s = t.socket.stats();
    assert_eq!(s.reconnects, 1);
    assert_eq!(s.opened_at, Some(10.0));
    t.disconnect();
    t.drive(10);
    assert_eq!(t.socket.stats().opened_at, None);
    assert_eq!(t.socket.stats().reconnects, 1);
}
