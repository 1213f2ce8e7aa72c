// Our LongPoll vs npm phoenix@1.8.16's LongPoll on the XHR (and XDomainRequest) path, with the
// differential suite's fake clock and fake XMLHttpRequest (tests/node/diff/harness.mjs): both
// traces (requests, timers set and cleared, events, exceptions, field snapshots) must be equal.
// These complement the golden-trace scenarios of tests/node/diff/scenarios/longpoll.mjs with
// the transport used on its own: cancellation of queued work, private methods, odd inputs.
import {test} from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import {pathToFileURL} from "node:url";
import * as phoenix from "phoenix";
import {runScenario, diffTraces} from "../diff/harness.mjs";

const spec = process.env.PHX_IMPL || "phoenix-wasm";
const ours = await import(spec.startsWith(".") || spec.startsWith("/") ? pathToFileURL(path.resolve(spec)).href : spec);

const URL_ = "ws://example.com/socket/websocket?vsn=2.0.0";
const AUTH = ["phoenix", "base64url.bearer.phx.dG9r"];

function make(env, protocols = AUTH, timeout = 500) {
  const lp = env.call("new LongPoll", () => new env.LongPoll(URL_, protocols), {noRet: true});
  if (!lp) return lp;
  lp.timeout = timeout;
  for (const h of ["onopen", "onerror", "onmessage", "onclose"]) lp[h] = env.record(h);
  return lp;
}

function fields(lp) {
  return {
    readyState: lp.readyState,
    token: lp.token,
    reqs: lp.reqs.size,
    messageTimers: lp.messageTimers.size,
    awaitingBatchAck: lp.awaitingBatchAck,
    // copies: which array object holds them is not part of the comparison
    currentBatch: lp.currentBatch && [...lp.currentBatch],
    batchBuffer: [...lp.batchBuffer],
    isActive: lp.isActive(),
  };
}

const scenarios = {
  "close cancels queued messages, the open batch and the poll"(env) {
    const xhr = env.installFakeXHR();
    const lp = make(env);
    env.clock.advance(0);
    xhr.respond("GET", {status: 410, token: "T"});
    xhr.respond("GET", {status: 200, token: "T", messages: ["a", "b", "c"]});
    lp.send("x");
    lp.send(env.bytes(1, 2, 3));
    env.snap("before", fields(lp));
    lp.close(4000, "bye", false);
    env.snap("after", fields(lp));
    env.clock.advance(10);
  },

  "onmessage closing cancels the remaining messages"(env) {
    const xhr = env.installFakeXHR();
    const lp = make(env);
    lp.onmessage = env.record("onmessage", () => lp.close());
    env.clock.advance(0);
    xhr.respond("GET", {status: 410, token: "T"});
    xhr.respond("GET", {status: 200, token: "T2", messages: ["a", "b", "c"]});
    env.clock.advance(0);
    env.snap("after", fields(lp));
  },

  "messages that are not an array throw inside the callback, token kept"(env) {
    const xhr = env.installFakeXHR();
    const lp = make(env);
    env.clock.advance(0);
    xhr.respond("GET", {status: 410, token: "T"});
    xhr.respond("GET", {status: 200, token: "T2", messages: "abc"});
    env.snap("after string", fields(lp));
    lp.poll();
    xhr.respond("GET", {status: 200, token: "T3"});
    env.snap("after missing", fields(lp));
    lp.poll();
    xhr.respond("GET", {status: "200", token: "T4"});
    lp.poll();
    xhr.respond("GET", {status: 204, token: {a: 1, b: [1, null]}});
    xhr.respond("GET", 0);
    env.clock.advance(10);
  },

  "POST acks, buffered sends, then a failed POST with a buffer"(env) {
    const xhr = env.installFakeXHR();
    const lp = make(env);
    env.clock.advance(0);
    xhr.respond("GET", {status: 410, token: "T"});
    lp.send("a");
    env.clock.advance(0);
    lp.send("b");
    lp.send("c");
    env.snap("waiting", fields(lp));
    xhr.respond("POST", {status: 200});
    lp.send("d");
    env.snap("second POST", fields(lp));
    xhr.respond("POST", {status: 500});
    env.snap("after failure", fields(lp));
    env.clock.advance(10);
  },

  "POST times out (XHR): readystatechange first, null response"(env) {
    const xhr = env.installFakeXHR();
    const lp = make(env);
    env.clock.advance(0);
    xhr.respond("GET", {status: 410, token: "T"});
    lp.send("a");
    env.clock.advance(0);
    xhr.timeout("POST");
    env.snap("after", fields(lp));
  },

  "private methods called directly"(env) {
    const xhr = env.installFakeXHR();
    const lp = make(env, undefined, undefined);
    env.snap("normalizeEndpoint", [
      lp.normalizeEndpoint("wss://a/websocket/x/websocket?ws://b"),
      lp.normalizeEndpoint("http://a/b"),
      lp.normalizeEndpoint("ws://a/websocket\nws://b/websocket"),
    ]);
    env.call("normalizeEndpoint(5)", () => lp.normalizeEndpoint(5), {loose: true});
    for (const t of [{a: 1, b: [1, 2], c: {d: null}}, 5, undefined, "a b&c/é", true, []]) {
      lp.token = t;
      env.call("endpointURL", () => lp.endpointURL());
    }
    lp.token = null;
    env.snap("isActive", lp.isActive());
    env.call("emitClose()", () => lp.emitClose());
    env.call("emitClose(1000, r, false)", () => lp.emitClose(1000, "r", false));
    env.call("stop(1)", () => lp.stop(1));
    env.snap("after stop", fields(lp));
    env.call("ajax", () => lp.ajax("PUT", {"X-A": "1", "X-B": 2}, "body", env.record("ajax timeout"), env.record("ajax cb")));
    xhr.respond("PUT", {x: 1});
    env.call("ajax", () => lp.ajax("GET", {}, null, env.record("ajax timeout"), env.record("ajax cb")));
    xhr.timeout("GET");
    env.call("batchSend", () => lp.batchSend(["a", "b", null, 3]));
    env.snap("batchSend", fields(lp));
    xhr.respond("POST", {status: 200});
    env.call("batchSend offset", () => lp.batchSend(["a", "b", "c"], 1));
    xhr.respond("POST", {status: 200});
    env.call("closeAndRetry", () => lp.closeAndRetry("why", 1234, "because", true));
    env.call("ontimeout (not active)", () => lp.ontimeout());
    lp.readyState = 0;
    env.call("ontimeout", () => lp.ontimeout());
    env.snap("end", fields(lp));
    env.clock.advance(10);
  },

  "handlers that are not functions throw"(env) {
    const xhr = env.installFakeXHR();
    const lp = make(env);
    lp.onopen = null;
    env.clock.advance(0);
    xhr.respond("GET", {status: 410, token: "T"});
    env.snap("after", fields(lp));
    lp.onerror = 5;
    lp.poll();
    xhr.respond("GET", {status: 403});
    env.snap("after 403", fields(lp));
  },

  "re-entrant close from onerror and poll from onclose"(env) {
    const xhr = env.installFakeXHR();
    const lp = make(env);
    lp.onerror = env.record("onerror", () => lp.close(4000, "from onerror"));
    lp.onclose = env.record("onclose", () => lp.poll());
    env.clock.advance(0);
    xhr.respond("GET", {status: 410, token: "T"});
    lp.send("a");
    env.clock.advance(0);
    xhr.respond("GET", {status: 410, token: "gone"});
    env.snap("after", fields(lp));
    env.clock.advance(10);
  },

  "first poll after a close, and a second close"(env) {
    env.installFakeXHR();
    const lp = make(env);
    lp.close();
    lp.close(1000);
    env.clock.advance(0);
    env.snap("after", fields(lp));
  },

  "auth tokens: odd protocols"(env) {
    env.installFakeXHR();
    for (const p of [
      ["phoenix", "base64url.bearer.phx.YQ"],
      ["phoenix", "base64url.bearer.phx."],
      ["a", "b", "c"],
      "ab",
      "",
      null,
      ["phoenix", "base64url.bearer.phx.!!"],
    ]) {
      const lp = make(env, p);
      if (lp) env.snap("authToken", lp.authToken === undefined ? "<none>" : lp.authToken);
      if (lp) lp.close();
    }
    env.clock.advance(0);
  },

  "XDomainRequest is preferred and gets no headers"(env) {
    const reqs = [];
    class XDomainRequest {
      constructor() {
        this.label = `xdr#${reqs.length + 1}`;
        reqs.push(this);
      }
      set timeout(v) {
        env.trace.push([this.label, "set", "timeout", v]);
      }
      open(m, u) {
        env.trace.push([this.label, "open", m, u, arguments.length]);
      }
      send(b) {
        env.trace.push([this.label, "send", b, typeof this.onprogress, typeof this.onload, typeof this.ontimeout]);
      }
      abort() {
        env.trace.push([this.label, "abort"]);
      }
    }
    env.stubGlobal("XDomainRequest", XDomainRequest);
    env.installFakeXHR();
    const lp = make(env);
    env.clock.advance(0);
    reqs[0].responseText = JSON.stringify({status: 410, token: "T"});
    reqs[0].onload();
    lp.send("a");
    env.clock.advance(0);
    reqs[2].responseText = "";
    reqs[2].onload();
    env.snap("after", fields(lp));
    reqs[1].ontimeout();
    env.clock.advance(10);
  },

  "no HTTP implementation: the timer throws, the batch stays"(env) {
    env.stubGlobal("fetch", undefined);
    const lp = make(env);
    env.clock.advance(0);
    env.snap("after poll", fields(lp));
    lp.readyState = 1;
    lp.send("a");
    env.clock.advance(0);
    lp.send("b");
    env.snap("after send", fields(lp));
    lp.close();
    env.clock.advance(10);
  },
};

for (const [name, scenario] of Object.entries(scenarios)) {
  test(`LongPoll over fake XHR: ${name}`, async () => {
    const expected = await runScenario(phoenix, scenario, {name});
    assert.ok(!expected.some((e) => e[0] === "scenario-threw"), `scenario broken against phoenix.js:\n${expected.map((e) => JSON.stringify(e)).join("\n")}`);
    const actual = await runScenario(ours, scenario, {name});
    const d = diffTraces(JSON.parse(JSON.stringify(expected)), JSON.parse(JSON.stringify(actual)));
    if (d) assert.fail(d);
  });
}
