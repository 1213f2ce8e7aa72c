// End-to-end helpers: the reference server (phoenix-server) serving www/, Debian Chromium via
// playwright-core, and the demo page driven through its UI.
//
// Nothing is built here. Before running:
//   npm run build && node www/build.mjs && cargo build -p phoenix-server
// The server binary is $PHX_SERVER_BIN (default target/debug/phoenix-server), spawned by
// tests/support/server.mjs like every other test's server.
//
// Every page records page errors and console errors; `chat.assertClean()` fails the test on any
// of them (minus the browser's own network messages a test declares expected, e.g. while the
// server is down on purpose). No helper sleeps for a fixed time: waits are on page state.
import fs from "node:fs";
import path from "node:path";
import assert from "node:assert/strict";
import { ROOT, CHROMIUM, CHROMIUM_ARGS, browserTestOptions } from "../support.mjs";
import { startServer as startSharedServer, post, serverBin } from "../../support/server.mjs";

export { ROOT, browserTestOptions };

// PHX_E2E_WWW: another build of the site, e.g. `node www/build.mjs --reference DIR` (phoenix.js).
export const WWW = process.env.PHX_E2E_WWW ? path.resolve(process.env.PHX_E2E_WWW) : path.join(ROOT, "www");
const WAIT = 10_000;

/** Fails early with the command to run when something the suite does not build is missing. */
export function checkPrerequisites() {
  const missing = [];
  if (!fs.existsSync(serverBin())) missing.push(`${serverBin()} (cargo build -p phoenix-server, or set PHX_SERVER_BIN)`);
  if (!fs.existsSync(path.join(ROOT, "dist", "phoenix-wasm.mjs"))) missing.push("dist/phoenix-wasm.mjs (npm run build)");
  if (!fs.existsSync(path.join(WWW, "dist", "app.js"))) missing.push("www/dist/app.js (node www/build.mjs)");
  if (!fs.existsSync(CHROMIUM)) missing.push(`${CHROMIUM} (scripts/setup.sh installs chromium)`);
  if (missing.length) throw new Error(`e2e prerequisites missing:\n  ${missing.join("\n  ")}`);
}

/** The reference server serving the demo (WWW); see tests/support/server.mjs for the handle. */
export function startServer({ port = 0, testHooks = false, args = [] } = {}) {
  return startSharedServer({ port, testHooks, args, staticDir: WWW });
}

export { post, serverBin };

/**
 * Per-file setup for node:test: one browser for the file; each test's servers and chats are
 * stopped after it (afterEach), whatever the outcome. Returns {serverFor, chatFor, browser()}.
 */
export function useBrowser({ before, after, afterEach }) {
  let browser;
  const cleanup = [];
  before(async () => {
    if (process.env.PHOENIX_WASM_SKIP_BROWSER !== "1") browser = await launchBrowser();
  });
  afterEach(async () => {
    while (cleanup.length) await cleanup.pop()().catch(() => {});
  });
  after(async () => {
    await browser?.close();
  });
  return {
    browser: () => browser,
    onCleanup: (fn) => cleanup.push(fn),
    async serverFor(opts) {
      const server = await startServer(opts);
      cleanup.push(() => server.stop());
      return server;
    },
    async chatFor(server, name, opts) {
      const chat = await openChat(browser, server, name, opts);
      cleanup.push(() => chat.close());
      return chat;
    },
  };
}

/** Debian Chromium (never downloaded); one browser per test file, one context per user. */
export async function launchBrowser() {
  checkPrerequisites();
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
}

// Messages from the wasm side that mean a trap or a Rust panic, whatever the console level.
const TRAP = /RuntimeError|unreachable|panicked at|wasm-bindgen|memory access out of bounds/i;

/**
 * Opens the demo in a new context (or `context`), signs in as `name` through the form and waits
 * until the socket is connected and `#lobby` is joined. `query` is the page's query string.
 */
export async function openChat(browser, server, name, { query = "", context = null, viewport } = {}) {
  const ctx = context || await browser.newContext({ viewport: viewport || { width: 1200, height: 760 } });
  const page = await ctx.newPage();
  const errors = [];
  const expected = []; // regexps of browser-generated messages a test declared expected
  page.on("pageerror", (err) => errors.push(`pageerror: ${err.stack || err.message}`));
  page.on("console", (msg) => {
    const text = msg.text();
    if (msg.type() === "error") {
      const where = msg.location()?.url || "?";
      if (!expected.some((re) => re.test(`${text} @ ${where}`))) errors.push(`console.error: ${text} (${where})`);
    } else if (TRAP.test(text)) {
      errors.push(`console.${msg.type()} (wasm trap?): ${text}`);
    }
  });
  page.on("crash", () => errors.push("page crashed"));
  const frames = recordFrames(page);
  await page.goto(`${server.origin}/${query ? `?${query}` : ""}`);
  await page.fill("#name", name);
  await page.click("#login-button");
  const chat = makeChat(page, ctx, name, errors, expected, !context);
  chat.frames = frames;
  await chat.waitStatus("connected");
  await chat.waitJoined("lobby");
  return chat;
}

/**
 * The page's WebSockets and their traffic, from the page's first socket on:
 * - `sockets`: urls; `sent`: the frames it sent, `{binary, text|bytes}`;
 * - `wire`: everything in order, across reconnects: `{dir: "sent" | "received", text}` for
 *   text frames and `{dir: "close"}` when a socket closes;
 * - `waitFor(what, pred, timeout)`: resolves once `pred(wire)` holds (checked on each entry).
 */
export function recordFrames(page) {
  const waiters = new Set();
  const note = (entry) => {
    rec.wire.push(entry);
    for (const w of waiters) w();
  };
  const rec = {
    sockets: [],
    sent: [],
    wire: [],
    waitFor(what, pred, timeout = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!pred(rec.wire)) return;
          waiters.delete(check);
          clearTimeout(deadline);
          resolve();
        };
        const deadline = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${what} on the wire within ${timeout} ms: ${JSON.stringify(rec.wire.slice(-20))}`));
        }, timeout);
        waiters.add(check);
        check();
      });
    },
  };
  page.on("websocket", (ws) => {
    rec.sockets.push(ws.url());
    ws.on("framesent", ({ payload }) => {
      rec.sent.push(typeof payload === "string" ? { binary: false, text: payload } : { binary: true, bytes: payload.length });
      if (typeof payload === "string") note({ dir: "sent", text: payload });
    });
    ws.on("framereceived", ({ payload }) => {
      if (typeof payload === "string") note({ dir: "received", text: payload });
    });
    ws.on("close", () => note({ dir: "close" }));
  });
  return rec;
}

function makeChat(page, context, name, errors, expected, ownsContext) {
  const chat = {
    page,
    context,
    name,
    errors,
    /**
     * Declares console errors expected from now on (tested against "text @ url"), e.g. the
     * browser's own network errors while the server is down on purpose. Returns a function that
     * withdraws the declaration.
     */
    expectConsole(re) {
      expected.push(re);
      return () => expected.splice(expected.indexOf(re), 1);
    },
    assertClean() {
      assert.deepEqual(errors, [], `${name}: page errors or console errors`);
    },
    async close() {
      if (ownsContext) await context.close();
      else await page.close();
    },
    async waitStatus(status, timeout = WAIT) {
      await page.locator(`#status[data-state="${status}"]`).waitFor({ timeout })
        .catch(failWith(`${name}: status never became "${status}"`, chat));
    },
    async waitJoined(room, timeout = WAIT) {
      await page.locator(`#rooms li[data-room="${room}"][data-status="joined"]`).waitFor({ timeout })
        .catch(failWith(`${name}: #${room} never joined`, chat));
    },
    async joinRoom(room) {
      await page.fill("#room-name", room);
      await page.click("#join-form button");
    },
    async switchRoom(room) {
      await page.click(`#rooms li[data-room="${room}"] button`);
      await page.locator(`#rooms li[data-room="${room}"].active`).waitFor({ timeout: WAIT });
    },
    /** Types and sends through the composer; resolves once the message is on this page. */
    async send(body) {
      await page.fill("#message", body);
      await page.press("#message", "Enter");
      await chat.waitMessage(body);
    },
    async waitMessage(body, timeout = WAIT) {
      await page.locator("#messages .message .body", { hasText: body }).first().waitFor({ timeout })
        .catch(failWith(`${name}: message "${body}" never shown`, chat));
    },
    messages() {
      return page.$$eval("#messages .message", (lis) => lis.map((li) => ({
        user: li.dataset.user,
        body: li.querySelector(".body").textContent,
      })));
    },
    online() {
      return page.$$eval("#online .person", (lis) => lis.map((li) => ({ user: li.dataset.user, tabs: Number(li.dataset.tabs) })));
    },
    async waitOnline(users, timeout = WAIT) {
      const want = [...users].sort().join(",");
      await page.waitForFunction(
        (w) => [...document.querySelectorAll("#online .person")].map((li) => li.dataset.user).sort().join(",") === w,
        want, { timeout },
      ).catch(async (err) => {
        const now = await chat.online().catch(() => "?");
        return failWith(`${name}: online list never became [${want}] (it is ${JSON.stringify(now)})`, chat)(err);
      });
    },
    /** Fails with a clear message when the package has no Presence (the Presence issue). */
    async requirePresence() {
      const ok = await page.evaluate(() => window.chat.presenceSupported);
      assert.ok(ok, "phoenix-wasm (dist/phoenix-wasm.mjs) exports no Presence: the page cannot show who is online. "
        + "This test passes once the Presence implementation lands in the package.");
    },
    events() {
      return page.evaluate(() => window.chat.state.events);
    },
  };
  return chat;
}

function failWith(message, chat) {
  return async (err) => {
    let extra = "";
    try {
      const status = await chat.page.locator("#status").getAttribute("data-state", { timeout: 1000 });
      extra = `\n  status: ${status}`;
    } catch { /* page gone */ }
    if (chat.errors.length) extra += `\n  page errors:\n    ${chat.errors.join("\n    ")}`;
    throw new Error(`${message}${extra}\n  (${err.message.split("\n")[0]})`);
  };
}
