// End to end over LongPoll against the reference server (target/debug/phoenix-server, built by
// `cargo build -p phoenix-server`; PHX_SERVER_BIN overrides): a phoenix.js Socket and a
// phoenix-wasm Socket, both with `transport: LongPoll` in Node (fetch), join the same room,
// chat with each other, and push binary. Whatever each client sees must be the same.
import {test, before, after} from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import {pathToFileURL} from "node:url";
import * as phoenix from "phoenix";
import {startServer, tokenFor, waitFor, join, push, recorder} from "../../server/support.mjs";

const spec = process.env.PHX_IMPL || "phoenix-wasm";
const ours = await import(spec.startsWith(".") || spec.startsWith("/") ? pathToFileURL(path.resolve(spec)).href : spec);

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

async function lpSocket(impl, name) {
  const token = await tokenFor(server, name);
  const socket = new impl.Socket(server.ws, {
    transport: impl.LongPoll,
    params: {token},
    longpollerTimeout: 5000,
    reconnectAfterMs: () => 50,
  });
  const opened = waitFor(`${name} open`, (ok) => socket.onOpen(ok));
  socket.connect();
  await opened;
  return socket;
}

// what a client can observe, without ids and times that differ per run
function shape(v) {
  if (Array.isArray(v)) return v.map(shape);
  if (v instanceof ArrayBuffer) return {bytes: [...new Uint8Array(v)]};
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, ["id", "at", "inserted_at", "online_at", "phx_ref", "ts"].includes(k) ? typeof x : shape(x)]),
    );
  }
  return v;
}

test("phoenix.js and phoenix-wasm over LongPoll chat in one room and see the same things", async () => {
  const room = `room:lp-${process.pid}`;
  const a = await lpSocket(phoenix, "alice");
  const b = await lpSocket(ours, "bob");
  assert.equal(a.conn.constructor, phoenix.LongPoll);
  assert.equal(b.conn.constructor, ours.LongPoll);
  try {
    const chA = a.channel(room, {});
    const chB = b.channel(room, {});
    const recA = recorder(chA, ["new_msg"]);
    const recB = recorder(chB, ["new_msg"]);
    const joinA = await join(chA);
    const joinB = await join(chB);
    assert.deepEqual(Object.keys(shape(joinB)).sort(), Object.keys(shape(joinA)).sort());

    const fromA = await push(chA, "new_msg", {body: "hello from phoenix.js"});
    const fromB = await push(chB, "new_msg", {body: "hello from phoenix-wasm"});
    assert.equal(fromA.status, "ok");
    assert.deepEqual(shape(fromB), shape(fromA));

    for (const rec of [recA, recB]) {
      const m1 = await rec.next("new_msg", (p) => p.body === "hello from phoenix.js");
      const m2 = await rec.next("new_msg", (p) => p.body === "hello from phoenix-wasm");
      assert.equal(m1.user, "alice");
      assert.equal(m2.user, "bob");
    }

    // many pushes in one task: batched POSTs (more than 100 lines) on both
    const many = async (ch, who) => {
      const replies = await Promise.all(Array.from({length: 120}, (_, i) => push(ch, "new_msg", {body: `${who} ${i}`})));
      return replies.map((r) => r.status);
    };
    const [manyA, manyB] = await Promise.all([many(chA, "a"), many(chB, "b")]);
    assert.deepEqual(manyB, manyA);
    assert.ok(manyA.every((s) => s === "ok"), JSON.stringify(manyA));

    const bin = new Uint8Array([0, 1, 2, 250, 255]).buffer;
    const echoA = await push(chA, "binary_echo", bin);
    const echoB = await push(chB, "binary_echo", bin);
    assert.deepEqual(shape(echoB), shape(echoA));
  } finally {
    await Promise.all([a, b].map((s) => new Promise((resolve) => s.disconnect(resolve))));
  }
});

test("a refused connect (bad token) gives the same errors and reconnect attempts", async () => {
  const seen = {};
  for (const [label, impl] of [["phoenix.js", phoenix], ["phoenix-wasm", ours]]) {
    const socket = new impl.Socket(server.ws, {
      transport: impl.LongPoll,
      params: {token: "not a token"},
      reconnectAfterMs: () => 20,
    });
    const errors = [];
    socket.onError((e) => errors.push(e));
    const closes = [];
    socket.onClose((e) => closes.push({code: e.code, reason: e.reason, wasClean: e.wasClean}));
    socket.connect();
    await waitFor(`${label} second error`, (ok) => {
      const t = setInterval(() => errors.length >= 2 && (clearInterval(t), ok()), 5);
    });
    await new Promise((resolve) => socket.disconnect(resolve));
    seen[label] = {errors: errors.slice(0, 2), closes: closes.slice(0, 2)};
  }
  assert.deepEqual(seen["phoenix-wasm"], seen["phoenix.js"]);
  assert.deepEqual(seen["phoenix.js"].errors, [403, 403]);
});
