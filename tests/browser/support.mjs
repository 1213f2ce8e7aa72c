// Browser-test helpers: Debian's Chromium driven by playwright-core (no browser download), and a
// tiny static file server on 127.0.0.1 with an ephemeral port.
//
//   import { launchChromium, serveStatic, collectErrors, ROOT } from "../support.mjs";
//   const server = await serveStatic({ "/": ROOT + "/dist" }, { "/index.html": "<html>..." });
//   const browser = await launchChromium();
//   const page = await browser.newPage();
//   const errors = collectErrors(page);
//   await page.goto(server.origin + "/index.html");
//   ...
//   await browser.close(); await server.close();
//
// Set PHOENIX_WASM_SKIP_BROWSER=1 to skip browser tests (they fail without it when Chromium is
// missing: scripts/setup.sh installs it).
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Options for node:test's `test(name, browserTestOptions(), fn)`: skip only when asked to. */
export function browserTestOptions(extra = {}) {
  if (process.env.PHOENIX_WASM_SKIP_BROWSER === "1") return { ...extra, skip: "PHOENIX_WASM_SKIP_BROWSER=1" };
  return { timeout: 60_000, ...extra };
}

/**
 * Launches Debian's Chromium with a fresh profile directory (removed on close). Returns a
 * playwright BrowserContext; its close() also removes the profile.
 */
export async function launchChromium(options = {}) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: run scripts/setup.sh (apt-get install chromium)`);
  }
  const { chromium } = await import("playwright-core");
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-wasm-chromium-"));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 30_000,
      ...options,
    });
  } catch (err) {
    fs.rmSync(userDataDir, { recursive: true, force: true });
    throw err;
  }
  const close = context.close.bind(context);
  context.close = async () => {
    try {
      await close();
    } finally {
      fs.rmSync(userDataDir, { recursive: true, force: true });
    }
  };
  return context;
}

/** Records uncaught page errors and console.error messages of a page (and its workers). */
export function collectErrors(page) {
  const errors = [];
  page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(`console.error: ${msg.text()} (${msg.location()?.url || "?"})`);
  });
  page.on("worker", (worker) => {
    worker.on("console", (msg) => {
      if (msg.type() === "error") errors.push(`worker console.error: ${msg.text()}`);
    });
  });
  return errors;
}

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".cjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".css": "text/css",
  ".wasm": "application/wasm",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/**
 * Serves `mounts` ({ "/url/prefix": "/dir/on/disk" }) and `pages` ({ "/path": "body" }, type from
 * the extension) on http://127.0.0.1:<ephemeral port>, with `headers` added to every response.
 * Returns { origin, close(), requests }.
 */
export async function serveStatic(mounts = {}, pages = {}, { headers = {} } = {}) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    const pathname = decodeURIComponent(url.pathname);
    requests.push(pathname);
    const send = (status, body, type) => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store", ...headers });
      res.end(body);
    };
    const typeOf = (p) => MIME[path.extname(p)] || "application/octet-stream";
    if (Object.hasOwn(pages, pathname)) return send(200, pages[pathname], typeOf(pathname));
    for (const [prefix, dir] of Object.entries(mounts).sort((a, b) => b[0].length - a[0].length)) {
      const base = prefix.endsWith("/") ? prefix : prefix + "/";
      if (pathname !== prefix && !pathname.startsWith(base)) continue;
      const file = path.resolve(dir, "." + pathname.slice(prefix.length === 1 ? 0 : prefix.length));
      if (file !== path.resolve(dir) && !file.startsWith(path.resolve(dir) + path.sep)) return send(403, "forbidden", "text/plain");
      let target = file;
      if (fs.existsSync(target) && fs.statSync(target).isDirectory()) target = path.join(target, "index.html");
      if (!fs.existsSync(target)) break;
      return send(200, fs.readFileSync(target), typeOf(target));
    }
    if (pathname === "/favicon.ico") return send(204, "", "image/x-icon"); // no console noise
    send(404, "not found", "text/plain");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}
