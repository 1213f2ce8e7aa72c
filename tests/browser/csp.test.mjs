// Under a strict Content-Security-Policy (no 'unsafe-eval'; only 'wasm-unsafe-eval' for the
// embedded wasm), the package loads as an ES module and as the IIFE global build, connects to the
// reference server, joins, pushes and receives, and the page reports no CSP violation.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { ROOT, launchChromium, serveStatic, collectErrors, browserTestOptions } from "./support.mjs";
import { startServer, tokenFor } from "../server/support.mjs";

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' ws: http:";

// The page's own script (a file, as 'self' requires): loads nothing but the package, then chats.
const APP = `
  const violations = [];
  document.addEventListener("securitypolicyviolation", (e) => violations.push(e.violatedDirective + " " + e.blockedURI));
  export async function run(Phoenix, ws, token) {
    const socket = new Phoenix.Socket(ws, { params: { token } });
    socket.connect();
    const channel = socket.channel("bench:csp", {});
    const got = new Promise((resolve) => channel.on("shout", (m) => resolve(m.body)));
    const joined = await new Promise((resolve, reject) =>
      channel.join().receive("ok", () => resolve(true)).receive("error", (e) => reject(new Error(JSON.stringify(e)))));
    const reply = await new Promise((resolve, reject) =>
      channel.push("ping", { n: 7 }).receive("ok", resolve).receive("error", reject).receive("timeout", reject));
    channel.push("shout", { body: "under csp" });
    const body = await got;
    socket.disconnect();
    return { joined, reply, body, violations };
  }`;

let server;
let web;
let browser;

before(async () => {
  server = await startServer();
  const token = await tokenFor(server, "csp");
  const files = {
    "/app.mjs": APP,
    "/module-main.mjs": `import * as Phoenix from "/dist/phoenix-wasm.mjs";
      import { run } from "/app.mjs";
      run(Phoenix, ${JSON.stringify(server.ws)}, ${JSON.stringify(token)}).then((r) => { window.__result = r; }, (e) => { window.__result = { error: String(e) }; });`,
    "/classic-main.mjs": `import { run } from "/app.mjs";
      run(window.Phoenix, ${JSON.stringify(server.ws)}, ${JSON.stringify(token)}).then((r) => { window.__result = r; }, (e) => { window.__result = { error: String(e) }; });`,
    "/module.html": `<!doctype html><script type="module" src="/module-main.mjs"></script>`,
    "/classic.html": `<!doctype html><script src="/dist/phoenix-wasm.min.js"></script><script type="module" src="/classic-main.mjs"></script>`,
  };
  web = await serveStatic({ "/dist": path.join(ROOT, "dist") }, files, { headers: { "content-security-policy": CSP } });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await web?.close();
  await server?.stop();
});

for (const kind of ["module", "classic"]) {
  test(`strict CSP (${CSP}): the ${kind} build connects, joins, pushes and receives`, browserTestOptions(), async () => {
    const page = await browser.newPage();
    const errors = collectErrors(page);
    await page.goto(`${web.origin}/${kind}.html`);
    await page.waitForFunction(() => window.__result, null, { timeout: 20_000 });
    const result = await page.evaluate(() => window.__result);
    assert.equal(result.error, undefined, result.error);
    assert.equal(result.joined, true);
    assert.deepEqual(result.reply, { n: 7 });
    assert.equal(result.body, "under csp");
    assert.deepEqual(result.violations, [], "no securitypolicyviolation event");
    assert.deepEqual(errors.filter((e) => !/favicon/.test(e)), [], "no page or console errors");
    await page.close();
  });
}
