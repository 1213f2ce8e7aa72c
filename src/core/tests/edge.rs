//! Edge cases: odd refs, params functions, logger lines, ref wrapping, draining connections.
use std::cell::Cell;
use std::rc::Rc;

use super::harness::*;
use crate::core::host::Param;

#[test]
fn a_numeric_reply_ref_still_names_the_push_but_a_numeric_join_ref_is_stale() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    let p = t.push(&ch, "ask", "{}"); // "4"
    t.receive(&p, "ok", "ok");
    // `chan_reply_${ref}` makes 4 and "4" the same event name.
    t.recv(r#"[null,4,"t","phx_reply",{"status":"ok","response":{}}]"#);
    t.expect_calls(&["ok({})"]);
    // `joinRef !== this.joinRef()` is strict: 3 is not "3".
    t.on(&ch, "msg", "msg");
    t.recv(r#"[3,null,"t","msg",{}]"#);
    t.expect_calls(&[]);
}

#[test]
fn a_numeric_ref_is_not_the_pending_heartbeat() {
    let t = Harness::new();
    t.connect();
    t.open();
    t.advance(30_000.0);
    t.expect_sent(&[r#"[null,"1","phoenix","heartbeat",{}]"#]);
    t.recv(r#"[null,1,"phoenix","phx_reply",{"status":"ok","response":{}}]"#);
    t.advance(30_000.0);
    assert_eq!(
        t.take_transport_ops().last().unwrap(),
        "#1 close(1000, \"heartbeat timeout\")"
    );
}

#[test]
fn ref_counter_wraps_at_2_pow_53() {
    let t = Harness::new();
    t.socket.st.borrow_mut().ref_ = 9007199254740991.0;
    assert_eq!(t.socket.make_ref(), "9007199254740992");
    assert_eq!(t.socket.make_ref(), "0");
    assert_eq!(t.socket.make_ref(), "1");
}

#[test]
fn channel_params_function_is_evaluated_at_each_join_send() {
    let t = Harness::new();
    let n = Rc::new(Cell::new(0));
    let n2 = n.clone();
    let params = quiet("params", move |_| {
        n2.set(n2.get() + 1);
        Ok(Some(json(&format!(r#"{{"n":{}}}"#, n2.get()))))
    });
    let ch = t.socket.channel("t", Param::Func(params)).unwrap();
    t.join(&ch);
    assert_eq!(n.get(), 1, "evaluated when the join is buffered");
    t.connect();
    t.open();
    t.expect_sent(&[r#"["3","3","t","phx_join",{"n":1}]"#]);
    t.recv(&frame("3", "3", "t", "phx_error", "{}"));
    t.advance(1000.0);
    t.expect_sent(&[r#"["4","4","t","phx_join",{"n":2}]"#]);
}

#[test]
fn socket_params_function_is_called_on_every_connect() {
    let t = Harness::new();
    let n = Rc::new(Cell::new(0));
    let n2 = n.clone();
    t.socket.st.borrow_mut().params = Param::Func(quiet("params", move |_| {
        n2.set(n2.get() + 1);
        Ok(Some(json(&format!(r#"{{"try":{}}}"#, n2.get()))))
    }));
    t.connect();
    t.fail_connect();
    t.advance(10.0);
    let urls: Vec<String> = t.transports().iter().map(|tr| tr.url.clone()).collect();
    assert_eq!(
        urls,
        [
            "ws://example.com/socket/websocket?try=1&vsn=2.0.0",
            "ws://example.com/socket/websocket?try=2&vsn=2.0.0",
        ]
    );
}

#[test]
fn channel_logger_lines() {
    let t = Harness::build(Opts {
        logger: true,
        ..Opts::default()
    });
    let ch = t.channel("t");
    t.join(&ch);
    t.connect();
    t.open();
    t.advance(10_000.0);
    let logs = t.take_logs();
    assert!(
        logs.contains(&"channel: timeout t (3) 10000".to_owned()),
        "{logs:?}"
    );
    t.advance(1000.0);
    let r = t.join_ref(&ch);
    t.recv(&reply(&r, &r, "t", "ok", "{}"));
    let dup = t.channel("t");
    t.take_logs();
    t.join(&dup);
    assert_eq!(
        t.take_logs(),
        [
            "transport: leaving duplicate topic \"t\"",
            "push: t phx_leave (5, 8) {}",
            "channel: leave t",
            "channel: close t 5",
            "push: t phx_join (9, 9) {}",
        ]
    );
}

#[test]
fn leave_while_joining_cancels_the_join_timeout_and_ignores_a_late_ok() {
    let t = Harness::new();
    let ch = t.channel("t");
    let jp = t.join(&ch);
    t.receive(&jp, "ok", "ok");
    t.receive(&jp, "timeout", "timeout");
    t.connect();
    t.open();
    t.leave(&ch);
    t.recv(&reply("3", "3", "t", "ok", "{}"));
    t.advance(20_000.0);
    t.expect_calls(&[]);
    assert_eq!(t.state(&ch), "closed");
}

#[test]
fn phx_error_while_joining_resets_the_join_so_its_late_reply_is_stale() {
    let t = Harness::new();
    let ch = t.channel("t");
    let jp = t.join(&ch);
    t.receive(&jp, "ok", "ok");
    t.connect();
    t.open();
    t.recv(&frame("null", "null", "t", "phx_error", "{}"));
    assert_eq!(t.join_ref(&ch), "null");
    t.recv(&reply("3", "3", "t", "ok", "{}"));
    t.expect_calls(&[]);
    assert_eq!(t.state(&ch), "errored");
}

#[test]
fn a_removed_channel_does_not_rejoin_on_reopen() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    t.leave(&ch);
    t.server_close(1006.0);
    t.advance(10.0);
    t.take_sent();
    t.open();
    t.expect_sent(&[]);
}

#[test]
fn socket_off_removes_callbacks_by_ref() {
    let t = Harness::new();
    let r = t.sock_on_open("gone");
    t.sock_on_open("kept");
    t.socket.off(|x| Ok(x == r)).unwrap();
    t.connect();
    t.open();
    t.expect_calls(&["kept()"]);
}

#[test]
fn connection_state_follows_ready_state() {
    let t = Harness::new();
    assert_eq!(t.socket.connection_state(), "closed");
    t.connect();
    assert_eq!(t.socket.connection_state(), "connecting");
    t.open();
    assert_eq!(t.socket.connection_state(), "open");
    t.disconnect();
    assert_eq!(t.socket.connection_state(), "closing");
    t.advance(0.0);
    assert_eq!(t.socket.connection_state(), "closed");
}

#[test]
fn a_draining_connection_only_errors_the_joins_it_carried() {
    let t = Harness::new();
    let (a, _) = t.joined("a");
    t.on_error(&a, "aError");
    t.transport().buffered.set(true);
    t.disconnect(); // waits for the buffer
    t.connect(); // the old, still open connection errors its channels now
    t.expect_calls(&[r#"aError({"source":"transport","reason":"connection_closed"})"#]);
    t.open();
    t.expect_sent(&[r#"["4","4","a","phx_join",{}]"#]);
    let b = t.channel("b");
    t.on_error(&b, "bError");
    t.join(&b);
    // The old connection finishes draining and closes: neither channel is errored again.
    t.transports()[0].buffered.set(false);
    t.advance(2000.0);
    t.expect_calls(&[]);
    assert_eq!(t.state(&a), "joining");
    assert_eq!(t.state(&b), "joining");
}

#[test]
fn synchronous_close_during_heartbeat_timeout_errors_channels_once_and_reconnects() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    t.on_error(&ch, "onError");
    t.sock_on_close("onClose");
    t.w.sync_close.set(true);
    t.advance(60_000.0);
    assert_eq!(
        t.take_calls(),
        [
            r#"onError({"source":"transport","reason":"connection_closed"})"#,
            r#"onClose({"code":1000,"reason":"heartbeat timeout","wasClean":true})"#,
        ]
    );
    t.advance(10.0);
    assert_eq!(t.transports().len(), 2);
}

#[test]
fn synchronous_close_on_disconnect_calls_back_at_once() {
    let t = Harness::new();
    t.sock_on_close("onClose");
    t.connect();
    t.open();
    t.w.sync_close.set(true);
    t.disconnect_cb("done");
    t.expect_calls(&[
        r#"onClose({"code":1005,"reason":"","wasClean":true})"#,
        "done()",
    ]);
}

#[test]
fn rejoin_on_reopen_uses_the_join_timeout() {
    let t = Harness::new();
    let ch = t.channel("t");
    ch.join(Some(500.0)).unwrap();
    t.connect();
    t.open();
    t.recv(&reply("3", "3", "t", "ok", "{}"));
    t.server_close(1006.0);
    t.advance(10.0);
    t.take_timers();
    t.open();
    assert!(t
        .take_timers()
        .contains(&"push_timeout phx_join 500".to_owned()));
}

#[test]
fn buffered_pushes_flush_in_order() {
    let t = Harness::new();
    let ch = t.channel("t");
    t.join(&ch);
    t.push(&ch, "one", "{}"); // 4
    t.push(&ch, "two", "{}"); // 5
    t.connect();
    t.open();
    t.take_sent();
    t.recv(&reply("3", "3", "t", "ok", "{}"));
    t.expect_sent(&[r#"["3","6","t","one",{}]"#, r#"["3","7","t","two",{}]"#]);
}

#[test]
fn server_phx_close_with_a_null_join_ref_closes_the_channel() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    t.on_close(&ch, "onClose");
    t.recv(&frame(
        "null",
        "null",
        "t",
        "phx_close",
        r#"{"reason":"bye"}"#,
    ));
    t.expect_calls(&[r#"onClose({"reason":"bye"}, null, "3")"#]);
    assert_eq!(t.state(&ch), "closed");
}

#[test]
fn an_error_after_our_close_is_swallowed() {
    let t = Harness::new();
    t.sock_on_error("onError");
    t.connect();
    t.disconnect();
    t.error_on(&t.transports()[0]).unwrap();
    t.expect_calls(&[]);
}

#[test]
fn heartbeats_are_buffered_pushes_too() {
    // sendHeartbeat pushes even when not connected as long as no heartbeat is pending.
    let t = Harness::new();
    t.connect();
    t.open();
    t.transport().ready_state.set(2); // closing, with no close event yet
    t.advance(30_000.0);
    assert_eq!(t.socket.st.borrow().send_buffer.len(), 1);
}

#[test]
fn an_invalid_close_code_throws_out_of_disconnect_and_a_new_connect_still_works() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    t.on_error(&ch, "onError");
    let r = t.socket.disconnect(None, Some(1001.0), String::new());
    assert!(r.is_err());
    // The throw skipped erroring the channels and waiting for the close.
    t.expect_calls(&[]);
    assert!(t.socket.connection().is_some());
    t.connect();
    assert_eq!(t.transports().len(), 2);
}

#[test]
fn a_throwing_logger_stops_the_flush_and_keeps_the_push_buffer() {
    let t = Harness::build(Opts {
        logger: true,
        ..Opts::default()
    });
    let ch = t.channel("t");
    t.join(&ch);
    t.push(&ch, "one", "{}"); // 4
    t.push(&ch, "two", "{}"); // 5
    t.connect();
    t.open();
    t.take_sent();
    *t.w.logger_throws.borrow_mut() = Some("push".into());
    assert!(t.try_recv(&reply("3", "3", "t", "ok", "{}")).is_err());
    assert_eq!(t.state(&ch), "joined");
    assert_eq!(
        ch.st.borrow().push_buffer.len(),
        2,
        "phoenix.js clears pushBuffer only after the loop"
    );
    *t.w.logger_throws.borrow_mut() = None;
    // The next join ok flushes them again, with new refs.
    t.recv(&frame("3", "3", "t", "phx_error", "{}"));
    t.advance(1000.0);
    t.take_sent();
    t.recv(&reply("7", "7", "t", "ok", "{}"));
    t.expect_sent(&[r#"["7","8","t","one",{}]"#, r#"["7","9","t","two",{}]"#]);
}

#[test]
fn a_leave_whose_push_log_throws_closes_on_its_timeout_instead() {
    let t = Harness::build(Opts {
        logger: true,
        ..Opts::default()
    });
    let (ch, _) = t.joined("t");
    t.on_close(&ch, "onClose");
    *t.w.logger_throws.borrow_mut() = Some("push".into());
    assert!(ch.leave(None).is_err());
    *t.w.logger_throws.borrow_mut() = None;
    assert_eq!(t.state(&ch), "leaving");
    t.expect_calls(&[]);
    t.advance(10_000.0);
    t.expect_calls(&[r#"onClose("leave", undefined, "3")"#]);
    assert_eq!(t.state(&ch), "closed");
    assert!(t.topics().is_empty());
}

#[test]
fn a_throwing_connected_log_line_skips_the_whole_open() {
    let t = Harness::build(Opts {
        logger: true,
        ..Opts::default()
    });
    let ch = t.channel("t");
    t.join(&ch);
    t.sock_on_open("onOpen");
    t.connect();
    *t.w.logger_throws.borrow_mut() = Some("transport".into());
    assert!(t.try_open().is_err());
    *t.w.logger_throws.borrow_mut() = None;
    t.expect_sent(&[]);
    t.expect_calls(&[]);
    assert!(t
        .pending_timers()
        .iter()
        .all(|k| !k.starts_with("heartbeat")));
    assert_eq!(t.socket.st.borrow().established_connections, 0);
}
