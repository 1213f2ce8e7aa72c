// What the declarations describe, at run time: the results (types, refs, states, chaining) of the
// declared API on a socket that never connects, the same for npm phoenix@1.8.16 and the built
// phoenix-wasm, and what js/types.d.ts claims about them.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const kind = (v) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

function shapes(P) {
  const r = {};
  const s = new P.Socket("ws://127.0.0.1:9/socket", { reconnectAfterMs: () => 1e6, params: { a: 1 } });
  r.endPointURL = s.endPointURL();
  r.refs = [s.onOpen(() => {}), s.onClose(() => {}), s.onError(() => {}), s.onMessage(() => {}), s.makeRef()].map(kind);
  r.predicates = [s.hasLogger(), s.isConnected(), s.connectionState(), s.ping(() => {})];
  r.conn = kind(s.conn);
  r.getLongPollTransport = s.getLongPollTransport() === P.LongPoll;
  r.voids = [s.log("a", "b", 1), s.push({ topic: "t", event: "e", payload: {}, ref: "1" }), s.off([])].map(kind);
  const c = s.channel("room:x", { u: 1 });
  r.channel = [c.state, c.topic, kind(c.params), JSON.stringify(c.params()), c.socket === s, c.timeout, kind(c.joinRef())];
  r.channelRefs = [c.on("e", () => {}), c.onClose(() => {}), c.onError(() => {}), c.off("e")].map(kind);
  r.onMessage = c.onMessage("e", { p: 1 }, "1");
  const push = c.join();
  r.join = [kind(push), push.receive("ok", () => {}) === push, push.receive("custom", () => {}) === push, c.joinedOnce, c.joinPush === push, kind(c.joinRef())];
  r.joinTwice = (() => { try { c.join(); return "no throw"; } catch { return "throws"; } })();
  const p2 = c.push("e", {});
  r.push = [kind(p2), kind(p2.send()), kind(p2.resend(100))];
  const pres = new P.Presence(c);
  r.presence = [JSON.stringify(pres.state), JSON.stringify(pres.pendingDiffs), kind(pres.joinRef), kind(pres.list()), pres.inPendingSyncState(),
    kind(pres.onJoin(() => {})), kind(pres.onLeave(() => {})), kind(pres.onSync(() => {}))];
  const joined = [];
  const st = P.Presence.syncState({}, { a: { metas: [{ phx_ref: "1" }] } }, (k) => joined.push(k));
  const left = [];
  r.statics = [JSON.stringify(st), JSON.stringify(P.Presence.syncDiff(st, { joins: {}, leaves: { a: { metas: [{ phx_ref: "1" }] } } }, undefined, (k) => left.push(k))),
    JSON.stringify(P.Presence.list(st, (k) => k)), JSON.stringify(P.Presence.list(st)), joined, left];
  const lp = new P.LongPoll("http://127.0.0.1:9/socket/longpoll");
  r.longPoll = [lp.readyState, lp.endpointURL(), lp.normalizeEndpoint("ws://h/socket/websocket"), kind(lp.timeout), kind(lp.binaryType),
    kind(lp.onopen), kind(lp.onerror), kind(lp.onmessage), kind(lp.onclose), kind(lp.close())];
  r.socketEnd = [kind(s.replaceTransport(P.LongPoll)), kind(s.remove(c)), kind(s.disconnect())];
  r.serializer = [P.Serializer.HEADER_LENGTH, P.Serializer.META_LENGTH, P.Serializer.KINDS];
  r.notExported = [kind(P.Push), kind(P.Ajax), kind(P.Timer)];
  return r;
}

test("the declared API returns the same kinds of values in phoenix.js 1.8.16 and phoenix-wasm", async () => {
  const js = shapes(await import("phoenix"));
  const wasm = shapes(await import(pathToFileURL(path.join(ROOT, "dist", "phoenix-wasm.mjs")).href));
  assert.deepEqual(wasm, js);
  // What js/types.d.ts says about them.
  assert.deepEqual(wasm.refs, ["string", "string", "string", "string", "string"]); // MessageRef
  assert.deepEqual(wasm.predicates, [false, false, "closed", false]);
  assert.deepEqual(wasm.channelRefs, ["number", "undefined", "number", "undefined"]); // onClose: typed number, is undefined
  assert.equal(wasm.channel[6], "undefined"); // joinRef() before the first join
  assert.deepEqual(wasm.join, ["object", true, true, true, true, "string"]);
  assert.equal(wasm.joinTwice, "throws");
  assert.deepEqual(wasm.longPoll.slice(3, 5), ["undefined", "undefined"]); // timeout?, binaryType?
  assert.equal(wasm.socketEnd[0], "number"); // replaceTransport: typed void
  assert.deepEqual(wasm.notExported, ["undefined", "undefined", "undefined"]);
});
