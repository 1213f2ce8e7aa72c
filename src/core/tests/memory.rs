//! Exact leak checks of the core: a counting allocator tracks the bytes this thread has live,
//! and thousands of connect/disconnect and join/push/leave cycles must leave that count where
//! it was, with a tolerance below one byte per cycle. (The Node test
//! `tests/node/client/memory.test.mjs` checks the whole package: wasm pages and JS objects.)
use super::harness::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The system allocator, counting live bytes per thread (tests run in parallel threads; a
/// test only reads its own thread's count, and the cycles never cross threads).
struct Counting;

thread_local! {
    static LIVE: Cell<i64> = const { Cell::new(0) };
}

fn add(bytes: i64) {
    // `try_with`: allocations during thread teardown find the counter gone.
    let _ = LIVE.try_with(|live| live.set(live.get() + bytes));
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the counter
// is a thread-local `Cell` that never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            add(layout.size() as i64);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            add(layout.size() as i64);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        add(-(layout.size() as i64));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            add(new_size as i64 - layout.size() as i64);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> i64 {
    LIVE.with(Cell::get)
}

/// Runs `warm_up` cycles (capacities settle), then `cycles` more, and returns how many bytes
/// more are live after them.
fn growth(warm_up: usize, cycles: usize, mut cycle: impl FnMut(usize)) -> i64 {
    for i in 0..warm_up {
        cycle(i);
    }
    let before = live();
    for i in warm_up..warm_up + cycles {
        cycle(i);
    }
    live() - before
}

/// Forgets what the harness recorded (log, frames each fake transport was sent, transports
/// other than the latest), keeping its buffers' capacity.
fn forget(t: &Harness) {
    t.clear();
    t.w.removed.borrow_mut().clear();
    let mut transports = t.w.transports.borrow_mut();
    for tr in transports.iter() {
        tr.sent.borrow_mut().clear();
        tr.closes.borrow_mut().clear();
    }
    let keep = transports.len().saturating_sub(1);
    transports.drain(..keep);
}

const CYCLES: usize = 5000;
/// Below one byte per cycle: a leak of a single byte per cycle exceeds it 10 times over.
const TOLERANCE: i64 = CYCLES as i64 / 10;

#[test]
fn connect_disconnect_cycles_leave_no_bytes_behind() {
    let t = Harness::new();
    let grew = growth(500, CYCLES, |_| {
        t.connect();
        t.open();
        t.disconnect_cb("done");
        t.drive(100);
        assert!(!t.socket.is_connected());
        forget(&t);
    });
    assert!(
        grew <= TOLERANCE,
        "{grew} bytes more live after {CYCLES} cycles"
    );
}

#[test]
fn join_push_leave_cycles_leave_no_bytes_behind() {
    let t = Harness::new();
    t.connect();
    t.open();
    let grew = growth(500, CYCLES, |i| {
        let topic = format!("room:{}", i % 7);
        let ch = t.channel(&topic);
        t.on(&ch, "new_msg", "onMsg");
        let jp = t.join(&ch);
        t.receive(&jp, "ok", "joined");
        let join_ref = t.join_ref(&ch);
        t.recv(&reply(&join_ref, &join_ref, &topic, "ok", "{}"));
        let p = t.push(&ch, "new_msg", r#"{"body":"hi"}"#);
        t.receive(&p, "ok", "pushed");
        let sent = t.take_sent();
        let push_ref = parse(sent.last().expect("push sent"))
            .and_then(|f| match &*f {
                Value::Arr(items) => items.get(1).map(|r| r.js_string()),
                _ => None,
            })
            .expect("push frame has a ref");
        t.recv(&reply(&join_ref, &push_ref, &topic, "ok", r#"{"id":1}"#));
        t.leave(&ch);
        assert!(t.topics().is_empty());
        forget(&t);
    });
    assert!(
        grew <= TOLERANCE,
        "{grew} bytes more live after {CYCLES} cycles"
    );
}

#[test]
fn the_counter_sees_a_one_byte_leak_per_cycle() {
    // The measurement itself: a leak of one byte per cycle shows up as at least CYCLES bytes.
    let grew = growth(10, CYCLES, |_| {
        std::mem::forget(Box::new(0u8));
    });
    assert!(grew >= CYCLES as i64 && grew > TOLERANCE);
}
