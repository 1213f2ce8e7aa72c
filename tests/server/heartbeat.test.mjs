// Heartbeats: answered by default; the --test-hooks switch POST /api/test/heartbeats
// {"answer": false} stops the answers so clients hit their heartbeat timeout. This file has its
// own server because the switch is server-wide.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, userSocket, join, push, post, closeAll, until, waitFor } from "./support.mjs";

let server;
before(async () => { server = await startServer({ args: ["--test-hooks"] }); });
after(async () => { await server?.stop(); });

test("heartbeats are answered: a client with a short interval stays connected", async () => {
  const s = await userSocket(server, "hb", { heartbeatIntervalMs: 100 });
  let closes = 0;
  s.onClose(() => { closes++; });
  const hbReplies = () => s.received.filter((m) => m.topic === "phoenix" && m.event === "phx_reply").length;
  await until("three heartbeat replies", () => hbReplies() >= 3);
  assert.equal(closes, 0);
  await closeAll(s);
});

test("test hook: unanswered heartbeats make phoenix.js time out, reconnect and rejoin", async () => {
  const s = await userSocket(server, "hb2", { heartbeatIntervalMs: 150 });
  const ch = s.channel("bench:hb");
  let joins = 0;
  ch.join().receive("ok", () => { joins++; });
  await until("joined", () => joins === 1);
  const errored = waitFor("channel error", (ok) => ch.onError(ok));
  assert.equal((await post(server, "/api/test/heartbeats", { answer: false })).status, 204);
  const reason = await errored;
  assert.equal(reason.reason, "heartbeat_timeout");
  assert.equal((await post(server, "/api/test/heartbeats", { answer: true })).status, 204);
  await until("rejoined after reconnect", () => joins >= 2 && s.isConnected());
  assert.deepEqual(await push(ch, "ping", {}), { status: "ok", response: {} });
  await closeAll(s);
});

test("the test hook route is absent without --test-hooks", async () => {
  const plain = await (await import("./support.mjs")).startServer();
  try {
    const res = await post(plain, "/api/test/heartbeats", { answer: false });
    assert.notEqual(res.status, 204);
  } finally {
    await plain.stop();
  }
});
