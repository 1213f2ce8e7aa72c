// Helpers for the reference-server tests: spawn the phoenix-server binary, talk to it with the
// real npm phoenix@1.8.16 client (over the `ws` package) or with raw WebSocket frames.
//
// The server is spawned by tests/support/server.mjs (shared with the browser tests; binary
// $PHX_SERVER_BIN, default target/debug/phoenix-server from `cargo build -p phoenix-server`).
// Every wait has a timeout; no test sleeps for a fixed time to let something happen.

import path from "node:path";
import { fileURLToPath } from "node:url";
import { Socket, Presence } from "phoenix";
import { serverBin, startServer, post } from "../support/server.mjs";
import WebSocket from "ws";

export { Socket, Presence, WebSocket };

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, "..", "..");
export const DEFAULT_TIMEOUT = 5000;

export { serverBin, startServer, post };

export async function tokenFor(server, name) {
  const { status, body } = await post(server, "/api/token", { name });
  if (status !== 200) throw new Error(`token for ${name}: ${status} ${JSON.stringify(body)}`);
  return body.token;
}

/** Resolves with the value of `register(resolve)` firing, or rejects after `ms`. */
export function waitFor(what, register, ms = DEFAULT_TIMEOUT) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    register((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });
}

/** Polls `cond` every 10 ms until it is truthy. */
export async function until(what, cond, ms = DEFAULT_TIMEOUT) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * A phoenix.js Socket over `ws`, connected. Records every decoded message in `socket.received`.
 * opts are passed to `new Socket` (params, authToken, vsn, encode, decode, heartbeatIntervalMs...).
 */
export async function openSocket(server, opts = {}, { waitOpen = true } = {}) {
  const socket = new Socket(server.ws, {
    transport: WebSocket,
    reconnectAfterMs: () => 50,
    rejoinAfterMs: () => 50,
    ...opts,
  });
  socket.received = [];
  socket.onMessage((m) => socket.received.push(m));
  const opened = waitOpen ? waitFor("socket open", (ok) => socket.onOpen(ok)) : null;
  socket.connect();
  if (waitOpen) await opened;
  return socket;
}

export async function userSocket(server, name, opts = {}) {
  const token = await tokenFor(server, name);
  return openSocket(server, { params: { token }, ...opts });
}

/** Joins and resolves with the ok response; rejects with {status, response} otherwise. */
export function join(channel, ms = DEFAULT_TIMEOUT) {
  return new Promise((resolve, reject) => {
    channel
      .join(ms)
      .receive("ok", resolve)
      .receive("error", (response) => reject(Object.assign(new Error("join error"), { status: "error", response })))
      .receive("timeout", () => reject(Object.assign(new Error("join timeout"), { status: "timeout" })));
  });
}

/** Pushes and resolves with {status, response} for any status (timeout included). */
export function push(channel, event, payload = {}, ms = DEFAULT_TIMEOUT) {
  return new Promise((resolve) => {
    channel
      .push(event, payload, ms)
      .receive("ok", (response) => resolve({ status: "ok", response }))
      .receive("error", (response) => resolve({ status: "error", response }))
      .receive("timeout", () => resolve({ status: "timeout" }));
  });
}

/**
 * Records events of a channel from now on. `rec.next(event, pred)` resolves with the first
 * recorded payload (past or future) of that event matching pred, consuming it.
 */
export function recorder(channel, events) {
  const seen = [];
  const waiters = [];
  for (const event of events) {
    channel.on(event, (payload) => {
      const entry = { event, payload };
      const i = waiters.findIndex((w) => w.event === event && w.pred(payload));
      if (i >= 0) {
        const [w] = waiters.splice(i, 1);
        w.resolve(payload);
      } else {
        seen.push(entry);
      }
    });
  }
  return {
    seen,
    count(event) { return seen.filter((e) => e.event === event).length; },
    next(event, pred = () => true, ms = DEFAULT_TIMEOUT) {
      const i = seen.findIndex((e) => e.event === event && pred(e.payload));
      if (i >= 0) return Promise.resolve(seen.splice(i, 1)[0].payload);
      return waitFor(`event ${event}`, (resolve) => waiters.push({ event, pred, resolve }), ms);
    },
  };
}

/** Disconnects phoenix sockets and waits for them to close. */
export async function closeAll(...sockets) {
  await Promise.all(sockets.filter(Boolean).map((s) => new Promise((resolve) => s.disconnect(resolve))));
}

/**
 * A raw WebSocket client: send arrays / strings / buffers, read decoded frames in order.
 * `next()` resolves with a parsed JSON frame (text) or a Buffer (binary).
 */
export async function rawSocket(server, query = "vsn=2.0.0", options = {}) {
  const ws = new WebSocket(`${server.ws}/websocket${query ? "?" + query : ""}`, options.protocols, options);
  const queue = [];
  const waiters = [];
  let closed = null;
  const closeWaiters = [];
  ws.on("message", (data, isBinary) => {
    const item = isBinary ? Buffer.from(data) : JSON.parse(data.toString());
    const w = waiters.shift();
    if (w) w(item); else queue.push(item);
  });
  ws.on("close", (code, reason) => {
    closed = { code, reason: reason.toString() };
    closeWaiters.splice(0).forEach((w) => w(closed));
  });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
    ws.once("unexpected-response", (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { statusCode: res.statusCode })));
  });
  return {
    ws,
    send(frame) { ws.send(typeof frame === "string" || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame)); },
    next(ms = DEFAULT_TIMEOUT) {
      if (queue.length) return Promise.resolve(queue.shift());
      return waitFor("a frame", (resolve) => waiters.push(resolve), ms);
    },
    closed(ms = DEFAULT_TIMEOUT) {
      if (closed) return Promise.resolve(closed);
      return waitFor("close", (resolve) => closeWaiters.push(resolve), ms);
    },
    close() { ws.close(); },
  };
}

/** Resolves with the HTTP status of a refused upgrade. */
export function refusedStatus(url, protocols) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    ws.on("unexpected-response", (_req, res) => { resolve(res.statusCode); ws.terminate(); });
    ws.on("open", () => { ws.close(); reject(new Error("upgrade was accepted")); });
    ws.on("error", () => {});
  });
}
