// One test per docs/protocol.md#demo-contract bullet, driven by npm phoenix@1.8.16.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startServer, userSocket, openSocket, tokenFor, join, push, recorder, closeAll, post, waitFor, until,
  refusedStatus,
} from "./support.mjs";

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

// ---------- HTTP endpoints ----------

test("POST /api/token: a token for a valid name, 400 {error} for anything else", async () => {
  const ok = await post(server, "/api/token", { name: "alice_1-x" });
  assert.equal(ok.status, 200);
  assert.equal(typeof ok.body.token, "string");
  for (const name of ["", "a b", "x".repeat(33), "é", 42, null]) {
    const bad = await post(server, "/api/token", { name });
    assert.equal(bad.status, 400, `name ${JSON.stringify(name)}`);
    assert.equal(typeof bad.body.error, "string");
  }
  const missing = await post(server, "/api/token", {});
  assert.equal(missing.status, 400);
});

test("GET / serves static files from www/, or a 404 when missing (never a crash)", async () => {
  const res = await fetch(server.http + "/definitely-not-here.txt");
  assert.equal(res.status, 404);
  await res.arrayBuffer();
  assert.ok(server.alive());
});

test("POST /api/broadcast (loopback): 204 and every subscriber of the topic gets it", async () => {
  const a = await userSocket(server, "alice");
  const ch = a.channel("room:http-bcast");
  await join(ch);
  const got = waitFor("announcement", (ok) => ch.on("announcement", ok));
  const res = await post(server, "/api/broadcast", { topic: "room:http-bcast", event: "announcement", payload: { text: "hello" } });
  assert.equal(res.status, 204);
  assert.deepEqual(await got, { text: "hello" });
  const [m] = a.received.filter((m) => m.event === "announcement");
  assert.equal(m.join_ref, null);
  await closeAll(a);
});

test("POST /api/notify (loopback): 201 {id} and a notification push to user:<name>", async () => {
  const a = await userSocket(server, "nina");
  const ch = a.channel("user:nina");
  await join(ch);
  const got = waitFor("notification", (ok) => ch.on("notification", ok));
  const res = await post(server, "/api/notify", { user: "nina", body: "ping!" });
  assert.equal(res.status, 201);
  assert.equal(typeof res.body.id, "number");
  const n = await got;
  assert.equal(n.id, res.body.id);
  assert.equal(n.body, "ping!");
  assert.equal(n.read, false);
  assert.equal(typeof n.at, "number");
  await closeAll(a);
});

test("POST /api/disconnect (loopback): 204, every socket of the user closes and reconnects", async () => {
  const t1 = await userSocket(server, "dora");
  const t2 = await userSocket(server, "dora");
  const other = await userSocket(server, "erin");
  const closes = [];
  for (const s of [t1, t2]) s.onClose((e) => closes.push(e.code));
  let otherClosed = false;
  other.onClose(() => { otherClosed = true; });
  const res = await post(server, "/api/disconnect", { user: "dora" });
  assert.equal(res.status, 204);
  await until("both tabs closed", () => closes.length === 2);
  assert.ok(closes.every((c) => c === 1000 || c === 1001), `codes ${closes}`);
  await until("both tabs reconnected", () => t1.isConnected() && t2.isConnected());
  assert.equal(otherClosed, false);
  await closeAll(t1, t2, other);
});

// ---------- the socket ----------

test("socket: token as param or via the authToken subprotocol; vsn 1.0.0 works with a v1 codec", async () => {
  const token = await tokenFor(server, "vic");
  const viaParam = await openSocket(server, { params: { token } });
  const viaAuth = await openSocket(server, { authToken: token });
  // vsn 1.0.0: phoenix.js has no v1 codec, so supply one (object frames, docs/protocol.md#json-v1).
  const v1 = await openSocket(server, {
    params: { token },
    vsn: "1.0.0",
    encode: (msg, cb) => cb(JSON.stringify({ topic: msg.topic, event: msg.event, payload: msg.payload, ref: msg.ref, join_ref: msg.join_ref })),
    decode: (raw, cb) => { const m = JSON.parse(raw); cb({ join_ref: null, ref: m.ref, topic: m.topic, event: m.event, payload: m.payload }); },
  });
  for (const s of [viaParam, viaAuth, v1]) {
    const ch = s.channel("bench:socket-modes");
    assert.deepEqual(await join(ch), {});
    assert.deepEqual(await push(ch, "ping", { n: 1 }), { status: "ok", response: { n: 1 } });
  }
  await closeAll(viaParam, viaAuth, v1);
});

test("socket: a missing, forged or expired token refuses the connect with 403", async () => {
  const token = await tokenFor(server, "alice");
  const [body, sig] = token.split(".");
  // re-sign nothing: flip the payload to another name keeping alice's signature
  const forgedBody = Buffer.from(JSON.stringify({ n: "mallory", t: Date.now() })).toString("base64url");
  // an old issue time with a made-up signature can never verify either
  const expiredBody = Buffer.from(JSON.stringify({ n: "alice", t: Date.now() - 2 * 86400000 })).toString("base64url");
  const base = `${server.ws}/websocket`;
  assert.equal(await refusedStatus(`${base}?vsn=2.0.0`), 403);
  assert.equal(await refusedStatus(`${base}?token=${forgedBody}.${sig}&vsn=2.0.0`), 403);
  assert.equal(await refusedStatus(`${base}?token=${expiredBody}.${sig}&vsn=2.0.0`), 403);
  assert.equal(await refusedStatus(`${base}?token=${body}.${sig}x&vsn=2.0.0`), 403);
  assert.equal(await refusedStatus(`${base}?token=${token}&vsn=2.0.0`).catch(() => "accepted"), "accepted");
});

// ---------- room:<name> ----------

test("room: names of 1-32 letters/digits/_/- join; room:forbidden is unauthorized; others are unmatched", async () => {
  const s = await userSocket(server, "alice");
  assert.deepEqual(await join(s.channel("room:lobby")), { messages: [] });
  await join(s.channel("room:Abc_1-2"));
  await assert.rejects(join(s.channel("room:forbidden")), (e) => e.response.reason === "unauthorized");
  for (const topic of ["room:", "room:bad name", `room:${"x".repeat(33)}`, "rooms:lobby", "lobby"]) {
    await assert.rejects(join(s.channel(topic)), (e) => e.response.reason === "unmatched topic", topic);
  }
  await closeAll(s);
});

test("room: join reply has the last 50 messages, oldest first", async () => {
  const a = await userSocket(server, "alice");
  const ch = a.channel("room:history");
  await join(ch);
  for (let i = 1; i <= 55; i++) {
    const r = await push(ch, "new_msg", { body: `m${i}` });
    assert.equal(r.status, "ok");
  }
  const b = await userSocket(server, "bob");
  const { messages } = await join(b.channel("room:history"));
  assert.equal(messages.length, 50);
  assert.deepEqual(messages.map((m) => m.body), Array.from({ length: 50 }, (_, i) => `m${i + 6}`));
  const m = messages[49];
  assert.deepEqual(Object.keys(m).sort(), ["at", "body", "id", "user"]);
  assert.equal(m.user, "alice");
  assert.ok(messages.every((x, i) => i === 0 || x.id > messages[i - 1].id));
  await closeAll(a, b);
});

test("room: presence_state pushed after join, presence_diff as people come and go", async () => {
  const a = await userSocket(server, "alice");
  const ca = a.channel("room:pres-demo");
  const ra = recorder(ca, ["presence_state", "presence_diff"]);
  await join(ca);
  const st = await ra.next("presence_state");
  assert.deepEqual(Object.keys(st), ["alice"]);
  assert.equal(typeof st.alice.metas[0].online_at, "number");
  const b = await userSocket(server, "bob");
  const cb = b.channel("room:pres-demo");
  const rb = recorder(cb, ["presence_state"]);
  await join(cb);
  assert.deepEqual(Object.keys(await rb.next("presence_state")).sort(), ["alice", "bob"]);
  await ra.next("presence_diff", (d) => d.joins.bob);
  cb.leave();
  const left = await ra.next("presence_diff", (d) => d.leaves.bob);
  assert.deepEqual(left.joins, {});
  await closeAll(a, b);
});

test("room: new_msg replies {id} and broadcasts {id,user,body,at} to everyone, sender included", async () => {
  const a = await userSocket(server, "alice");
  const b = await userSocket(server, "bob");
  const ca = a.channel("room:chat");
  const cb = b.channel("room:chat");
  await join(ca); await join(cb);
  const atA = waitFor("new_msg at alice", (ok) => ca.on("new_msg", ok));
  const atB = waitFor("new_msg at bob", (ok) => cb.on("new_msg", ok));
  const reply = await push(ca, "new_msg", { body: "hello room" });
  assert.equal(reply.status, "ok");
  assert.deepEqual(Object.keys(reply.response), ["id"]);
  for (const m of [await atA, await atB]) {
    assert.equal(m.id, reply.response.id);
    assert.equal(m.user, "alice");
    assert.equal(m.body, "hello room");
    assert.equal(typeof m.at, "number");
  }
  await closeAll(a, b);
});

test("room: empty bodies and bodies over 2000 characters get invalid body and no broadcast", async () => {
  const a = await userSocket(server, "alice");
  const b = await userSocket(server, "bob");
  const ca = a.channel("room:invalid");
  const cb = b.channel("room:invalid");
  await join(ca); await join(cb);
  const rec = recorder(cb, ["new_msg"]);
  for (const body of ["", "   ", "x".repeat(2001), undefined, 5]) {
    assert.deepEqual(await push(ca, "new_msg", { body }), { status: "error", response: { reason: "invalid body" } });
  }
  // 2000 characters (multi-byte ones included) is still fine; it is also the marker that
  // everything before it was not broadcast (bob receives in order).
  const ok = await push(ca, "new_msg", { body: "é".repeat(2000) });
  assert.equal(ok.status, "ok");
  const first = await rec.next("new_msg");
  assert.equal(first.body.length, 2000);
  assert.equal(rec.count("new_msg"), 0);
  await closeAll(a, b);
});

test("room: typing is broadcast_from: everyone but the sender gets {user}", async () => {
  const a = await userSocket(server, "alice");
  const b = await userSocket(server, "bob");
  const ca = a.channel("room:typing");
  const cb = b.channel("room:typing");
  await join(ca); await join(cb);
  const ra = recorder(ca, ["typing", "new_msg"]);
  const got = waitFor("typing at bob", (ok) => cb.on("typing", ok));
  ca.push("typing", {});
  assert.deepEqual(await got, { user: "alice" });
  // a later message from alice reaches alice; typing never did
  await push(ca, "new_msg", { body: "marker" });
  await ra.next("new_msg");
  assert.equal(ra.count("typing"), 0);
  await closeAll(a, b);
});

test("room: ignore stops bob's new_msg for this socket only (handle_out)", async () => {
  const a = await userSocket(server, "alice");
  const b = await userSocket(server, "bob");
  const c = await userSocket(server, "carl");
  const [ca, cb, cc] = [a, b, c].map((s) => s.channel("room:ignore"));
  await join(ca); await join(cb); await join(cc);
  const ra = recorder(ca, ["new_msg"]);
  const rc = recorder(cc, ["new_msg"]);
  assert.deepEqual(await push(ca, "ignore", { user: "bob" }), { status: "ok", response: {} });
  await push(cb, "new_msg", { body: "from bob" });
  await push(cc, "new_msg", { body: "from carl" });
  // alice gets carl's message but not bob's; carl gets both
  assert.equal((await ra.next("new_msg")).body, "from carl");
  assert.equal(ra.count("new_msg"), 0);
  assert.equal((await rc.next("new_msg")).body, "from bob");
  assert.equal((await rc.next("new_msg")).body, "from carl");
  await closeAll(a, b, c);
});

test("room: binary_echo replies ok with the same bytes (a binary reply frame)", async () => {
  const a = await userSocket(server, "alice");
  const ch = a.channel("room:echo");
  await join(ch);
  const bytes = Uint8Array.from({ length: 300 }, (_, i) => i % 256);
  const r = await push(ch, "binary_echo", bytes.buffer);
  assert.equal(r.status, "ok");
  assert.ok(r.response instanceof ArrayBuffer);
  assert.deepEqual(new Uint8Array(r.response), bytes);
  await closeAll(a);
});

// ---------- user:<name> ----------

test("user: only the user may join its own topic", async () => {
  const a = await userSocket(server, "alice");
  await assert.rejects(join(a.channel("user:bob")), (e) => e.response.reason === "unauthorized");
  const own = await join(a.channel("user:alice"));
  assert.ok(Array.isArray(own.notifications));
  assert.equal(typeof own.unread, "number");
  await closeAll(a);
});

test("user: join reply lists the last 50 notifications and the unread count; mark_read", async () => {
  for (let i = 1; i <= 52; i++) {
    assert.equal((await post(server, "/api/notify", { user: "una", body: `n${i}` })).status, 201);
  }
  const s = await userSocket(server, "una");
  const ch = s.channel("user:una");
  const { notifications, unread } = await join(ch);
  assert.equal(notifications.length, 50);
  assert.equal(unread, 52);
  assert.equal(notifications[0].body, "n3");
  assert.deepEqual(Object.keys(notifications[0]).sort(), ["at", "body", "id", "read"]);
  assert.deepEqual(await push(ch, "mark_read", { id: notifications[49].id }), { status: "ok", response: { unread: 51 } });
  assert.deepEqual(await push(ch, "mark_read", { id: 99999999 }), { status: "error", response: { reason: "not found" } });
  await closeAll(s);
});

// ---------- bench:<name> ----------

test("bench: join {}, ping echoes any payload, shout broadcasts to all incl. sender without a reply", async () => {
  const a = await userSocket(server, "alice");
  const b = await userSocket(server, "bob");
  const ca = a.channel("bench:b1");
  const cb = b.channel("bench:b1");
  assert.deepEqual(await join(ca), {});
  await join(cb);
  assert.deepEqual(await push(ca, "ping", { t: 123, nested: [1, { x: null }] }), { status: "ok", response: { t: 123, nested: [1, { x: null }] } });
  const atA = waitFor("shout at a", (ok) => ca.on("shout", ok));
  const atB = waitFor("shout at b", (ok) => cb.on("shout", ok));
  const replies = a.received.length;
  ca.push("shout", { k: "v" });
  assert.deepEqual(await atA, { k: "v" });
  assert.deepEqual(await atB, { k: "v" });
  assert.equal(a.received.slice(replies).filter((m) => m.event === "phx_reply").length, 0);
  // POST /api/broadcast reaches it like any topic
  const viaHttp = waitFor("http shout", (ok) => cb.on("from_http", ok));
  assert.equal((await post(server, "/api/broadcast", { topic: "bench:b1", event: "from_http", payload: { z: 1 } })).status, 204);
  assert.deepEqual(await viaHttp, { z: 1 });
  await closeAll(a, b);
});

test("socket: phoenix.js URL quirks (null params make `&&`, nested keys) do not break the connect", async () => {
  const token = await tokenFor(server, "quirk");
  const s = await openSocket(server, { params: { token, nul: null, nested: { a: [1, 2] }, und: undefined } });
  assert.deepEqual(await join(s.channel("bench:quirk")), {});
  await closeAll(s);
});
