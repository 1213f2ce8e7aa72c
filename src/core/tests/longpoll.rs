//! The LongPoll state machine (`core::longpoll`), driven as the shell drives it (docs/protocol.md#longpoll).
use crate::core::longpoll::*;

type Lp = LongPollState<&'static str, u32>;

fn resp(status: Option<f64>, token: &'static str) -> Option<PollResponse<&'static str>> {
    Some(PollResponse {
        status,
        token: Token::Value(token),
    })
}

#[test]
fn session_handshake_then_polling() {
    let mut lp = Lp::new();
    assert!(lp.is_active());
    assert_eq!(lp.poll_response(resp(Some(410.0), "t1")), PollAction::Open);
    assert_eq!(lp.ready_state, OPEN);
    assert_eq!(lp.token, Token::Value("t1"));
    assert_eq!(
        lp.poll_response(resp(Some(200.0), "t2")),
        PollAction::Deliver
    );
    assert_eq!(lp.poll_response(resp(Some(204.0), "t3")), PollAction::Poll);
    assert_eq!(lp.token, Token::Value("t3"));
    // 410 once a token is held: the session is gone and that response's token is dropped.
    assert_eq!(
        lp.poll_response(resp(Some(410.0), "t4")),
        PollAction::SessionGone
    );
    assert_eq!(lp.token, Token::Value("t3"));
}

#[test]
fn error_statuses() {
    let mut lp = Lp::new();
    assert_eq!(
        lp.poll_response(resp(Some(403.0), "t")),
        PollAction::Forbidden
    );
    assert_eq!(lp.token, Token::Value("t"), "a 403 still stores the token");
    assert_eq!(lp.poll_response(None), PollAction::ServerError);
    assert_eq!(
        lp.poll_response(resp(Some(0.0), "t")),
        PollAction::ServerError
    );
    assert_eq!(
        lp.poll_response(resp(Some(500.0), "t")),
        PollAction::ServerError
    );
    assert_eq!(
        lp.poll_response(resp(Some(302.0), "t")),
        PollAction::Unhandled
    );
    // A status that is not a number (`"200"`, missing) matches no case.
    assert_eq!(lp.poll_response(resp(None, "t")), PollAction::Unhandled);
}

#[test]
fn first_poll_without_a_token_is_not_session_gone() {
    let mut lp = Lp::new();
    assert_eq!(
        lp.poll_response(Some(PollResponse {
            status: Some(204.0),
            token: Token::Null
        })),
        PollAction::Poll
    );
    assert_eq!(lp.poll_response(resp(Some(410.0), "t")), PollAction::Open);
}

#[test]
fn sends_in_one_task_go_in_one_post_and_later_ones_wait_for_the_ack() {
    let mut lp = Lp::new();
    assert_eq!(lp.send("a".into()), SendAction::ArmBatchTimer);
    lp.batch_timer_set(1);
    assert_eq!(lp.send("b".into()), SendAction::Queued);
    assert_eq!(lp.send("c".into()), SendAction::Queued);
    let batch = lp.batch_timer_fired().unwrap();
    let post = lp.batch_send(batch, 0);
    lp.batch_posted();
    assert_eq!(post.body, "a\nb\nc");
    // While the POST is in flight, sends are buffered, not batched.
    assert_eq!(lp.send("d".into()), SendAction::Queued);
    assert_eq!(lp.send("e".into()), SendAction::Queued);
    assert_eq!(lp.batch_acked(post.batch, true), AckAction::PostBuffer);
    let post = lp.buffer_post();
    lp.buffer_posted();
    assert_eq!(post.body, "d\ne");
    assert_eq!(lp.batch_acked(post.batch, true), AckAction::Done);
    assert!(!lp.awaiting_batch_ack);
    assert_eq!(lp.send("f".into()), SendAction::ArmBatchTimer);
}

#[test]
fn large_batches_go_out_100_lines_at_a_time() {
    let mut lp = Lp::new();
    let messages: Vec<String> = (0..250).map(|i| i.to_string()).collect();
    let mut post = lp.batch_send(messages, 0);
    let mut sizes = vec![post.body.lines().count()];
    loop {
        match lp.batch_acked(post.batch.clone(), true) {
            AckAction::Post(p) => {
                sizes.push(p.body.lines().count());
                post = p;
            }
            AckAction::Done => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(sizes, [100, 100, 50]);
    assert!(post.body.starts_with("200\n"));
}

#[test]
fn a_failed_post_fails_and_stop_clears_everything() {
    let mut lp = Lp::new();
    lp.send("a".into());
    lp.batch_timer_set(7);
    let post = lp.batch_send(lp.batch_timer_fired().unwrap(), 0);
    lp.batch_posted();
    lp.send("b".into());
    let r1 = lp.begin_request();
    let r2 = lp.begin_request();
    lp.message_timer_added(3);
    lp.message_timer_added(4);
    lp.message_timer_fired(&3);
    assert_eq!(lp.batch_acked(post.batch, false), AckAction::Failed);
    let stopped = lp.stop(CONNECTING);
    assert_eq!(
        stopped,
        Stopped {
            reqs: vec![r1, r2],
            message_timers: vec![4],
            batch_timer: Some(7)
        }
    );
    assert!(
        !lp.finish_request(r1),
        "an aborted request's callback is not ours any more"
    );
    assert!(!lp.awaiting_batch_ack);
    assert!(lp.batch_buffer.is_empty());
    assert_eq!(lp.send("c".into()), SendAction::ArmBatchTimer);
    let r3 = lp.begin_request();
    assert!(lp.finish_request(r3));
    assert!(!lp.finish_request(r3));
}

#[test]
fn normalize_endpoint_examples() {
    assert_eq!(
        normalize_endpoint("ws://h/socket/websocket?vsn=2.0.0"),
        "http://h/socket/longpoll?vsn=2.0.0"
    );
    assert_eq!(
        normalize_endpoint("wss://h/websocket/websocket?vsn=2.0.0"),
        "https://h/websocket/longpoll?vsn=2.0.0"
    );
    // An endpoint that already had a query string (docs/protocol.md#endpoint-url): the last /websocket wins.
    assert_eq!(
        normalize_endpoint("ws://h/s?x=1/websocket&vsn=2.0.0"),
        "http://h/s?x=1/longpoll&vsn=2.0.0"
    );
    assert_eq!(auth_token_b64("base64url.bearer.phx.YWJj"), Some("YWJj"));
    assert_eq!(auth_token_b64("phoenix"), None);
}
