//! The LongPoll rules (`core::longpoll`) driven as `js/longpoll.js` drives them (docs/protocol.md#longpoll).
//!
//! [`Lp`] is a model of the JavaScript facade: the same live fields, and the same plumbing
//! (requests, `setTimeout(0)` tasks, handlers), with every decision asked of the core. A fake
//! clock runs the zero-delay tasks in order and a scripted server answers the requests, so each
//! test reads as phoenix.js's conversation with the server, checked against what phoenix.js
//! 1.8.16 does (the differential tests check the real facade the same way).
use std::collections::VecDeque;

use crate::core::longpoll::*;

/// A request in flight: its id (the live `reqs` holds the ids), method and body.
#[derive(Clone, Debug, PartialEq)]
struct Req {
    id: u32,
    post: Option<Post>,
}

/// What a POST's callback needs: the messages it was cut from and the end of its slice.
#[derive(Clone, Debug, PartialEq)]
struct Post {
    messages: Vec<String>,
    next: f64,
    body: String,
}

/// A zero-delay task of the facade.
#[derive(Debug)]
enum Task {
    FirstPoll,
    Message(u32, String),
    Batch,
}

/// A poll response as the facade sees it: `None` is a falsy parsed body.
struct Resp {
    status: f64,
    token: Option<&'static str>,
    messages: Vec<&'static str>,
}

fn resp(status: f64, token: &'static str) -> Option<Resp> {
    Some(Resp {
        status,
        token: Some(token),
        messages: vec![],
    })
}

/// What the handler decides to do when called (re-entrancy).
#[derive(Clone, Copy, PartialEq)]
enum OnError {
    Nothing,
    Close,
}

/// The model of the facade.
struct Lp {
    ready_state: f64,
    token: Option<String>,
    reqs: Vec<u32>,
    in_flight: Vec<Req>,
    next_id: u32,
    message_timers: Vec<u32>,
    awaiting_batch_ack: bool,
    current_batch: Option<Vec<String>>,
    batch_buffer: Vec<String>,
    tasks: VecDeque<(u32, Task)>,
    next_timer: u32,
    /// Handler calls and requests, in order.
    log: Vec<String>,
    on_error: OnError,
}

impl Lp {
    /// `new LongPoll(endPoint)`: the first poll waits for a task.
    fn new() -> Lp {
        let mut lp = Lp {
            ready_state: CONNECTING,
            token: None,
            reqs: vec![],
            in_flight: vec![],
            next_id: 0,
            message_timers: vec![],
            awaiting_batch_ack: false,
            current_batch: None,
            batch_buffer: vec![],
            tasks: VecDeque::new(),
            next_timer: 0,
            log: vec![],
            on_error: OnError::Nothing,
        };
        lp.set_timeout(Task::FirstPoll);
        lp
    }

    fn set_timeout(&mut self, task: Task) -> u32 {
        self.next_timer += 1;
        self.tasks.push_back((self.next_timer, task));
        self.next_timer
    }

    fn clear_timeout(&mut self, id: u32) {
        self.tasks.retain(|(t, _)| *t != id);
    }

    /// The fake clock: runs the due zero-delay tasks, in creation order.
    fn run_tasks(&mut self) {
        while let Some((_, task)) = self.tasks.pop_front() {
            match task {
                Task::FirstPoll => self.poll(),
                Task::Message(timer, msg) => {
                    self.message_timers.retain(|t| *t != timer);
                    self.log.push(format!("onmessage {msg}"));
                }
                Task::Batch => {
                    let batch = self.current_batch.clone().unwrap_or_default();
                    self.batch_send(batch, 0.0);
                    self.current_batch = None;
                }
            }
        }
    }

    fn take_log(&mut self) -> Vec<String> {
        std::mem::take(&mut self.log)
    }

    fn ajax(&mut self, post: Option<Post>) {
        self.next_id += 1;
        let id = self.next_id;
        self.reqs.push(id);
        let what = match &post {
            None => format!("GET token={}", self.token.as_deref().unwrap_or("null")),
            Some(p) => format!("POST {:?}", p.body),
        };
        self.log.push(what);
        self.in_flight.push(Req { id, post });
    }

    /// `this.reqs.delete(request)`: the callback runs only for a request still ours.
    fn claim(&mut self, id: u32) -> bool {
        let before = self.reqs.len();
        self.reqs.retain(|r| *r != id);
        before != self.reqs.len()
    }

    fn take_request(&mut self, get: bool) -> Req {
        let i = self
            .in_flight
            .iter()
            .position(|r| r.post.is_none() == get)
            .expect("a pending request of that kind");
        self.in_flight.remove(i)
    }

    fn poll(&mut self) {
        if !is_active(self.ready_state) {
            return;
        }
        self.ajax(None);
    }

    /// The server answers the oldest pending GET.
    fn answer_get(&mut self, r: Option<Resp>) {
        let req = self.take_request(true);
        if !self.claim(req.id) {
            return;
        }
        let o = poll_response(r.as_ref().map(|r| r.status), self.token.is_some());
        if o.store_token {
            self.token = r.as_ref().and_then(|r| r.token.map(str::to_owned));
        }
        match o.action {
            PollAction::Deliver => {
                for m in r.map(|r| r.messages).unwrap_or_default() {
                    let timer = self.next_timer + 1;
                    self.set_timeout(Task::Message(timer, m.to_owned()));
                    self.message_timers.push(timer);
                }
                self.poll();
            }
            PollAction::Poll => self.poll(),
            PollAction::Open => {
                self.ready_state = OPEN;
                self.log.push("onopen".into());
                self.poll();
            }
            PollAction::Unhandled => self.log.push("throw unhandled poll status".into()),
            PollAction::SessionGone => self.fail(Failure::SessionGone, None),
            PollAction::Forbidden => self.fail(Failure::Forbidden, None),
            PollAction::ServerError => self.fail(Failure::ServerError, None),
        }
    }

    /// The server answers the oldest pending POST with a status (`None`: no response).
    fn answer_post(&mut self, status: Option<f64>) {
        let req = self.take_request(false);
        if !self.claim(req.id) {
            return;
        }
        let post = req.post.expect("a POST");
        let len = post.messages.len() as f64;
        match ack_action(status, post.next, len, self.batch_buffer.len() as f64) {
            AckAction::Failed => self.fail(Failure::PostFailed, status),
            AckAction::Next => self.batch_send(post.messages, post.next),
            AckAction::PostBuffer => {
                let buffer = self.batch_buffer.clone();
                self.batch_send(buffer, 0.0);
                self.batch_buffer = vec![];
            }
            AckAction::Done => self.awaiting_batch_ack = false,
        }
    }

    /// A request times out.
    fn time_out(&mut self, get: bool) {
        let req = self.take_request(get);
        if self.claim(req.id) {
            self.fail(Failure::Timeout, None);
        }
    }

    fn send(&mut self, body: &str) {
        match send_action(self.current_batch.is_some(), self.awaiting_batch_ack) {
            SendAction::AddToBatch => self.current_batch.as_mut().unwrap().push(body.into()),
            SendAction::Buffer => self.batch_buffer.push(body.into()),
            SendAction::NewBatch => {
                self.current_batch = Some(vec![body.into()]);
                self.set_timeout(Task::Batch);
            }
        }
    }

    fn batch_send(&mut self, messages: Vec<String>, offset: f64) {
        self.awaiting_batch_ack = true;
        let next = batch_end(offset);
        let end = (next as usize).min(messages.len());
        let body = messages[offset as usize..end].join("\n");
        self.ajax(Some(Post {
            messages,
            next,
            body,
        }));
    }

    fn fail(&mut self, f: Failure, post_status: Option<f64>) {
        let error = match f.error() {
            FailureError::Status(n) => n.to_string(),
            FailureError::Response => format!("{post_status:?}"),
            FailureError::Reason => f.reason().to_owned(),
        };
        if f.retries() {
            self.close_and_retry(&error, f.code(), f.reason());
        } else {
            self.on_error(&error);
            self.close(f.code(), f.reason());
        }
    }

    fn on_error(&mut self, error: &str) {
        self.log.push(format!("onerror {error}"));
        if self.on_error == OnError::Close {
            self.close(1000, "closed from onerror");
        }
    }

    fn close_and_retry(&mut self, error: &str, code: u16, reason: &str) {
        if !is_active(self.ready_state) {
            return;
        }
        self.stop(CONNECTING);
        self.on_error(error);
        if is_active(self.ready_state) {
            self.log.push(format!("onclose {code} {reason}"));
        }
    }

    fn close(&mut self, code: u16, reason: &str) {
        self.stop(CLOSED);
        self.log.push(format!("onclose {code} {reason}"));
    }

    fn stop(&mut self, ready_state: f64) {
        self.ready_state = ready_state;
        for id in std::mem::take(&mut self.reqs) {
            self.log.push(format!("abort {id}"));
        }
        for t in std::mem::take(&mut self.message_timers) {
            self.clear_timeout(t);
        }
        self.batch_buffer.clear();
        self.awaiting_batch_ack = false;
        self.tasks.retain(|(_, t)| !matches!(t, Task::Batch));
        self.current_batch = None;
    }

    /// Opens the session: first poll, then a 410 with a token.
    fn opened() -> Lp {
        let mut lp = Lp::new();
        lp.run_tasks();
        lp.answer_get(resp(410.0, "T1"));
        lp.take_log();
        lp
    }
}

#[test]
fn first_410_opens_then_messages_each_in_its_own_task_after_the_next_poll() {
    let mut lp = Lp::new();
    assert!(lp.log.is_empty(), "no request before the first task");
    lp.run_tasks();
    lp.answer_get(resp(410.0, "T1"));
    assert_eq!(lp.ready_state, OPEN);
    assert_eq!(lp.take_log(), ["GET token=null", "onopen", "GET token=T1"]);
    lp.answer_get(Some(Resp {
        status: 200.0,
        token: Some("T2"),
        messages: vec!["m1", "m2"],
    }));
    assert_eq!(lp.message_timers.len(), 2);
    lp.run_tasks();
    assert_eq!(
        lp.take_log(),
        ["GET token=T2", "onmessage m1", "onmessage m2"]
    );
    assert!(lp.message_timers.is_empty());
    lp.answer_get(resp(204.0, "T3"));
    assert_eq!(lp.take_log(), ["GET token=T3"]);
}

#[test]
fn session_gone_keeps_the_old_token_and_retries() {
    let mut lp = Lp::opened();
    lp.answer_get(resp(410.0, "T9"));
    assert_eq!(lp.token.as_deref(), Some("T1"));
    assert_eq!(lp.take_log(), ["onerror 410", "onclose 3410 session_gone"]);
    assert_eq!(
        lp.ready_state, CONNECTING,
        "connecting again: the socket retries"
    );
}

#[test]
fn forbidden_closes_for_good_and_server_errors_retry() {
    let mut lp = Lp::opened();
    lp.answer_get(resp(403.0, "T2"));
    assert_eq!(
        lp.token.as_deref(),
        Some("T2"),
        "a 403 still stores its token"
    );
    assert_eq!(lp.take_log(), ["onerror 403", "onclose 1008 forbidden"]);
    assert_eq!(lp.ready_state, CLOSED);

    for r in [None, resp(500.0, "T"), resp(0.0, "T")] {
        let mut lp = Lp::opened();
        lp.answer_get(r);
        assert_eq!(
            lp.take_log(),
            ["onerror 500", "onclose 1011 internal server error"]
        );
        assert_eq!(lp.ready_state, CONNECTING);
    }

    let mut lp = Lp::opened();
    lp.answer_get(resp(418.0, "T4"));
    assert_eq!(lp.take_log(), ["throw unhandled poll status"]);
    assert_eq!(lp.token.as_deref(), Some("T4"));
    assert!(lp.reqs.is_empty(), "polling stops");
}

#[test]
fn sends_in_one_task_share_a_post_and_later_ones_wait_for_the_ack() {
    let mut lp = Lp::opened();
    lp.send("a");
    lp.send("b");
    lp.run_tasks();
    assert_eq!(lp.take_log(), [r#"POST "a\nb""#]);
    assert!(lp.awaiting_batch_ack);
    assert_eq!(lp.current_batch, None);
    lp.send("c");
    // the app edits the live buffer: its edits are posted
    lp.batch_buffer.push("d".into());
    lp.run_tasks();
    assert!(
        lp.take_log().is_empty(),
        "no POST while the first is unacked"
    );
    lp.answer_post(Some(200.0));
    assert_eq!(lp.take_log(), [r#"POST "c\nd""#]);
    assert!(lp.batch_buffer.is_empty());
    lp.answer_post(Some(200.0));
    assert!(!lp.awaiting_batch_ack);
    lp.send("e");
    lp.run_tasks();
    assert_eq!(lp.take_log(), [r#"POST "e""#]);
}

#[test]
fn large_batches_go_out_100_lines_at_a_time() {
    let mut lp = Lp::opened();
    for i in 0..250 {
        lp.send(&i.to_string());
    }
    lp.run_tasks();
    let mut sizes = vec![];
    while let Some(p) = lp.in_flight.iter().find_map(|r| r.post.clone()) {
        sizes.push(p.body.split('\n').count());
        lp.answer_post(Some(200.0));
    }
    assert_eq!(sizes, [100, 100, 50]);
    assert!(!lp.awaiting_batch_ack);
}

#[test]
fn a_failed_post_stops_everything_and_reports_its_status() {
    let mut lp = Lp::opened();
    lp.send("a");
    lp.run_tasks();
    lp.send("b");
    lp.answer_get(Some(Resp {
        status: 200.0,
        token: Some("T1"),
        messages: vec!["queued"],
    }));
    lp.take_log();
    lp.answer_post(Some(503.0));
    assert_eq!(
        lp.take_log(),
        [
            "abort 4",
            "onerror Some(503.0)",
            "onclose 1011 internal server error"
        ]
    );
    assert!(lp.batch_buffer.is_empty() && !lp.awaiting_batch_ack);
    lp.run_tasks();
    assert!(lp.take_log().is_empty(), "the queued message was cancelled");
    // no response at all
    let mut lp = Lp::opened();
    lp.send("a");
    lp.run_tasks();
    lp.take_log();
    lp.answer_post(None);
    assert_eq!(lp.take_log()[1], "onerror None");
}

#[test]
fn timeouts_retry_and_a_closing_onerror_suppresses_the_close_event() {
    let mut lp = Lp::opened();
    lp.time_out(true);
    assert_eq!(lp.take_log(), ["onerror timeout", "onclose 1005 timeout"]);
    // the socket's onerror handler disconnects: closed for good, one close event
    let mut lp = Lp::opened();
    lp.on_error = OnError::Close;
    lp.time_out(true);
    assert_eq!(
        lp.take_log(),
        ["onerror timeout", "onclose 1000 closed from onerror"]
    );
    assert_eq!(lp.ready_state, CLOSED);
    // a late response of an aborted request is ignored
    lp.in_flight.push(Req { id: 99, post: None });
    lp.answer_get(resp(200.0, "late"));
    assert!(lp.take_log().is_empty());
}

#[test]
fn a_close_before_the_first_poll_prevents_it() {
    let mut lp = Lp::new();
    lp.close(1000, "bye");
    lp.run_tasks();
    assert_eq!(lp.take_log(), ["onclose 1000 bye"]);
    assert!(lp.reqs.is_empty());
}
