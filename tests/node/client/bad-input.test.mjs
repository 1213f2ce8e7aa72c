// Bad input never traps the wasm: random bytes, random text and random JSON shapes go through a
// connected socket with joined channels, with and without a logger, and afterwards the same
// socket (and the module) still works.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Socket } from "phoenix-wasm";
import { FakeTransport, rng } from "./fake.mjs";

const TOPICS = ["room:lobby", "room:x", "phoenix", "", "nope"];

function randomValue(r, depth = 0) {
  const k = Math.floor(r() * (depth > 2 ? 6 : 9));
  switch (k) {
    case 0: return null;
    case 1: return Math.floor(r() * 20) - 5;
    case 2: return String(Math.floor(r() * 12));
    case 3: return r() < 0.5;
    case 4: return TOPICS[Math.floor(r() * TOPICS.length)];
    case 5: return ["ok", "error", "phx_reply", "phx_close", "phx_error", "new_msg"][Math.floor(r() * 6)];
    case 6: return Array.from({ length: Math.floor(r() * 6) }, () => randomValue(r, depth + 1));
    case 7: {
      const o = {};
      for (const key of ["status", "response", "joins", "leaves", "__proto__", "0"]) if (r() < 0.4) o[key] = randomValue(r, depth + 1);
      return o;
    }
    default: return "x".repeat(Math.floor(r() * 300));
  }
}

function randomFrame(r) {
  const kind = r();
  if (kind < 0.25) {
    const len = Math.floor(r() * 40);
    const bytes = new Uint8Array(len);
    for (let i = 0; i < len; i++) bytes[i] = r() < 0.3 ? Math.floor(r() * 4) : Math.floor(r() * 256);
    return bytes.buffer;
  }
  if (kind < 0.4) return String.fromCharCode(...Array.from({ length: Math.floor(r() * 30) }, () => Math.floor(r() * 128)));
  if (kind < 0.5) return JSON.stringify(randomValue(r));
  // mostly array-shaped frames, the shape the decoder expects
  const arr = Array.from({ length: Math.floor(r() * 7) }, () => randomValue(r));
  if (arr.length >= 4 && r() < 0.6) { arr[2] = TOPICS[Math.floor(r() * 2)]; arr[3] = r() < 0.5 ? "phx_reply" : randomValue(r); }
  return JSON.stringify(arr);
}

function connectedSocket(opts) {
  const socket = new Socket("ws://example.com/socket", { transport: FakeTransport, ...opts });
  const lobby = socket.channel("room:lobby", {});
  lobby.on("new_msg", () => {});
  lobby.join();
  socket.channel("room:x").join();
  socket.connect();
  const ws = FakeTransport.last();
  ws.open();
  return { socket, lobby, ws };
}

for (const withLogger of [false, true]) {
  test(`random frames never trap the wasm (logger: ${withLogger})`, () => {
    const r = rng(withLogger ? 7 : 3);
    const logs = [];
    const { socket, ws } = connectedSocket(withLogger ? { logger: (k, m) => logs.push(k) } : {});
    let jsErrors = 0;
    for (let i = 0; i < 5000; i++) {
      try {
        ws.message(randomFrame(r));
      } catch (e) {
        // phoenix.js throws plain JS errors for some shapes too (e.g. a reply without status
        // destructured); a wasm trap is a RuntimeError and kills the module.
        assert.ok(!(e instanceof WebAssembly.RuntimeError), `wasm trapped on frame ${i}: ${e}`);
        jsErrors++;
      }
    }
    // the socket still works: a fresh channel joins and pushes over the same connection
    const ch = socket.channel("room:after", {});
    let joined = null;
    ch.join().receive("ok", (resp) => { joined = resp; });
    const join = JSON.parse(ws.sent[ws.sent.length - 1]);
    assert.equal(join[2], "room:after");
    assert.equal(join[3], "phx_join");
    const reply = { status: "ok", response: { fine: true } };
    ws.message(JSON.stringify([join[0], join[1], "room:after", "phx_reply", reply]));
    assert.deepEqual(joined, { fine: true });
    ch.push("after", { n: 1 });
    assert.deepEqual(JSON.parse(ws.sent[ws.sent.length - 1]).slice(2), ["room:after", "after", { n: 1 }]);
    assert.ok(jsErrors < 5000);
  });
}

test("malformed frames are logged through the logger and dropped", () => {
  const logs = [];
  const { socket, ws } = connectedSocket({ logger: (kind, msg) => logs.push([kind, msg]) });
  const seen = [];
  socket.onMessage((m) => seen.push(m.event));
  ws.message("not json");
  ws.message("{\"an\":\"object\"}");
  ws.message(new Uint8Array([9, 1, 2]).buffer); // unknown binary kind
  ws.message(new Uint8Array([1, 200, 0, 0, 0]).buffer); // lengths past the end
  ws.message(JSON.stringify([null, null, "room:lobby", "new_msg", { ok: 1 }]));
  assert.deepEqual(seen, ["new_msg"]);
  const dropped = logs.filter(([k, m]) => k === "transport" && m.startsWith("dropping frame"));
  assert.equal(dropped.length, 4, JSON.stringify(logs));
});

test("oversized binary fields are a JS error, not a trap", () => {
  const { lobby, ws } = connectedSocket({});
  ws.message(JSON.stringify(["3", "3", "room:lobby", "phx_reply", { status: "ok", response: {} }]));
  const big = new ArrayBuffer(8);
  assert.throws(() => lobby.push("e".repeat(300), big), (e) => e instanceof Error && !(e instanceof WebAssembly.RuntimeError) && /must be less than or equal to 255 bytes/.test(e.message));
  // still usable
  lobby.push("small", { a: 1 });
  assert.match(ws.sent[ws.sent.length - 1], /"small"/);
});
