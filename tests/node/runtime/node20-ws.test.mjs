// Node 20 (the runtime of this repo's tests) with `transport` from the `ws` package and an absolute
// ws:// URL, against the reference server: the package by name through import (ESM) and require
// (CJS), each: two sockets join a room, presence, push/reply, broadcast to both, ping.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import WebSocket from "ws";
import * as esm from "phoenix-wasm";
import { startServer } from "../../server/support.mjs";
import { conversation, checkSummary } from "./scenario.mjs";

const require = createRequire(import.meta.url);
let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });


test(`import "phoenix-wasm" in Node ${process.versions.node} with ws as transport`, async () => {
  assert.equal(typeof globalThis.window, "undefined");
  checkSummary(await conversation(esm, { http: server.http, transport: WebSocket }), server.port);
});

test(`require("phoenix-wasm") in Node ${process.versions.node} with ws as transport`, async () => {
  const cjs = require("phoenix-wasm");
  assert.notEqual(cjs.Socket, esm.Socket, "the CJS bundle is a separate module instance");
  checkSummary(await conversation(cjs, { http: server.http, transport: require("ws") }), server.port);
});
