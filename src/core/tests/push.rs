//! Push: replies, receive hooks, timeouts.
use super::harness::*;

#[test]
fn push_timeout_triggers_the_timeout_hook_and_late_replies_are_ignored() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    let p = t.push(&ch, "ask", "{}"); // 4
    t.receive(&p, "ok", "ok");
    t.receive(&p, "timeout", "timeout");
    t.advance(9_999.0);
    t.expect_calls(&[]);
    t.advance(1.0);
    t.expect_calls(&["timeout({})"]);
    t.recv(&reply("3", "4", "t", "ok", "{}"));
    t.expect_calls(&[]);
    assert!(p.has_received("timeout"));
}

#[test]
fn the_first_reply_wins_and_hooks_run_in_registration_order() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    let p = t.push(&ch, "ask", "{}");
    t.receive(&p, "ok", "first");
    t.receive(&p, "error", "error");
    t.receive(&p, "ok", "second");
    t.recv(&reply("3", "4", "t", "ok", r#"{"n":1}"#));
    t.recv(&reply("3", "4", "t", "ok", r#"{"n":2}"#));
    t.recv(&reply("3", "4", "t", "error", "{}"));
    t.expect_calls(&[r#"first({"n":1})"#, r#"second({"n":1})"#]);
    t.advance(20_000.0);
    t.expect_calls(&[]);
}

#[test]
fn custom_statuses_match_exactly() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    let p = t.push(&ch, "ask", "{}");
    t.receive(&p, "not_found", "notFound");
    t.receive(&p, "OK", "upper");
    t.recv(&reply("3", "4", "t", "not_found", "1"));
    t.expect_calls(&["notFound(1)"]);
}

#[test]
fn reply_without_a_status_stops_the_timeout_but_runs_no_hook() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    let p = t.push(&ch, "ask", "{}");
    t.receive(&p, "ok", "ok");
    t.receive(&p, "timeout", "timeout");
    t.recv(&frame("3", "4", "t", "phx_reply", r#"{"response":{}}"#));
    t.recv(&frame(
        "3",
        "4",
        "t",
        "phx_reply",
        r#"{"status":"ok","response":{}}"#,
    ));
    t.advance(20_000.0);
    t.expect_calls(&[]);
}

#[test]
fn reply_with_a_non_string_status_runs_no_hook() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    let p = t.push(&ch, "ask", "{}");
    t.receive(&p, "5", "five");
    t.recv(&frame(
        "3",
        "4",
        "t",
        "phx_reply",
        r#"{"status":5,"response":{}}"#,
    ));
    t.expect_calls(&[]);
}

#[test]
fn null_reply_throws_out_of_onmessage_after_cancelling_the_timeout() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    let p = t.push(&ch, "ask", "{}");
    t.receive(&p, "timeout", "timeout");
    t.sock_on_message("sockMsg");
    assert!(t
        .try_recv(&frame("3", "4", "t", "phx_reply", "null"))
        .is_err());
    t.expect_calls(&[]); // socket onMessage skipped
    t.advance(20_000.0);
    t.expect_calls(&[]); // the timeout was cancelled before the throw
}

#[test]
fn reply_response_may_be_missing() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    let p = t.push(&ch, "ask", "{}");
    t.receive(&p, "ok", "ok");
    t.recv(&frame("3", "4", "t", "phx_reply", r#"{"status":"ok"}"#));
    t.expect_calls(&["ok(undefined)"]);
}

#[test]
fn zero_timeout_times_out_at_once() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    let p = ch.push("ask", json("{}"), Some(0.0)).unwrap();
    t.receive(&p, "timeout", "timeout");
    t.advance(0.0);
    t.expect_calls(&["timeout({})"]);
}

#[test]
fn a_reset_join_push_keeps_its_timer_which_fires_with_no_event() {
    let t = Harness::build(Opts {
        rejoin_after_ms: Some(backoff(|_| 20_000.0)),
        ..Opts::default()
    });
    let ch = t.channel("t");
    let jp = t.join(&ch);
    t.receive(&jp, "timeout", "timeout");
    t.connect();
    t.open();
    ch.st.borrow_mut().on_message = Some(cb_with("hook", |a| Ok(Some(a[1].clone()))));
    t.recv(&frame("null", "null", "t", "phx_error", "{}"));
    assert_eq!(t.join_ref(&ch), "null");
    t.take_calls();
    t.advance(10_000.0);
    t.expect_calls(&[r#"hook(null, {"status":"timeout","response":{}}, undefined, undefined)"#]);
}

#[test]
fn receive_on_a_timed_out_push_fires_at_once() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    let p = t.push(&ch, "ask", "{}");
    t.advance(10_000.0);
    t.receive(&p, "timeout", "late");
    t.expect_calls(&["late({})"]);
}

/// In phoenix.js the timer's closure keeps the push, and through it the channel, alive, so a
/// pending push still times out after its channel left and the app let go of it.
#[test]
fn a_push_of_a_left_and_dropped_channel_still_times_out() {
    let t = Harness::new();
    let (ch, jp) = t.joined("t");
    let p = t.push(&ch, "ask", "{}");
    t.receive(&p, "timeout", "timeout");
    t.leave(&ch);
    drop((ch, jp, p));
    t.take_calls();
    t.advance(10_000.0);
    t.expect_calls(&["timeout({})"]);
}

#[test]
fn a_push_of_a_left_channel_still_times_out() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    let p = t.push(&ch, "ask", "{}");
    t.receive(&p, "timeout", "timeout");
    t.leave(&ch);
    t.take_calls();
    // The reply to it is not dispatched any more: the channel left `socket.channels`.
    t.recv(&reply("3", "4", "t", "ok", "{}"));
    t.advance(10_000.0);
    t.expect_calls(&["timeout({})"]);
}
