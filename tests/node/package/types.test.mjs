// The shipped type definitions compile against typical phoenix.js code, for ESM (import) and
// CommonJS (require) consumers, under TypeScript's strict node16/nodenext resolution.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, PKG } from "./helpers.mjs";

const USAGE = `
const socket = new Socket("/socket", {
  params: { token: "t" },
  transport: LongPoll,
  timeout: 10_000,
  heartbeatIntervalMs: 30_000,
  reconnectAfterMs: (tries) => [10, 50, 100][tries - 1] ?? 5000,
  logger: (kind, msg, data) => console.log(kind, msg, data),
  binaryType: "arraybuffer",
});
socket.connect();
const channel: Channel = socket.channel("room:lobby", { user: 1 });
const push: Push = channel
  .join()
  .receive("ok", (resp) => console.log(resp))
  .receive("error", ({ reason }) => console.log(reason))
  .receive("timeout", () => {});
const ref: number = channel.on("new_msg", (payload) => console.log(payload.body));
channel.off("new_msg", ref);
channel.push("new_msg", { body: "hi" }, 5_000).receive("ok", () => {});
channel.onError(() => {});
channel.onClose(() => {});
const presence = new Presence(channel);
presence.onSync(() => {
  const names: string[] = presence.list((id, { metas: [first] }) => id + first.online_at);
  console.log(names);
});
presence.onJoin((id, current, joined) => {});
const refs = [socket.onOpen(() => {}), socket.onClose(() => {}), socket.onError((e) => {}), socket.onMessage((m) => {})];
socket.off(refs);
Serializer.encode({ join_ref: "1", ref: "2", topic: "t", event: "e", payload: {} }, (encoded) => {});
const state: string = socket.connectionState();
const connected: boolean = socket.isConnected();
channel.leave().receive("ok", () => {});
socket.disconnect(() => {}, 1000, "bye");
console.log(push, state, connected);
`;

test("dist/phoenix-wasm.d.ts and .d.cts type-check typical code (tsc --strict, nodenext)", () => {
  const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
  assert.ok(fs.existsSync(tsc), "typescript devDependency missing: npm ci");
  const app = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-wasm-types-"));
  try {
    const installed = path.join(app, "node_modules", "phoenix-wasm");
    for (const f of ["package.json", ...PKG.files]) {
      assert.ok(fs.existsSync(path.join(ROOT, f)), `${f} missing: run npm run build`);
      fs.mkdirSync(path.dirname(path.join(installed, f)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, f), path.join(installed, f));
    }
    fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
    fs.writeFileSync(path.join(app, "esm.mts"),
      `import { Socket, LongPoll, Presence, Serializer, type Channel, type Push } from "phoenix-wasm";\n${USAGE}`);
    fs.writeFileSync(path.join(app, "cjs.cts"),
      `import phx = require("phoenix-wasm");\nconst { Socket, LongPoll, Presence, Serializer } = phx;\n` +
      `type Channel = phx.Channel; type Push = phx.Push;\n${USAGE}`);
    try {
      execFileSync(process.execPath, [tsc, "--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext",
        "--target", "es2020", "--lib", "es2020,dom", "esm.mts", "cjs.cts"], { cwd: app, encoding: "utf8", stdio: "pipe" });
    } catch (err) {
      assert.fail(`tsc failed:\n${err.stdout}${err.stderr}`);
    }
  } finally {
    fs.rmSync(app, { recursive: true, force: true });
  }
});
