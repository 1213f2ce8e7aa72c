// Presence with 2 and 3 clients through phoenix.js's own Presence class: state, diffs,
// several tabs of one user, and cleanup on leave, disconnect and crash.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, userSocket, join, closeAll, until, waitFor, Presence, push } from "./support.mjs";

let server;
before(async () => { server = await startServer({ args: ["--test-hooks"] }); });
after(async () => { await server?.stop(); });

/** A joined room channel with a phoenix.js Presence tracking it. */
async function member(name, topic) {
  const socket = await userSocket(server, name);
  const channel = socket.channel(topic);
  const presence = new Presence(channel);
  const events = [];
  presence.onJoin((key, current, joined) => events.push(["join", key, joined.metas.length]));
  presence.onLeave((key, current, left) => events.push(["leave", key, left.metas.length]));
  await join(channel);
  const keys = () => presence.list((key, { metas }) => `${key}:${metas.length}`).sort();
  return { socket, channel, presence, events, keys };
}

test("two clients see each other join and leave", async () => {
  const a = await member("alice", "room:p2");
  await until("alice sees herself", () => a.keys().join() === "alice:1");
  const b = await member("bob", "room:p2");
  await until("bob sees both", () => b.keys().join() === "alice:1,bob:1");
  await until("alice sees bob", () => a.keys().join() === "alice:1,bob:1");
  assert.ok(a.events.some(([kind, key]) => kind === "join" && key === "bob"));
  b.channel.leave();
  await until("alice sees bob leave", () => a.keys().join() === "alice:1");
  assert.ok(a.events.some(([kind, key]) => kind === "leave" && key === "bob"));
  await closeAll(a.socket, b.socket);
});

test("three clients, one user in two tabs is one key with two metas; disconnect cleans up", async () => {
  const a = await member("alice", "room:p3");
  const b = await member("bob", "room:p3");
  const b2 = await member("bob", "room:p3");
  const want = "alice:1,bob:2";
  for (const m of [a, b, b2]) await until(`${want} everywhere`, () => m.keys().join() === want);
  // phx_refs are distinct per tab
  const refs = a.presence.list((key, { metas }) => metas.map((m) => m.phx_ref)).flat();
  assert.equal(new Set(refs).size, 3);
  // closing one tab's socket removes one meta only
  await closeAll(b2.socket);
  await until("one bob meta left", () => a.keys().join() === "alice:1,bob:1");
  await closeAll(b.socket);
  await until("bob gone", () => a.keys().join() === "alice:1");
  await closeAll(a.socket);
});

test("a crashed channel's presences leave for the others", async () => {
  const a = await member("alice", "room:pcrash");
  const b = await member("bob", "room:pcrash");
  await until("both present", () => a.keys().join() === "alice:1,bob:1");
  const errored = waitFor("phx_error on bob's channel", (ok) => b.channel.onError(ok));
  push(b.channel, "test_crash", {}, 500);
  await errored;
  await until("bob left after the crash", () => a.events.some(([kind, key]) => kind === "leave" && key === "bob"));
  // phoenix.js rejoins the errored channel, so bob comes back
  await until("bob rejoined", () => a.keys().join() === "alice:1,bob:1");
  await closeAll(a.socket, b.socket);
});

test("a late joiner gets the full state; diffs before it are not needed", async () => {
  const a = await member("alice", "room:plate");
  const b = await member("bob", "room:plate");
  await until("a sees b", () => a.keys().join() === "alice:1,bob:1");
  const c = await member("carol", "room:plate");
  await until("carol sees all", () => c.keys().join() === "alice:1,bob:1,carol:1");
  for (const m of [a, b]) await until("all see carol", () => m.keys().join() === "alice:1,bob:1,carol:1");
  await closeAll(a.socket, b.socket, c.socket);
});
