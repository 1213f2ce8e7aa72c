// One test per docs/protocol.md#server-observed row that applies to WebSocket: the reference server must send
// what a real Phoenix server sends. Driven by npm phoenix@1.8.16 and by raw frames.

import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import * as support from "./support.mjs";

const { startServer, tokenFor, join, push, recorder, closeAll, refusedStatus, post, waitFor, until } = support;

let server;
let aliceToken;
before(async () => {
  server = await startServer({ args: ["--test-hooks"] });
  aliceToken = await tokenFor(server, "alice");
});
after(async () => { await server?.stop(); });

// Every socket a test opens is closed after it, whether it passed or failed: phoenix sockets
// are disconnected, raw ones closed and waited for.
const opened = [];
afterEach(async () => {
  const sockets = opened.splice(0);
  await closeAll(...sockets.filter((s) => !s.ws));
  await Promise.all(sockets.filter((s) => s.ws).map((r) => {
    if (r.ws.readyState !== r.ws.CLOSED) r.close();
    return r.closed();
  }));
});
const tracked = (fn) => async (...args) => {
  const socket = await fn(...args);
  opened.push(socket);
  return socket;
};
const userSocket = tracked(support.userSocket);
const openSocket = tracked(support.openSocket);
const rawSocket = tracked(support.rawSocket);

const raw = (query = "") => rawSocket(server, `token=${aliceToken}&vsn=2.0.0${query}`);
const msgs = (socket, pred) => socket.received.filter(pred);

test("join reply echoes join_ref and ref, status ok with the response", async () => {
  const s = await userSocket(server, "alice");
  const ch = s.channel("room:obs-join");
  await join(ch);
  const [reply] = msgs(s, (m) => m.event === "phx_reply" && m.topic === "room:obs-join");
  assert.equal(reply.join_ref, ch.joinRef());
  assert.equal(reply.ref, ch.joinRef());
  assert.deepEqual(reply.payload, { status: "ok", response: { messages: [] } });
  await closeAll(s);
});

test("broadcast has join_ref and ref null", async () => {
  const a = await userSocket(server, "alice");
  const b = await userSocket(server, "bob");
  const ca = a.channel("bench:obs-bcast");
  const cb = b.channel("bench:obs-bcast");
  await join(ca); await join(cb);
  const got = waitFor("shout", (ok) => cb.on("shout", ok));
  ca.push("shout", { n: 1 });
  assert.deepEqual(await got, { n: 1 });
  const [m] = msgs(b, (m) => m.event === "shout");
  assert.equal(m.join_ref, null);
  assert.equal(m.ref, null);
  await closeAll(a, b);
});

test("push from the channel carries the join_ref and ref null (presence_state)", async () => {
  const s = await userSocket(server, "alice");
  const ch = s.channel("room:obs-push");
  const state = waitFor("presence_state", (ok) => ch.on("presence_state", ok));
  await join(ch);
  const payload = await state;
  const [m] = msgs(s, (m) => m.event === "presence_state");
  assert.equal(m.join_ref, ch.joinRef());
  assert.equal(m.ref, null);
  // presence_state shape: {"alice":{"metas":[{"online_at":...,"phx_ref":"..."}]}}
  const [meta] = payload.alice.metas;
  assert.equal(typeof meta.phx_ref, "string");
  assert.equal(typeof meta.online_at, "number");
  await closeAll(s);
});

test("presence on join: the joiner gets both its presence_diff and presence_state", async () => {
  const s = await userSocket(server, "alice");
  const ch = s.channel("room:obs-pres");
  const rec = recorder(ch, ["presence_state", "presence_diff"]);
  await join(ch);
  const diff = await rec.next("presence_diff");
  assert.deepEqual(Object.keys(diff).sort(), ["joins", "leaves"]);
  assert.ok(diff.joins.alice.metas[0].phx_ref);
  await rec.next("presence_state");
  const [d] = msgs(s, (m) => m.event === "presence_diff");
  assert.equal(d.join_ref, null, "presence_diff is a broadcast");
  await closeAll(s);
});

test("heartbeat is answered with the same ref on topic phoenix", async () => {
  const r = await raw();
  r.send([null, "34", "phoenix", "heartbeat", {}]);
  assert.deepEqual(await r.next(), [null, "34", "phoenix", "phx_reply", { response: {}, status: "ok" }]);
  r.close();
  const s = await userSocket(server, "alice");
  const rtt = await waitFor("ping", (ok) => s.ping(ok));
  assert.equal(typeof rtt, "number");
  await closeAll(s);
});

test("leave: ok reply then phx_close reusing the join_ref; leave of a topic never joined is ok", async () => {
  const r = await raw();
  r.send(["5", "5", "bench:obs-leave", "phx_join", {}]);
  assert.deepEqual(await r.next(), ["5", "5", "bench:obs-leave", "phx_reply", { response: {}, status: "ok" }]);
  r.send(["5", "7", "bench:obs-leave", "phx_leave", {}]);
  assert.deepEqual(await r.next(), ["5", "7", "bench:obs-leave", "phx_reply", { response: {}, status: "ok" }]);
  assert.deepEqual(await r.next(), ["5", "5", "bench:obs-leave", "phx_close", {}]);
  r.send(["8", "8", "bench:never", "phx_leave", {}]);
  assert.deepEqual(await r.next(), ["8", "8", "bench:never", "phx_reply", { response: {}, status: "ok" }]);
  r.close();
});

test("channel crash: phx_error reusing the join_ref, its presences leave for the others", async () => {
  const r = await raw();
  const tokenBob = await tokenFor(server, "bob");
  const bob = await userSocket(server, "bob");
  const cb = bob.channel("room:obs-crash");
  const rec = recorder(cb, ["presence_diff"]);
  await join(cb);
  r.send(["1", "1", "room:obs-crash", "phx_join", {}]);
  assert.equal((await r.next())[3], "phx_reply");
  await rec.next("presence_diff", (d) => d.joins.alice);
  r.send(["1", "2", "room:obs-crash", "test_crash", {}]);
  // frames for this topic until the phx_error (presence frames may come first)
  let f;
  do { f = await r.next(); } while (f[3] !== "phx_error");
  assert.deepEqual(f, ["1", "1", "room:obs-crash", "phx_error", {}]);
  const leave = await rec.next("presence_diff", (d) => d.leaves.alice);
  assert.equal(leave.leaves.alice.metas.length, 1);
  // the connection survives
  r.send([null, "3", "phoenix", "heartbeat", {}]);
  let hb;
  do { hb = await r.next(); } while (hb[1] !== "3");
  assert.equal(hb[4].status, "ok");
  r.close();
  await closeAll(bob);
  void tokenBob;
});

test("duplicate join: ok reply to the new join, then phx_close with the old join_ref", async () => {
  const r = await raw();
  r.send(["1", "1", "bench:obs-dup", "phx_join", {}]);
  assert.deepEqual(await r.next(), ["1", "1", "bench:obs-dup", "phx_reply", { response: {}, status: "ok" }]);
  r.send(["2", "2", "bench:obs-dup", "phx_join", {}]);
  assert.deepEqual(await r.next(), ["2", "2", "bench:obs-dup", "phx_reply", { response: {}, status: "ok" }]);
  assert.deepEqual(await r.next(), ["1", "1", "bench:obs-dup", "phx_close", {}]);
  // the new join is live
  r.send(["2", "3", "bench:obs-dup", "ping", { x: 1 }]);
  assert.deepEqual(await r.next(), ["2", "3", "bench:obs-dup", "phx_reply", { response: { x: 1 }, status: "ok" }]);
  r.close();
});

test("push to a topic not joined: unmatched topic with join_ref null", async () => {
  const r = await raw();
  r.send(["1", "2", "bench:obs-notjoined", "ping", {}]);
  assert.deepEqual(await r.next(), [null, "2", "bench:obs-notjoined", "phx_reply", { response: { reason: "unmatched topic" }, status: "error" }]);
  r.close();
});

test("join of a topic no channel matches: unmatched topic, join_ref null", async () => {
  const r = await raw();
  r.send(["5", "5", "nope:1", "phx_join", {}]);
  assert.deepEqual(await r.next(), [null, "5", "nope:1", "phx_reply", { response: { reason: "unmatched topic" }, status: "error" }]);
  r.close();
  const s = await userSocket(server, "alice");
  await assert.rejects(join(s.channel("nope:1")), (e) => e.response.reason === "unmatched topic");
  await closeAll(s);
});

test("join refused by the channel: error reply with reason unauthorized (carries the join_ref)", async () => {
  const r = await raw();
  r.send(["3", "3", "room:forbidden", "phx_join", {}]);
  assert.deepEqual(await r.next(), ["3", "3", "room:forbidden", "phx_reply", { response: { reason: "unauthorized" }, status: "error" }]);
  r.close();
  const s = await userSocket(server, "alice");
  const ch = s.channel("room:forbidden");
  await assert.rejects(join(ch), (e) => e.status === "error" && e.response.reason === "unauthorized");
  ch.leave();
  await closeAll(s);
});

test("bad token, refused connect, unsupported vsn: HTTP 403 on the upgrade", async () => {
  const base = `${server.ws}/websocket`;
  assert.equal(await refusedStatus(`${base}?vsn=2.0.0`), 403);
  assert.equal(await refusedStatus(`${base}?token=forged.token&vsn=2.0.0`), 403);
  assert.equal(await refusedStatus(`${base}?token=${aliceToken}&vsn=3.0.0`), 403);
  // phoenix.js sees an error and keeps retrying
  const s = await openSocket(server, { params: { token: "nope" } }, { waitOpen: false });
  let errors = 0;
  s.onError(() => { errors++; });
  await until("two connection errors", () => errors >= 2);
  assert.equal(s.isConnected(), false);
  await closeAll(s);
});

test("server-side disconnect of a socket id: close 1000, client reconnects and rejoins with new refs", async () => {
  const s = await userSocket(server, "carol");
  const ch = s.channel("bench:obs-disc");
  let joins = 0;
  const refs = [];
  ch.join().receive("ok", () => { joins++; refs.push(ch.joinRef()); });
  await until("first join", () => joins === 1);
  const closed = waitFor("close", (ok) => s.onClose(ok));
  const { status } = await post(server, "/api/disconnect", { user: "carol" });
  assert.equal(status, 204);
  const ev = await closed;
  assert.ok([1000, 1001].includes(ev.code), `close code ${ev.code}`);
  await until("rejoin", () => joins === 2);
  assert.notEqual(refs[1], refs[0]);
  assert.deepEqual(await push(ch, "ping", { again: true }), { status: "ok", response: { again: true } });
  await closeAll(s);
});

test("malformed JSON frame: the server closes with 1011", async () => {
  const r = await raw();
  r.send("{not json");
  assert.equal((await r.closed()).code, 1011);
});

test("no vsn or vsn=1.0.0: the object-form serializer, no join_ref key", async () => {
  for (const q of [`token=${aliceToken}`, `token=${aliceToken}&vsn=1.0.0`]) {
    const r = await rawSocket(server, q);
    r.send({ topic: "phoenix", event: "heartbeat", payload: {}, ref: "7" });
    assert.deepEqual(await r.next(), { event: "phx_reply", payload: { response: {}, status: "ok" }, ref: "7", topic: "phoenix" });
    r.send({ topic: "bench:v1", event: "phx_join", payload: {}, ref: "1", join_ref: "1" });
    const reply = await r.next();
    assert.deepEqual(reply, { event: "phx_reply", payload: { response: {}, status: "ok" }, ref: "1", topic: "bench:v1" });
    r.send({ topic: "bench:v1", event: "shout", payload: { a: 1 }, ref: "2", join_ref: "1" });
    assert.deepEqual(await r.next(), { event: "shout", payload: { a: 1 }, ref: null, topic: "bench:v1" });
    r.close();
  }
});

test("binary frames: push, reply and broadcast round-trip as ArrayBuffers", async () => {
  const a = await userSocket(server, "alice");
  const b = await userSocket(server, "bob");
  const ra = a.channel("room:obs-bin");
  await join(ra);
  const bytes = new Uint8Array([0, 1, 2, 250, 255]);
  const echo = await push(ra, "binary_echo", bytes.buffer.slice(0));
  assert.equal(echo.status, "ok");
  assert.ok(echo.response instanceof ArrayBuffer);
  assert.deepEqual([...new Uint8Array(echo.response)], [...bytes]);

  const ba = a.channel("bench:obs-bin");
  const bb = b.channel("bench:obs-bin");
  await join(ba); await join(bb);
  const gotB = waitFor("binary shout at b", (ok) => bb.on("shout", ok));
  const gotA = waitFor("binary shout at a", (ok) => ba.on("shout", ok));
  ba.push("shout", new Uint8Array([9, 8, 7]).buffer);
  for (const p of [await gotA, await gotB]) {
    assert.ok(p instanceof ArrayBuffer);
    assert.deepEqual([...new Uint8Array(p)], [9, 8, 7]);
  }
  const [m] = msgs(b, (m) => m.event === "shout");
  assert.equal(m.join_ref, null, "binary broadcast (kind 2) has no join_ref");
  await closeAll(a, b);
});

test("raw binary frame layouts: kind 1 reply and kind 2 broadcast", async () => {
  const r = await raw();
  r.send(["1", "1", "bench:raw-bin", "phx_join", {}]);
  await r.next();
  const enc = (s) => Buffer.from(s, "utf8");
  const header = (...parts) => Buffer.from(parts);
  const topic = enc("bench:raw-bin");
  r.send(Buffer.concat([header(0, 1, 1, topic.length, 4), enc("1"), enc("2"), topic, enc("ping"), Buffer.from([5, 6])]));
  assert.deepEqual(await r.next(), Buffer.concat([header(1, 1, 1, topic.length, 2), enc("1"), enc("2"), topic, enc("ok"), Buffer.from([5, 6])]));
  r.send(Buffer.concat([header(0, 1, 1, topic.length, 5), enc("1"), enc("3"), topic, enc("shout"), Buffer.from([7])]));
  assert.deepEqual(await r.next(), Buffer.concat([header(2, topic.length, 5), topic, enc("shout"), Buffer.from([7])]));
  r.close();
});

test("intercepted event: a push carrying each subscriber's own join_ref; other events are real broadcasts", async () => {
  const a = await userSocket(server, "alice");
  const b = await userSocket(server, "bob");
  const ca = a.channel("room:obs-int");
  const cb = b.channel("room:obs-int");
  await join(ca); await join(cb);
  const gotB = waitFor("new_msg at b", (ok) => cb.on("new_msg", ok));
  const gotTyping = waitFor("typing at b", (ok) => cb.on("typing", ok));
  ca.push("new_msg", { body: "hi" });
  ca.push("typing", {});
  await gotB; await gotTyping;
  const [nm] = msgs(b, (m) => m.event === "new_msg");
  assert.equal(nm.join_ref, cb.joinRef());
  assert.equal(nm.ref, null);
  const [ty] = msgs(b, (m) => m.event === "typing");
  assert.equal(ty.join_ref, null);
  await closeAll(a, b);
});

test("reply and the broadcast it causes: the reply comes first for the sender", async () => {
  const s = await userSocket(server, "alice");
  const ch = s.channel("room:obs-order");
  await join(ch);
  const bcast = waitFor("own new_msg", (ok) => ch.on("new_msg", ok));
  const reply = await push(ch, "new_msg", { body: "ordered" });
  await bcast;
  const i = s.received.findIndex((m) => m.event === "phx_reply" && m.payload.response && m.payload.response.id === reply.response.id);
  const j = s.received.findIndex((m) => m.event === "new_msg" && m.payload.body === "ordered");
  assert.ok(i >= 0 && j > i, `reply at ${i}, broadcast at ${j}`);
  await closeAll(s);
});

test("push with a stale join_ref is accepted and answered with the current join_ref (1.7.24)", async () => {
  const r = await raw();
  r.send(["4", "4", "bench:obs-stale", "phx_join", {}]);
  await r.next();
  r.send(["1", "5", "bench:obs-stale", "ping", {}]);
  assert.deepEqual(await r.next(), ["4", "5", "bench:obs-stale", "phx_reply", { response: {}, status: "ok" }]);
  r.close();
});

test("authToken subprotocol: the 101 selects phoenix and the token authenticates", async () => {
  const b64 = Buffer.from(aliceToken).toString("base64").replace(/=/g, "");
  const r = await rawSocket(server, "vsn=2.0.0", { protocols: ["phoenix", `base64url.bearer.phx.${b64}`] });
  assert.equal(r.ws.protocol, "phoenix");
  r.close();
  const s = await openSocket(server, { authToken: aliceToken });
  const ch = s.channel("user:alice");
  const resp = await join(ch);
  assert.ok(Array.isArray(resp.notifications));
  await closeAll(s);
});
