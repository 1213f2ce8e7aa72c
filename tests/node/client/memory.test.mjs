// Thousands of connect/disconnect and join/leave cycles retain nothing, counted two ways:
// - JS objects: every object a cycle creates or hands to the package (sockets, channels, pushes,
//   callbacks, payloads, transports) is registered with a FinalizationRegistry, and after the
//   cycles and a few collections every one of them must have been collected: a tolerance of
//   zero objects, so one object retained per cycle fails.
// - wasm linear memory, which only grows, in 64 KiB pages: it must stay within a page. Page
//   granularity cannot see a leak of a few bytes per cycle; the exact byte count of the Rust
//   side (a counting allocator, tolerance below one byte per cycle) is in
//   src/core/tests/memory.rs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Socket } from "phoenix-wasm";
import v8 from "node:v8";
import vm from "node:vm";
import { FakeTransport } from "./fake.mjs";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc");
const memory = () => Socket.__wasmMemoryBytes();

// JS objects wrapping Rust state are freed by a FinalizationRegistry after a collection, so
// the cycles run in batches with a collection and a turn of the event loop in between, as a
// long-running page would get them.
async function settle() {
  for (let i = 0; i < 5; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
}

// Objects registered here and the number collected so far.
const tracked = { registered: 0, collected: 0 };
const registry = new FinalizationRegistry(() => {
  tracked.collected++;
});
function track(...objects) {
  for (const o of objects) {
    registry.register(o, null);
    tracked.registered++;
  }
}
function resetTracking() {
  tracked.registered = 0;
  tracked.collected = 0;
}

// After the measured cycles: every tracked object has been collected (settle() ran first).
async function assertAllCollected(what) {
  for (let i = 0; i < 20 && tracked.collected < tracked.registered; i++) await settle();
  assert.equal(
    tracked.registered - tracked.collected,
    0,
    `${tracked.registered - tracked.collected} of ${tracked.registered} JS objects still alive after ${what}`,
  );
}

async function batches(n, size, fn) {
  for (let done = 0; done < n; done += size) {
    fn(Math.min(size, n - done));
    await settle();
  }
}

function cycleConnections(socket, n) {
  for (let i = 0; i < n; i++) {
    socket.connect();
    const ws = FakeTransport.last();
    ws.open();
    let done = false;
    const onDone = () => { done = true; };
    track(ws, onDone);
    socket.disconnect(onDone);
    assert.ok(done, "disconnect callback runs once the fake transport reports closed");
  }
  FakeTransport.instances.length = 0;
}

function cycleChannels(socket, ws, n) {
  for (let i = 0; i < n; i++) {
    const params = { i };
    const ch = socket.channel(`room:${i % 7}`, params);
    const onMsg = () => {};
    const onJoined = () => {};
    const onPushed = () => {};
    const payload = { body: "hi" };
    ch.on("new_msg", onMsg);
    const jp = ch.join().receive("ok", onJoined);
    const join = JSON.parse(ws.sent[ws.sent.length - 1]);
    ws.message(JSON.stringify([join[0], join[1], join[2], "phx_reply", { status: "ok", response: {} }]));
    const p = ch.push("new_msg", payload);
    const push = JSON.parse(ws.sent[ws.sent.length - 1]);
    ws.message(JSON.stringify([push[0], push[1], push[2], "phx_reply", { status: "ok", response: { id: i } }]));
    p.receive("ok", onPushed);
    const lp = ch.leave();
    track(params, ch, onMsg, onJoined, onPushed, payload, jp, p, lp);
    ws.sent.length = 0;
  }
}

test("connect/disconnect cycles leave memory flat", async () => {
  const socket = new Socket("ws://example.com/socket", { transport: FakeTransport });
  await batches(1000, 500, (n) => cycleConnections(socket, n)); // warm up: allocator high-water mark
  const before = memory();
  resetTracking();
  await batches(5000, 500, (n) => cycleConnections(socket, n));
  const after = memory();
  assert.ok(after - before <= 65536, `wasm memory grew by ${after - before} bytes over 5000 connect/disconnect cycles`);
  assert.equal(tracked.registered, 2 * 5000);
  await assertAllCollected("5000 connect/disconnect cycles");
});

test("join/push/leave cycles leave memory flat", async () => {
  const socket = new Socket("ws://example.com/socket", { transport: FakeTransport });
  socket.connect();
  const ws = FakeTransport.last();
  ws.open();
  await batches(1000, 500, (n) => cycleChannels(socket, ws, n));
  const before = memory();
  resetTracking();
  await batches(5000, 500, (n) => cycleChannels(socket, ws, n));
  const after = memory();
  assert.equal(socket.channels.length, 0);
  assert.equal(tracked.registered, 9 * 5000);
  await assertAllCollected("5000 join/push/leave cycles");
  socket.disconnect(); // no heartbeat timer left to keep the process alive
  assert.ok(after - before <= 65536, `wasm memory grew by ${after - before} bytes over 5000 join/leave cycles`);
});

function makeSockets(n) {
  for (let i = 0; i < n; i++) {
    const s = new Socket("ws://example.com/socket", { transport: FakeTransport });
    const ch = s.channel("room:a");
    const onJoined = () => {};
    ch.join().receive("ok", onJoined);
    s.connect();
    const ws = FakeTransport.last();
    ws.open();
    // the join reply cancels the join timeout: a pending timer keeps a socket alive, as in JS
    const [jr, ref] = JSON.parse(ws.sent[0]);
    ws.message(JSON.stringify([jr, ref, "room:a", "phx_reply", { status: "ok", response: {} }]));
    s.disconnect();
    track(s, ch, onJoined, ws);
  }
  FakeTransport.instances.length = 0;
}

test("sockets nobody holds are freed once idle", async () => {
  await batches(500, 250, makeSockets);
  const before = memory();
  resetTracking();
  await batches(3000, 250, makeSockets);
  const after = memory();
  assert.ok(after - before <= 4 * 65536, `wasm memory grew by ${after - before} bytes over 3000 sockets`);
  assert.equal(tracked.registered, 4 * 3000);
  await assertAllCollected("3000 sockets");
});

test("the object count sees one object retained per cycle", async () => {
  // The measurement itself: the same cycles with one callback kept alive per cycle.
  const socket = new Socket("ws://example.com/socket", { transport: FakeTransport });
  socket.connect();
  const ws = FakeTransport.last();
  ws.open();
  const kept = [];
  resetTracking();
  await batches(200, 100, (n) => {
    for (let i = 0; i < n; i++) {
      cycleChannels(socket, ws, 1);
      const cb = () => {};
      track(cb);
      kept.push(cb);
    }
  });
  assert.equal(kept.length, 200);
  for (let i = 0; i < 20 && tracked.collected < tracked.registered - kept.length; i++) await settle();
  assert.equal(tracked.registered - tracked.collected, kept.length);
  socket.disconnect();
});
