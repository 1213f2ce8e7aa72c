//! Reconnect and rejoin backoff, observed through the timers the core arms.
use std::rc::Rc;

use super::harness::*;

fn reconnect_delays(t: &Harness) -> Vec<String> {
    t.take_timers()
        .into_iter()
        .filter(|k| k.starts_with("reconnect"))
        .collect()
}

#[test]
fn reconnect_backoff_table_then_5000() {
    let t = Harness::new();
    t.connect();
    let mut delays = Vec::new();
    for _ in 0..11 {
        t.fail_connect();
        let d = reconnect_delays(&t);
        assert_eq!(d.len(), 1);
        let ms: f64 = d[0].trim_start_matches("reconnect ").parse().unwrap();
        let before = t.transports().len();
        t.advance(ms - 1.0);
        assert_eq!(t.transports().len(), before);
        t.advance(1.0);
        assert_eq!(t.transports().len(), before + 1);
        delays.push(ms);
    }
    assert_eq!(
        delays,
        [10.0, 50.0, 100.0, 150.0, 200.0, 250.0, 500.0, 1000.0, 2000.0, 5000.0, 5000.0]
    );
    // An open resets the tries.
    t.open();
    t.server_close(1006.0);
    assert_eq!(reconnect_delays(&t), ["reconnect 10"]);
}

#[test]
fn custom_reconnect_after_ms_gets_one_based_tries() {
    let t = Harness::build(Opts {
        reconnect_after_ms: Some(backoff(|n| f64::from(n) * 100.0)),
        ..Opts::default()
    });
    t.connect();
    for _ in 0..3 {
        t.fail_connect();
        t.step();
    }
    assert_eq!(
        reconnect_delays(&t),
        ["reconnect 100", "reconnect 200", "reconnect 300"]
    );
}

#[test]
fn rejoin_backoff_table_then_10000() {
    let t = Harness::new();
    let ch = t.channel("room:lobby");
    t.join(&ch);
    t.connect();
    t.open();
    let mut delays = Vec::new();
    for _ in 0..5 {
        let r = t.join_ref(&ch);
        t.take_timers();
        t.recv(&reply(
            &r,
            &r,
            "room:lobby",
            "error",
            r#"{"reason":"nope"}"#,
        ));
        assert_eq!(t.state(&ch), "errored");
        let timers = t.take_timers();
        assert_eq!(timers.len(), 1, "{timers:?}");
        let ms: f64 = timers[0]
            .trim_start_matches("rejoin room:lobby ")
            .parse()
            .unwrap();
        t.take_sent();
        t.advance(ms - 1.0);
        t.expect_sent(&[]);
        t.advance(1.0);
        assert_eq!(t.take_sent().len(), 1);
        assert_eq!(t.state(&ch), "joining");
        delays.push(ms);
    }
    assert_eq!(delays, [1000.0, 2000.0, 5000.0, 10000.0, 10000.0]);
    // Join ok resets the tries.
    let r = t.join_ref(&ch);
    t.recv(&reply(&r, &r, "room:lobby", "ok", "{}"));
    t.take_timers();
    t.recv(&frame(&r, &r, "room:lobby", "phx_error", "{}"));
    assert_eq!(t.take_timers(), ["rejoin room:lobby 1000"]);
}

#[test]
fn custom_rejoin_after_ms() {
    let t = Harness::build(Opts {
        rejoin_after_ms: Some(backoff(|n| f64::from(n) * 7.0)),
        ..Opts::default()
    });
    let (_ch, _) = t.joined("t");
    t.recv(&frame("3", "3", "t", "phx_error", "{}"));
    assert_eq!(t.take_timers(), ["rejoin t 7"]);
}

#[test]
fn join_error_then_rejoin() {
    let t = Harness::new();
    let ch = t.channel("room:lobby");
    let jp = t.join(&ch);
    t.receive(&jp, "error", "error");
    t.connect();
    t.open();
    t.recv(&reply(
        "3",
        "3",
        "room:lobby",
        "error",
        r#"{"reason":"unauthorized"}"#,
    ));
    t.expect_calls(&[r#"error({"reason":"unauthorized"})"#]);
    assert_eq!(
        t.join_ref(&ch),
        "3",
        "an error reply does not reset the join push"
    );
    t.take_sent();
    t.advance(1000.0);
    t.expect_sent(&[r#"["4","4","room:lobby","phx_join",{}]"#]);
}

#[test]
fn join_timeout_sends_a_leave_resets_and_rejoins() {
    let t = Harness::new();
    let ch = t.channel("room:lobby");
    let jp = t.join(&ch);
    t.receive(&jp, "timeout", "timeout");
    t.connect();
    t.open();
    t.clear();
    t.advance(10_000.0);
    assert_eq!(
        t.take_log(),
        [
            r#"#1 > ["3","4","room:lobby","phx_leave",{}]"#,
            "timeout({})"
        ]
    );
    assert_eq!(t.state(&ch), "errored");
    assert_eq!(t.join_ref(&ch), "null");
    assert_eq!(
        t.take_timers(),
        ["push_timeout phx_leave 10000", "rejoin room:lobby 1000"]
    );
    t.advance(1000.0);
    t.expect_sent(&[r#"["5","5","room:lobby","phx_join",{}]"#]);
    // A late reply to the first join is stale.
    t.recv(&reply("3", "3", "room:lobby", "ok", "{}"));
    assert_eq!(t.state(&ch), "joining");
}

#[test]
fn join_timeout_while_disconnected_schedules_no_rejoin() {
    let t = Harness::new();
    let ch = t.channel("room:lobby");
    t.join(&ch);
    t.advance(10_000.0);
    assert_eq!(t.state(&ch), "errored");
    assert!(t.take_timers().iter().all(|k| !k.starts_with("rejoin")));
    t.connect();
    t.open();
    // Buffered join and leave are outdated; the rejoin on open goes out.
    t.expect_sent(&[r#"["5","5","room:lobby","phx_join",{}]"#]);
}

#[test]
fn server_phx_error_rejoins_after_backoff() {
    let t = Harness::new();
    let (ch, jp) = t.joined("room:lobby");
    t.on_error(&ch, "onError");
    t.receive(&jp, "ok", "joinOk");
    t.recv(&frame(
        "3",
        "3",
        "room:lobby",
        "phx_error",
        r#"{"reason":"crash"}"#,
    ));
    t.expect_calls(&["joinOk({})", r#"onError({"reason":"crash"})"#]);
    assert_eq!(
        t.join_ref(&ch),
        "3",
        "a joined channel keeps its join_ref until the rejoin"
    );
    t.advance(1000.0);
    t.expect_sent(&[r#"["4","4","room:lobby","phx_join",{}]"#]);
    t.recv(&reply("4", "4", "room:lobby", "ok", "{}"));
    t.expect_calls(&["joinOk({})"]);
}

#[test]
fn errored_channels_rejoin_at_once_when_the_socket_reopens() {
    let t = Harness::new();
    let (ch, _) = t.joined("room:lobby");
    t.sock_on_open("onOpen"); // 4, registered after the channel's own open callback
    t.server_close(1006.0);
    assert_eq!(t.state(&ch), "errored");
    t.advance(10.0);
    t.clear();
    t.open();
    assert_eq!(
        t.take_log(),
        [r#"#2 > ["5","5","room:lobby","phx_join",{}]"#, "onOpen()"]
    );
}

#[test]
fn rejoins_interleave_with_user_open_callbacks_by_registration_order() {
    let t = Harness::new();
    t.sock_on_open("first"); // 1
    let ch = t.channel("t"); // 2, 3
    t.sock_on_open("last"); // 4
    t.join(&ch); // 5
    t.connect();
    t.open();
    t.recv(&reply("5", "5", "t", "ok", "{}"));
    t.server_close(1006.0);
    t.advance(10.0);
    t.clear();
    t.open();
    assert_eq!(
        t.take_log(),
        ["first()", r#"#2 > ["6","6","t","phx_join",{}]"#, "last()"]
    );
}

#[test]
fn socket_error_resets_rejoin_timers() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    t.recv(&frame("3", "3", "t", "phx_error", "{}"));
    assert!(t.pending_timers().iter().any(|k| k.starts_with("rejoin")));
    t.error();
    assert!(
        t.pending_timers().iter().all(|k| !k.starts_with("rejoin")),
        "{:?}",
        t.pending_timers()
    );
    assert_eq!(t.state(&ch), "errored");
}

#[test]
fn leave_cancels_the_rejoin() {
    let t = Harness::new();
    let (ch, _) = t.joined("t");
    t.recv(&frame("3", "3", "t", "phx_error", "{}"));
    t.leave(&ch);
    t.take_sent();
    t.advance(60_000.0);
    assert!(t.take_sent().iter().all(|f| !f.contains("phx_join")));
}

#[test]
fn disconnect_during_a_heartbeat_timeout_teardown_cancels_the_reconnect() {
    let t = Harness::new();
    t.w.close_delay.set(None);
    t.connect();
    t.open();
    t.advance(60_000.0); // heartbeat timeout: closing, teardown polling readyState
    t.advance(50.0);
    t.disconnect_cb("done");
    t.advance(10_000.0);
    t.expect_calls(&["done()"]);
    assert_eq!(t.transports().len(), 1);
    assert!(t.socket.connection().is_none());
}

#[test]
fn connect_during_a_heartbeat_timeout_teardown_supersedes_its_reconnect() {
    let t = Harness::new();
    t.w.close_delay.set(None);
    t.connect();
    t.open();
    t.advance(60_000.0);
    t.advance(50.0);
    // connect() is a no-op: the connection has not been ended.
    t.connect();
    assert_eq!(t.transports().len(), 1);
    t.disconnect();
    t.connect();
    assert_eq!(t.transports().len(), 2);
    t.advance(10_000.0);
    assert_eq!(t.transports().len(), 2);
    assert!(Rc::ptr_eq(&t.transport(), &t.transports()[1]));
}

#[test]
fn reconnect_tries_survive_a_new_connect_attempt_until_an_open() {
    let t = Harness::new();
    t.connect();
    t.fail_connect();
    t.advance(10.0);
    t.fail_connect(); // 50
    t.advance(50.0);
    t.fail_connect(); // 100
    assert_eq!(
        reconnect_delays(&t),
        ["reconnect 10", "reconnect 50", "reconnect 100"]
    );
    t.advance(100.0);
    t.open();
    t.server_close(1000.0);
    assert_eq!(reconnect_delays(&t), ["reconnect 10"]);
}

// ---- reconnectJitter (phoenix-wasm extension) --------------------------------------------

fn timer_ms(timer: &str, prefix: &str) -> f64 {
    timer.trim_start_matches(prefix).parse().unwrap()
}

#[test]
fn reconnect_jitter_scales_every_reconnect_delay_into_its_bounds() {
    const TABLE: [f64; 11] = [
        10.0, 50.0, 100.0, 150.0, 200.0, 250.0, 500.0, 1000.0, 2000.0, 5000.0, 5000.0,
    ];
    let t = Harness::build(Opts {
        reconnect_jitter: 0.5,
        seed: 42,
        ..Opts::default()
    });
    t.connect();
    let mut factors = Vec::new();
    for base in TABLE {
        t.fail_connect();
        let d = reconnect_delays(&t);
        assert_eq!(d.len(), 1);
        let ms = timer_ms(&d[0], "reconnect ");
        assert!(
            ms > base * 0.5 && ms <= base,
            "{ms} outside (0.5 × {base}, {base}]"
        );
        factors.push(ms / base);
        // The timer fires at the jittered delay, not the table's.
        let before = t.transports().len();
        t.advance(ms);
        assert_eq!(t.transports().len(), before + 1);
    }
    factors.dedup();
    assert!(factors.len() > 5, "factors vary: {factors:?}");
    assert_eq!(t.w.randoms_drawn.get(), TABLE.len() as u32);
}

#[test]
fn reconnect_jitter_scales_rejoin_delays_and_user_backoff() {
    let t = Harness::build(Opts {
        reconnect_jitter: 1.0,
        seed: 7,
        rejoin_after_ms: Some(backoff(|n| f64::from(n) * 1000.0)),
        ..Opts::default()
    });
    let ch = t.channel("room:lobby");
    t.join(&ch);
    t.connect();
    t.open();
    let mut seen = Vec::new();
    for n in 1..=4 {
        let r = t.join_ref(&ch);
        t.take_timers();
        t.recv(&reply(&r, &r, "room:lobby", "error", "{}"));
        let timers = t.take_timers();
        assert_eq!(timers.len(), 1, "{timers:?}");
        let ms = timer_ms(&timers[0], "rejoin room:lobby ");
        let base = f64::from(n) * 1000.0;
        assert!(ms > 0.0 && ms <= base, "{ms} outside (0, {base}]");
        seen.push(ms / base);
        t.advance(ms);
        assert_eq!(t.state(&ch), "joining");
    }
    seen.dedup();
    assert!(seen.len() > 1, "factors vary: {seen:?}");
}

#[test]
fn without_jitter_no_random_number_is_drawn_and_delays_are_phoenix_js() {
    let t = Harness::build(Opts {
        reconnect_jitter: 0.0,
        ..Opts::default()
    });
    t.connect();
    t.fail_connect();
    assert_eq!(reconnect_delays(&t), ["reconnect 10"]);
    assert_eq!(t.w.randoms_drawn.get(), 0);
    // Out-of-range values are clamped; NaN is no jitter.
    let t = Harness::build(Opts {
        reconnect_jitter: f64::NAN,
        ..Opts::default()
    });
    t.connect();
    t.fail_connect();
    assert_eq!(reconnect_delays(&t), ["reconnect 10"]);
    assert_eq!(t.w.randoms_drawn.get(), 0);
}

#[test]
fn same_seed_same_delays() {
    let run = |seed| {
        let t = Harness::build(Opts {
            reconnect_jitter: 0.3,
            seed,
            ..Opts::default()
        });
        t.connect();
        (0..6)
            .map(|_| {
                t.fail_connect();
                let d = reconnect_delays(&t);
                let ms = timer_ms(&d[0], "reconnect ");
                t.advance(ms);
                ms
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2));
}
