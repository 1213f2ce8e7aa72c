// Our LongPoll vs npm phoenix@1.8.16's LongPoll, differentially, over real HTTP (Node's fetch)
// against a scripted server: same requests (method, URL, headers, bodies), same events, same
// console output, for the same server conversation.
//
//   node --test tests/node/longpoll/
//   PHX_IMPL=./path/to/module.mjs node --test tests/node/longpoll/
import {test} from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import {pathToFileURL} from "node:url";
import * as phoenix from "phoenix";
import {runScenario} from "./harness.mjs";

const spec = process.env.PHX_IMPL || "phoenix-wasm";
const ours = await import(spec.startsWith(".") || spec.startsWith("/") ? pathToFileURL(path.resolve(spec)).href : spec);

const AUTH = ["phoenix", `base64url.bearer.phx.${btoa("secret!").replace(/=/g, "")}`];

async function handshake(ctx, token = "T1") {
  const g = await ctx.req("GET");
  g.respond({status: 410, token, messages: []});
  await ctx.until("open");
}

const scenarios = {
  async "handshake, 200 with messages (next GET first), 204, close aborts the poll"(ctx) {
    const lp = ctx.create(AUTH);
    ctx.snap("before the first poll", {readyState: lp.readyState, reqs: lp.reqs.size});
    const g1 = await ctx.req("GET");
    g1.respond({status: 410, token: "T1", messages: []});
    await ctx.until("open");
    ctx.snap("open", {readyState: lp.readyState, token: lp.token});
    const g2 = await ctx.req("GET");
    g2.respond({status: 200, token: "T2", messages: ['["1","1","room","phx_reply",{}]', "b", "c"]});
    await ctx.until("message", 3);
    const g3 = await ctx.req("GET");
    g3.respond({status: 204, token: "T3"});
    const g4 = await ctx.req("GET");
    ctx.snap("token", lp.token);
    lp.close();
    await g4.aborted();
    await ctx.quiet();
  },

  async "a response without token gives token=undefined; a null token makes the next 410 an open"(ctx) {
    ctx.create();
    await handshake(ctx);
    (await ctx.req("GET")).respond({status: 204});
    (await ctx.req("GET")).respond({status: 204, token: null});
    (await ctx.req("GET")).respond({status: 410, token: "T2"});
    await ctx.until("open", 2);
    await ctx.req("GET");
  },

  async "410 after a response without token (token undefined) is session gone"(ctx) {
    const lp = ctx.create();
    await handshake(ctx);
    (await ctx.req("GET")).respond({status: 204});
    (await ctx.req("GET")).respond({status: 410, token: "T2"});
    await ctx.until("close");
    ctx.snap("after", {readyState: lp.readyState, token: lp.token});
    await ctx.quiet();
  },

  async "the status comes from the JSON body, not HTTP"(ctx) {
    ctx.create();
    const g1 = await ctx.req("GET");
    g1.respond({status: 410, token: "T1"}, {httpStatus: 500});
    await ctx.until("open");
    (await ctx.req("GET")).respond({status: 204, token: "T2"}, {httpStatus: 404});
    await ctx.req("GET");
  },

  async "sends in one task are one POST; at most 100 lines; one POST in flight; no auth header"(ctx) {
    const lp = ctx.create(AUTH);
    await handshake(ctx);
    await ctx.req("GET");
    for (let i = 0; i < 150; i++) lp.send(`[null,"${i}","t","e",{}]`);
    ctx.snap("batch", {currentBatch: lp.currentBatch.length, awaiting: lp.awaitingBatchAck});
    const p1 = await ctx.req("POST");
    ctx.snap("awaiting ack", {awaiting: lp.awaitingBatchAck, currentBatch: lp.currentBatch});
    lp.send("x");
    lp.send("y");
    ctx.snap("buffer", lp.batchBuffer);
    await ctx.quiet();
    p1.respond({status: 200});
    const p2 = await ctx.req("POST");
    await ctx.quiet();
    p2.respond({status: 200});
    const p3 = await ctx.req("POST");
    p3.respond({status: 200});
    await ctx.sleep(20);
    ctx.snap("idle", {awaiting: lp.awaitingBatchAck, buffer: lp.batchBuffer.length});
    lp.send("z");
    (await ctx.req("POST")).respond({status: 200});
    await ctx.quiet();
  },

  async "binary sends are base64 lines"(ctx) {
    const lp = ctx.create();
    await handshake(ctx);
    lp.send("text");
    lp.send(new Uint8Array([0, 1, 2, 255, 128]).buffer);
    lp.send(new Uint8Array([104, 105]));
    lp.send(new ArrayBuffer(0));
    (await ctx.req("POST")).respond({status: 200});
    await ctx.quiet();
  },

  async "410 while holding a token: session gone"(ctx) {
    const lp = ctx.create();
    await handshake(ctx);
    (await ctx.req("GET")).respond({status: 410, token: "T9"});
    await ctx.until("close");
    ctx.snap("after", {readyState: lp.readyState, token: lp.token});
    await ctx.quiet();
  },

  async "403: error 403 then close 1008"(ctx) {
    const lp = ctx.create();
    (await ctx.req("GET")).respond({status: 403});
    await ctx.until("close");
    ctx.snap("after", {readyState: lp.readyState, token: lp.token});
    await ctx.quiet();
  },

  async "500 on a poll: error 500, close 1011, pending POST aborted"(ctx) {
    const lp = ctx.create();
    await handshake(ctx);
    const g = await ctx.req("GET");
    lp.send("m");
    const p = await ctx.req("POST");
    g.respond({status: 500});
    await ctx.until("close");
    await p.aborted();
    ctx.snap("after", {readyState: lp.readyState, awaiting: lp.awaitingBatchAck});
    await ctx.quiet();
  },

  async "POST answered with a non-200 status closes with 1011 and aborts the poll"(ctx) {
    const lp = ctx.create();
    await handshake(ctx);
    const g = await ctx.req("GET");
    lp.send("m");
    (await ctx.req("POST")).respond({status: 410});
    await ctx.until("close");
    await g.aborted();
    ctx.snap("after", {readyState: lp.readyState, awaiting: lp.awaitingBatchAck});
    await ctx.quiet();
  },

  async "empty body and unparsable body: status 0 -> error 500, close 1011"(ctx) {
    ctx.create();
    await handshake(ctx);
    (await ctx.req("GET")).respond("");
    await ctx.until("close");
    ctx.create();
    await handshake(ctx, "T2");
    (await ctx.req("GET")).respond("<html>");
    await ctx.until("close", 2);
    await ctx.quiet();
  },

  async "network error on a poll: error 500, close 1011"(ctx) {
    ctx.create();
    await handshake(ctx);
    (await ctx.req("GET")).kill();
    await ctx.until("close");
    await ctx.quiet();
  },

  async "unknown status: polling stops silently"(ctx) {
    const lp = ctx.create();
    await handshake(ctx);
    (await ctx.req("GET")).respond({status: 418, token: "T4"});
    await ctx.quiet(100);
    ctx.snap("after", {readyState: lp.readyState, token: lp.token, reqs: lp.reqs.size});
  },

  async "a poll that times out: error 'timeout', close 1005 'timeout'"(ctx) {
    // the short timeout is set in onopen, so that it applies from the poll after the handshake
    const lp = ctx.create(undefined, {handlers: {onopen: (_ev, lp) => (lp.timeout = 150)}});
    await handshake(ctx);
    const g = await ctx.req("GET");
    await ctx.until("close");
    await g.aborted();
    ctx.snap("after", {readyState: lp.readyState});
    await ctx.quiet();
  },

  async "close events are CloseEvents when that global exists"(ctx) {
    class CloseEvent {
      constructor(type, init) {
        this.type = type;
        Object.assign(this, init);
      }
    }
    globalThis.CloseEvent = CloseEvent;
    try {
      const lp = ctx.create();
      await handshake(ctx);
      (await ctx.req("GET")).respond({status: 500});
      await ctx.until("close");
      lp.close(4001, "again");
      ctx.create().close();
      await ctx.until("close", 3);
    } finally {
      delete globalThis.CloseEvent;
    }
  },

  async "close before the first poll: no request"(ctx) {
    const lp = ctx.create(AUTH);
    lp.close(4000, "early");
    ctx.snap("after", {readyState: lp.readyState});
    await ctx.quiet(50);
  },

  async "close from onopen: the next poll is not made"(ctx) {
    ctx.create(undefined, {handlers: {onopen: (_ev, lp) => lp.close(1000, "bye", true)}});
    (await ctx.req("GET")).respond({status: 410, token: "T"});
    await ctx.until("close");
    await ctx.quiet();
  },

  async "close from onerror during closeAndRetry: one close event"(ctx) {
    ctx.create(undefined, {handlers: {onerror: (_ev, lp) => lp.close()}});
    await handshake(ctx);
    (await ctx.req("GET")).respond({status: 500});
    await ctx.until("close");
    await ctx.quiet();
  },

  async "no auth token unless the second protocol has the prefix"(ctx) {
    ctx.create(["phoenix", "other"]);
    ctx.create(["base64url.bearer.phx.dG9r"]);
    ctx.create(["phoenix", "base64url.bearer.phx."]);
    const g = await ctx.req("GET");
    g.respond({status: 403});
    await ctx.sleep(20);
  },

  async "Socket over LongPoll (default transport without WebSocket): join, push, reply"(ctx) {
    const s = new ctx.impl.Socket(ctx.endpoint, {params: {a: 1}, longpollerTimeout: 4000});
    ctx.snap("transport is LongPoll", s.transport === ctx.impl.LongPoll);
    s.onOpen(() => ctx.trace.push(["socket open"]));
    s.onError((e) => ctx.trace.push(["socket error", e]));
    const ch = s.channel("room:1", {p: 2});
    ch.join().receive("ok", (r) => ctx.trace.push(["joined", r]));
    s.connect();
    (await ctx.req("GET")).respond({status: 410, token: "T1", messages: []});
    await ctx.until("socket open");
    const p = await ctx.req("POST");
    const g = await ctx.req("GET");
    p.respond({status: 200});
    const [joinRef, ref] = JSON.parse(p.raw.body);
    g.respond({status: 200, token: "T2", messages: [JSON.stringify([joinRef, ref, "room:1", "phx_reply", {status: "ok", response: {hi: 1}}])]});
    await ctx.until("joined");
    ch.push("ping", {n: 1}).receive("ok", (r) => ctx.trace.push(["pong", r]));
    const p2 = await ctx.req("POST");
    p2.respond({status: 200});
    const [, ref2] = JSON.parse(p2.raw.body);
    (await ctx.req("GET")).respond({status: 200, token: "T3", messages: [JSON.stringify([joinRef, ref2, "room:1", "phx_reply", {status: "ok", response: {n: 1}}])]});
    await ctx.until("pong");
    await ctx.req("GET");
    s.disconnect(() => ctx.trace.push(["disconnected"]));
    await ctx.until("disconnected");
    await ctx.quiet();
  },
};

for (const [name, scenario] of Object.entries(scenarios)) {
  test(`LongPoll over HTTP: ${name}`, async () => {
    const expected = await runScenario(phoenix, scenario);
    assert.ok(
      !expected.some((e) => e[0] === "scenario-threw"),
      `the scenario is broken against phoenix.js itself:\n${expected.map((e) => JSON.stringify(e)).join("\n")}`,
    );
    const actual = await runScenario(ours, scenario);
    assert.deepEqual(actual, expected);
  });
}
