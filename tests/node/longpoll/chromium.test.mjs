// Our LongPoll vs npm phoenix@1.8.16's LongPoll in Chromium, where they use a real
// XMLHttpRequest (and CloseEvent exists): the same scripted HTTP conversation (same origin as
// the page) must give the same requests and events. Covers what a fake XHR cannot: real abort,
// timeout and error event order.
//
// Set PHOENIX_WASM_SKIP_BROWSER=1 to skip (needs Debian's Chromium, see tests/browser/support.mjs).
import {test, before, after} from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {ScriptedServer} from "./harness.mjs";
import {launchChromium, browserTestOptions, ROOT} from "../../browser/support.mjs";

const WAIT_MS = 5000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import * as phx from "/phoenix.mjs";
import * as ours from "/ours.mjs";
const impls = {phx, ours};
window.trace = [];
const host = location.host;
window.create = (name, protocols, timeout, timeoutAfterOpen) => {
  const lp = new impls[name].LongPoll(\`ws://\${host}/socket/websocket?vsn=2.0.0\`, protocols);
  lp.timeout = timeout;
  lp.onopen = (ev) => { trace.push(["open", JSON.stringify(ev), lp.readyState]); if (timeoutAfterOpen) lp.timeout = timeoutAfterOpen; };
  lp.onerror = (ev) => trace.push(["error", ev === undefined ? "<undefined>" : ev, lp.readyState]);
  lp.onmessage = (ev) => trace.push(["message", ev.data, lp.reqs.size]);
  lp.onclose = (ev) => trace.push(["close", ev.constructor.name, ev.type, ev.code, ev.reason, ev.wasClean, lp.readyState]);
  window.lp = lp;
  trace.push(["created", lp.pollEndpoint.replace(host, "HOST"), lp.authToken ?? "<none>", lp.readyState]);
};
window.ready = true;
</script>`;

const STATICS = {
  "/": {body: PAGE, type: "text/html; charset=utf-8"},
  "/phoenix.mjs": {body: fs.readFileSync(path.join(ROOT, "node_modules/phoenix/priv/static/phoenix.mjs")), type: "text/javascript"},
  "/ours.mjs": {body: fs.readFileSync(path.join(ROOT, "dist/phoenix-wasm.mjs")), type: "text/javascript"},
  "/favicon.ico": {body: "", type: "image/x-icon"},
};

async function run(browser, impl, scenario) {
  const server = await new ScriptedServer({statics: STATICS}).start();
  const port = String(server.port);
  const scrub = (v) => (typeof v === "string" ? v.split(port).join("PORT") : v);
  const page = await browser.newPage();
  const trace = [];
  let seen = 0;
  const sync = async () => {
    const t = await page.evaluate(() => window.trace);
    for (; seen < t.length; seen++) trace.push(t[seen]);
  };
  const ctx = {
    trace,
    async create(protocols, {timeout = 5000, timeoutAfterOpen = 0} = {}) {
      await page.evaluate(([i, p, t, a]) => window.create(i, p, t, a), [impl, protocols, timeout, timeoutAfterOpen]);
      await sync();
    },
    // runs `code` in the page (with `lp`), then collects the events
    async run(code) {
      await page.evaluate(code);
      await sync();
    },
    async req(method) {
      const r = await server.next(method);
      const headers = Object.fromEntries(
        Object.entries(r.headers)
          .filter(([k]) => !["host", "connection"].includes(k))
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => [k, scrub(v)]),
      );
      trace.push(["req", r.method, r.url, headers, r.body]);
      return {
        respond: (body) => server.respond(r, body),
        aborted: async () => {
          const a = await Promise.race([r.abortedPromise, sleep(WAIT_MS).then(() => "not aborted")]);
          trace.push(["aborted", r.method, r.url, a]);
        },
      };
    },
    async until(kind, n = 1) {
      const deadline = Date.now() + WAIT_MS;
      for (;;) {
        const count = await page.evaluate((k) => window.trace.filter((e) => e[0] === k).length, kind);
        if (count >= n) break;
        if (Date.now() > deadline) throw new Error(`no ${n} x ${kind} within ${WAIT_MS} ms`);
        await sleep(5);
      }
      await sync();
    },
    async quiet(ms = 80) {
      await sleep(ms);
      await sync();
      trace.push(["pending", server.pending.map((p) => `${p.method} ${p.url}`)]);
    },
  };
  try {
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => window.ready === true);
    await scenario(ctx);
  } catch (e) {
    trace.push(["scenario-threw", String(e && e.message)]);
  } finally {
    await page.close();
    await server.stop();
  }
  return trace;
}

const AUTH = ["phoenix", "base64url.bearer.phx.c2VjcmV0IQ"];

const scenarios = {
  async "handshake, messages, batching with binary, close aborts the poll"(ctx) {
    await ctx.create(AUTH);
    (await ctx.req("GET")).respond({status: 410, token: "T1", messages: []});
    await ctx.until("open");
    (await ctx.req("GET")).respond({status: 200, token: "T 2", messages: ["a", "b"]});
    await ctx.until("message", 2);
    (await ctx.req("GET")).respond({status: 204, token: "T3"});
    const g = await ctx.req("GET");
    await ctx.run(() => {
      for (let i = 0; i < 102; i++) lp.send(`m${i}`);
      lp.send(new Uint8Array([0, 1, 254, 255]).buffer);
    });
    const p1 = await ctx.req("POST");
    await ctx.run(() => lp.send("later"));
    p1.respond({status: 200});
    (await ctx.req("POST")).respond({status: 200});
    (await ctx.req("POST")).respond({status: 200});
    await ctx.quiet();
    await ctx.run(() => lp.close());
    await g.aborted();
    await ctx.quiet();
  },

  async "403 closes with 1008"(ctx) {
    await ctx.create();
    (await ctx.req("GET")).respond({status: 403});
    await ctx.until("close");
    await ctx.quiet();
  },

  async "410 later, empty body and POST failure"(ctx) {
    await ctx.create();
    (await ctx.req("GET")).respond({status: 410, token: "T1"});
    await ctx.until("open");
    (await ctx.req("GET")).respond({status: 410, token: "T9"});
    await ctx.until("close");
    await ctx.create();
    (await ctx.req("GET")).respond({status: 410, token: "T1"});
    await ctx.until("open", 2);
    (await ctx.req("GET")).respond("");
    await ctx.until("close", 2);
    await ctx.create();
    (await ctx.req("GET")).respond({status: 410, token: "T1"});
    await ctx.until("open", 3);
    const g = await ctx.req("GET");
    await ctx.run(() => lp.send("x"));
    (await ctx.req("POST")).respond({status: 500});
    await ctx.until("close", 3);
    await g.aborted();
    await ctx.quiet();
  },

  async "a poll that times out (XHR)"(ctx) {
    await ctx.create(undefined, {timeoutAfterOpen: 200});
    (await ctx.req("GET")).respond({status: 410, token: "T1"});
    await ctx.until("open");
    const g = await ctx.req("GET");
    await ctx.until("close");
    await g.aborted();
    await ctx.quiet();
  },
};

let browser;
before(async () => {
  if (process.env.PHOENIX_WASM_SKIP_BROWSER !== "1") browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

for (const [name, scenario] of Object.entries(scenarios)) {
  test(`LongPoll in Chromium (XHR): ${name}`, browserTestOptions(), async () => {
    const expected = await run(browser, "phx", scenario);
    assert.ok(!expected.some((e) => e[0] === "scenario-threw"), `scenario broken against phoenix.js:\n${expected.map((e) => JSON.stringify(e)).join("\n")}`);
    const actual = await run(browser, "ours", scenario);
    assert.deepEqual(actual, expected);
  });
}
