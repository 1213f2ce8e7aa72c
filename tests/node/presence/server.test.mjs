// phoenix-wasm's Presence in a room of the reference server: three phoenix-wasm clients and a
// phoenix.js observer (npm phoenix's Socket and Presence) join the same room; everybody's list()
// must agree, with the same phx_refs, before and after one client leaves and another closes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as phoenixJs from "phoenix";
import * as phoenixWasm from "phoenix-wasm";
import { startServer, tokenFor, waitFor, until, join, WebSocket } from "../../server/support.mjs";

let server;
before(async () => {
  server = await startServer({ args: ["--test-hooks"] });
});
after(async () => {
  await server?.stop();
});

async function member(impl, name, topic) {
  const token = await tokenFor(server, name);
  const socket = new impl.Socket(server.ws, {
    transport: WebSocket,
    params: { token },
    reconnectAfterMs: () => 50,
    rejoinAfterMs: () => 50,
  });
  const opened = waitFor(`${name} socket open`, (ok) => socket.onOpen(ok));
  socket.connect();
  await opened;
  const channel = socket.channel(topic);
  const presence = new impl.Presence(channel);
  const events = [];
  presence.onJoin((key, current, joined) => events.push(["join", key, current === undefined, joined.metas.length]));
  presence.onLeave((key, current, left) => events.push(["leave", key, current.metas.length, left.metas.length]));
  let syncs = 0;
  presence.onSync(() => syncs++);
  await join(channel);
  // Sorted: list() order is the order in which this client learnt of each key.
  const view = () =>
    JSON.stringify(presence.list((key, { metas }) => [key, metas.map((m) => m.phx_ref).sort()]).sort(([x], [y]) => (x < y ? -1 : 1)));
  return { name, socket, channel, presence, events, view, syncs: () => syncs };
}

const closeSocket = (s) =>
  new Promise((resolve) => {
    if (!s.isConnected()) return resolve();
    s.disconnect(resolve);
  });

test("three phoenix-wasm clients and a phoenix.js observer agree on list(), before and after one leaves", async () => {
  const topic = "room:wasm-presence";
  const observer = await member(phoenixJs, "olga", topic);
  const a = await member(phoenixWasm, "alice", topic);
  const b = await member(phoenixWasm, "bob", topic);
  const b2 = await member(phoenixWasm, "bob", topic); // a second tab: one key, two metas
  const all = [observer, a, b, b2];

  const agreed = async (what, keys) => {
    await until(what, () => {
      const views = all.filter((m) => m.socket.isConnected() && m.channel.state === "joined").map((m) => m.view());
      return views.every((v) => v === views[0]) && JSON.parse(views[0]).map(([k]) => k).join() === keys;
    }).catch((e) => {
      throw new Error(`${e.message}: ${all.map((m) => `${m.name} ${m.channel.state} ${m.view()}`).join(" | ")}`);
    });
  };
  await agreed("everybody sees the four tabs", "alice,bob,olga");
  const bobRefs = JSON.parse(a.view()).find(([k]) => k === "bob")[1];
  assert.equal(bobRefs.length, 2, "bob has one meta per tab");
  assert.ok(a.events.some(([kind, key, isNew]) => kind === "join" && key === "bob" && isNew === true));
  assert.ok(a.syncs() > 0);
  assert.equal(a.presence.inPendingSyncState(), false);

  // One tab leaves its channel: bob keeps one meta.
  await new Promise((resolve) => b2.channel.leave().receive("ok", resolve));
  await until("alice sees one bob meta", () => JSON.parse(a.view()).find(([k]) => k === "bob")?.[1].length === 1);
  all.splice(all.indexOf(b2), 1);
  await agreed("everybody sees one bob tab", "alice,bob,olga");
  assert.ok(a.events.some(([kind, key, left, gone]) => kind === "leave" && key === "bob" && left === 1 && gone === 1));

  // Alice's socket closes: she leaves for everybody.
  await closeSocket(a.socket);
  all.splice(all.indexOf(a), 1);
  await agreed("alice gone everywhere", "bob,olga");
  assert.ok(observer.events.some(([kind, key]) => kind === "leave" && key === "alice"));

  await Promise.all([observer, b, b2].map((m) => closeSocket(m.socket)));
});
