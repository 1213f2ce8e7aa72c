// phoenix-wasm extensions beyond phoenix.js (README "Extensions"): push.promise(),
// socket.stats() and the reconnectJitter option, through the public API of the built package,
// against the reference server (promise, stats) and with a seeded random source (jitter).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Socket } from "phoenix-wasm";
import { startServer, tokenFor, waitFor, until, post, WebSocket } from "../../server/support.mjs";

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

async function connected(name, opts = {}) {
  const token = await tokenFor(server, name);
  const socket = new Socket(server.ws, {
    transport: WebSocket,
    params: { token },
    reconnectAfterMs: () => 50,
    rejoinAfterMs: () => 50,
    ...opts,
  });
  const opened = waitFor(`${name} socket open`, (ok) => socket.onOpen(ok));
  socket.connect();
  await opened;
  return socket;
}

const closed = (socket) => new Promise((resolve) => socket.disconnect(resolve));

test("push.promise() resolves with the ok response; receive hooks still fire on the same push", async () => {
  const socket = await connected("promise-ok");
  const channel = socket.channel("bench:promise", {});
  const joinPush = channel.join();
  let hook = null;
  joinPush.receive("ok", (resp) => { hook = resp; });
  const joined = await joinPush.promise();
  assert.deepEqual(joined, {});
  assert.equal(hook, joined, "the hook got the very same response object");
  const reply = await channel.push("ping", { n: 1, s: "é" }).promise();
  assert.deepEqual(reply, { n: 1, s: "é" });
  // A push that already has its reply: promise() settles from the stored reply.
  const p = channel.push("ping", { n: 2 });
  await p.promise();
  assert.deepEqual(await p.promise(), { n: 2 });
  assert.deepEqual(await channel.leave().promise(), {});
  await closed(socket);
});

test("push.promise() rejects with a PushError: status error with the response, and timeout", async () => {
  const socket = await connected("promise-err");
  const refused = socket.channel("room:forbidden", {});
  const err = await refused.join().promise().then(() => null, (e) => e);
  assert.ok(err instanceof Error, "a PushError is an Error");
  assert.equal(err.name, "PushError");
  assert.equal(err.status, "error");
  assert.deepEqual(err.response, { reason: "unauthorized" });
  refused.leave();

  const room = socket.channel("room:promise", {});
  await room.join().promise();
  const invalid = await room.push("new_msg", { body: "" }).promise().then(() => null, (e) => e);
  assert.equal(invalid.status, "error");
  assert.deepEqual(invalid.response, { reason: "invalid body" });
  // `typing` gets no reply: the push times out.
  const timedOut = await room.push("typing", {}, 100).promise().then(() => null, (e) => e);
  assert.equal(timedOut.name, "PushError");
  assert.equal(timedOut.status, "timeout");
  assert.deepEqual(timedOut.response, {});
  await closed(socket);
});

test("socket.stats(): counters move with traffic, rttMs after a heartbeat, reconnects, openedAt", async () => {
  const fresh = new Socket(server.ws, { transport: WebSocket });
  assert.deepEqual(fresh.stats(), {
    rttMs: null, reconnects: 0, messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0,
    openedAt: null, transport: "websocket",
  });

  const before = Date.now();
  const socket = await connected("stats", { heartbeatIntervalMs: 100 });
  const s0 = socket.stats();
  assert.notEqual(s0, socket.stats(), "a fresh object per call");
  assert.ok(s0.openedAt >= before && s0.openedAt <= Date.now(), `openedAt ${s0.openedAt}`);
  assert.equal(s0.transport, "websocket");
  const channel = socket.channel("bench:stats", {});
  await channel.join().promise();
  const s1 = socket.stats();
  assert.ok(s1.messagesOut > s0.messagesOut && s1.messagesIn > s0.messagesIn, JSON.stringify(s1));
  const shouted = new Promise((resolve) => channel.on("shout", resolve));
  channel.push("shout", { body: "x".repeat(1000) });
  await shouted;
  const s2 = socket.stats();
  assert.ok(s2.bytesOut - s1.bytesOut > 1000, `bytesOut grew by the frame: ${s2.bytesOut - s1.bytesOut}`);
  assert.ok(s2.bytesIn - s1.bytesIn > 1000, `bytesIn grew by the frame: ${s2.bytesIn - s1.bytesIn}`);
  assert.equal(s2.messagesIn, s1.messagesIn + 1);

  await until("a heartbeat round trip", () => socket.stats().rttMs !== null);
  const rtt = socket.stats().rttMs;
  assert.ok(typeof rtt === "number" && rtt >= 0, `rttMs ${rtt}`);

  // The server closes the user's sockets: the socket reconnects.
  const reopened = waitFor("reopen", (ok) => socket.onOpen(ok));
  assert.equal((await post(server, "/api/disconnect", { user: "stats" })).status, 204);
  await reopened;
  assert.equal(socket.stats().reconnects, 1);
  assert.ok(socket.stats().openedAt >= s0.openedAt);
  await closed(socket);
  assert.equal(socket.stats().openedAt, null, "no open connection after disconnect()");
});

// A transport that never connects: each instance fails on the next turn, so the socket schedules
// reconnect after reconnect. Timers are recorded (not run) through a stand-in setTimeout.
class Refused {
  constructor() {
    this.readyState = 0;
    queueMicrotask(() => {
      this.readyState = 3;
      this.onerror?.({ type: "error" });
      this.onclose?.({ code: 1006, reason: "", wasClean: false });
    });
  }
  close() {}
  send() {}
}

async function reconnectDelays(opts, n, random) {
  const realSetTimeout = globalThis.setTimeout;
  const realClearTimeout = globalThis.clearTimeout;
  const realRandom = Math.random;
  const timers = [];
  let draws = 0;
  globalThis.setTimeout = (fn, ms, ...args) => {
    timers.push({ fn: () => fn(...args), ms });
    return timers.length;
  };
  globalThis.clearTimeout = () => {};
  Math.random = () => {
    draws++;
    return random();
  };
  const delays = [];
  try {
    const socket = new Socket("ws://127.0.0.1:9/socket", { transport: Refused, heartbeatIntervalMs: 1e9, ...opts });
    socket.connect();
    for (let i = 0; i < n; i++) {
      for (let turns = 0; turns < 20 && timers.length === 0; turns++) await new Promise((r) => setImmediate(r));
      assert.equal(timers.length, 1, `one timer (reconnect ${i + 1}) armed`);
      const t = timers.shift();
      delays.push(t.ms);
      t.fn();
    }
    socket.disconnect();
  } finally {
    globalThis.setTimeout = realSetTimeout;
    globalThis.clearTimeout = realClearTimeout;
    Math.random = realRandom;
  }
  return { delays, draws };
}

// xorshift32, seeded: the same numbers on every run.
function seeded(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
}

const TABLE = [10, 50, 100, 150, 200, 250, 500, 1000, 2000, 5000, 5000];

test("reconnectJitter: each reconnect delay is scaled into [(1 - jitter) × delay, delay], not all alike", async () => {
  const { delays, draws } = await reconnectDelays({ reconnectJitter: 0.5 }, TABLE.length, seeded(12345));
  assert.equal(draws, TABLE.length, "one random number per delay");
  const factors = delays.map((d, i) => d / TABLE[i]);
  for (const [i, f] of factors.entries()) {
    assert.ok(f >= 0.5 && f <= 1, `delay ${delays[i]} for ${TABLE[i]}: factor ${f}`);
  }
  assert.ok(new Set(factors.map((f) => f.toFixed(6))).size > 5, `factors vary: ${factors}`);
  // The same seed gives the same delays.
  assert.deepEqual((await reconnectDelays({ reconnectJitter: 0.5 }, TABLE.length, seeded(12345))).delays, delays);
});

test("without reconnectJitter the delays are phoenix.js's and no random number is drawn", async () => {
  const { delays, draws } = await reconnectDelays({}, TABLE.length, seeded(1));
  assert.deepEqual(delays, TABLE);
  assert.equal(draws, 0);
});
