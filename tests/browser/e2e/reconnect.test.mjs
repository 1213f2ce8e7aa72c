// The connection under stress: the server killed and restarted mid-chat on the same port, and a
// server that stops answering heartbeats. The page must show it, reconnect, rejoin and carry on,
// with no page error and no wasm trap.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { useBrowser, browserTestOptions } from "./helpers.mjs";

const { serverFor, chatFor, browser, onCleanup } = useBrowser({ before, after, afterEach });

test("server killed and restarted mid-chat: reconnecting banner, rejoin, messages flow again", browserTestOptions(), async () => {
  const server = await serverFor();
  const alice = await chatFor(server, "alice");
  const bob = await chatFor(server, "bob");
  for (const c of [alice, bob]) {
    await c.joinRoom("ops");
    await c.waitJoined("ops");
  }
  await alice.send("before the crash");
  await bob.waitMessage("before the crash");
  await bob.switchRoom("lobby");

  // While the server is down (and right after, when the old token is refused with a 403), the
  // browser itself logs failed WebSocket handshakes and failed token fetches: expected here, and
  // only here.
  const port = server.port;
  const noise = new RegExp(
    `(WebSocket connection to 'ws://127\\.0\\.0\\.1:${port}/socket/websocket\\?[^']*' failed)`
    + `|(Failed to load resource: net::ERR_CONNECTION_REFUSED @ http://127\\.0\\.0\\.1:${port}/api/token)`
    + `|(Failed to load resource: the server responded with a status of 403)`,
  );
  const withdraw = [alice, bob].map((c) => c.expectConsole(noise));

  await server.kill("SIGKILL");
  await alice.waitStatus("reconnecting");
  await bob.waitStatus("reconnecting");
  assert.match(await alice.page.locator("#status").textContent(), /Reconnecting/);
  assert.ok(await alice.page.locator("#status").isVisible(), "the reconnecting banner is visible");

  await server.restart();
  assert.equal(server.port, port, "restarted on the same port");
  for (const c of [alice, bob]) {
    await c.waitStatus("connected", 20_000);
    await c.waitJoined("lobby");
    await c.waitJoined("ops");
  }
  withdraw.forEach((w) => w());

  // The old messages are still on screen, and new ones flow in both directions.
  assert.deepEqual(await alice.messages(), [{ user: "alice", body: "before the crash" }]);
  await alice.send("after the restart");
  await bob.page.locator('#rooms li[data-room="ops"] .badge', { hasText: "1" }).waitFor();
  await bob.switchRoom("ops");
  await bob.waitMessage("after the restart");
  await bob.send("welcome back");
  await alice.waitMessage("welcome back");
  assert.deepEqual((await bob.messages()).map((m) => m.body), ["before the crash", "after the restart", "welcome back"]);

  const reconnects = await alice.page.evaluate(() => window.chat.state.reconnects);
  assert.equal(reconnects, 1, "one reconnect");
  alice.assertClean();
  bob.assertClean();
});

test("server stops answering heartbeats: an unanswered heartbeat closes the connection, the client reconnects", browserTestOptions(), async () => {
  // Checked by the order of what the browser saw on the wire, never by elapsed time: the
  // deadlines below only bound the waiting.
  const HB = 800;
  const server = await serverFor({ testHooks: true });
  const alice = await chatFor(server, "alice", { query: `hb=${HB}` });
  // What the browser's WebSockets did, in order across reconnects (recorded from the first
  // socket on): heartbeats sent ("hb", ref), heartbeat replies ("reply", ref), closes ("close").
  const wire = () => alice.frames.wire.map((e) => {
    if (e.dir === "close") return { kind: "close" };
    const f = JSON.parse(e.text);
    if (f[2] !== "phoenix") return { kind: "other" };
    if (e.dir === "sent" && f[3] === "heartbeat") return { kind: "hb", ref: f[1] };
    if (e.dir === "received" && f[3] === "phx_reply") return { kind: "reply", ref: f[1] };
    return { kind: "other" };
  });
  const waitWire = (what, pred) => alice.frames.waitFor(what, () => pred(wire()), 20 * HB);
  await waitWire("answered heartbeat", (w) => w.some((e) => e.kind === "reply"));
  const eventsBefore = (await alice.events()).length;

  const off = await server.post("/api/test/heartbeats", { answer: false });
  assert.equal(off.status, 204, "the server's heartbeat test switch (--test-hooks)");
  const offAt = wire().length;
  await waitWire("close", (w) => w.slice(offAt).some((e) => e.kind === "close"));
  const afterOff = wire().slice(offAt);
  const untilClose = afterOff.slice(0, afterOff.findIndex((e) => e.kind === "close"));
  const replied = new Set(untilClose.filter((e) => e.kind === "reply").map((e) => e.ref));
  const unanswered = untilClose.filter((e) => e.kind === "hb" && !replied.has(e.ref));
  assert.ok(unanswered.length >= 1, `the close follows an unanswered heartbeat: ${JSON.stringify(untilClose)}`);

  // The page saw the close, then a new open (event order, not time).
  await alice.page.waitForFunction(
    (n) => {
      const later = window.chat.state.events.slice(n);
      const close = later.findIndex((e) => e.type === "close");
      return close >= 0 && later.slice(close).some((e) => e.type === "open");
    },
    eventsBefore,
    { timeout: 20 * HB },
  );

  // Heartbeats answered again: three answered heartbeats in a row, and no close after the
  // first of them. (One sent just before the switch may still time out once more.)
  const on = await server.post("/api/test/heartbeats", { answer: true });
  assert.equal(on.status, 204);
  const onAt = wire().length;
  await waitWire("three heartbeat replies", (w) => w.slice(onAt).filter((e) => e.kind === "reply").length >= 3);
  const afterOn = wire().slice(onAt);
  const answered = afterOn.slice(afterOn.findIndex((e) => e.kind === "reply"));
  assert.deepEqual(answered.filter((e) => e.kind === "close"), [], "no close once heartbeats are answered");
  await alice.waitStatus("connected");
  await alice.waitJoined("lobby");
  await alice.send("still here");
  alice.assertClean();
});
