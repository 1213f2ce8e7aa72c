// The reference server's /socket/longpoll driven by the real npm phoenix@1.8.16 LongPoll client
// (Node 20: fetch + AbortController), next to WebSocket clients: join, push/reply, batching,
// broadcast, presence across transports, binary pushes, refused connects, server-side
// disconnect, and the reconnect after the server expired a session nobody polled.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { LongPoll } from "phoenix";
import {
  Socket, Presence, startServer, userSocket, tokenFor, join, push, recorder, closeAll, post, waitFor, until,
} from "./support.mjs";

// Short, so that idle polls (204) and session expiry happen within a test.
const WINDOW_MS = 800;
const BINARY_REPLY_REASON = "binary replies are not supported over LongPoll";

let server;
before(async () => { server = await startServer({ args: ["--longpoll-window-ms", String(WINDOW_MS)] }); });
after(async () => { await server?.stop(); });

/** A phoenix.js Socket on LongPoll (absolute http:// endpoint), connected. */
async function lpSocket(name, opts = {}, { waitOpen = true } = {}) {
  const token = name ? await tokenFor(server, name) : null;
  const socket = new Socket(`${server.http}/socket`, {
    transport: LongPoll,
    params: token ? { token } : {},
    reconnectAfterMs: () => 50,
    rejoinAfterMs: () => 50,
    ...opts,
  });
  socket.events = [];
  socket.onOpen(() => socket.events.push(["open"]));
  socket.onClose((e) => socket.events.push(["close", e && e.code, e && e.reason]));
  socket.onError((e) => socket.events.push(["error", e]));
  const opened = waitOpen ? waitFor("longpoll open", (ok) => socket.onOpen(ok)) : null;
  socket.connect();
  if (waitOpen) await opened;
  return socket;
}

/** Raw LongPoll request against the demo server: {httpStatus, headers, body}. */
async function raw(method, query, { headers = {}, body } = {}) {
  const res = await fetch(`${server.http}/socket/longpoll?${query}`, { method, headers, body });
  const text = await res.text();
  return { httpStatus: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

test("raw contract: 410 handshake, 204 idle poll, 403 refused connect, 410 POST without session, headers", async () => {
  const token = await tokenFor(server, "rawuser");
  const first = await raw("GET", `token=${encodeURIComponent(token)}&vsn=2.0.0&`);
  assert.equal(first.httpStatus, 200);
  assert.equal(first.headers.get("content-type"), "application/json; charset=utf-8");
  assert.equal(first.headers.get("cache-control"), "no-store");
  assert.equal(first.headers.get("access-control-allow-origin"), "*");
  assert.equal(first.body.status, 410);
  assert.deepEqual(first.body.messages, []);
  const session = first.body.token;
  assert.equal(typeof session, "string");

  const t0 = Date.now();
  const idle = await raw("GET", `token=${encodeURIComponent(token)}&vsn=2.0.0&token=${encodeURIComponent(session)}`);
  assert.deepEqual(idle.body, { status: 204, token: session, messages: [] });
  assert.ok(Date.now() - t0 >= WINDOW_MS - 100, `idle poll waited ${Date.now() - t0} ms`);

  for (const q of ["vsn=2.0.0&", "token=forged.token&vsn=2.0.0&", "token=x&vsn=9.0.0&"]) {
    const refused = await raw("GET", q);
    assert.equal(refused.httpStatus, 200, q);
    assert.deepEqual(refused.body, { status: 403 }, q);
  }
  const orphan = await raw("POST", "vsn=2.0.0&token=nope", {
    headers: { "content-type": "application/x-ndjson" },
    body: '[null,"1","phoenix","heartbeat",{}]',
  });
  assert.deepEqual(orphan.body, { status: 410 });
  const pre = await fetch(`${server.http}/socket/longpoll?vsn=2.0.0`, {
    method: "OPTIONS",
    headers: { "access-control-request-headers": "content-type" },
  });
  assert.equal(pre.status, 200);
  assert.equal(pre.headers.get("access-control-allow-origin"), "*");
  await pre.arrayBuffer();
  const put = await fetch(`${server.http}/socket/longpoll?vsn=2.0.0`, { method: "PUT" });
  assert.equal(put.status, 400);
  await put.arrayBuffer();
});

test("phoenix.js LongPoll: join, push/reply, error reply, its own broadcast, history", async () => {
  const socket = await lpSocket("alice");
  assert.ok(socket.conn instanceof LongPoll, "the connection is phoenix.js's LongPoll");
  assert.match(socket.conn.pollEndpoint, /^http:\/\/127\.0\.0\.1:\d+\/socket\/longpoll\?token=.*&vsn=2\.0\.0$/);
  const ch = socket.channel("room:lp-basic");
  const joinReply = await join(ch);
  assert.ok(Array.isArray(joinReply.messages));
  const rec = recorder(ch, ["new_msg"]);
  const r = await push(ch, "new_msg", { body: "hello over long poll" });
  assert.equal(r.status, "ok");
  assert.equal(typeof r.response.id, "number");
  const msg = await rec.next("new_msg", (p) => p.id === r.response.id);
  assert.equal(msg.user, "alice");
  assert.equal(msg.body, "hello over long poll");
  const bad = await push(ch, "new_msg", { body: "" });
  assert.deepEqual(bad, { status: "error", response: { reason: "invalid body" } });

  // history on a second join (a new LongPoll socket)
  const again = await lpSocket("alice2");
  const history = await join(again.channel("room:lp-basic"));
  assert.ok(history.messages.some((m) => m.body === "hello over long poll"));
  assert.ok(!socket.events.some(([k]) => k === "error"), JSON.stringify(socket.events));
  await closeAll(socket, again);
});

test("phoenix.js LongPoll: 150 pushes in one tick go out in 100-line POSTs, every reply in order", async () => {
  const socket = await lpSocket("batcher");
  const ch = socket.channel("room:lp-batch");
  await join(ch);
  const posts = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = (url, opts = {}) => {
    if (opts.method === "POST" && String(url).includes("/socket/longpoll")) posts.push(String(opts.body).split("\n").length);
    return realFetch(url, opts);
  };
  try {
    const replies = await Promise.all(Array.from({ length: 150 }, (_, i) => push(ch, "new_msg", { body: `m${i}` }, 10_000)));
    assert.ok(replies.every((r) => r.status === "ok"), JSON.stringify(replies.filter((r) => r.status !== "ok")));
    const ids = replies.map((r) => r.response.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), "ids follow push order");
    assert.deepEqual(posts, [100, 50]);
  } finally {
    globalThis.fetch = realFetch;
  }
  await closeAll(socket);
});

test("broadcasts cross transports: LongPoll ↔ WebSocket, and /api/broadcast reaches LongPoll", async () => {
  const lp = await lpSocket("lpuser");
  const ws = await userSocket(server, "wsuser");
  const lpCh = lp.channel("room:lp-cross");
  const wsCh = ws.channel("room:lp-cross");
  await join(lpCh);
  await join(wsCh);
  const lpRec = recorder(lpCh, ["new_msg", "typing", "announcement"]);
  const wsRec = recorder(wsCh, ["new_msg", "typing"]);

  assert.equal((await push(lpCh, "new_msg", { body: "from lp" })).status, "ok");
  assert.equal((await wsRec.next("new_msg", (p) => p.body === "from lp")).user, "lpuser");
  assert.equal((await push(wsCh, "new_msg", { body: "from ws" })).status, "ok");
  assert.equal((await lpRec.next("new_msg", (p) => p.body === "from ws")).user, "wsuser");

  lpCh.push("typing", {});
  assert.deepEqual(await wsRec.next("typing"), { user: "lpuser" });
  wsCh.push("typing", {});
  assert.deepEqual(await lpRec.next("typing"), { user: "wsuser" });

  const res = await post(server, "/api/broadcast", { topic: "room:lp-cross", event: "announcement", payload: { text: "hi all" } });
  assert.equal(res.status, 204);
  assert.deepEqual(await lpRec.next("announcement"), { text: "hi all" });
  await closeAll(lp, ws);
});

test("presence: a LongPoll client and a WebSocket client see each other; the LongPoll one leaves when its session expires", async () => {
  const lp = await lpSocket("lpp");
  const ws = await userSocket(server, "wsp");
  const lpCh = lp.channel("room:lp-presence");
  const wsCh = ws.channel("room:lp-presence");
  const lpPresence = new Presence(lpCh);
  const wsPresence = new Presence(wsCh);
  const keys = (p) => p.list((k) => k).sort().join(",");
  await join(lpCh);
  await join(wsCh);
  await until("the LongPoll client sees both", () => keys(lpPresence) === "lpp,wsp");
  await until("the WebSocket client sees both", () => keys(wsPresence) === "lpp,wsp");

  // LongPoll has no close message: after disconnect() the server notices the missing polls.
  const t0 = Date.now();
  await closeAll(lp);
  await until("lpp leaves after the session expired", () => keys(wsPresence) === "wsp", WINDOW_MS * 2 + 5000);
  const took = Date.now() - t0;
  assert.ok(took >= WINDOW_MS / 2, `left after ${took} ms, before the window`);
  await closeAll(ws);
});

test("binary push from a LongPoll client arrives (base64 line); the binary reply becomes a clear error", async () => {
  const socket = await lpSocket("binuser");
  const ch = socket.channel("room:lp-bin");
  await join(ch);
  const sent = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = (url, opts = {}) => {
    if (opts.method === "POST") sent.push(String(opts.body));
    return realFetch(url, opts);
  };
  let r;
  try {
    r = await push(ch, "binary_echo", new Uint8Array([0, 1, 2, 253, 254, 255]).buffer);
  } finally {
    globalThis.fetch = realFetch;
  }
  // the server decoded the base64 binary frame and ran binary_echo, whose binary reply
  // cannot travel over LongPoll: the push still gets an answer
  assert.deepEqual(r, { status: "error", response: { reason: BINARY_REPLY_REASON } });
  assert.ok(sent.some((b) => /^[A-Za-z0-9+/=]+$/.test(b)), `a base64 line was posted: ${JSON.stringify(sent)}`);
  // a JSON payload to binary_echo is the channel's own error, and the socket goes on
  assert.deepEqual(await push(ch, "binary_echo", { not: "binary" }), { status: "error", response: { reason: "expected binary" } });
  assert.equal((await push(ch, "new_msg", { body: "still fine" })).status, "ok");
  assert.ok(!socket.events.some(([k]) => k === "error" || k === "close"), JSON.stringify(socket.events));
  await closeAll(socket);
});

test("authToken (X-Phoenix-AuthToken header) authenticates a LongPoll connect; a bad one is refused with 403", async () => {
  const token = await tokenFor(server, "authed");
  const socket = await lpSocket(null, { authToken: token });
  const ch = socket.channel("room:lp-auth");
  await join(ch);
  const rec = recorder(ch, ["new_msg"]);
  const r = await push(ch, "new_msg", { body: "via header" });
  assert.equal((await rec.next("new_msg", (p) => p.id === r.response.id)).user, "authed");
  await closeAll(socket);

  const refused = await lpSocket(null, { authToken: "forged" }, { waitOpen: false });
  await until("a 403 error and a 1008 close", () =>
    refused.events.some(([k, e]) => k === "error" && e === 403)
    && refused.events.some(([k, code]) => k === "close" && code === 1008));
  assert.ok(!refused.events.some(([k]) => k === "open"));
  await closeAll(refused);
});

test("server-side disconnect (/api/disconnect): the LongPoll client reconnects and rejoins", async () => {
  const socket = await lpSocket("kicked");
  const ch = socket.channel("room:lp-kick");
  let states = 0;
  ch.on("presence_state", () => { states++; });
  await join(ch);
  const res = await post(server, "/api/disconnect", { user: "kicked" });
  assert.equal(res.status, 204);
  await until("session_gone close", () => socket.events.some(([k, code, reason]) => k === "close" && code === 3410 && reason === "session_gone"));
  await until("reopened", () => socket.events.filter(([k]) => k === "open").length >= 2);
  await until("rejoined (a second presence_state)", () => states >= 2, 10_000);
  assert.equal((await push(ch, "new_msg", { body: "back" })).status, "ok");
  await closeAll(socket);
});

test("a client that stops polling: the server expires its session (presence leaves), the client reconnects with a new session and rejoins", async () => {
  const lp = await lpSocket("sleeper");
  const ws = await userSocket(server, "watcher");
  const lpCh = lp.channel("room:lp-expire");
  const wsCh = ws.channel("room:lp-expire");
  await join(lpCh);
  const wsPresence = new Presence(wsCh);
  const events = [];
  wsPresence.onJoin((key) => events.push(`join:${key}`));
  wsPresence.onLeave((key, current) => { if (!current || current.metas.length === 0) events.push(`leave:${key}`); });
  await join(wsCh);
  await until("watcher sees sleeper", () => wsPresence.list((k) => k).includes("sleeper"));
  const firstSession = lp.conn.token;
  assert.equal(typeof firstSession, "string");

  // Hold the client's next GET back (as a suspended tab or a stalled network would) for longer
  // than the window: the server hears no poll and shuts the session down.
  const realFetch = globalThis.fetch;
  let release;
  const held = new Promise((r) => { release = r; });
  let holding = 0;
  globalThis.fetch = (url, opts = {}) => {
    if ((opts.method || "GET") === "GET" && String(url).includes("/socket/longpoll")) {
      holding++;
      return held.then(() => realFetch(url, opts));
    }
    return realFetch(url, opts);
  };
  try {
    await until("a poll is held", () => holding > 0, WINDOW_MS * 3);
    await until("the server expired the session: sleeper left", () => events.includes("leave:sleeper"), WINDOW_MS * 4 + 5000);
  } finally {
    globalThis.fetch = realFetch;
    release();
  }
  // The held GET now carries the dead session's token: 410 → close 3410 session_gone → the
  // socket reconnects with a new LongPoll and a new session, and the channel rejoins.
  await until("session_gone", () => lp.events.some(([k, code, reason]) => k === "close" && code === 3410 && reason === "session_gone"));
  await until("rejoined: sleeper is back", () => events.lastIndexOf("join:sleeper") > events.indexOf("leave:sleeper"), 10_000);
  assert.notEqual(lp.conn.token, firstSession);
  assert.equal((await push(lpCh, "new_msg", { body: "awake" })).status, "ok");
  await closeAll(lp, ws);
});
