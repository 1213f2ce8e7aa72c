// The phoenix-server binary itself: startup line, flags, static files, graceful shutdown.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startServer, serverBin, tokenFor, rawSocket, userSocket, join, waitFor } from "./support.mjs";

test("--help exits 0 with usage; an unknown flag exits 2", () => {
  const help = spawnSync(serverBin(), ["--help"], { encoding: "utf8", timeout: 5000 });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--addr/);
  const bad = spawnSync(serverBin(), ["--no-such-flag"], { encoding: "utf8", timeout: 5000 });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown argument/);
});

test("serves static files from --static-dir", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "phx-static-"));
  writeFileSync(path.join(dir, "index.html"), "<h1>chat</h1>");
  const server = await startServer({ args: ["--static-dir", dir] });
  try {
    const res = await fetch(server.http + "/");
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "<h1>chat</h1>");
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("SIGTERM closes every socket with 1001 and exits 0", async () => {
  const server = await startServer();
  const token = await tokenFor(server, "alice");
  const raw = await rawSocket(server, `token=${token}&vsn=2.0.0`);
  const s = await userSocket(server, "bob", { reconnectAfterMs: () => 60000 });
  await join(s.channel("bench:bye"));
  const phxClosed = waitFor("phoenix.js onClose", (ok) => s.onClose(ok));
  const rawClosed = raw.closed();
  server.child.kill("SIGTERM");
  assert.equal((await rawClosed).code, 1001);
  assert.equal((await phxClosed).code, 1001);
  const { code } = await server.stop();
  assert.equal(code, 0);
  s.disconnect();
});

test("--idle-timeout-ms closes a silent socket; heartbeats keep it open", async () => {
  const server = await startServer({ args: ["--idle-timeout-ms", "500"] });
  try {
    const token = await tokenFor(server, "alice");
    const silent = await rawSocket(server, `token=${token}&vsn=2.0.0`);
    assert.equal((await silent.closed()).code, 1000);
    const s = await userSocket(server, "bob", { heartbeatIntervalMs: 100 });
    let closes = 0;
    s.onClose(() => { closes++; });
    const replies = () => s.received.filter((m) => m.topic === "phoenix").length;
    // 8 heartbeat round-trips take ≥ 800 ms, longer than the idle timeout
    await waitFor("8 heartbeat replies", (ok) => {
      const t = setInterval(() => { if (replies() >= 8) { clearInterval(t); ok(); } }, 10);
    });
    assert.equal(closes, 0);
    await new Promise((resolve) => s.disconnect(resolve));
  } finally {
    await server.stop();
  }
});
