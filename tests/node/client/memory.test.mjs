// Thousands of connect/disconnect and join/leave cycles leave the wasm linear memory flat:
// nothing is retained per connection, channel, push or timer. (Linear memory only grows, so
// a leak of even a few bytes per cycle would show up as growth over thousands of cycles.)
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
    socket.disconnect(() => { done = true; });
    assert.ok(done, "disconnect callback runs once the fake transport reports closed");
  }
  FakeTransport.instances.length = 0;
}

function cycleChannels(socket, ws, n) {
  for (let i = 0; i < n; i++) {
    const ch = socket.channel(`room:${i % 7}`, { i });
    ch.on("new_msg", () => {});
    ch.join().receive("ok", () => {});
    const join = JSON.parse(ws.sent[ws.sent.length - 1]);
    ws.message(JSON.stringify([join[0], join[1], join[2], "phx_reply", { status: "ok", response: {} }]));
    const p = ch.push("new_msg", { body: "hi" });
    const push = JSON.parse(ws.sent[ws.sent.length - 1]);
    ws.message(JSON.stringify([push[0], push[1], push[2], "phx_reply", { status: "ok", response: { id: i } }]));
    p.receive("ok", () => {});
    ch.leave();
    ws.sent.length = 0;
  }
}

test("connect/disconnect cycles leave memory flat", async () => {
  const socket = new Socket("ws://example.com/socket", { transport: FakeTransport });
  await batches(1000, 500, (n) => cycleConnections(socket, n)); // warm up: allocator high-water mark
  const before = memory();
  await batches(5000, 500, (n) => cycleConnections(socket, n));
  const after = memory();
  assert.ok(after - before <= 65536, `wasm memory grew by ${after - before} bytes over 5000 connect/disconnect cycles`);
});

test("join/push/leave cycles leave memory flat", async () => {
  const socket = new Socket("ws://example.com/socket", { transport: FakeTransport });
  socket.connect();
  const ws = FakeTransport.last();
  ws.open();
  await batches(1000, 500, (n) => cycleChannels(socket, ws, n));
  const before = memory();
  await batches(5000, 500, (n) => cycleChannels(socket, ws, n));
  const after = memory();
  assert.equal(socket.channels.length, 0);
  assert.ok(after - before <= 65536, `wasm memory grew by ${after - before} bytes over 5000 join/leave cycles`);
});

function makeSockets(n) {
  for (let i = 0; i < n; i++) {
    const s = new Socket("ws://example.com/socket", { transport: FakeTransport });
    s.channel("room:a").join().receive("ok", () => {});
    s.connect();
    const ws = FakeTransport.last();
    ws.open();
    // the join reply cancels the join timeout: a pending timer keeps a socket alive, as in JS
    const [jr, ref] = JSON.parse(ws.sent[0]);
    ws.message(JSON.stringify([jr, ref, "room:a", "phx_reply", { status: "ok", response: {} }]));
    s.disconnect();
  }
  FakeTransport.instances.length = 0;
}

test("sockets nobody holds are freed once idle", async () => {
  await batches(500, 250, makeSockets);
  const before = memory();
  await batches(3000, 250, makeSockets);
  const after = memory();
  assert.ok(after - before <= 4 * 65536, `wasm memory grew by ${after - before} bytes over 3000 sockets`);
});
