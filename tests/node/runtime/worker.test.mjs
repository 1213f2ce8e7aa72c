// Dedicated Web Workers in Chromium joining a channel on the reference server: a module worker
// (`import ... from "phoenix-wasm.mjs"`) and a classic worker (`importScripts` of the IIFE bundle,
// global Phoenix). Each gets a token, connects with a relative endpoint ("/socket", resolved
// against the worker's location), joins, tracks presence, pushes new_msg and gets the reply and
// the broadcast, then posts the result to the page. The server itself serves the page, the
// workers and the bundles (a temporary --static-dir), so the WebSocket is same-origin.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, launchChromium, collectErrors, browserTestOptions } from "../../browser/support.mjs";
import { startServer } from "../../server/support.mjs";

const CONVERSATION = `
async function conversation(P, name) {
  const res = await fetch("/api/token", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name }) });
  const { token } = await res.json();
  const socket = new P.Socket("/socket", { params: { token } });
  socket.connect();
  const channel = socket.channel("room:workers");
  const presence = new P.Presence(channel);
  const seen = new Promise((resolve) => presence.onSync(() => {
    const users = presence.list((id) => id);
    if (users.includes(name)) resolve(users);
  }));
  const broadcast = new Promise((resolve) => channel.on("new_msg", (m) => { if (m.user === name) resolve(m); }));
  const joined = await new Promise((resolve, reject) => channel.join().receive("ok", resolve).receive("error", reject).receive("timeout", () => reject(new Error("join timeout"))));
  const reply = await new Promise((resolve, reject) => channel.push("new_msg", { body: "from a " + name }).receive("ok", resolve).receive("error", reject).receive("timeout", () => reject(new Error("push timeout"))));
  const [message, users] = await Promise.all([broadcast, seen]);
  const result = {
    inWorker: typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope,
    hasWindow: typeof window !== "undefined",
    endPointURL: socket.endPointURL(),
    joined, reply, message, users, state: socket.connectionState(),
  };
  await new Promise((resolve) => socket.disconnect(resolve));
  return result;
}
function report(p) {
  p.then((r) => postMessage({ ok: r }), (e) => postMessage({ error: String(e && (e.stack || e.message) || e) }));
}`;

const FILES = {
  "workers.html": `<!doctype html><link rel="icon" href="data:,"><script type="module">
    const run = (worker) => new Promise((resolve, reject) => {
      worker.onmessage = (e) => e.data.error ? reject(new Error(e.data.error)) : resolve(e.data.ok);
      worker.onerror = (e) => reject(new Error("worker error: " + (e.message || e.type)));
    });
    try {
      const [moduleWorker, classicWorker] = await Promise.all([
        run(new Worker("/module-worker.mjs", { type: "module" })),
        run(new Worker("/classic-worker.js")),
      ]);
      window.__result = { moduleWorker, classicWorker };
    } catch (e) {
      window.__result = { error: String(e.message || e) };
    }
  </script>`,
  "module-worker.mjs": `import * as P from "/phoenix-wasm.mjs";\n${CONVERSATION}\nreport(conversation(P, "module_worker"));`,
  "classic-worker.js": `importScripts("/phoenix-wasm.min.js");\n${CONVERSATION}\nreport(conversation(Phoenix, "classic_worker"));`,
};

let server, browser, site;
before(async () => {
  if (process.env.PHOENIX_WASM_SKIP_BROWSER === "1") return;
  site = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-wasm-workers-"));
  for (const f of ["phoenix-wasm.mjs", "phoenix-wasm.min.js"]) {
    const src = path.join(ROOT, "dist", f);
    assert.ok(fs.existsSync(src), `dist/${f} missing: run npm run build`);
    fs.copyFileSync(src, path.join(site, f));
  }
  for (const [f, text] of Object.entries(FILES)) fs.writeFileSync(path.join(site, f), text);
  server = await startServer({ args: ["--static-dir", site] });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  if (site) fs.rmSync(site, { recursive: true, force: true });
});

test("module and classic dedicated workers join a channel on the reference server", browserTestOptions(), async () => {
  const page = await browser.newPage();
  const errors = collectErrors(page);
  try {
    await page.goto(`${server.http}/workers.html`);
    await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 20_000 });
    const r = await page.evaluate(() => window.__result);
    assert.equal(r.error, undefined, r.error);
    for (const [name, w] of [["module_worker", r.moduleWorker], ["classic_worker", r.classicWorker]]) {
      assert.equal(w.inWorker, true, name);
      assert.equal(w.hasWindow, false, name);
      assert.match(w.endPointURL, new RegExp(`^ws://127\\.0\\.0\\.1:${server.port}/socket/websocket\\?`), name);
      assert.ok(Array.isArray(w.joined.messages), name);
      assert.equal(typeof w.reply.id, "number", name);
      assert.equal(w.message.id, w.reply.id, name);
      assert.equal(w.message.body, `from a ${name}`);
      assert.ok(w.users.includes(name), `${name} in ${w.users}`);
      assert.equal(w.state, "open", name);
    }
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});
