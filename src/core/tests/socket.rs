//! Socket: refs, connect/disconnect, the send buffer, transport events and their order.
use super::harness::*;

#[test]
fn first_join_of_a_fresh_socket_is_ref_3() {
    let t = Harness::new();
    let ch = t.channel("room:lobby");
    t.join(&ch);
    t.connect();
    t.open();
    t.expect_sent(&[r#"["3","3","room:lobby","phx_join",{}]"#]);
    t.recv(&reply("3", "3", "room:lobby", "ok", "{}"));
    assert_eq!(t.state(&ch), "joined");
}

#[test]
fn callback_registrations_consume_wire_refs() {
    let t = Harness::new();
    assert_eq!(t.sock_on_open("open"), "1");
    assert_eq!(t.sock_on_close("close"), "2");
    assert_eq!(t.sock_on_error("error"), "3");
    assert_eq!(t.sock_on_message("message"), "4");
    let ch = t.channel("room:lobby"); // 5, 6
    t.join(&ch); // 7
    t.connect();
    t.open();
    t.expect_sent(&[r#"["7","7","room:lobby","phx_join",{}]"#]);
    assert_eq!(t.socket.make_ref(), "8");
}

#[test]
fn connect_builds_the_url_and_is_a_no_op_while_connecting_or_open() {
    let t = Harness::new();
    t.connect();
    t.connect();
    assert_eq!(
        t.take_transport_ops(),
        ["#1 new ws://example.com/socket/websocket?vsn=2.0.0"]
    );
    assert_eq!(t.socket.connection_state(), "connecting");
    t.open();
    t.connect();
    assert_eq!(t.socket.connection_state(), "open");
    assert!(t.take_transport_ops().is_empty());
}

#[test]
fn params_and_auth_token_reach_the_transport() {
    let t = Harness::build(Opts {
        params: Some(json(r#"{"token":"a b"}"#)),
        auth_token: Some("abc".into()),
        ..Opts::default()
    });
    t.connect();
    let tr = t.transport();
    assert_eq!(
        tr.url,
        "ws://example.com/socket/websocket?token=a%20b&vsn=2.0.0"
    );
    assert_eq!(tr.protocols.as_deref(), Some("base64url.bearer.phx.YWJj"));
}

#[test]
fn connect_is_a_no_op_while_waiting_to_reconnect() {
    let t = Harness::new();
    t.connect();
    t.open();
    t.server_close(1006.0);
    t.take_timers();
    t.connect();
    assert_eq!(
        t.transports().len(),
        1,
        "connect() must not cut the backoff short"
    );
    t.advance(9.0);
    assert_eq!(t.transports().len(), 1);
    t.advance(1.0);
    assert_eq!(t.transports().len(), 2);
}

#[test]
fn disconnect_without_a_connection_calls_back_synchronously() {
    let t = Harness::new();
    t.disconnect_cb("done");
    t.expect_calls(&["done()"]);
}

#[test]
fn disconnect_calls_back_after_polling_ready_state() {
    let t = Harness::new();
    t.sock_on_close("onClose");
    t.connect();
    t.open();
    t.clear();
    t.socket
        .disconnect(Some(cb("done")), Some(4000.0), "bye".into())
        .unwrap();
    assert_eq!(t.take_transport_ops(), ["#1 close(4000, \"bye\")"]);
    t.expect_calls(&[]);
    // The close event comes first (0 ms), the callback at the first poll (150 ms).
    t.advance(0.0);
    t.expect_calls(&[r#"onClose({"code":4000,"reason":"bye","wasClean":true})"#]);
    t.advance(149.0);
    t.expect_calls(&[]);
    t.advance(1.0);
    t.expect_calls(&["done()"]);
    assert!(t.socket.connection().is_none());
    // An intentional close never reconnects.
    t.advance(60_000.0);
    assert_eq!(t.transports().len(), 1);
}

#[test]
fn disconnect_gives_up_waiting_for_close_after_1500_ms() {
    let t = Harness::new();
    t.w.close_delay.set(None);
    t.connect();
    t.open();
    t.clear();
    t.disconnect_cb("done");
    assert_eq!(t.take_timers(), ["closed_wait 150"]);
    t.advance(1499.0);
    t.expect_calls(&[]);
    assert_eq!(
        t.take_timers(),
        ["closed_wait 300", "closed_wait 450", "closed_wait 600"]
    );
    t.advance(1.0);
    t.expect_calls(&["done()"]);
    assert!(t.socket.connection().is_none());
}

#[test]
fn disconnect_waits_for_the_buffer_to_drain_first() {
    let t = Harness::new();
    t.connect();
    t.open();
    t.clear();
    t.transport().buffered.set(true);
    t.disconnect_cb("done");
    assert!(
        t.take_transport_ops().is_empty(),
        "not closed while bufferedAmount > 0"
    );
    t.advance(150.0);
    t.transport().buffered.set(false);
    t.advance(300.0);
    assert_eq!(t.take_transport_ops(), ["#1 close()"]);
    assert_eq!(
        t.take_timers(),
        ["buffer_wait 150", "buffer_wait 300", "closed_wait 150"]
    );
    t.advance(150.0);
    t.expect_calls(&["done()"]);
}

#[test]
fn disconnect_of_a_closed_connection_calls_back_at_once() {
    let t = Harness::new();
    t.connect();
    t.open();
    t.server_close(1006.0);
    t.disconnect_cb("done");
    t.expect_calls(&["done()"]);
    t.advance(10_000.0);
    assert_eq!(t.transports().len(), 1, "disconnect cancels the reconnect");
}

#[test]
fn connect_right_after_disconnect_builds_a_new_connection_at_once() {
    let t = Harness::new();
    t.sock_on_close("onClose");
    t.connect();
    t.open();
    t.disconnect();
    t.connect();
    assert_eq!(t.transports().len(), 2);
    // The old transport's close event no longer concerns the socket.
    t.advance(0.0);
    t.expect_calls(&[]);
    t.open();
    assert!(t.socket.is_connected());
}

#[test]
fn disconnected_channels_rejoin_on_the_next_connect() {
    let t = Harness::new();
    let (ch, _) = t.joined("room:lobby");
    t.on_error(&ch, "onError");
    t.disconnect();
    t.expect_calls(&[r#"onError({"source":"transport","reason":"connection_closed"})"#]);
    assert_eq!(t.state(&ch), "errored");
    t.advance(1000.0);
    t.connect();
    t.open();
    t.expect_sent(&[r#"["4","4","room:lobby","phx_join",{}]"#]);
}

#[test]
fn send_buffer_flushes_in_order_before_on_open_callbacks() {
    let t = Harness::new();
    t.sock_on_open("onOpen"); // 1
    let a = t.channel("a"); // 2, 3
    let b = t.channel("b"); // 4, 5
    t.join(&a); // 6
    t.join(&b); // 7
    t.connect();
    t.take_log();
    t.open();
    assert_eq!(
        t.take_log(),
        [
            r#"#1 > ["6","6","a","phx_join",{}]"#,
            r#"#1 > ["7","7","b","phx_join",{}]"#,
            "onOpen()",
        ]
    );
}

#[test]
fn raw_socket_pushes_are_buffered_and_always_flushed() {
    use crate::core::host::Outgoing;
    use crate::core::RefVal;
    let t = Harness::new();
    let msg = Outgoing {
        topic: "phoenix".into(),
        event: "custom".into(),
        payload: json(r#"{"x":1}"#),
        ref_: RefVal::Str("99".into()),
        join_ref: RefVal::Null,
        raw: None,
    };
    t.socket.push(msg, None).unwrap();
    assert_eq!(t.socket.st.borrow().send_buffer.len(), 1);
    t.connect();
    t.open();
    t.expect_sent(&[r#"[null,"99","phoenix","custom",{"x":1}]"#]);
    assert!(t.socket.st.borrow().send_buffer.is_empty());
}

#[test]
fn outdated_buffered_join_is_dropped_and_the_rejoin_goes_out_instead() {
    let t = Harness::new();
    let ch = t.channel("room:lobby");
    t.join(&ch); // "3", buffered
    t.connect();
    t.fail_connect();
    assert_eq!(t.state(&ch), "errored");
    assert_eq!(t.join_ref(&ch), "null");
    t.advance(10.0);
    assert_eq!(t.transports().len(), 2);
    t.open();
    t.expect_sent(&[r#"["4","4","room:lobby","phx_join",{}]"#]);
}

#[test]
fn send_buffer_survives_disconnect() {
    use crate::core::host::Outgoing;
    use crate::core::RefVal;
    let t = Harness::new();
    let msg = Outgoing {
        topic: "phoenix".into(),
        event: "x".into(),
        payload: json("{}"),
        ref_: RefVal::Undefined,
        join_ref: RefVal::Undefined,
        raw: None,
    };
    t.socket.push(msg, None).unwrap();
    t.disconnect();
    t.connect();
    t.open();
    t.expect_sent(&[r#"[null,null,"phoenix","x",{}]"#]);
}

#[test]
fn order_on_server_close_is_channel_errors_then_reconnect_then_on_close() {
    let t = Harness::new();
    let (ch, _) = t.joined("room:lobby");
    t.on_error(&ch, "chanError");
    t.sock_on_close("onClose");
    t.take_timers();
    t.server_close(1000.0);
    assert_eq!(
        t.take_calls(),
        [
            r#"chanError({"source":"transport","reason":"connection_closed"})"#,
            r#"onClose({"code":1000,"reason":"","wasClean":true})"#,
        ]
    );
    assert_eq!(
        t.take_timers(),
        ["reconnect 10"],
        "any server close reconnects, 1000 too"
    );
}

#[test]
fn on_error_gets_the_error_the_transport_class_and_established_count() {
    let t = Harness::new();
    t.sock_on_error("onError");
    t.connect();
    t.open();
    t.error();
    t.expect_calls(&[r#"onError("error", "WebSocket", 1)"#]);
}

#[test]
fn failed_connect_errors_joining_channels_once_and_resets_their_join() {
    let t = Harness::new();
    let ch = t.channel("room:lobby");
    t.on_error(&ch, "chanError");
    t.join(&ch);
    t.connect();
    t.fail_connect();
    t.expect_calls(&[r#"chanError({"source":"transport","reason":"connection_error"})"#]);
    assert_eq!(t.join_ref(&ch), "null");
}

#[test]
fn messages_of_a_replaced_transport_are_ignored() {
    let t = Harness::new();
    let (ch, _) = t.joined("room:lobby");
    t.on(&ch, "msg", "msg");
    let old = t.transport();
    t.disconnect();
    t.connect();
    t.recv_on(&old, &frame("null", "null", "room:lobby", "msg", "{}"))
        .unwrap();
    t.error_on(&old).unwrap();
    t.expect_calls(&[]);
}

#[test]
fn socket_on_message_sees_every_message_after_the_channels() {
    let t = Harness::new();
    let (ch, _) = t.joined("room:lobby");
    t.on(&ch, "msg", "chanMsg");
    t.sock_on_message("sockMsg");
    t.recv(&frame("999", "null", "room:lobby", "msg", "{}")); // stale join_ref
    t.recv(&frame("3", "null", "room:lobby", "msg", "{}"));
    t.recv(&frame("null", "null", "other", "x", "1"));
    assert_eq!(
        t.take_calls(),
        [
            r#"sockMsg({"join_ref":"999","ref":null,"topic":"room:lobby","event":"msg","payload":{}})"#,
            r#"chanMsg({}, null, "3")"#,
            r#"sockMsg({"join_ref":"3","ref":null,"topic":"room:lobby","event":"msg","payload":{}})"#,
            r#"sockMsg({"join_ref":null,"ref":null,"topic":"other","event":"x","payload":1})"#,
        ]
    );
}

#[test]
fn ping_sends_a_heartbeat_and_reports_the_round_trip() {
    let t = Harness::new();
    assert!(
        !t.socket.ping(cb("pong")).unwrap(),
        "false when not connected"
    );
    t.connect();
    t.open();
    assert!(t.socket.ping(cb("pong")).unwrap());
    t.expect_sent(&[r#"[null,"1","phoenix","heartbeat",{}]"#]);
    t.advance(42.0);
    t.recv(&reply("null", "1", "phoenix", "ok", "{}"));
    t.expect_calls(&["pong(42)"]);
    t.recv(&reply("null", "1", "phoenix", "ok", "{}"));
    t.expect_calls(&[]);
}

#[test]
fn a_ping_is_forgotten_with_its_connection() {
    let t = Harness::new();
    t.connect();
    t.open();
    assert!(t.socket.ping(cb("pong")).unwrap());
    t.disconnect();
    t.connect();
    t.open();
    t.recv(&reply("null", "1", "phoenix", "ok", "{}"));
    t.expect_calls(&[]);
}

#[test]
fn an_exception_in_on_open_skips_the_later_callbacks() {
    let t = Harness::new();
    t.socket
        .on_open(crate::core::socket::SockCb::User(cb_with("boom", |_| {
            Err(JsError("boom".into()))
        })));
    t.sock_on_open("later");
    t.connect();
    assert_eq!(t.try_open(), Err(JsError("boom".into())));
    t.expect_calls(&["boom()"]);
    // The steps before the callbacks did happen.
    assert!(t.socket.is_connected());
    assert_eq!(t.take_timers(), ["heartbeat 30000"]);
}

#[test]
fn an_exception_in_a_channel_error_callback_skips_reconnect_and_on_close() {
    let t = Harness::new();
    let (ch, _) = t.joined("room:lobby");
    ch.on(
        "phx_error",
        crate::core::channel::BindingCb::UserOnError(cb_with("throws", |_| {
            Err(JsError("x".into()))
        })),
    );
    t.sock_on_close("onClose");
    assert_eq!(t.try_server_close(1006.0), Err(JsError("x".into())));
    t.expect_calls(&[r#"throws({"source":"transport","reason":"connection_closed"})"#]);
    assert!(
        t.take_timers().is_empty(),
        "phoenix.js throws before scheduling the reconnect"
    );
}

#[test]
fn reconnect_timer_while_page_hidden_tears_down_without_reconnecting() {
    let t = Harness::build(Opts {
        logger: true,
        ..Opts::default()
    });
    t.connect();
    t.open();
    t.server_close(1006.0);
    t.take_logs();
    t.w.page_hidden.set(true);
    t.advance(10.0);
    assert_eq!(
        t.take_logs(),
        ["Not reconnecting as page is hidden!: undefined"]
    );
    assert_eq!(t.transports().len(), 1);
    assert!(t.socket.connection().is_none());
    // Shown again: the unintended close reconnects at once.
    t.w.page_hidden.set(false);
    t.socket.handle_visibility_change().unwrap();
    assert_eq!(t.transports().len(), 2);
}

#[test]
fn visibility_reconnect_resets_the_backoff() {
    let t = Harness::new();
    t.connect();
    t.fail_connect();
    t.advance(10.0);
    t.fail_connect();
    assert_eq!(t.take_timers(), ["reconnect 10", "reconnect 50"]);
    t.socket.handle_visibility_change().unwrap();
    assert_eq!(t.transports().len(), 3);
    t.fail_connect();
    assert_eq!(t.take_timers(), ["reconnect 10"]);
}

#[test]
fn visibility_change_does_nothing_after_an_intentional_disconnect() {
    let t = Harness::new();
    t.connect();
    t.open();
    t.disconnect();
    t.advance(1000.0);
    t.socket.handle_visibility_change().unwrap();
    assert_eq!(t.transports().len(), 1);
}

#[test]
fn pagehide_disconnects_and_pageshow_reconnects() {
    let t = Harness::new();
    t.connect();
    t.open();
    t.socket.handle_pagehide().unwrap();
    assert_eq!(
        t.take_transport_ops(),
        [
            "#1 new ws://example.com/socket/websocket?vsn=2.0.0",
            "#1 close()"
        ]
    );
    t.advance(1000.0);
    t.socket.handle_pageshow().unwrap();
    assert_eq!(t.transports().len(), 2);
}

#[test]
fn logger_lines_for_connect_push_and_receive() {
    let t = Harness::build(Opts {
        logger: true,
        ..Opts::default()
    });
    let ch = t.channel("room:lobby");
    t.join(&ch);
    t.connect();
    t.open();
    t.recv(&reply("3", "3", "room:lobby", "ok", "{}"));
    assert_eq!(
        t.take_logs(),
        [
            "push: room:lobby phx_join (3, 3) {}",
            "transport: WebSocket connected to ws://example.com/socket/websocket?vsn=2.0.0",
            r#"receive: ok room:lobby phx_reply (3) {"status":"ok","response":{}}"#,
        ]
    );
}

#[test]
fn receive_log_throws_on_a_null_payload() {
    let t = Harness::build(Opts {
        logger: true,
        ..Opts::default()
    });
    t.connect();
    t.open();
    assert!(t.try_recv(r#"[null,null,"t","e",null]"#).is_err());
}

#[test]
fn replace_transport_closes_errors_channels_and_does_not_reconnect() {
    let t = Harness::new();
    let (ch, _) = t.joined("room:lobby");
    t.on_error(&ch, "onError");
    t.socket.replace_transport("LongPoll".into()).unwrap();
    assert_eq!(t.take_transport_ops(), ["#1 close()"]);
    t.expect_calls(&[r#"onError({"source":"transport","reason":"connection_closed"})"#]);
    assert!(t.socket.connection().is_none());
    t.advance(10_000.0);
    assert_eq!(t.transports().len(), 1);
    t.connect();
    assert_eq!(t.transports().len(), 2);
}

#[test]
fn transport_constructor_exception_leaves_no_connection() {
    let t = Harness::new();
    *t.w.open_error.borrow_mut() = Some("SyntaxError".into());
    assert_eq!(t.socket.connect(), Err(JsError("SyntaxError".into())));
    assert!(t.socket.connection().is_none());
    *t.w.open_error.borrow_mut() = None;
    t.connect();
    assert_eq!(t.transports().len(), 1);
}

#[test]
fn resume_and_visibilitychange_together_connect_once() {
    let t = Harness::new();
    t.connect();
    t.open();
    t.server_close(1006.0);
    t.socket.handle_visibility_change().unwrap(); // visibilitychange
    t.socket.handle_visibility_change().unwrap(); // document resume
    assert_eq!(t.transports().len(), 2);
    t.advance(10_000.0);
    assert_eq!(t.transports().len(), 2, "the pending reconnect was reset");
}

#[test]
fn pageshow_does_not_reconnect_after_an_explicit_connect() {
    let t = Harness::new();
    t.connect();
    t.open();
    t.socket.handle_pagehide().unwrap();
    t.connect();
    t.socket.handle_pageshow().unwrap();
    assert_eq!(t.transports().len(), 2);
    // pagehide without a live connection does nothing, so pageshow does nothing either.
    let t = Harness::new();
    t.socket.handle_pagehide().unwrap();
    t.socket.handle_pageshow().unwrap();
    assert!(t.transports().is_empty());
}

#[test]
fn hidden_visibility_change_forgets_the_visibility_connection() {
    let t = Harness::new();
    t.connect();
    t.open();
    t.server_close(1006.0);
    t.socket.handle_visibility_change().unwrap();
    assert_eq!(t.transports().len(), 2);
    t.w.page_hidden.set(true);
    t.socket.handle_visibility_change().unwrap();
    t.w.page_hidden.set(false);
    // The connection made for the first "visible" is still connecting, but it is no longer
    // the visibility connection, so showing the page again tears it down and starts over
    // (after the 150 ms readyState poll, as it was closed while connecting).
    t.socket.handle_visibility_change().unwrap();
    assert_eq!(t.take_transport_ops().last().unwrap(), "#2 close()");
    t.advance(149.0);
    assert_eq!(t.transports().len(), 2);
    t.advance(1.0);
    assert_eq!(t.transports().len(), 3);
}
