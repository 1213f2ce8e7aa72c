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

test("server stops answering heartbeats: the client closes and reconnects within about two intervals", browserTestOptions(), async () => {
  const HB = 800;
  const server = await serverFor({ testHooks: true });
  const alice = await chatFor(server, "alice", { query: `hb=${HB}` });
  // Heartbeat replies seen by the browser (phx_reply on topic "phoenix"), with a waiter.
  const heartbeatReplies = [];
  let waiter = null;
  alice.page.on("websocket", (ws) => {
    ws.on("framereceived", ({ payload }) => {
      if (typeof payload === "string" && payload.includes('"phoenix"') && payload.includes("phx_reply")) {
        heartbeatReplies.push(Date.now());
        waiter?.();
      }
    });
  });
  const waitHeartbeatReplies = (n, after, timeout) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fewer than ${n} heartbeat replies in ${timeout} ms`)), timeout);
    waiter = () => {
      if (heartbeatReplies.filter((t) => t > after).length < n) return;
      clearTimeout(timer);
      waiter = null;
      resolve(heartbeatReplies.filter((t) => t > after));
    };
    waiter();
  });
  const opensBefore = (await alice.events()).filter((e) => e.type === "open").length;

  const off = await server.post("/api/test/heartbeats", { answer: false });
  assert.equal(off.status, 204, "the server's heartbeat test switch (--test-hooks)");
  const t0 = Date.now();

  const waitEvent = (type, after) => alice.page.waitForFunction(
    ([t, a]) => window.chat.state.events.find((e) => e.type === t && e.at >= a),
    [type, after], { timeout: 10 * HB },
  ).then((h) => h.jsonValue());
  const closed = await waitEvent("close", t0);
  const reopened = await waitEvent("open", closed.at);
  assert.ok(closed.at - t0 <= 2 * HB + 600, `closed ${closed.at - t0} ms after heartbeats stopped (interval ${HB} ms)`);
  assert.ok(reopened.at - closed.at <= HB, `reconnected ${reopened.at - closed.at} ms after the close`);

  // Heartbeats answered again: the connection stays up (several answered heartbeats, no close).
  const on = await server.post("/api/test/heartbeats", { answer: true });
  assert.equal(on.status, 204);
  const t1 = Date.now();
  // (A heartbeat sent just before the switch may still time out once more.)
  const replies = await waitHeartbeatReplies(3, t1, 10 * HB);
  await alice.waitStatus("connected");
  await alice.waitJoined("lobby");
  const events = await alice.events();
  assert.deepEqual(events.filter((e) => e.type === "close" && e.at > replies[0]), [], "no close once heartbeats are answered");
  assert.ok(events.filter((e) => e.type === "open").length > opensBefore);
  await alice.send("still here");
  alice.assertClean();
});
