// LongPoll in Chromium against the reference server's /socket/longpoll:
//  1. the demo page on ?transport=longpoll chats with LongPoll and WebSocket users (presence,
//     messages both ways, a binary push answered with a clear error, no WebSocket opened);
//  2. a server that refuses every WebSocket upgrade (--no-websocket): a page with
//     `longPollFallbackMs` falls back to LongPoll within that time, chats, and after a reload goes
//     straight to LongPoll (the fallback memory in sessionStorage). Once through a page that uses
//     the package directly (needs nothing from www/), once through the demo page (needs its
//     `?fallback=MS` query parameter; a TODO until www/app.js has it).
//
// Before running: npm run build && node www/build.mjs && cargo build -p phoenix-server
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { useBrowser, browserTestOptions, ROOT } from "./helpers.mjs";
import { serveStatic } from "../support.mjs";

const { serverFor, chatFor, browser, onCleanup } = useBrowser({ before, after, afterEach });

const BINARY_REPLY_REASON = "binary replies are not supported over LongPoll";
const FALLBACK_MS = 1500;
const FALLBACK_KEY = "phx:fallback:LongPoll";

/** The browser's own message for a refused WebSocket handshake (the server's 503). */
const refusedWs = (port) =>
  new RegExp(`WebSocket connection to 'ws://127\\.0\\.0\\.1:${port}/socket/websocket\\?[^']*' failed`);

/** Records the page's WebSockets and LongPoll requests ({method, url}). */
function recordTransports(page) {
  const rec = { sockets: [], longpoll: [] };
  page.on("websocket", (ws) => rec.sockets.push(ws.url()));
  page.on("request", (req) => {
    if (req.url().includes("/socket/longpoll")) rec.longpoll.push({ method: req.method(), url: req.url() });
  });
  return rec;
}

test("?transport=longpoll: LongPoll and WebSocket users chat, see each other online; binary echo gets a clear error", browserTestOptions(), async () => {
  const server = await serverFor();
  const alice = await chatFor(server, "alice", { query: "transport=longpoll" });
  const rec = recordTransports(alice.page);
  await alice.requirePresence();
  assert.equal(await alice.page.locator("#transport").textContent(), "LongPoll");
  const bob = await chatFor(server, "bob", { query: "transport=longpoll" });
  const carol = await chatFor(server, "carol");
  for (const c of [alice, bob, carol]) await c.waitOnline(["alice", "bob", "carol"]);

  await alice.send("lp to everyone");
  await bob.waitMessage("lp to everyone");
  await carol.waitMessage("lp to everyone");
  await carol.send("ws to everyone");
  await alice.waitMessage("ws to everyone");
  await bob.waitMessage("ws to everyone");
  await bob.send("lp again");
  await alice.waitMessage("lp again");

  // phoenix.js cannot decode binary over LongPoll: the server answers the binary push (sent as
  // a base64 NDJSON line) with an error reply instead of breaking the poll.
  const echo = await alice.page.evaluate(() => window.chat.binaryEcho(256).then((r) => `ok ${r.replyType}`, (e) => e.message));
  assert.equal(echo, BINARY_REPLY_REASON);
  await alice.send("after the binary push");
  await carol.waitMessage("after the binary push");

  // bob closes his tab: LongPoll does not tell the server, which notices the missing polls
  // (the default 10 s window) and lets bob's presence leave.
  await bob.close();
  for (const c of [alice, carol]) await c.waitOnline(["alice", "carol"], 25_000);

  assert.deepEqual(alice.frames.sockets, [], "the LongPoll page opened no WebSocket");
  assert.deepEqual(rec.sockets, []);
  assert.ok(rec.longpoll.some((r) => r.method === "GET"), "LongPoll GETs");
  assert.ok(rec.longpoll.some((r) => r.method === "POST"), "LongPoll POSTs");
  for (const c of [alice, carol]) c.assertClean();
  bob.assertClean();
});

// A page that uses a built package directly, served by the reference server itself from a
// temporary static directory (a copy of nothing from www/: just this page and the package), so
// that it is a genuine same-origin loopback page (a Playwright-fulfilled page would count as
// public and Chromium's local network access checks would block its WebSocket).
const PAGE = `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>LongPoll fallback</title>
<script type="module">
  const q = new URLSearchParams(location.search);
  const log = window.__log = { events: [], messages: [], joined: 0, error: null };
  try {
    const { Socket, LongPoll } = await import("./" + q.get("pkg"));
    const res = await fetch("/api/token", {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: q.get("name") }),
    });
    const { token } = await res.json();
    const socket = new Socket("/socket", { params: { token }, longPollFallbackMs: Number(q.get("ms")) });
    const t0 = performance.now();
    const isLongPoll = () => socket.transport === LongPoll;
    socket.onOpen(() => log.events.push({ type: "open", at: performance.now() - t0, longpoll: isLongPoll() }));
    socket.onError(() => log.events.push({ type: "error", at: performance.now() - t0, longpoll: isLongPoll() }));
    socket.onClose((e) => log.events.push({ type: "close", code: e && e.code, longpoll: isLongPoll() }));
    socket.connect();
    const channel = socket.channel("room:fallback");
    channel.on("new_msg", (m) => log.messages.push(m.user + ": " + m.body));
    channel.join().receive("ok", () => { log.joined++; });
    window.__send = (body) => new Promise((resolve) => channel.push("new_msg", { body })
      .receive("ok", () => resolve("ok")).receive("error", (r) => resolve("error " + JSON.stringify(r)))
      .receive("timeout", () => resolve("timeout")));
    window.__state = () => ({ longpoll: isLongPoll(), connIsLongPoll: socket.conn instanceof LongPoll,
      memory: sessionStorage.getItem(${JSON.stringify(FALLBACK_KEY)}) });
  } catch (err) {
    log.error = String(err && err.stack || err);
  }
</script>`;

// The same page on our package and on npm phoenix@1.8.16 (phoenix.js's LongPoll over XHR).
const PACKAGES = {
  "phoenix-wasm": path.join(ROOT, "dist", "phoenix-wasm.mjs"),
  "phoenix.js 1.8.16": path.join(ROOT, "node_modules", "phoenix", "priv", "static", "phoenix.mjs"),
};

/** A static directory with the page and the packages; removed after the test. */
function fallbackSite() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phx-e2e-longpoll-"));
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, "fallback.html"), PAGE);
  for (const file of Object.values(PACKAGES)) fs.copyFileSync(file, path.join(dir, path.basename(file)));
  return dir;
}

async function fallbackPage(server, name, rec, pkgFile) {
  const ctx = await browser().newContext();
  onCleanup(() => ctx.close());
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(`pageerror: ${err.stack || err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error" && !refusedWs(server.port).test(msg.text())) errors.push(`console.error: ${msg.text()}`);
  });
  Object.assign(rec, recordTransports(page), { wsErrors: [] });
  page.on("websocket", (ws) => ws.on("socketerror", (e) => rec.wsErrors.push(String(e))));
  await page.goto(`${server.origin}/fallback.html?pkg=${path.basename(pkgFile)}&name=${name}&ms=${FALLBACK_MS}`);
  return { page, errors };
}

async function waitJoined(page, count = 1) {
  await page.waitForFunction((n) => window.__log && (window.__log.error || window.__log.joined >= n), count, { timeout: 15_000 });
  const log = await page.evaluate(() => window.__log);
  assert.equal(log.error, null, `page script failed: ${log.error}`);
  return log;
}

for (const [pkgName, pkgFile] of Object.entries(PACKAGES)) test(`WebSocket refused: ${pkgName} falls back to LongPoll within longPollFallbackMs, chats, and a reload goes straight to LongPoll`, browserTestOptions(), async () => {
  const server = await serverFor({ args: ["--no-websocket", "--static-dir", fallbackSite()] });
  const recA = { sockets: [], longpoll: [] };
  const a = await fallbackPage(server, "alice", recA, pkgFile);
  let log = await waitJoined(a.page);
  const open = log.events.find((e) => e.type === "open");
  assert.ok(open, `opened: ${JSON.stringify(log.events)}`);
  assert.equal(open.longpoll, true, "opened on LongPoll");
  assert.ok(open.at < FALLBACK_MS + 2000, `fell back after ${open.at} ms`);
  assert.equal(recA.sockets.length >= 1, true, "a WebSocket was tried first");
  assert.ok(recA.sockets.every((u) => u.includes("/socket/websocket")));
  assert.match(recA.wsErrors.join("\n"), /503/, "the server refused the upgrade (not the browser)");
  assert.ok(recA.longpoll.length > 0, "then LongPoll requests");
  assert.deepEqual(await a.page.evaluate(() => window.__state()), { longpoll: true, connIsLongPoll: true, memory: "true" });

  const recB = { sockets: [], longpoll: [] };
  const b = await fallbackPage(server, "bob", recB, pkgFile);
  await waitJoined(b.page);
  assert.equal(await a.page.evaluate(() => window.__send("hello from alice")), "ok");
  await b.page.waitForFunction(() => window.__log.messages.includes("alice: hello from alice"), null, { timeout: 10_000 });
  assert.equal(await b.page.evaluate(() => window.__send("hello from bob")), "ok");
  await a.page.waitForFunction(() => window.__log.messages.includes("bob: hello from bob"), null, { timeout: 10_000 });

  // Reload: sessionStorage remembers the fallback, so no WebSocket is tried at all.
  const before = recA.sockets.length;
  await a.page.reload();
  log = await waitJoined(a.page);
  const reopened = log.events.find((e) => e.type === "open");
  assert.equal(reopened.longpoll, true);
  assert.ok(reopened.at < FALLBACK_MS + 2000, `reconnected after ${reopened.at} ms`);
  assert.equal(recA.sockets.length, before, "no WebSocket after the reload");
  assert.ok(!log.events.some((e) => e.type === "error"), `no errors after the reload: ${JSON.stringify(log.events)}`);
  assert.equal(await a.page.evaluate(() => window.__send("after reload")), "ok");
  await b.page.waitForFunction(() => window.__log.messages.includes("alice: after reload"), null, { timeout: 10_000 });
  assert.deepEqual(a.errors, []);
  assert.deepEqual(b.errors, []);
});

for (const [pkgName, pkgFile] of Object.entries(PACKAGES)) test(`WebSocket opens but carries nothing (heartbeats unanswered): ${pkgName} falls back after longPollFallbackMs`, browserTestOptions(), async () => {
  const server = await serverFor({ testHooks: true, args: ["--static-dir", fallbackSite()] });
  // The upgrade succeeds, but the health-check ping never gets its reply (like a proxy that
  // lets the upgrade through and then buffers frames): the fallback timer decides.
  assert.equal((await server.post("/api/test/heartbeats", { answer: false })).status, 204);
  const rec = { sockets: [], longpoll: [] };
  const a = await fallbackPage(server, "alice", rec, pkgFile);
  await a.page.waitForFunction(() => window.__log.events.some((e) => e.type === "open" && e.longpoll), null, { timeout: 15_000 });
  const log = await waitJoined(a.page);
  const opens = log.events.filter((e) => e.type === "open");
  assert.equal(opens[0].longpoll, false, `the WebSocket opened first: ${JSON.stringify(log.events)}`);
  const lp = opens.find((e) => e.longpoll);
  assert.ok(lp.at >= FALLBACK_MS - 50, `fell back after ${lp.at} ms, before longPollFallbackMs`);
  assert.ok(lp.at < FALLBACK_MS + 3000, `fell back after ${lp.at} ms`);
  assert.equal(rec.sockets.length, 1);
  assert.deepEqual(rec.wsErrors, []);
  assert.deepEqual(await a.page.evaluate(() => window.__state()), { longpoll: true, connIsLongPoll: true, memory: "true" });
  // heartbeats stay off, but LongPoll has none: the chat works
  await a.page.waitForFunction(() => window.__log.joined >= 1, null, { timeout: 10_000 });
  assert.equal(await a.page.evaluate(() => window.__send("over the fallback")), "ok");
  await a.page.waitForFunction(() => window.__log.messages.includes("alice: over the fallback"), null, { timeout: 10_000 });
  assert.deepEqual(a.errors, []);
});

// A page on another origin (a static server on another port) talking to /socket/longpoll: the
// authToken header on GETs and the NDJSON POSTs are not CORS-safelisted, so Chromium sends
// preflights; the server's OPTIONS answer and `access-control-allow-origin: *` must let them through.
const CROSS_PAGE = `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>cross-origin LongPoll</title>
<script type="module">
  const q = new URLSearchParams(location.search);
  const log = window.__log = { events: [], messages: [], joined: 0, reply: null, error: null };
  try {
    const { Socket, LongPoll } = await import("/pkg/" + q.get("pkg"));
    const socket = new Socket(q.get("endpoint"), { transport: LongPoll, authToken: q.get("token") });
    socket.onOpen(() => log.events.push("open"));
    socket.onError((e) => log.events.push("error " + e));
    socket.connect();
    const channel = socket.channel("room:cors");
    channel.on("new_msg", (m) => log.messages.push(m.user + ": " + m.body));
    channel.join().receive("ok", () => {
      log.joined++;
      channel.push("new_msg", { body: "across origins" }).receive("ok", (r) => { log.reply = r; });
    });
  } catch (err) {
    log.error = String(err && err.stack || err);
  }
</script>`;

for (const [pkgName, pkgFile] of Object.entries(PACKAGES)) test(`cross-origin page: ${pkgName} over LongPoll with authToken (CORS preflights)`, browserTestOptions(), async () => {
  const server = await serverFor();
  const site = await serveStatic({ "/pkg": path.dirname(pkgFile) }, { "/cross.html": CROSS_PAGE });
  onCleanup(() => site.close());
  const token = (await server.post("/api/token", { name: "corsy" })).body.token;
  const ctx = await browser().newContext();
  onCleanup(() => ctx.close());
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => { if (msg.type() === "error") errors.push(`console.error: ${msg.text()}`); });
  const query = new URLSearchParams({ pkg: path.basename(pkgFile), endpoint: `${server.origin}/socket`, token });
  await page.goto(`${site.origin}/cross.html?${query}`);
  await page.waitForFunction(() => window.__log.error || (window.__log.reply && window.__log.messages.length > 0), null, { timeout: 15_000 })
    .catch(async (err) => { throw new Error(`${err.message}\n${JSON.stringify(await page.evaluate(() => window.__log))}\n${errors.join("\n")}`); });
  const log = await page.evaluate(() => window.__log);
  assert.equal(log.error, null);
  assert.deepEqual(log.events, ["open"]);
  assert.equal(typeof log.reply.id, "number");
  assert.deepEqual(log.messages, ["corsy: across origins"]);
  assert.deepEqual(errors, []);
});

test("demo page, WebSocket refused: falls back to LongPoll (?fallback=MS), chats, reload goes straight to LongPoll", browserTestOptions(), async (t) => {
  const server = await serverFor({ args: ["--no-websocket"] });
  const look = await browser().newPage();
  onCleanup(() => look.close());
  await look.goto(`${server.origin}/?fallback=${FALLBACK_MS}`);
  const supported = await look.evaluate(() => window.chat && window.chat.config && "longPollFallbackMs" in window.chat.config);
  if (!supported) {
    t.todo("www/app.js has no ?fallback=MS query parameter (window.chat.config.longPollFallbackMs → Socket option longPollFallbackMs)");
    return;
  }
  const noise = refusedWs(server.port);
  const clean = (chat) => { chat.errors.splice(0, chat.errors.length, ...chat.errors.filter((e) => !noise.test(e))); };
  const isLongPoll = (chat) => chat.page.evaluate(() => {
    const s = window.chat.state.socket;
    return s.transport === s.getLongPollTransport();
  });

  const alice = await chatFor(server, "alice", { query: `fallback=${FALLBACK_MS}` });
  const rec = recordTransports(alice.page);
  assert.ok(alice.errors.some((e) => noise.test(e) && /503/.test(e)), `the server refused the upgrade: ${alice.errors}`);
  alice.expectConsole(noise);
  clean(alice);
  assert.equal(await isLongPoll(alice), true, "alice fell back to LongPoll");
  assert.ok(alice.frames.sockets.length >= 1, "a WebSocket was tried first");
  const opened = (await alice.events()).find((e) => e.type === "open");
  const started = await alice.page.evaluate(() => performance.timeOrigin);
  assert.ok(opened.at - started < FALLBACK_MS + 5000, `connected ${opened.at - started} ms after navigation`);
  assert.equal(await alice.page.evaluate((k) => sessionStorage.getItem(k), FALLBACK_KEY), "true");

  const bob = await chatFor(server, "bob", { query: `fallback=${FALLBACK_MS}` });
  bob.expectConsole(noise);
  clean(bob);
  await alice.send("falling back works");
  await bob.waitMessage("falling back works");
  await bob.send("for me too");
  await alice.waitMessage("for me too");

  // Reload: the saved user signs in again, straight onto LongPoll.
  await alice.page.reload();
  await alice.waitStatus("connected");
  await alice.waitJoined("lobby");
  assert.equal(await isLongPoll(alice), true);
  assert.deepEqual(rec.sockets, [], "no WebSocket after the reload");
  await alice.send("after reload");
  await bob.waitMessage("after reload");
  alice.assertClean();
  bob.assertClean();
});
