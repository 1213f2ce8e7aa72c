// Phoenix LiveView on phoenix-wasm: the `phoenix_live_view` JS client from npm (newest 1.x and
// newest 1.0.x) in Chromium against the reference server's LiveView corner (/live-demo, socket
// /live: server/src/live/). The page's client (www/live-demo.js, an ordinary LiveView app.js doing
// `import {Socket} from "phoenix"`) is bundled with esbuild four ways: each LiveView version
// with `phoenix` resolving to npm phoenix@1.8.16 (phoenix.js) and to this package (dist/).
// Every bundle runs the same checks, over WebSocket, over LongPoll (`transport: LongPoll`) and
// over LongPoll reached through `longPollFallbackMs` (a server refusing WebSockets): mount, 20 clicks -> 20,
// phx-change and phx-submit, live_patch, server pushes, a server restart after which the page
// rejoins (no reload) and works; no page error and no console error (the browser's own
// connection-refused messages are allowed while the server is down, and only then).
//
// Before running: npm run build && node www/build.mjs && cargo build -p phoenix-server
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { useBrowser, browserTestOptions, ROOT } from "../e2e/helpers.mjs";
import { collectErrors } from "../support.mjs";

const { serverFor, browser, onCleanup } = useBrowser({ before, after, afterEach });

const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const LV_VERSIONS = {
  "phoenix_live_view": PKG.devDependencies.phoenix_live_view,
  "phoenix_live_view_1_0": PKG.devDependencies.phoenix_live_view_1_0.replace(/^npm:phoenix_live_view@/, ""),
};
const CLIENTS = {
  "phoenix.js": { alias: {}, input: /^node_modules\/phoenix\/priv\/static\/phoenix\.mjs$/ },
  "phoenix-wasm": { alias: { phoenix: "phoenix-wasm" }, input: /^dist\/phoenix-wasm\.mjs$/ },
};
const WAIT = 15_000;
const FALLBACK_MS = 500;
const SKIP = process.env.PHOENIX_WASM_SKIP_BROWSER === "1";

let work;
const bundles = {}; // name -> static dir holding dist/live-demo.js

before(async () => {
  if (SKIP) return;
  const esbuild = await import("esbuild");
  work = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-wasm-liveview-"));
  for (const lv of Object.keys(LV_VERSIONS)) {
    for (const [client, { alias, input }] of Object.entries(CLIENTS)) {
      const name = `${lv}@${LV_VERSIONS[lv]} + ${client}`;
      const dir = path.join(work, `${lv}-${client}`);
      const result = await esbuild.build({
        absWorkingDir: ROOT,
        entryPoints: [path.join(ROOT, "www", "live-demo.js")],
        outfile: path.join(dir, "dist", "live-demo.js"),
        bundle: true, format: "esm", platform: "browser", target: ["es2020"], minify: true,
        alias: lv === "phoenix_live_view" ? alias : { ...alias, phoenix_live_view: lv },
        metafile: true, logLevel: "silent",
      });
      assert.deepEqual(result.warnings, [], name);
      // The bundle holds the client and the LiveView it was meant to.
      const inputs = Object.keys(result.metafile.inputs);
      assert.ok(inputs.some((f) => input.test(f)), `${name}: no ${input} in ${inputs.join(", ")}`);
      assert.ok(inputs.some((f) => f.startsWith(`node_modules/${lv}/`)), `${name}: ${lv} not bundled`);
      for (const other of Object.values(CLIENTS)) {
        if (other.input !== input) assert.ok(!inputs.some((f) => other.input.test(f)), `${name}: both clients bundled`);
      }
      bundles[name] = { dir, lvVersion: LV_VERSIONS[lv] };
    }
  }
});

after(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Opens /live-demo (with `query`) in a new context; records errors, transports and reloads. */
async function openLive(server, query) {
  const context = await browser().newContext();
  onCleanup(() => context.close());
  const page = await context.newPage();
  const errors = collectErrors(page);
  const seen = { sockets: [], longpoll: 0, documents: 0 };
  page.on("websocket", (ws) => seen.sockets.push(ws.url()));
  page.on("request", (req) => {
    if (req.url().includes("/live/longpoll")) seen.longpoll += 1;
    if (req.resourceType() === "document") seen.documents += 1;
  });
  await page.goto(`${server.origin}/live-demo${query ? `?${query}` : ""}`);
  const live = {
    page, errors, seen,
    text: (sel) => page.locator(sel).textContent(),
    async waitText(sel, want, what = sel) {
      await page.waitForFunction(([s, w]) => document.querySelector(s)?.textContent === w, [sel, want], { timeout: WAIT })
        .catch(async () => assert.fail(`${what}: want ${JSON.stringify(want)}, have ${JSON.stringify(await live.text(sel))}; errors: ${errors.join(" | ")}`));
    },
    async waitConnected() {
      await page.waitForFunction(() => window.liveSocket?.isConnected()
        && document.querySelector("[data-phx-main]")?.classList.contains("phx-connected"), null, { timeout: WAIT })
        .catch(() => assert.fail(`the LiveView never connected; errors: ${errors.join(" | ")}`));
    },
    async ticks() {
      return Number(await live.text("#ticks"));
    },
    /** Waits for `n` more server pushes than now. */
    async waitTicks(n) {
      const from = await live.ticks();
      await page.waitForFunction(([f, k]) => Number(document.querySelector("#ticks").textContent) >= f + k, [from, n], { timeout: WAIT })
        .catch(() => assert.fail(`fewer than ${n} server pushes (ticks stayed at ${from})`));
    },
  };
  return live;
}

/** The same checks for every bundle and transport. */
async function exercise(bundle, transport) {
  // "fallback": the server refuses every WebSocket upgrade (as some proxies do) and the page sets
  // `longPollFallbackMs`: LiveView must carry on over LongPoll by itself.
  const fallback = transport === "fallback";
  const server = await serverFor({ args: ["--static-dir", bundle.dir, ...(fallback ? ["--no-websocket"] : [])] });
  const query = { websocket: "", longpoll: "transport=longpoll", fallback: `fallback=${FALLBACK_MS}` }[transport];
  const live = await openLive(server, query);
  const { page, errors, seen } = live;
  // The browser's own message for a refused handshake: expected with "fallback", and only there.
  const refused = new RegExp(`WebSocket connection to 'ws://127\\.0\\.0\\.1:${server.port}/live/websocket\\?[^']*' failed`);
  const unexpected = () => errors.filter((e) => !(fallback && refused.test(e)));

  // Mount: the dead render is replaced by the joined view, with the client we bundled.
  await live.waitConnected();
  assert.equal(await page.evaluate(() => window.liveSocket.version()), bundle.lvVersion);
  await live.waitText("#count", "0");
  await page.evaluate(() => { window.__sameDocument = true; });

  // 20 clicks -> 20, then one decrement. Each click waits for the previous one's diff:
  // LiveView ignores a click on an element still awaiting the ack of its last click.
  for (let i = 1; i <= 20; i++) {
    await page.click("#inc");
    await live.waitText("#count", String(i), `after ${i} clicks`);
  }
  await page.click("#dec");
  await live.waitText("#count", "19", "after a decrement");

  // phx-change echoes the field (escaped by the server, shown as text), phx-submit saves it.
  await page.fill("#name", "Ada <3 & co");
  await live.waitText("#echo", "Ada <3 & co", "phx-change echo");
  await page.click("#save");
  await live.waitText("#saved", "Ada <3 & co (#1)", "phx-submit");

  // live_patch: the URL changes without a page load and its params reach the render.
  await page.click("#tab-b");
  await live.waitText("#tab", "b", "live_patch to tab b");
  assert.equal(new URL(page.url()).searchParams.get("tab"), "b");
  await page.click("#tab-a");
  await live.waitText("#tab", "a", "live_patch to tab a");
  await page.goBack();
  await live.waitText("#tab", "b", "history back (a patch)");

  // Server pushes (a diff every 300 ms).
  await live.waitTicks(3);

  // Server restart on the same port: the page notices, rejoins (no reload) and works. A new
  // server process mounts the view afresh (the counter restarts), with the URL's params.
  const port = server.port;
  assert.deepEqual(unexpected(), [], "errors before the restart");
  const quiet = errors.length;
  await server.kill("SIGKILL");
  await page.waitForFunction(() => !window.liveSocket.isConnected()
    || !document.querySelector("[data-phx-main]").classList.contains("phx-connected"), null, { timeout: WAIT });
  await server.restart();
  assert.equal(server.port, port);
  await live.waitConnected();
  const downtime = errors.splice(quiet);
  const noise = new RegExp(`(WebSocket connection to 'ws://127\\.0\\.0\\.1:${port}/live/websocket\\?[^']*' failed)`
    + "|(Failed to load resource: net::ERR_CONNECTION_(REFUSED|RESET))|(net::ERR_EMPTY_RESPONSE)");
  assert.deepEqual(downtime.filter((e) => !noise.test(e)), [], "errors while the server was down");
  await live.waitText("#tab", "b", "params after the rejoin");
  await live.waitText("#count", "0", "fresh mount after the restart");
  // Form recovery: on the rejoin the client sends the form's contents as a phx-change.
  await live.waitText("#echo", "Ada <3 & co", "form recovery after the rejoin");
  for (let i = 1; i <= 3; i++) {
    await page.click("#inc");
    await live.waitText("#count", String(i), "clicks after the restart");
  }
  await page.fill("#name", "after");
  await live.waitText("#echo", "after", "phx-change after the restart");
  await live.waitTicks(2);
  assert.equal(await page.evaluate(() => window.__sameDocument), true, "the page was reloaded");
  assert.equal(seen.documents, 1, "one document load");

  // The transport asked for, and only that one.
  if (transport === "longpoll") {
    assert.deepEqual(seen.sockets, [], "no WebSocket on ?transport=longpoll");
    assert.ok(seen.longpoll > 0, "LongPoll requests");
  } else if (fallback) {
    assert.ok(seen.sockets.length >= 1, "a WebSocket was tried first");
    assert.ok(seen.longpoll > 0, "LongPoll requests after the fallback");
  } else {
    assert.ok(seen.sockets.length >= 2, "a WebSocket before and after the restart");
    assert.ok(seen.sockets.every((u) => new URL(u).pathname === "/live/websocket"), seen.sockets.join(", "));
    assert.equal(seen.longpoll, 0, "no LongPoll request");
  }
  assert.deepEqual(unexpected(), [], "page errors or console errors");
}

for (const lv of Object.keys(LV_VERSIONS)) {
  for (const client of Object.keys(CLIENTS)) {
    const name = `${lv}@${LV_VERSIONS[lv]} + ${client}`;
    for (const transport of ["websocket", "longpoll", "fallback"]) {
      test(`${name} over ${transport}: mount, clicks, form, live_patch, pushes, restart`,
        browserTestOptions({ timeout: 120_000 }), () => exercise(bundles[name], transport));
    }
  }
}
