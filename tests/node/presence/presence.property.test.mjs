// Differential property tests: random sequences of presence_state / presence_diff events (and
// list(), state reads and writes, rejoins, callbacks that re-enter or throw, bad payloads) go
// through npm phoenix@1.8.16 and phoenix-wasm; the two traces, with object identity, must match.
//
//   node --test tests/node/presence/                 # default seed, 1,500 event sequences and 1,000 static-API cases
//   PRESENCE_SEED=123 PRESENCE_CASES=5000 node --test tests/node/presence/
//
// A failure names the seed and the case, so it can be replayed alone with PRESENCE_ONLY=<case>.
// PRESENCE_IMPL=<module> runs another implementation in place of phoenix-wasm.
import test from "node:test";
import assert from "node:assert/strict";
import * as phoenixJs from "phoenix";
import path from "node:path";
import {pathToFileURL} from "node:url";

// PRESENCE_IMPL=<module path> tests another implementation (e.g. a mutant of phoenix.js, to
// check that these tests catch it).
const phoenixWasm = process.env.PRESENCE_IMPL
  ? await import(pathToFileURL(path.resolve(process.env.PRESENCE_IMPL)).href)
  : await import("phoenix-wasm");
import {Rng, Trace, KEYS, REFS, stateText, diffText, firstDiff, errorOf} from "./gen.mjs";

const SEED = Number(process.env.PRESENCE_SEED ?? 20261122);
const CASES = Number(process.env.PRESENCE_CASES ?? 1500);
const STATIC_CASES = Number(process.env.PRESENCE_STATIC_CASES ?? 1000);
const ONLY = process.env.PRESENCE_ONLY === undefined ? null : Number(process.env.PRESENCE_ONLY);

// Any object with on() and joinRef() will do (PR: "works with any channel-like object").
class FakeChannel {
  constructor() {
    this.bindings = [];
    this.ref = undefined;
  }
  on(event, callback) {
    this.bindings.push({event, callback});
    return this.bindings.length;
  }
  joinRef() {
    return this.ref;
  }
  trigger(event, payload) {
    for (const b of this.bindings) if (b.event === event) b.callback(payload, null, this.ref);
  }
}

const plain = (v) => JSON.parse(JSON.stringify(v ?? {}));

// Plans one sequence with phoenix.js as the model (payloads depend on its current state) and
// records its trace; `replay` then runs the very same plan on another implementation.
function runCase(impl, rng, plan) {
  const {Presence} = impl;
  const t = new Trace();
  const ch = new FakeChannel();
  const recording = plan === null;
  if (recording) plan = [];
  let i = 0;
  const step = (make) => {
    if (recording) {
      const s = make();
      plan.push(s);
      return s;
    }
    return plan[i++];
  };

  const setup = step(() => ({custom: rng.chance(0.15), steps: 8 + rng.int(30)}));
  const events = setup.custom ? {state: "st", diff: "df"} : {state: "presence_state", diff: "presence_diff"};
  // (The instance itself is not recorded: phoenix.js's has own fields, ours has accessors.)
  const presence = new Presence(ch, setup.custom ? {events} : undefined);
  t.add("fields", {joinRef: presence.joinRef, pending: presence.pendingDiffs, list: presence.list()});
  let refCounter = 1;

  const recorder = (label, opts) => (...args) => {
    t.add("cb", label, ...args);
    if (opts.reenter) t.add("inner-list", presence.list());
    if (opts.throwOn !== undefined && args[0] === opts.throwOn) throw new RangeError("boom " + label);
  };

  for (let n = 0; n < setup.steps; n++) {
    const s = step(() => {
      const current = plain(phoenixJsPresence?.state);
      const r = rng.next();
      if (r < 0.25) return {op: "state", text: stateText(rng, current)};
      if (r < 0.6) return {op: "diff", text: diffText(rng, current)};
      if (r < 0.68) return {op: "rejoin", ref: rng.chance(0.1) ? null : String(++refCounter)};
      if (r < 0.76) return {op: "list"};
      if (r < 0.83) return {op: "listBy", kind: rng.int(5)};
      if (r < 0.89) {
        return {
          op: "callbacks",
          which: rng.pick(["onJoin", "onLeave", "onSync"]),
          reenter: rng.chance(0.3),
          throwOn: rng.chance(0.1) ? rng.pick(KEYS) : undefined,
          unset: rng.chance(0.1),
        };
      }
      if (r < 0.92) return {op: "readState"};
      if (r < 0.94) return {op: "writeState", key: rng.pick(KEYS), del: rng.chance(0.5), ref: rng.pick(REFS)};
      if (r < 0.95) return {op: "setState", text: stateText(rng, current)};
      if (r < 0.97) return {op: "static"};
      return {op: "pending"};
    });
    t.add("step", s.op);
    switch (s.op) {
      case "state":
      case "diff": {
        const payload = JSON.parse(s.text);
        t.run(s.op, () => ch.trigger(s.op === "state" ? events.state : events.diff, payload));
        t.add("payload after", payload);
        break;
      }
      case "rejoin":
        ch.ref = s.ref;
        t.add("pending", presence.inPendingSyncState());
        break;
      case "list":
        t.run("list", () => presence.list());
        break;
      case "listBy": {
        const choosers = [
          (k, p) => `${k}=${p.metas.map((m) => m.phx_ref).join("+")}`,
          (k, p) => {
            t.add("cb", "chooser", k, p);
            return p.metas[0];
          },
          (k, p) => {
            // A chooser that changes the state while list() walks it.
            if (k === "u1") presence.state.u2 = {metas: [{phx_ref: "late"}]};
            return [k, p];
          },
          5, // truthy, not a function: TypeError unless the state is empty
          (k, p) => {
            // A chooser that delivers a presence event while list() walks the state.
            if (k === "0" || k === "u1" || k === "2") {
              ch.trigger(events.diff, {joins: {u2: {metas: [{phx_ref: "re"}]}, 10: {metas: [{phx_ref: "x"}]}}, leaves: {u3: {metas: [{phx_ref: "r1"}, {phx_ref: "r2"}]}, alice: {metas: [{phx_ref: "r3"}]}}});
            }
            return [k, p];
          },
        ];
        t.run("listBy", () => presence.list(choosers[s.kind]));
        break;
      }
      case "callbacks": {
        const cb = s.unset ? undefined : recorder(s.which, s);
        presence[s.which](cb);
        break;
      }
      case "readState":
        t.add("state", presence.state);
        break;
      case "writeState":
        if (s.del) delete presence.state[s.key];
        else presence.state[s.key] = {metas: [{phx_ref: s.ref}]};
        t.run("list", () => presence.list());
        break;
      case "setState":
        presence.state = JSON.parse(s.text);
        t.run("list", () => presence.list());
        break;
      case "static":
        t.run("static list", () => Presence.list(presence.state, (k, p) => [k, p]));
        break;
      case "pending":
        t.add("pending", presence.inPendingSyncState(), presence.pendingDiffs, presence.joinRef);
        break;
    }
  }
  t.run("final list", () => presence.list());
  t.add("final state", presence.state);
  return {trace: t.entries, plan};
}

let phoenixJsPresence = null;

function recordModel(rng) {
  // Run phoenix.js while planning; the planner reads its state through phoenixJsPresence.
  const {Presence} = phoenixJs;
  const Wrapped = class extends Presence {
    constructor(...args) {
      super(...args);
      phoenixJsPresence = this;
    }
  };
  phoenixJsPresence = null;
  return runCase({Presence: Wrapped}, rng, null);
}

test(`Presence class: ${CASES} random event sequences (seed ${SEED}) agree with phoenix.js`, () => {
  let checked = 0;
  for (let c = 0; c < CASES; c++) {
    if (ONLY !== null && c !== ONLY) continue;
    const rng = new Rng(SEED * 1000 + c);
    const model = recordModel(rng);
    const got = runCase(phoenixWasm, null, model.plan);
    const d = firstDiff(model.trace, got.trace);
    if (d) assert.fail(`case ${c} (PRESENCE_SEED=${SEED} PRESENCE_ONLY=${c}): ${d}`);
    checked++;
  }
  assert.ok(checked > 0);
});

// ---------------------------------------------------------------------------------------------
// The static API: syncState / syncDiff / list on plain and null-prototype objects.

function runStatic(impl, text) {
  const {Presence} = impl;
  const t = new Trace();
  const rec = (label) => (...args) => t.add("cb", label, ...args);
  const cur = JSON.parse(text.cur);
  const next = JSON.parse(text.next);
  t.add("inputs", cur, next);
  const useCbs = text.cbs;
  const state = t.run("syncState", () =>
    useCbs ? Presence.syncState(cur, next, rec("onJoin"), rec("onLeave")) : Presence.syncState(cur, next));
  t.add("after syncState", cur, next);
  if (state === undefined) return t.entries;
  t.run("list", () => Presence.list(state));
  for (const dt of text.diffs) {
    const diff = JSON.parse(dt);
    // Sometimes a plain (prototype) copy: syncDiff then returns a new null-prototype object.
    const input = text.plainState ? Object.assign({}, state) : state;
    const out = t.run("syncDiff", () => Presence.syncDiff(input, diff, useCbs ? rec("onJoin") : null, useCbs ? rec("onLeave") : undefined));
    t.add("identity", out === input, out === state);
    t.add("input after", input, diff);
    if (out !== undefined) t.run("list by", () => Presence.list(out, (k, p) => `${k}:${p.metas.length}`));
  }
  t.run("toNullProtoObj", () => Presence.toNullProtoObj(next));
  t.run("clone", () => Presence.clone(next));
  t.run("map", () => Presence.map(cur, (k, v) => [k, v]));
  return t.entries;
}

test(`static API: ${STATIC_CASES} random syncState/syncDiff/list calls (seed ${SEED}) agree with phoenix.js`, () => {
  for (let c = 0; c < STATIC_CASES; c++) {
    if (ONLY !== null && c !== ONLY) continue;
    const rng = new Rng(SEED * 7 + c);
    const curText = stateText(rng, {});
    const cur = JSON.parse(curText);
    const text = {
      cur: curText,
      next: stateText(rng, cur),
      cbs: rng.chance(0.8),
      plainState: rng.chance(0.3),
      diffs: Array.from({length: rng.int(4)}, () => diffText(rng, cur)),
    };
    const a = runStatic(phoenixJs, text);
    const b = runStatic(phoenixWasm, text);
    const d = firstDiff(a, b);
    if (d) assert.fail(`static case ${c} (PRESENCE_SEED=${SEED} PRESENCE_ONLY=${c}): ${d}`);
  }
});

// A few fixed inputs that random generation reaches rarely.
test("edge inputs behave like phoenix.js (errors by class)", () => {
  const cases = [
    (P) => P.syncDiff({}, {joins: {}}),
    (P) => P.syncDiff({}, null),
    (P) => P.syncDiff({}, undefined),
    (P) => P.syncDiff(null, {joins: {}, leaves: {}}),
    (P) => P.syncDiff(Object.create(null), {joins: {a: {metas: "str"}}, leaves: {}}),
    (P) => P.syncDiff({a: {metas: [{phx_ref: 1}]}}, {joins: {a: {metas: [{phx_ref: 1}, {phx_ref: NaN}]}}, leaves: {}}),
    (P) => P.syncDiff({a: {metas: [{phx_ref: "x"}]}}, {joins: {a: {metas: [null]}}, leaves: {}}),
    (P) => P.syncDiff({a: {metas: [{phx_ref: "x"}]}}, {joins: {}, leaves: {a: {metas: [{phx_ref: "x"}]}, b: 5}}),
    (P) => P.syncDiff({a: {metas: [{phx_ref: "x"}]}}, {joins: {}, leaves: {a: {}}}),
    (P) => P.syncState(undefined, {}),
    (P) => P.syncState({}, null),
    (P) => P.syncState({a: {metas: [{phx_ref: "1"}]}}, {a: null}),
    (P) => P.syncState({a: {metas: [{phx_ref: "1"}]}}, {a: {metas: 7}}),
    (P) => P.syncState({}, "ab"),
    (P) => P.syncState({}, [{metas: [{phx_ref: "1"}]}]),
    (P) => P.syncState({a: {metas: [{phx_ref: "\ud800"}]}, "\udc00": {metas: []}}, {a: {metas: [{phx_ref: "\udc00"}]}}),
    (P) => P.list([{metas: []}, 4]),
    (P) => P.list("ab", (k, v) => k + v),
    (P) => P.list(null),
    (P) => P.list({a: 1}, 7),
    (P) => P.list({}, 7),
    (P) => P.toNullProtoObj(undefined),
    (P) => P.toNullProtoObj(Object.create(null)),
    (P) => P.clone(undefined),
    (P) => P.map({b: 1, 1: 2}, (k, v) => k + v),
    (P) => {
      new P({on() {}, joinRef: () => "1"}, null);
      return "constructed";
    },
    (P) => {
      new P(null);
      return "constructed";
    },
    (P) => {
      const p = new P({on() {}, joinRef: () => "1"});
      p.caller = null;
      return p.onJoin(() => {});
    },
  ];
  cases.forEach((f, i) => {
    const a = new Trace();
    const b = new Trace();
    a.run(`edge ${i}`, () => f(phoenixJs.Presence));
    b.run(`edge ${i}`, () => f(phoenixWasm.Presence));
    assert.deepEqual(b.entries, a.entries, `edge case ${i}: ${f}`);
  });
});

test("a channel-like object's bindings: presence_state/diff through on(), joinRef() read per event", () => {
  for (const impl of [phoenixJs, phoenixWasm]) {
    const calls = [];
    const ch = {
      handlers: {},
      on(ev, cb) {
        calls.push(["on", ev]);
        this.handlers[ev] = cb;
        return 1;
      },
      joinRef() {
        calls.push(["joinRef"]);
        return "9";
      },
    };
    const p = new impl.Presence(ch);
    ch.handlers.presence_diff({joins: {a: {metas: [{phx_ref: "1"}]}}, leaves: {}});
    ch.handlers.presence_state({b: {metas: [{phx_ref: "2"}]}});
    ch.handlers.presence_diff({joins: {}, leaves: {b: {metas: [{phx_ref: "2"}]}}});
    calls.push(["list", JSON.stringify(p.list())]);
    (impl === phoenixJs ? (globalThis.__expected = calls) : assert.deepEqual(calls, globalThis.__expected));
  }
});

void errorOf;

test("no wasm trap when a patched Array.prototype re-enters Presence mid-update", () => {
  const {Presence} = phoenixWasm;
  const ch = new FakeChannel();
  ch.ref = "1";
  const p = new Presence(ch);
  const {push, splice} = Array.prototype;
  let depth = 0;
  const reenter = () => {
    if (depth === 0) {
      depth++;
      try {
        p.list();
        p.list((k) => k);
      } finally {
        depth--;
      }
    }
  };
  try {
    Array.prototype.push = function (...args) {
      reenter();
      return push.apply(this, args);
    };
    Array.prototype.splice = function (...args) {
      reenter();
      return splice.apply(this, args);
    };
    ch.trigger("presence_state", {a: {metas: [{phx_ref: "1"}]}, 2: {metas: [{phx_ref: "2"}]}});
    p.list((k) => k);
    ch.trigger("presence_diff", {joins: {1: {metas: [{phx_ref: "3"}]}, b: {metas: [{phx_ref: "4"}]}}, leaves: {a: {metas: [{phx_ref: "1"}]}}});
  } catch (e) {
    assert.ok(!(e instanceof WebAssembly.RuntimeError), `wasm trapped: ${e}`);
  } finally {
    Array.prototype.push = push;
    Array.prototype.splice = splice;
  }
  assert.deepEqual(p.list((k, v) => [k, v.metas.map((m) => m.phx_ref)]), [["1", ["3"]], ["2", ["2"]], ["b", ["4"]]]);
});
