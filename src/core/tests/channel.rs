//! Channel: join, leave, the push buffer, duplicate topics, stale join_ref filtering.
use super::harness::*;
use crate::core::channel::BindingCb;

#[test]
fn join_ok_then_push_uses_the_next_ref() {
    let t = Harness::new();
    let (ch, _) = t.joined("room:lobby");
    let p = t.push(&ch, "new_msg", r#"{"body":"hi"}"#);
    t.receive(&p, "ok", "ok");
    t.expect_sent(&[r#"["3","4","room:lobby","new_msg",{"body":"hi"}]"#]);
    t.recv(&reply("3", "4", "room:lobby", "ok", r#"{"id":1}"#));
    t.expect_calls(&[r#"ok({"id":1})"#]);
}

#[test]
fn join_twice_and_push_before_join_throw() {
    let t = Harness::new();
    let ch = t.channel("t");
    assert!(ch.push("e", json("{}"), None).is_err());
    t.join(&ch);
    assert!(ch.join(None).is_err());
}

#[test]
fn join_params_are_sent() {
    let t = Harness::new();
    let ch = t.channel_with("room:1", r#"{"token":"abc"}"#);
    t.join(&ch);
    t.connect();
    t.open();
    t.expect_sent(&[r#"["3","3","room:1","phx_join",{"token":"abc"}]"#]);
}

#[test]
fn leave_closes_synchronously_inside_leave() {
    let t = Harness::new();
    let (ch, _) = t.joined("room:lobby");
    t.on_close(&ch, "onClose");
    let lp = t.leave(&ch);
    assert_eq!(
        t.take_log(),
        [
            r#"#1 > ["3","4","room:lobby","phx_leave",{}]"#,
            r#"onClose("leave", undefined, "3")"#
        ]
    );
    assert_eq!(t.state(&ch), "closed");
    assert!(t.topics().is_empty());
    // A receive("ok") chained on leave() fires at once; "timeout" never fires.
    t.receive(&lp, "ok", "leftOk");
    t.receive(&lp, "timeout", "leftTimeout");
    t.expect_calls(&["leftOk({})"]);
    t.recv(&reply("3", "4", "room:lobby", "ok", "{}"));
    t.advance(20_000.0);
    t.expect_calls(&[]);
}

#[test]
fn leave_twice_sends_twice_and_closes_twice() {
    let t = Harness::new();
    let (ch, _) = t.joined("room:lobby");
    t.on_close(&ch, "onClose");
    t.leave(&ch);
    t.leave(&ch);
    assert_eq!(
        t.take_log(),
        [
            r#"#1 > ["3","4","room:lobby","phx_leave",{}]"#,
            r#"onClose("leave", undefined, "3")"#,
            r#"#1 > ["3","5","room:lobby","phx_leave",{}]"#,
            r#"onClose("leave", undefined, "3")"#,
        ]
    );
}

#[test]
fn leave_while_disconnected_is_never_sent() {
    let t = Harness::new();
    let ch = t.channel("room:lobby");
    t.on_close(&ch, "onClose");
    t.join(&ch);
    t.leave(&ch);
    t.expect_calls(&[r#"onClose("leave", undefined, "3")"#]);
    t.connect();
    t.open();
    t.expect_sent(&[]);
}

#[test]
fn leave_of_a_never_joined_channel_is_sent_with_a_null_join_ref() {
    let t = Harness::new();
    t.connect();
    t.open();
    let ch = t.channel("room:lobby");
    t.on_close(&ch, "onClose");
    t.leave(&ch);
    t.expect_sent(&[r#"[null,"3","room:lobby","phx_leave",{}]"#]);
    t.expect_calls(&[r#"onClose("leave", undefined, undefined)"#]);
}

#[test]
fn receive_fires_immediately_for_a_status_already_received() {
    let t = Harness::new();
    let (_ch, jp) = t.joined("room:lobby");
    t.receive(&jp, "ok", "late");
    t.expect_calls(&["late({})"]);
    t.receive(&jp, "error", "lateError");
    t.expect_calls(&[]);
}

#[test]
fn join_hooks_fire_again_on_every_rejoin() {
    let t = Harness::new();
    let ch = t.channel("room:lobby");
    let jp = t.join(&ch);
    t.receive(&jp, "ok", "joined");
    t.connect();
    t.open();
    t.recv(&reply("3", "3", "room:lobby", "ok", "{}"));
    t.server_close(1006.0);
    t.advance(10.0);
    t.open();
    t.expect_sent(&[
        r#"["3","3","room:lobby","phx_join",{}]"#,
        r#"["4","4","room:lobby","phx_join",{}]"#,
    ]);
    t.recv(&reply("4", "4", "room:lobby", "ok", r#"{"again":true}"#));
    t.expect_calls(&["joined({})", r#"joined({"again":true})"#]);
}

#[test]
fn push_buffer_is_flushed_on_join_ok_with_new_refs_before_user_hooks() {
    let t = Harness::new();
    let ch = t.channel("room:lobby");
    let jp = t.join(&ch); // 3
    t.receive(&jp, "ok", "joinedOk");
    let p = t.push(&ch, "msg", r#"{"a":1}"#); // 4, buffered
    assert_eq!(t.join_ref(&ch), "3");
    assert_eq!(p.ref_(), crate::core::RefVal::Str("4".into()));
    t.connect();
    t.open();
    t.take_log();
    t.recv(&reply("3", "3", "room:lobby", "ok", "{}"));
    assert_eq!(
        t.take_log(),
        [
            r#"#1 > ["3","5","room:lobby","msg",{"a":1}]"#,
            "joinedOk({})"
        ]
    );
    // The flushed push got a fresh, full timeout.
    t.receive(&p, "timeout", "timeout");
    t.advance(9_999.0);
    t.expect_calls(&[]);
    t.advance(1.0);
    t.expect_calls(&["timeout({})"]);
}

#[test]
fn buffered_push_times_out_from_push_time_and_is_then_skipped() {
    let t = Harness::new();
    let ch = t.channel("room:lobby");
    t.join(&ch);
    let p = ch.push("msg", json("{}"), Some(5000.0)).unwrap();
    t.receive(&p, "timeout", "timeout");
    t.advance(5000.0);
    t.expect_calls(&["timeout({})"]);
    t.connect();
    t.open();
    t.recv(&reply("3", "3", "room:lobby", "ok", "{}"));
    t.expect_sent(&[r#"["3","3","room:lobby","phx_join",{}]"#]);
}

#[test]
fn push_while_errored_waits_for_the_rejoin() {
    let t = Harness::new();
    let (ch, _) = t.joined("room:lobby");
    t.recv(&frame("3", "3", "room:lobby", "phx_error", "{}"));
    assert_eq!(t.state(&ch), "errored");
    t.push(&ch, "msg", "{}"); // 4
    t.expect_sent(&[]);
    t.advance(1000.0);
    t.expect_sent(&[r#"["5","5","room:lobby","phx_join",{}]"#]);
    t.recv(&reply("5", "5", "room:lobby", "ok", "{}"));
    t.expect_sent(&[r#"["5","6","room:lobby","msg",{}]"#]);
}

#[test]
fn join_timeout_becomes_the_default_timeout() {
    let t = Harness::new();
    let ch = t.channel("room:lobby");
    ch.join(Some(500.0)).unwrap();
    t.connect();
    t.open();
    t.recv(&reply("3", "3", "room:lobby", "ok", "{}"));
    t.take_timers();
    t.push(&ch, "a", "{}");
    assert_eq!(t.take_timers(), ["push_timeout a 500"]);
}

#[test]
fn falsy_push_payload_becomes_an_empty_object() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    t.push(&ch, "a", "null");
    t.push(&ch, "b", "0");
    t.push(&ch, r#"c"#, r#""""#);
    t.expect_sent(&[
        r#"["3","4","t","a",{}]"#,
        r#"["3","5","t","b",{}]"#,
        r#"["3","6","t","c",{}]"#,
    ]);
}

#[test]
fn duplicate_topic_leaves_the_other_channel_first() {
    let t = Harness::new();
    let (a, _) = t.joined("room:lobby");
    t.on_close(&a, "aClose");
    let b = t.channel("room:lobby"); // 4, 5
    t.join(&b);
    assert_eq!(
        t.take_log(),
        [
            r#"#1 > ["3","6","room:lobby","phx_leave",{}]"#,
            r#"aClose("leave", undefined, "3")"#,
            r#"#1 > ["7","7","room:lobby","phx_join",{}]"#,
        ]
    );
    assert_eq!(t.state(&a), "closed");
    assert_eq!(t.socket.channels().len(), 1);
}

#[test]
fn server_phx_close_closes_and_removes_without_rejoin() {
    let t = Harness::new();
    let (ch, _) = t.joined("room:lobby");
    t.on_close(&ch, "onClose");
    t.recv(&frame("3", "3", "room:lobby", "phx_close", "{}"));
    t.expect_calls(&[r#"onClose({}, "3", "3")"#]);
    assert_eq!(t.state(&ch), "closed");
    assert!(t.topics().is_empty());
    t.advance(60_000.0);
    t.expect_sent(&[r#"[null,"4","phoenix","heartbeat",{}]"#]);
}

#[test]
fn stale_join_ref_filters_every_event_and_null_join_ref_passes() {
    let t = Harness::build(Opts {
        logger: true,
        ..Opts::default()
    });
    let (ch, _) = t.joined("room:lobby");
    t.on(&ch, "msg", "msg");
    t.on_close(&ch, "onClose");
    t.on_error(&ch, "onError");
    t.recv(&frame("2", "null", "room:lobby", "msg", "{}"));
    t.recv(&frame("2", "2", "room:lobby", "phx_error", "{}"));
    t.recv(&frame("2", "2", "room:lobby", "phx_close", "{}"));
    t.recv(&reply("2", "3", "room:lobby", "ok", "{}"));
    t.expect_calls(&[]);
    assert_eq!(t.state(&ch), "joined");
    let logs = t.take_logs();
    assert_eq!(
        logs.iter()
            .filter(|l| l.starts_with("channel: dropping outdated message"))
            .count(),
        4
    );
    assert!(logs.contains(
        &"channel: dropping outdated message {topic:room:lobby,event:msg,payload:{},joinRef:2}"
            .to_owned()
    ));
    t.recv(&frame("null", "null", "room:lobby", "msg", r#"{"n":1}"#));
    t.recv(&frame("", "null", "room:lobby", "msg", r#"{"n":2}"#));
    t.recv(&frame("3", "null", "room:lobby", "msg", r#"{"n":3}"#));
    t.expect_calls(&[
        r#"msg({"n":1}, null, "3")"#,
        r#"msg({"n":2}, null, "3")"#,
        r#"msg({"n":3}, null, "3")"#,
    ]);
}

#[test]
fn replies_with_the_old_join_ref_are_dropped_after_a_rejoin() {
    let t = Harness::new();
    let (ch, _) = t.joined("room:lobby");
    let p = t.push(&ch, "msg", "{}"); // 4
    t.receive(&p, "ok", "ok");
    t.receive(&p, "timeout", "timeout");
    t.recv(&frame("3", "3", "room:lobby", "phx_error", "{}"));
    t.advance(1000.0); // rejoin "5"
    t.recv(&reply("5", "5", "room:lobby", "ok", "{}"));
    t.recv(&reply("3", "4", "room:lobby", "ok", "{}"));
    t.expect_calls(&[]);
    t.advance(9_000.0);
    t.expect_calls(&["timeout({})"]);
}

#[test]
fn every_channel_of_a_topic_gets_a_broadcast() {
    let t = Harness::new();
    let a = t.channel("t");
    let b = t.channel("t");
    t.on(&a, "x", "a");
    t.on(&b, "x", "b");
    t.connect();
    t.open();
    t.recv(&frame("null", "null", "t", "x", "{}"));
    t.expect_calls(&["a({}, null, undefined)", "b({}, null, undefined)"]);
}

#[test]
fn first_user_binding_before_join_gets_ref_3_and_off_removes_by_ref() {
    let t = Harness::new();
    let ch = t.channel("t");
    let r1 = t.on(&ch, "x", "one");
    let r2 = t.on(&ch, "x", "two");
    assert_eq!((r1, r2), (3, 4));
    ch.off("x", Some(r1));
    t.connect();
    t.open();
    t.recv(&frame("null", "null", "t", "x", "{}"));
    t.expect_calls(&["two({}, null, undefined)"]);
    ch.off("x", None);
    t.recv(&frame("null", "null", "t", "x", "{}"));
    t.expect_calls(&[]);
}

#[test]
fn binding_dispatch_uses_a_snapshot() {
    let t = Harness::new();
    let ch = t.channel("t");
    let weak = std::rc::Rc::downgrade(&ch);
    let second = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let s2 = second.clone();
    ch.on(
        "x",
        BindingCb::User(cb_with("first", move |_| {
            let ch = weak.upgrade().unwrap();
            ch.off("x", Some(s2.get()));
            ch.on("x", BindingCb::User(cb("added")));
            Ok(None)
        })),
    );
    second.set(t.on(&ch, "x", "second"));
    t.connect();
    t.open();
    t.recv(&frame("null", "null", "t", "x", "{}"));
    t.expect_calls(&["first({}, null, undefined)", "second({}, null, undefined)"]);
    t.recv(&frame("null", "null", "t", "x", "{}"));
    t.expect_calls(&["first({}, null, undefined)", "added({}, null, undefined)"]);
}

#[test]
fn on_message_hook_sees_replies_twice_and_can_rewrite_payloads() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    ch.st.borrow_mut().on_message = Some(cb_with("hook", |args| {
        if matches!(&*args[0], Value::Str(e) if e == "msg") {
            return Ok(Some(json(r#"{"rewritten":true}"#)));
        }
        Ok(Some(args[1].clone()))
    }));
    t.on(&ch, "msg", "msg");
    let p = t.push(&ch, "ask", "{}"); // 4
    t.receive(&p, "ok", "ok");
    t.take_calls();
    t.recv(&reply("3", "4", "t", "ok", "{}"));
    assert_eq!(
        t.take_calls(),
        [
            r#"hook("phx_reply", {"status":"ok","response":{}}, "4", "3")"#,
            r#"hook("chan_reply_4", {"status":"ok","response":{}}, undefined, undefined)"#,
            "ok({})",
        ]
    );
    t.recv(&frame("null", "null", "t", "msg", "{}"));
    assert_eq!(
        t.take_calls(),
        [
            r#"hook("msg", {}, null, null)"#,
            r#"msg({"rewritten":true}, null, "3")"#
        ]
    );
}

#[test]
fn on_message_hook_returning_a_falsy_value_throws() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    ch.st.borrow_mut().on_message = Some(quiet("hook", |_| Ok(Some(json("null")))));
    t.on(&ch, "msg", "msg");
    assert!(t
        .try_recv(&frame("null", "null", "t", "msg", "{}"))
        .is_err());
    // A falsy payload may come back falsy.
    t.recv(&frame("null", "null", "t", "msg", "0"));
    t.expect_calls(&["msg(null, null, \"3\")"]);
}

/// phoenix.js `trigger` evaluates `joinRef || this.joinRef()` for each binding, so a binding
/// that runs after the internal `phx_error` handler reset the join push sees `null`.
#[test]
fn bindings_after_a_join_reset_see_the_new_join_ref() {
    let t = Harness::new();
    let ch = t.channel("room:lobby");
    t.on(&ch, "phx_error", "err");
    t.join(&ch);
    t.connect();
    t.open();
    assert_eq!(t.state(&ch), "joining");
    t.server_close(1006.0);
    t.expect_calls(&[
        r#"err({"source":"transport","reason":"connection_closed"}, undefined, null)"#,
    ]);
}

#[test]
fn rejoin_timer_only_rejoins_when_connected_at_fire_time() {
    let t = Harness::new();
    let (ch, _) = t.joined("room:lobby");
    t.recv(&frame("3", "3", "room:lobby", "phx_error", "{}"));
    t.w.close_delay.set(None);
    t.server_close(1006.0); // no error event, so the rejoin timer keeps running
    t.socket.st.borrow_mut().reconnect_after_ms = Some(backoff(|_| 5000.0));
    t.take_timers();
    t.advance(1000.0);
    t.expect_sent(&[]);
    assert_eq!(t.state(&ch), "errored");
}

#[test]
fn dispatch_visits_only_the_channels_of_the_topic_in_channels_order() {
    let t = Harness::new();
    let a = t.channel("t");
    let other = t.channel("u");
    let b = t.channel("t");
    let c = t.channel("t");
    t.on(&a, "x", "a");
    t.on(&other, "x", "other");
    t.on(&b, "x", "b");
    t.on(&c, "x", "c");
    t.connect();
    t.open();
    t.recv(&frame("null", "null", "t", "x", "{}"));
    t.expect_calls(&[
        "a({}, null, undefined)",
        "b({}, null, undefined)",
        "c({}, null, undefined)",
    ]);
    // A removed channel leaves its topic's group; the others keep their order.
    t.socket.remove(&b);
    t.recv(&frame("null", "null", "t", "x", "{}"));
    t.expect_calls(&["a({}, null, undefined)", "c({}, null, undefined)"]);
    t.socket.remove(&a);
    t.socket.remove(&c);
    t.recv(&frame("null", "null", "t", "x", "{}"));
    t.expect_calls(&[]);
    assert!(t.socket.channels_of("t").is_none());
    t.recv(&frame("null", "null", "u", "x", "{}"));
    t.expect_calls(&["other({}, null, undefined)"]);
    // A new channel of a topic whose group emptied gets a fresh group.
    let d = t.channel("t");
    t.on(&d, "x", "d");
    t.recv(&frame("null", "null", "t", "x", "{}"));
    t.expect_calls(&["d({}, null, undefined)"]);
}
