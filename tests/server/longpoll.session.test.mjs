// LongPoll sessions ending on the server, seen by npm phoenix@1.8.16 and by phoenix-wasm (both
// with `transport: LongPoll` in Node, i.e. fetch): a server-side disconnect and a session the
// server expired because no poll came. Each client must see the same socket events
// (close 3410 "session_gone", reopen, rejoin) and carry on; the two logs must be equal.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as phoenix from "phoenix";
import { startServer, tokenFor, join, push, post, until } from "./support.mjs";

const WINDOW_MS = 600;
const IMPLS = [["phoenix.js", phoenix], ["phoenix-wasm", await import("phoenix-wasm")]];

let server;
before(async () => { server = await startServer({ args: ["--longpoll-window-ms", String(WINDOW_MS)] }); });
after(async () => { await server?.stop(); });

async function lpSocket(impl, name) {
  const token = await tokenFor(server, name);
  const socket = new impl.Socket(`${server.http}/socket`, {
    transport: impl.LongPoll,
    params: { token },
    reconnectAfterMs: () => 50,
    rejoinAfterMs: () => 50,
  });
  const log = [];
  socket.onOpen(() => log.push("open"));
  socket.onClose((e) => log.push(`close ${e.code} ${e.reason}`));
  socket.onError((e) => log.push(`error ${e}`));
  socket.log = log;
  socket.connect();
  await until(`${name} open`, () => log.includes("open"));
  return socket;
}

/** Holds back LongPoll GETs (a suspended tab, a stalled network) until `release()`. */
function holdPolls() {
  const realFetch = globalThis.fetch;
  let release;
  const held = new Promise((r) => { release = r; });
  const state = { holding: 0 };
  globalThis.fetch = (url, opts = {}) => {
    if ((opts.method || "GET") === "GET" && String(url).includes("/socket/longpoll")) {
      state.holding++;
      return held.then(() => realFetch(url, opts));
    }
    return realFetch(url, opts);
  };
  state.release = () => { globalThis.fetch = realFetch; release(); };
  return state;
}

async function scenario(impl, label, how) {
  const user = `${how}-${label.replace(/\W/g, "")}`;
  const socket = await lpSocket(impl, user);
  const ch = socket.channel(`room:lps-${how}-${label.replace(/\W/g, "")}`);
  let joins = 0;
  ch.on("presence_state", () => { joins++; });
  await join(ch);
  await until("presence_state", () => joins >= 1);
  socket.log.push("joined");

  if (how === "disconnect") {
    assert.equal((await post(server, "/api/disconnect", { user })).status, 204);
  } else {
    const hold = holdPolls();
    try {
      await until("a poll is held", () => hold.holding > 0, WINDOW_MS * 3);
      // the server hears no poll for longer than the window and ends the session
      await new Promise((r) => setTimeout(r, WINDOW_MS * 3));
    } finally {
      hold.release();
    }
  }
  await until(`${label}: session_gone`, () => socket.log.includes("close 3410 session_gone"), 10_000);
  await until(`${label}: reopened and rejoined`, () => socket.log.filter((e) => e === "open").length >= 2 && joins >= 2, 10_000);
  socket.log.push("rejoined");
  const r = await push(ch, "new_msg", { body: "still here" });
  socket.log.push(`push ${r.status}`);
  await new Promise((resolve) => socket.disconnect(resolve));
  return socket.log;
}

for (const how of ["disconnect", "expiry"]) {
  test(`session ended by ${how === "disconnect" ? "a server-side disconnect" : "the server (no poll within the window)"}: same events on phoenix.js and phoenix-wasm`, async () => {
    const logs = {};
    for (const [label, impl] of IMPLS) logs[label] = await scenario(impl, label, how);
    assert.deepEqual(logs["phoenix.js"].slice(0, 6), ["open", "joined", "error 410", "close 3410 session_gone", "open", "rejoined"]);
    assert.equal(logs["phoenix.js"].at(-2), "push ok");
    assert.deepEqual(logs["phoenix-wasm"], logs["phoenix.js"]);
  });
}
