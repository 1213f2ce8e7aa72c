//! Callbacks that call back into the socket, and exceptions thrown by callbacks.
//!
//! phoenix.js runs user code synchronously in the middle of its transitions, so each of these
//! must neither panic (no `RefCell` borrow may be held across a call out) nor reorder anything.
use std::rc::Rc;

use super::harness::*;
use crate::core::channel::BindingCb;
use crate::core::push::HookCb;
use crate::core::socket::SockCb;

fn boom(name: &str) -> Callback {
    let msg = name.to_owned();
    cb_with(name, move |_| Err(JsError(msg.clone())))
}

#[test]
fn leave_inside_the_join_ok_hook() {
    let t = Harness::new();
    let ch = t.channel("t");
    t.on_close(&ch, "onClose");
    let jp = t.join(&ch);
    let weak = Rc::downgrade(&ch);
    jp.receive(
        t.host(),
        "ok",
        HookCb::User(cb_with("joinOk", move |_| {
            weak.upgrade().unwrap().leave(None)?;
            Ok(None)
        })),
    )
    .unwrap();
    t.connect();
    t.open();
    t.clear();
    t.recv(&reply("3", "3", "t", "ok", "{}"));
    assert_eq!(
        t.take_log(),
        [
            "joinOk({})",
            r#"#1 > ["3","4","t","phx_leave",{}]"#,
            r#"onClose("leave", undefined, "3")"#
        ]
    );
    assert_eq!(t.state(&ch), "closed");
    assert!(t.topics().is_empty());
}

#[test]
fn push_inside_a_binding_is_sent_before_socket_on_message() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    let weak = Rc::downgrade(&ch);
    ch.on(
        "ping",
        BindingCb::User(cb_with("onPing", move |_| {
            weak.upgrade().unwrap().push("pong", json("{}"), None)?;
            Ok(None)
        })),
    );
    t.sock_on_message("sockMsg");
    t.clear();
    t.recv(&frame("null", "null", "t", "ping", "{}"));
    assert_eq!(
        t.take_log(),
        [
            r#"onPing({}, null, "3")"#,
            r#"#1 > ["3","5","t","pong",{}]"#,
            r#"sockMsg({"join_ref":null,"ref":null,"topic":"t","event":"ping","payload":{}})"#,
        ]
    );
}

#[test]
fn push_inside_a_reply_hook() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    let p = t.push(&ch, "first", "{}"); // 4
    let weak = Rc::downgrade(&ch);
    p.receive(
        t.host(),
        "ok",
        HookCb::User(cb_with("ok", move |_| {
            weak.upgrade().unwrap().push("second", json("{}"), None)?;
            Ok(None)
        })),
    )
    .unwrap();
    t.recv(&reply("3", "4", "t", "ok", "{}"));
    t.expect_sent(&[
        r#"["3","4","t","first",{}]"#,
        r#"["3","5","t","second",{}]"#,
    ]);
}

#[test]
fn connect_inside_on_close_is_a_no_op_and_the_backoff_still_runs() {
    let t = Harness::new();
    let sock = Rc::downgrade(&t.socket);
    t.socket.on_close(SockCb::User(cb_with("onClose", move |_| {
        sock.upgrade().unwrap().connect()?;
        Ok(None)
    })));
    t.connect();
    t.open();
    t.server_close(1006.0);
    assert_eq!(t.transports().len(), 1);
    t.advance(10.0);
    assert_eq!(t.transports().len(), 2);
}

#[test]
fn disconnect_inside_on_close_cancels_the_reconnect() {
    let t = Harness::new();
    let sock = Rc::downgrade(&t.socket);
    t.socket.on_close(SockCb::User(cb_with("onClose", move |_| {
        sock.upgrade()
            .unwrap()
            .disconnect(None, None, String::new())?;
        Ok(None)
    })));
    t.connect();
    t.open();
    t.server_close(1006.0);
    t.advance(60_000.0);
    assert_eq!(t.transports().len(), 1);
    assert!(t.socket.connection().is_none());
}

#[test]
fn disconnect_inside_a_channel_error_during_close_skips_the_reconnect() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    let sock = Rc::downgrade(&t.socket);
    ch.on(
        "phx_error",
        BindingCb::UserOnError(cb_with("onError", move |_| {
            sock.upgrade()
                .unwrap()
                .disconnect(None, None, String::new())?;
            Ok(None)
        })),
    );
    t.sock_on_close("onClose");
    t.take_timers();
    t.server_close(1006.0);
    assert_eq!(
        t.take_calls(),
        [
            r#"onError({"source":"transport","reason":"connection_closed"})"#,
            r#"onClose({"code":1006,"reason":"","wasClean":false})"#,
        ]
    );
    assert!(t.take_timers().iter().all(|k| !k.starts_with("reconnect")));
    t.advance(60_000.0);
    assert_eq!(t.transports().len(), 1);
}

#[test]
fn disconnect_inside_a_channel_error_on_heartbeat_timeout_skips_the_reconnect() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    let sock = Rc::downgrade(&t.socket);
    ch.on(
        "phx_error",
        BindingCb::UserOnError(cb_with("onError", move |_| {
            sock.upgrade()
                .unwrap()
                .disconnect(None, None, String::new())?;
            Ok(None)
        })),
    );
    t.advance(60_000.0);
    t.expect_calls(&[r#"onError({"source":"transport","reason":"heartbeat_timeout"})"#]);
    t.advance(60_000.0);
    assert_eq!(t.transports().len(), 1);
}

#[test]
fn connect_inside_a_channel_error_on_heartbeat_timeout_wins_over_the_reconnect() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    let sock = Rc::downgrade(&t.socket);
    ch.on(
        "phx_error",
        BindingCb::UserOnError(cb_with("onError", move |_| {
            let s = sock.upgrade().unwrap();
            s.disconnect(None, None, String::new())?;
            s.connect()?;
            Ok(None)
        })),
    );
    t.advance(60_000.0);
    assert_eq!(t.transports().len(), 2);
    t.advance(10_000.0);
    assert_eq!(
        t.transports().len(),
        2,
        "the teardown's reconnect is superseded"
    );
}

#[test]
fn join_inside_on_open() {
    let t = Harness::new();
    let ch = t.channel("t"); // 1, 2
    let c2 = ch.clone();
    t.socket.on_open(SockCb::User(cb_with("onOpen", move |_| {
        c2.join(None)?;
        Ok(None)
    }))); // 3
    t.connect();
    t.open();
    t.expect_sent(&[r#"["4","4","t","phx_join",{}]"#]);
}

#[test]
fn channel_left_during_a_broadcast_still_gets_it_from_the_snapshot() {
    let t = Harness::new();
    let a = t.channel("t");
    let b = t.channel("t");
    t.connect();
    t.open();
    t.join(&b);
    let bw = Rc::downgrade(&b);
    a.on(
        "x",
        BindingCb::User(cb_with("a", move |_| {
            bw.upgrade().unwrap().leave(None)?;
            Ok(None)
        })),
    );
    t.on(&b, "x", "b");
    t.recv(&frame("null", "null", "t", "x", "{}"));
    t.expect_calls(&["a({}, null, undefined)", r#"b({}, null, "5")"#]);
    assert_eq!(t.socket.channels().len(), 1);
}

#[test]
fn disconnect_callback_that_connects_again() {
    let t = Harness::new();
    t.connect();
    t.open();
    let sock = Rc::downgrade(&t.socket);
    t.socket
        .disconnect(
            Some(cb_with("done", move |_| {
                sock.upgrade().unwrap().connect()?;
                Ok(None)
            })),
            None,
            String::new(),
        )
        .unwrap();
    t.advance(150.0);
    assert_eq!(t.transports().len(), 2);
    t.open();
    assert!(t.socket.is_connected());
}

#[test]
fn leave_inside_on_error_during_a_failed_connect() {
    let t = Harness::new();
    let ch = t.channel("t");
    t.on_close(&ch, "onClose");
    let weak = Rc::downgrade(&ch);
    ch.on(
        "phx_error",
        BindingCb::UserOnError(cb_with("onError", move |_| {
            weak.upgrade().unwrap().leave(None)?;
            Ok(None)
        })),
    );
    t.join(&ch);
    t.connect();
    t.fail_connect();
    t.expect_calls(&[
        r#"onError({"source":"transport","reason":"connection_error"})"#,
        r#"onClose("leave", undefined, null)"#,
    ]);
    t.advance(10.0);
    t.open();
    t.expect_sent(&[]);
}

#[test]
fn an_exception_in_a_binding_skips_the_rest_of_the_dispatch() {
    let t = Harness::new();
    let a = t.channel("t");
    let b = t.channel("t");
    a.on("x", BindingCb::User(boom("a1")));
    t.on(&a, "x", "a2");
    t.on(&b, "x", "b");
    t.sock_on_message("sockMsg");
    t.connect();
    t.open();
    assert_eq!(
        t.try_recv(&frame("null", "null", "t", "x", "{}")),
        Err(JsError("a1".into()))
    );
    t.expect_calls(&["a1({}, null, undefined)"]);
}

#[test]
fn an_exception_in_a_receive_hook_skips_later_hooks() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    let p = t.push(&ch, "ask", "{}");
    p.receive(t.host(), "ok", HookCb::User(boom("first")))
        .unwrap();
    t.receive(&p, "ok", "second");
    assert!(t.try_recv(&reply("3", "4", "t", "ok", "{}")).is_err());
    t.expect_calls(&["first({})"]);
}

#[test]
fn an_exception_in_on_close_comes_out_of_leave_after_the_removal() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    ch.on("phx_close", BindingCb::User(boom("onClose")));
    assert_eq!(ch.leave(None).err(), Some(JsError("onClose".into())));
    assert_eq!(t.state(&ch), "closed");
    assert!(t.topics().is_empty());
}

#[test]
fn an_exception_in_reconnect_after_ms_comes_out_of_onclose() {
    let t = Harness::build(Opts {
        reconnect_after_ms: Some(quiet("backoff", |_| Err(JsError("backoff".into())))),
        ..Opts::default()
    });
    t.sock_on_close("onClose");
    t.connect();
    t.open();
    assert_eq!(t.try_server_close(1006.0), Err(JsError("backoff".into())));
    t.expect_calls(&[]);
}

#[test]
fn an_exception_in_a_timer_is_uncaught_and_the_clock_goes_on() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    let p = t.push(&ch, "ask", "{}");
    p.receive(t.host(), "timeout", HookCb::User(boom("timeout")))
        .unwrap();
    t.advance(10_000.0);
    assert_eq!(t.take_uncaught(), ["uncaught timeout"]);
    t.advance(20_000.0);
    t.expect_sent(&[
        r#"["3","4","t","ask",{}]"#,
        r#"[null,"5","phoenix","heartbeat",{}]"#,
    ]);
}

#[test]
fn an_exception_in_on_error_skips_the_channel_errors() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    t.socket.on_error(SockCb::User(boom("onError")));
    assert!(t.try_error().is_err());
    assert_eq!(t.state(&ch), "joined");
}

#[test]
fn async_codec_join_counts_as_carried_while_encoding() {
    let t = Harness::new();
    let ch = t.channel("t");
    t.on_error(&ch, "onError");
    t.connect();
    t.open();
    t.w.defer_codec.set(true);
    t.join(&ch);
    // The connection drops before the encoder calls back: the channel still errors.
    t.server_close(1006.0);
    t.expect_calls(&[r#"onError({"source":"transport","reason":"connection_closed"})"#]);
    t.finish_codec().unwrap();
    t.expect_sent(&[]);
}

#[test]
fn async_decode_finishing_after_a_close_is_dropped() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    t.on(&ch, "x", "x");
    t.w.defer_codec.set(true);
    t.recv(&frame("null", "null", "t", "x", "{}"));
    t.server_close(1006.0);
    t.w.defer_codec.set(false);
    t.finish_codec().unwrap();
    t.expect_calls(&[]);
}

#[test]
fn disconnect_inside_socket_on_message_still_runs_the_ping_callback() {
    let t = Harness::new();
    t.connect();
    t.open();
    let sock = Rc::downgrade(&t.socket);
    t.socket
        .on_message(SockCb::User(cb_with("onMessage", move |_| {
            sock.upgrade()
                .unwrap()
                .disconnect(None, None, String::new())?;
            Ok(None)
        })));
    assert!(t.socket.ping(cb("pong")).unwrap());
    t.advance(5.0);
    t.recv(&reply("null", "2", "phoenix", "ok", "{}"));
    assert_eq!(
        t.take_calls(),
        [
            r#"onMessage({"join_ref":null,"ref":"2","topic":"phoenix","event":"phx_reply","payload":{"status":"ok","response":{}}})"#,
            "pong(5)",
        ]
    );
}

#[test]
fn a_binding_that_rejoins_another_channel_during_a_transport_error() {
    // triggerChanError re-reads each channel's joinRef right before erroring it, so a channel
    // that an earlier callback rejoined is not errored. (A joined channel that rejoins finds
    // itself in leaveOpenTopic and leaves itself first, as in phoenix.js.)
    let t = Harness::new();
    let a = t.channel("a");
    let b = t.channel("b");
    t.on_error(&b, "bError");
    t.connect();
    t.open();
    t.join(&a);
    t.join(&b);
    t.recv(&reply("5", "5", "a", "ok", "{}"));
    t.recv(&reply("6", "6", "b", "ok", "{}"));
    let bw = Rc::downgrade(&b);
    a.on(
        "phx_error",
        BindingCb::UserOnError(cb_with("aError", move |_| {
            let b = bw.upgrade().unwrap();
            let sock = b.socket.upgrade().unwrap();
            b.rejoin(&sock, 10_000.0)?;
            Ok(None)
        })),
    );
    t.take_sent();
    t.error();
    t.expect_calls(&[r#"aError({"source":"transport","reason":"connection_error"})"#]);
    assert_eq!(t.state(&b), "joining");
    t.expect_sent(&[
        r#"["6","7","b","phx_leave",{}]"#,
        r#"["8","8","b","phx_join",{}]"#,
    ]);
    assert_eq!(t.topics(), ["a"]);
}

#[test]
fn a_synchronous_server_answers_from_inside_send() {
    let t = Harness::new();
    t.connect();
    t.open();
    t.w.auto_reply.set(true);
    let ch = t.channel("t");
    t.on_close(&ch, "onClose");
    let jp = t.join(&ch);
    // The join ok arrived inside join().
    assert_eq!(t.state(&ch), "joined");
    t.receive(&jp, "ok", "joinOk");
    let p = t.push(&ch, "ask", "{}");
    t.receive(&p, "ok", "pushOk");
    t.expect_calls(&["joinOk({})", "pushOk({})"]);
    t.leave(&ch);
    t.expect_calls(&[r#"onClose("leave", undefined, "3")"#]);
    // Heartbeats are answered at once too.
    t.advance(90_000.0);
    assert_eq!(t.transports().len(), 1);
}

#[test]
fn a_synchronous_server_flushes_the_push_buffer_from_inside_the_flush() {
    let t = Harness::new();
    let ch = t.channel("t");
    t.join(&ch);
    let a = t.push(&ch, "a", "{}");
    let b = t.push(&ch, "b", "{}");
    t.receive(&a, "ok", "aOk");
    t.receive(&b, "ok", "bOk");
    t.connect();
    t.w.auto_reply.set(true);
    t.open();
    t.expect_sent(&[
        r#"["3","3","t","phx_join",{}]"#,
        r#"["3","6","t","a",{}]"#,
        r#"["3","7","t","b",{}]"#,
    ]);
    t.expect_calls(&["aOk({})", "bOk({})"]);
    assert!(ch.st.borrow().push_buffer.is_empty());
}

#[test]
fn disconnect_inside_on_open_before_a_channel_rejoin_buffers_the_rejoin() {
    let t = Harness::new();
    let quit = Rc::new(std::cell::Cell::new(false));
    let q = quit.clone();
    let sock = Rc::downgrade(&t.socket);
    t.socket.on_open(SockCb::User(cb_with("onOpen", move |_| {
        if q.get() {
            sock.upgrade()
                .unwrap()
                .disconnect(None, None, String::new())?;
        }
        Ok(None)
    }))); // 1
    let ch = t.channel("t"); // 2, 3
    t.join(&ch); // 4
    t.connect();
    t.open();
    t.recv(&reply("4", "4", "t", "ok", "{}"));
    t.server_close(1006.0);
    t.advance(10.0);
    quit.set(true);
    t.take_sent();
    t.open();
    // The channel's own open callback still ran after the disconnect: its rejoin is buffered.
    t.expect_sent(&[]);
    assert_eq!(t.state(&ch), "joining");
    quit.set(false);
    t.advance(1000.0);
    t.connect();
    t.open();
    t.expect_sent(&[r#"["5","5","t","phx_join",{}]"#]);
}

#[test]
fn socket_callback_lists_are_snapshots_during_dispatch() {
    let t = Harness::new();
    let sock = Rc::downgrade(&t.socket);
    let later = Rc::new(std::cell::RefCell::new(String::new()));
    let l2 = later.clone();
    t.socket.on_open(SockCb::User(cb_with("first", move |_| {
        let s = sock.upgrade().unwrap();
        // Removing a later callback does not stop it this time (off() replaces the list)...
        let r = l2.borrow().clone();
        s.off(|x| Ok(x == r))?;
        // ...and one added now waits for the next open.
        s.on_open(SockCb::User(cb("added")));
        Ok(None)
    })));
    *later.borrow_mut() = t.sock_on_open("removed");
    t.connect();
    t.open();
    t.expect_calls(&["first()", "removed()"]);
    t.server_close(1006.0);
    t.advance(10.0);
    t.open();
    t.expect_calls(&["first()", "added()"]);
}
