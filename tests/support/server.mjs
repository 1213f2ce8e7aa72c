// The one way tests start the reference server (phoenix-server): tests/server, tests/node and
// the browser end-to-end tests all spawn it through startServer() here.
//
// Nothing is built here: the binary is $PHX_SERVER_BIN, default target/debug/phoenix-server
// (`cargo build -p phoenix-server`). It listens on 127.0.0.1 only, on an ephemeral port unless
// one is given, and serves www/ (or `staticDir`). Every wait has a deadline; nothing sleeps.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const START_TIMEOUT_MS = 15_000;

/** Absolute path of the server binary ($PHX_SERVER_BIN, relative to the repository root). */
export function serverBin() {
  const bin = process.env.PHX_SERVER_BIN || path.join("target", "debug", "phoenix-server");
  return path.isAbsolute(bin) ? bin : path.join(ROOT, bin);
}

/**
 * Spawns the server and resolves once it printed `listening on http://ADDR`.
 *
 * Options: `port` (0 = ephemeral), `testHooks` (adds `--test-hooks`), `args` (more flags; a
 * `--static-dir` there replaces the default), `env`, `staticDir` (default www/).
 *
 * The handle: `port`, `origin` and `http` (`http://127.0.0.1:PORT`), `ws`
 * (`ws://127.0.0.1:PORT/socket`), `child`, `logs()` (stderr so far), `alive()`,
 * `stop()` (SIGTERM, SIGKILL after 5 s), `kill(signal = "SIGKILL")`, `restart()` (same port),
 * `post(route, body)`.
 */
export async function startServer({ port = 0, testHooks = false, args = [], env = {}, staticDir } = {}) {
  const bin = serverBin();
  if (!existsSync(bin)) {
    throw new Error(`server binary not found at ${bin}: run \`cargo build -p phoenix-server\` or set PHX_SERVER_BIN`);
  }
  const argv = [...args];
  if (!argv.includes("--static-dir")) argv.unshift("--static-dir", staticDir || path.join(ROOT, "www"));
  if (testHooks && !argv.includes("--test-hooks")) argv.push("--test-hooks");
  const server = {
    port,
    origin: null,
    http: null,
    ws: null,
    child: null,
    logs: () => stderr,
    alive: () => server.child !== null && server.child.exitCode === null && server.child.signalCode === null,
    stop: () => stop(server, "SIGTERM"),
    kill: (signal = "SIGKILL") => stop(server, signal),
    restart: () => launch(server, bin, argv, env, (d) => { stderr += d; }),
    post: (route, body) => post(server, route, body),
  };
  let stderr = "";
  await launch(server, bin, argv, env, (d) => { stderr += d; });
  return server;
}

async function launch(server, bin, argv, env, onStderr) {
  const child = spawn(bin, ["--addr", `127.0.0.1:${server.port}`, ...argv], {
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.child = child;
  child.exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  child.stderr.on("data", (d) => {
    onStderr(d);
    if (process.env.PHX_SERVER_LOG) process.stderr.write(d);
  });
  const addr = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(
      () => reject(new Error(`server did not start in ${START_TIMEOUT_MS} ms; stderr:\n${server.logs()}`)),
      START_TIMEOUT_MS,
    );
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/^listening on http:\/\/(\S+)$/m);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}; stderr:\n${server.logs()}`));
    });
  });
  server.port = Number(addr.split(":").pop());
  server.origin = `http://127.0.0.1:${server.port}`;
  server.http = server.origin;
  server.ws = `ws://127.0.0.1:${server.port}/socket`;
  return server;
}

async function stop(server, signal) {
  const child = server.child;
  if (!child) return undefined;
  if (child.exitCode !== null || child.signalCode !== null) return child.exited;
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  const result = await child.exited;
  clearTimeout(timer);
  return result;
}

/** POSTs JSON to the server; resolves `{status, body}` (body parsed when it is JSON). */
export async function post(server, route, body) {
  const res = await fetch(server.origin + route, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let parsed = text;
  try { parsed = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  return { status: res.status, body: parsed };
}
