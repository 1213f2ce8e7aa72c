// The binary's limits and secrets: --secret-key-base keeps tokens valid across restarts,
// the generated --help lists every flag, connection limits answer 503 / 1013.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { startServer, serverBin, tokenFor, WebSocket, DEFAULT_TIMEOUT } from "./support.mjs";

const SECRET = "s".repeat(32) + "e".repeat(32); // 64 bytes, like `mix phx.gen.secret`

/** Opens a raw WebSocket; resolves "open" or the HTTP status of a refused upgrade. */
function tryConnect(server, query) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.ws}/websocket?${query}`);
    const t = setTimeout(() => reject(new Error("connect timed out")), DEFAULT_TIMEOUT);
    ws.on("open", () => { clearTimeout(t); ws.close(); resolve("open"); });
    ws.on("unexpected-response", (_req, res) => { clearTimeout(t); resolve(res.statusCode); });
    ws.on("error", () => {});
  });
}

/** Opens a raw WebSocket and resolves with the code of the close frame the server sends. */
function closeCode(server, query) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.ws}/websocket?${query}`);
    const t = setTimeout(() => reject(new Error("no close")), DEFAULT_TIMEOUT);
    ws.on("close", (code) => { clearTimeout(t); resolve(code); });
    ws.on("error", () => {});
  });
}

test("with the same --secret-key-base, a token survives a restart; without it, it does not", async () => {
  const first = await startServer({ args: ["--secret-key-base", SECRET] });
  let token;
  try {
    token = await tokenFor(first, "alice");
    assert.equal(await tryConnect(first, `token=${token}&vsn=2.0.0`), "open");
  } finally {
    await first.stop();
  }
  // The same secret through the environment variable this time.
  const second = await startServer({ env: { PHX_SECRET_KEY_BASE: SECRET } });
  try {
    assert.equal(await tryConnect(second, `token=${token}&vsn=2.0.0`), "open");
  } finally {
    await second.stop();
  }
  const random = await startServer();
  try {
    assert.equal(await tryConnect(random, `token=${token}&vsn=2.0.0`), 403);
  } finally {
    await random.stop();
  }
});

test("a too short --secret-key-base is a usage error (exit 2)", () => {
  const r = spawnSync(serverBin(), ["--secret-key-base", "short"], { encoding: "utf8", timeout: 5000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /at least 64 bytes/);
});

test("--help is generated and lists every flag with its environment variable", () => {
  const help = spawnSync(serverBin(), ["--help"], { encoding: "utf8", timeout: 5000 });
  assert.equal(help.status, 0);
  for (const flag of ["--addr", "--static-dir", "--idle-timeout-ms", "--max-frame-size", "--outbound-queue",
    "--check-origin", "--longpoll-window-ms", "--no-websocket", "--test-hooks", "--secret-key-base",
    "--max-sockets", "--max-longpoll-sessions", "--max-per-peer"]) {
    assert.ok(help.stdout.includes(flag), `${flag} missing from --help`);
  }
  for (const env of ["PHX_ADDR", "PHX_STATIC_DIR", "PHX_LONGPOLL_WINDOW_MS", "PHX_SECRET_KEY_BASE"]) {
    assert.ok(help.stdout.includes(env), `${env} missing from --help`);
  }
  // The secret's value never shows up in the help.
  const withSecret = spawnSync(serverBin(), ["--help"], { encoding: "utf8", timeout: 5000, env: { ...process.env, PHX_SECRET_KEY_BASE: SECRET } });
  assert.ok(!withSecret.stdout.includes(SECRET));
});

test("--max-sockets: one more socket is closed with 1013; --max-longpoll-sessions: HTTP 503", async () => {
  const server = await startServer({ args: ["--max-sockets", "1", "--max-longpoll-sessions", "1"] });
  try {
    const token = await tokenFor(server, "alice");
    const first = new WebSocket(`${server.ws}/websocket?token=${token}&vsn=2.0.0`);
    await new Promise((resolve, reject) => { first.on("open", resolve); first.on("error", reject); });
    assert.equal(await closeCode(server, `token=${token}&vsn=2.0.0`), 1013);
    first.close();

    const lp = await fetch(`${server.http}/socket/longpoll?token=${token}&vsn=2.0.0`);
    assert.equal(lp.status, 200);
    assert.equal((await lp.json()).status, 410);
    const full = await fetch(`${server.http}/socket/longpoll?token=${token}&vsn=2.0.0`);
    assert.equal(full.status, 503);
    assert.equal((await full.json()).status, 500);
  } finally {
    await server.stop();
  }
});
