// The built package in a real browser (Debian Chromium): module script, classic script (global
// Phoenix) and Web Workers, each using it at top level with no init call and no page errors.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { ROOT, launchChromium, serveStatic, collectErrors, browserTestOptions } from "./support.mjs";

const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));

// Runs in the page or worker: uses whatever the package exports today, at top level.
const PROBE = `
  function probe(P) {
    const r = { keys: Object.keys(P).sort(), hasTextEncoder: typeof TextEncoder };
    if (typeof P.version === "function") r.version = P.version();
    if (typeof P.Socket === "function") {
      const socket = new P.Socket("/socket", { params: { token: "t" } });
      r.socket = typeof socket.connect + "/" + typeof socket.channel;
    }
    return r;
  }`;

const pages = {
  "/module.html": `<!doctype html><script type="module">
    import * as P from "/dist/phoenix-wasm.mjs";
    import { Socket, Channel, LongPoll, Presence, Serializer } from "/dist/phoenix-wasm.mjs";
    ${PROBE}
    window.__result = probe(P);
    window.__result.named = [Socket, Channel, LongPoll, Presence, Serializer].map((x) => typeof x);
  </script>`,
  "/classic.html": `<!doctype html><script src="/dist/phoenix-wasm.min.js"></script><script>
    ${PROBE}
    window.__result = probe(Phoenix);
  </script>`,
  "/workers.html": `<!doctype html><script type="module">
    const run = (worker) => new Promise((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => reject(new Error("worker error: " + (e.message || e.type)));
    });
    const [moduleWorker, classicWorker] = await Promise.all([
      run(new Worker("/module-worker.mjs", { type: "module" })),
      run(new Worker("/classic-worker.js")),
    ]);
    window.__result = { moduleWorker, classicWorker };
  </script>`,
  "/timing.html": `<!doctype html><script type="module">
    const url = new URLSearchParams(location.search).get("m") + "?timing";
    const t0 = performance.now();
    const P = await import(url);
    const total = performance.now() - t0;
    const res = performance.getEntriesByType("resource").find((e) => e.name.endsWith(url));
    const fetchMs = res ? res.responseEnd - res.startTime : 0;
    // The same decode + compile + instantiate, synchronously, on bytes already in memory.
    const t1 = performance.now();
    const bytes = new Uint8Array(await (await fetch("/wasm-bytes")).arrayBuffer());
    const t2 = performance.now();
    const mod = new WebAssembly.Module(bytes);
    const t3 = performance.now();
    window.__result = { ms: total, fetchMs, compileMs: t3 - t2, keys: Object.keys(P), mod: !!mod };
  </script>`,
  "/module-worker.mjs": `import * as P from "/dist/phoenix-wasm.mjs"; ${PROBE} postMessage(probe(P));`,
  "/classic-worker.js": `importScripts("/dist/phoenix-wasm.min.js"); ${PROBE} postMessage(probe(Phoenix));`,
};

let server, browser;
before(async () => {
  if (process.env.PHOENIX_WASM_SKIP_BROWSER === "1") return;
  for (const f of ["phoenix-wasm.mjs", "phoenix-wasm.min.js"]) {
    assert.ok(fs.existsSync(path.join(ROOT, "dist", f)), `dist/${f} missing: run npm run build`);
  }
  const wasm = path.join(ROOT, "target", "phoenix-wasm-build", "wasm", "phoenix_wasm_bg.wasm");
  pages["/wasm-bytes"] = fs.existsSync(wasm) ? fs.readFileSync(wasm) : Buffer.alloc(0);
  server = await serveStatic({
    "/dist": path.join(ROOT, "dist"),
    "/phoenix": path.join(ROOT, "node_modules", "phoenix", "priv", "static"),
  }, pages);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

async function load(pagePath) {
  const page = await browser.newPage();
  const errors = collectErrors(page);
  try {
    await page.goto(server.origin + pagePath);
    await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 15_000 }).catch(() => {});
    const result = await page.evaluate(() => window.__result);
    assert.deepEqual(errors, [], `errors on ${pagePath}`);
    assert.ok(result, `no result on ${pagePath}`);
    return result;
  } finally {
    await page.close();
  }
}

function checkProbe(r) {
  for (const name of ["Channel", "LongPoll", "Presence", "Serializer", "Socket"]) assert.ok(r.keys.includes(name), name);
  assert.ok(r.version !== undefined || r.socket !== undefined, "nothing usable is exported");
  if (r.version !== undefined) assert.equal(r.version, PKG.version);
  if (r.socket !== undefined) assert.equal(r.socket, "function/function");
}

test("ESM bundle in a module script: usable at top level, no init, no errors", browserTestOptions(), async () => {
  const r = await load("/module.html");
  checkProbe(r);
  assert.equal(r.named.length, 5);
});

test("IIFE bundle in a classic script defines Phoenix", browserTestOptions(), async () => {
  checkProbe(await load("/classic.html"));
});

test("module and classic Web Workers", browserTestOptions(), async () => {
  const r = await load("/workers.html");
  checkProbe(r.moduleWorker);
  checkProbe(r.classicWorker);
});

test("cost of loading the ESM bundle in Chromium (reported, not asserted)", browserTestOptions(), async (t) => {
  const measure = async (m) => {
    const runs = [];
    for (let i = 0; i < 5; i++) runs.push(await load(`/timing.html?m=${m}`));
    return (k) => runs.map((r) => r[k]).sort((a, b) => a - b)[2].toFixed(1);
  };
  const ours = await measure("/dist/phoenix-wasm.mjs");
  const theirs = await measure("/phoenix/phoenix.mjs");
  t.diagnostic(`Chromium, medians of 5 fresh pages: import() of dist/phoenix-wasm.mjs ${ours("ms")} ms ` +
    `(fetch ${ours("fetchMs")} ms; new WebAssembly.Module alone ${ours("compileMs")} ms); ` +
    `import() of phoenix@1.8.16 phoenix.mjs ${theirs("ms")} ms (fetch ${theirs("fetchMs")} ms)`);
});

test("no .wasm file is requested (the bytes are embedded)", browserTestOptions(), () => {
  assert.ok(server.requests.length > 0);
  assert.deepEqual(server.requests.filter((p) => p.endsWith(".wasm")), []);
});
