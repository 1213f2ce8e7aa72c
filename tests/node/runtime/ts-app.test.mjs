// The typed sample app of tests/types/compat/app.ts (written against @types/phoenix), bundled by
// esbuild with "phoenix" aliased to npm phoenix@1.8.16 and then to dist/phoenix-wasm.mjs, runs
// against the reference server in Node 20 (the `ws` package as the global WebSocket, which is the
// Socket's default transport): join, send, the broadcast, presence, close. Same results.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import WebSocket from "ws";
import { startServer, tokenFor } from "../../server/support.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const APP = path.join(ROOT, "tests", "types", "compat", "app.ts");
let server, dir;
before(async () => {
  server = await startServer();
  dir = fs.mkdtempSync(path.join(ROOT, "target", "ts-app-"));
});
after(async () => {
  await server?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function build(phoenixPath, name) {
  const esbuild = await import("esbuild");
  const outfile = path.join(dir, `${name}.mjs`);
  await esbuild.build({
    entryPoints: [APP], bundle: true, format: "esm", platform: "node", outfile, logLevel: "silent",
    alias: { phoenix: phoenixPath },
  });
  return import(pathToFileURL(outfile).href);
}

async function runChat(mod, user) {
  const room = new mod.ChatRoom(await tokenFor(server, user), server.ws);
  const history = await room.join(`ts-app-${user}`);
  const id = await room.send("typed hello");
  const deadline = Date.now() + 5000;
  while ((room.messages.length === 0 || room.online.length === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const result = { history, idIsNumber: typeof id === "number", messages: room.messages.map((m) => [m.id === id, m.user, m.body]), online: room.online.length };
  room.close();
  return result;
}

test("compat/app.ts (typed against @types/phoenix) behaves the same on phoenix.js and phoenix-wasm", async () => {
  const hadWebSocket = "WebSocket" in globalThis;
  globalThis.WebSocket = WebSocket; // the default transport, as in a browser
  try {
    const js = await runChat(await build(path.join(ROOT, "node_modules", "phoenix", "priv", "static", "phoenix.mjs"), "phoenix-js"), "ts_js");
    const wasm = await runChat(await build(path.join(ROOT, "dist", "phoenix-wasm.mjs"), "phoenix-wasm"), "ts_wasm");
    assert.deepEqual(js, { history: [], idIsNumber: true, messages: [[true, "ts_js", "typed hello"]], online: 1 });
    assert.deepEqual(wasm, { history: [], idIsNumber: true, messages: [[true, "ts_wasm", "typed hello"]], online: 1 });
  } finally {
    if (!hadWebSocket) delete globalThis.WebSocket;
  }
});
