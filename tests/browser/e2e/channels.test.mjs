// Channels through the demo page: a binary push with a binary reply, 100 channels on one socket,
// a refused join, the per-user notification channel, the `ignore` intercept, and LongPoll.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { useBrowser, browserTestOptions } from "./helpers.mjs";

const { serverFor, chatFor, browser, onCleanup } = useBrowser({ before, after, afterEach });

test("binary push and binary reply (binary_echo) round trip", browserTestOptions(), async () => {
  const server = await serverFor();
  const alice = await chatFor(server, "alice");
  const frames = alice.frames;

  // Through the UI: Connection details > Binary round trip.
  await alice.page.click(".diagnostics summary");
  await alice.page.click("#binary-echo");
  await alice.page.locator('#binary-result[data-result="ok"]').waitFor();
  assert.match(await alice.page.locator("#binary-result").textContent(), /1024 bytes echoed back intact/);

  // Bigger and odd sizes, several in flight at once, each reply matched to its push.
  const results = await alice.page.evaluate(() => Promise.all([0, 1, 3, 4095, 65536].map((n) => window.chat.binaryEcho(n))));
  for (const r of results) {
    assert.equal(r.ok, true, `echo of ${r.size} bytes came back intact (${r.replyType})`);
    assert.equal(r.replyType, "[object ArrayBuffer]");
  }
  // They really went out as binary frames.
  assert.ok(frames.sent.filter((f) => f.binary).length >= 6, "binary frames sent");
  alice.assertClean();
});

test("100 channels on one socket: all join, all receive", browserTestOptions(), async () => {
  const server = await serverFor();
  const alice = await chatFor(server, "alice");
  const N = 100;
  await alice.page.evaluate((n) => {
    for (let i = 1; i <= n; i++) window.chat.joinRoom(`r${i}`, { activate: false });
  }, N);
  await alice.page.waitForFunction(
    (n) => document.querySelectorAll('#rooms li[data-status="joined"]').length === n + 1,
    N, { timeout: 20_000 },
  );
  assert.equal(alice.frames.sockets.length, 1, "one WebSocket for everything");
  const joins = alice.frames.sent.filter((f) => !f.binary && f.text.includes("phx_join") && f.text.includes('"room:r'));
  assert.equal(joins.length, N, "one phx_join per room");
  const states = await alice.page.evaluate(() => [...window.chat.state.rooms.values()].map((r) => [r.channel.topic, r.channel.state]));
  assert.equal(states.length, N + 1);
  for (const [topic, state] of states) assert.equal(state, "joined", topic);

  // A broadcast from outside to every room reaches each channel (shown as unread).
  for (let i = 1; i <= N; i++) {
    const r = await server.post("/api/broadcast", {
      topic: `room:r${i}`, event: "new_msg", payload: { id: 1, user: "system", body: `hello r${i}`, at: Date.now() },
    });
    assert.equal(r.status, 204);
  }
  await alice.page.waitForFunction(
    (n) => [...document.querySelectorAll("#rooms li .badge")].filter((b) => b.textContent === "1").length === n,
    N, { timeout: 20_000 },
  );
  // And the page still chats normally.
  await alice.switchRoom("r57");
  await alice.waitMessage("hello r57");
  await alice.send("room 57 works");
  alice.assertClean();
});

test("a refused join (room:forbidden) shows an error and stops retrying", browserTestOptions(), async () => {
  const server = await serverFor();
  const alice = await chatFor(server, "alice");
  await alice.joinRoom("forbidden");
  const alert = alice.page.locator("#room-error");
  await alert.waitFor({ state: "visible" });
  assert.match(await alert.textContent(), /Could not join #forbidden: unauthorized/);
  await alice.page.locator('#rooms li[data-room="forbidden"][data-status="refused"]').waitFor();
  assert.equal(await alice.page.locator("#message").isDisabled(), true, "no composer in a refused room");
  // The page left the channel instead of rejoining forever.
  assert.equal(await alice.page.evaluate(() => window.chat.state.rooms.get("forbidden").channel.state), "closed");

  // The rest of the page is unaffected.
  await alice.switchRoom("lobby");
  assert.equal(await alert.isVisible(), false);
  await alice.send("still fine");
  const joins = alice.frames.sent.filter((f) => !f.binary && f.text.includes('"room:forbidden"') && f.text.includes("phx_join"));
  assert.equal(joins.length, 1, "one join, no retries");
  alice.assertClean();
});

test("notifications: user:<name> join reply and a push from outside any socket", browserTestOptions(), async () => {
  const server = await serverFor();
  const early = await server.post("/api/notify", { user: "alice", body: "Welcome aboard" });
  assert.equal(early.status, 201);
  const alice = await chatFor(server, "alice");
  const badge = alice.page.locator("#bell-count");
  await alice.page.locator("#bell-count:not([hidden])", { hasText: "1" }).waitFor();

  await server.post("/api/notify", { user: "alice", body: "Your build passed" });
  await alice.page.locator("#bell-count", { hasText: "2" }).waitFor();
  await alice.page.click("#bell");
  const items = alice.page.locator("#notification-list .notification");
  await items.first().waitFor();
  assert.deepEqual(await items.evaluateAll((lis) => lis.map((li) => li.firstChild.textContent)), ["Your build passed", "Welcome aboard"]);
  await items.first().click();
  await alice.page.locator("#bell-count", { hasText: "1" }).waitFor();
  await items.nth(1).click();
  await alice.page.locator("#bell-count[hidden]").waitFor({ state: "attached" });
  assert.equal(await alice.page.locator("#notification-list .unread").count(), 0);
  assert.equal(await badge.isVisible(), false);
  alice.assertClean();
});

test("mute: an ignored user's messages stop arriving (server-side intercept)", browserTestOptions(), async () => {
  const server = await serverFor();
  const alice = await chatFor(server, "alice");
  await alice.requirePresence();
  const bob = await chatFor(server, "bob");
  const carol = await chatFor(server, "carol");
  await alice.waitOnline(["alice", "bob", "carol"]);
  await alice.page.hover('#online .person[data-user="bob"]');
  await alice.page.click('#online .person[data-user="bob"] .mute');
  await alice.page.locator('#online .person.muted-user[data-user="bob"]').waitFor();
  await bob.send("you cannot hear me");
  await carol.waitMessage("you cannot hear me");
  await carol.send("but you hear me");
  await alice.waitMessage("but you hear me");
  assert.deepEqual((await alice.messages()).map((m) => m.body), ["but you hear me"]);
  for (const c of [alice, bob, carol]) c.assertClean();
});

test("LongPoll transport (?transport=longpoll) chats with a WebSocket user", browserTestOptions(), async (t) => {
  const server = await serverFor();
  // Until both halves exist this is a TODO (reported, not failed): the server's
  // /socket/longpoll and the package's LongPoll export are being built in parallel.
  const probe = await fetch(`${server.origin}/socket/longpoll?vsn=2.0.0`);
  const look = await browser().newPage();
  onCleanup(() => look.close());
  const lookErrors = [];
  look.on("pageerror", (err) => lookErrors.push(`pageerror: ${err.message}`));
  look.on("console", (msg) => { if (msg.type() === "error") lookErrors.push(`console.error: ${msg.text()}`); });
  await look.goto(`${server.origin}/?transport=longpoll`);
  const supported = await look.evaluate(() => window.chat.longPollSupported);
  assert.deepEqual(lookErrors, []);
  const missing = [
    probe.status === 404 && "the reference server has no /socket/longpoll yet",
    !supported && "phoenix-wasm exports no LongPoll yet",
  ].filter(Boolean);
  if (missing.length) {
    t.todo(missing.join("; "));
    return;
  }
  const alice = await chatFor(server, "alice", { query: "transport=longpoll" });
  assert.equal(await alice.page.locator("#transport").textContent(), "LongPoll");
  const bob = await chatFor(server, "bob");
  await alice.send("over long poll");
  await bob.waitMessage("over long poll");
  await bob.send("over websocket");
  await alice.waitMessage("over websocket");
  assert.deepEqual(alice.frames.sockets, [], "the LongPoll page opened no WebSocket");
  alice.assertClean();
  bob.assertClean();
});
