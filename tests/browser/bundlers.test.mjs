// The built package consumed the way applications consume it: installed in node_modules, imported
// by name, bundled by esbuild, webpack 5 and Vite (build and dev server), then run in Chromium.
// No init call, no plugin, no config, no .wasm request, no page error.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, launchChromium, serveStatic, collectErrors, browserTestOptions } from "./support.mjs";

const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const SKIP = process.env.PHOENIX_WASM_SKIP_BROWSER === "1";

const MAIN = `
import { Socket, Channel, LongPoll, Presence, Serializer } from "phoenix-wasm";
import * as P from "phoenix-wasm";
const r = { keys: Object.keys(P).sort(), named: [Socket, Channel, LongPoll, Presence, Serializer].map((x) => typeof x) };
const all = { ...P }; // no static P.x access to names that may not exist (bundlers warn)
if (typeof all.version === "function") r.version = all.version();
if (typeof Socket === "function") {
  const socket = new Socket("/socket", { params: { token: "t" } });
  r.socket = typeof socket.connect + "/" + typeof socket.channel;
}
window.__result = r;
`;

let app, out, browser, server;

before(async () => {
  if (SKIP) return;
  // An application with phoenix-wasm installed from the files npm would publish.
  app = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-wasm-bundlers-"));
  out = path.join(app, "out");
  const installed = path.join(app, "node_modules", "phoenix-wasm");
  for (const f of ["package.json", ...PKG.files]) {
    const src = path.join(ROOT, f);
    assert.ok(fs.existsSync(src), `${f} missing: run npm run build`);
    fs.mkdirSync(path.dirname(path.join(installed, f)), { recursive: true });
    fs.copyFileSync(src, path.join(installed, f));
  }
  fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  fs.writeFileSync(path.join(app, "main.js"), MAIN);
  fs.writeFileSync(path.join(app, "index.html"), `<!doctype html><link rel="icon" href="data:,"><script type="module" src="/main.js"></script>`);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (app) fs.rmSync(app, { recursive: true, force: true });
});

async function run(url) {
  const page = await browser.newPage();
  const errors = collectErrors(page);
  const requested = [];
  page.on("request", (req) => requested.push(req.url()));
  try {
    await page.goto(url);
    await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 20_000 }).catch(() => {});
    const r = await page.evaluate(() => window.__result);
    assert.deepEqual(errors, []);
    assert.ok(r, "the bundle did not run");
    assert.deepEqual(requested.filter((u) => /\.wasm(\?|$)/.test(u)), [], "a .wasm file was requested");
    for (const name of ["Channel", "LongPoll", "Presence", "Serializer", "Socket"]) assert.ok(r.keys.includes(name), name);
    assert.equal(r.named.length, 5);
    assert.ok(r.version !== undefined || r.socket !== undefined, "nothing usable is exported");
    if (r.version !== undefined) assert.equal(r.version, PKG.version);
    if (r.socket !== undefined) assert.equal(r.socket, "function/function");
  } finally {
    await page.close();
  }
}

async function serveDir(dir, html) {
  if (!server) server = await serveStatic({ "/": out });
  if (html) fs.writeFileSync(path.join(dir, "index.html"), html);
  return `${server.origin}/${path.relative(out, dir)}/index.html`;
}

test("esbuild bundle", browserTestOptions(), async () => {
  const esbuild = await import("esbuild");
  const dir = path.join(out, "esbuild");
  const result = await esbuild.build({
    absWorkingDir: app, entryPoints: ["main.js"], bundle: true, format: "esm", platform: "browser",
    minify: true, outfile: path.join(dir, "main.js"), logLevel: "silent",
  });
  assert.deepEqual(result.warnings, []);
  await run(await serveDir(dir, `<!doctype html><link rel="icon" href="data:,"><script type="module" src="main.js"></script>`));
});

test("webpack 5 production bundle", browserTestOptions(), async () => {
  const { default: webpack } = await import("webpack");
  const dir = path.join(out, "webpack");
  const stats = await new Promise((resolve, reject) => {
    webpack({
      mode: "production", context: app, entry: "./main.js", target: "web",
      output: { path: dir, filename: "main.js" }, infrastructureLogging: { level: "error" },
    }, (err, s) => (err ? reject(err) : resolve(s)));
  });
  const info = stats.toJson({ all: false, errors: true, warnings: true });
  assert.deepEqual(info.errors.map((e) => e.message), []);
  // Size hints (performance.hints) are not about correctness; anything else is.
  const warnings = info.warnings.map((w) => w.message).filter((m) => !/size limit|performance/i.test(m));
  assert.deepEqual(warnings, []);
  await run(await serveDir(dir, `<!doctype html><link rel="icon" href="data:,"><script src="main.js"></script>`));
});

test("Vite production build", browserTestOptions(), async () => {
  const vite = await import("vite");
  const dir = path.join(out, "vite");
  await vite.build({
    root: app, configFile: false, logLevel: "silent", base: "./",
    build: { outDir: dir, emptyOutDir: true, assetsInlineLimit: 0 },
  });
  assert.ok(!fs.readdirSync(path.join(dir, "assets")).some((f) => f.endsWith(".wasm")), "Vite emitted a .wasm asset");
  await run(await serveDir(dir));
});

test("Vite dev server (dependency pre-bundling)", browserTestOptions(), async () => {
  const vite = await import("vite");
  const dev = await vite.createServer({
    root: app, configFile: false, logLevel: "silent", cacheDir: path.join(app, ".vite"),
    server: { host: "127.0.0.1", port: 0, strictPort: false, hmr: false, watch: null },
  });
  try {
    await dev.listen();
    const { port } = dev.httpServer.address();
    await run(`http://127.0.0.1:${port}/index.html`);
  } finally {
    await dev.close();
  }
});
