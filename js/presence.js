// `Presence`: phoenix.js 1.8.16's API and observable behaviour, as a JavaScript facade over the
// wasm core (src/core/presence.rs).
//
// This module owns the JavaScript objects (state objects, presences, metas, payloads, the user's
// callbacks, `this`) and does the object plumbing: reading keys and `phx_ref`s, cloning, writing
// the results. The decisions are the core's: which metas joined and which left (the `phx_ref`s
// go to it numbered, see `RefIds`), and where every key of a state object sits in property order,
// which is what `list()` returns and in which order.
//
// Why `list()` is fast: phoenix.js walks the state object on every call
// (`Object.getOwnPropertyNames` of a 10,000-key dictionary object, then a lookup per key). Every
// state object this module creates is a `Proxy` over a null-prototype object, with a record
// (`Tracked`) that keeps the keys and the presences in two arrays in property order, patched at
// the positions the core's tracker gives on every assignment and `delete`. `list()` is then a copy
// of an array. The proxy has no `get`/`has`/`ownKeys` traps (reads go straight to the object); its
// `defineProperty` and `deleteProperty` traps send the app's own changes
// (`const s = p.state; s.c = x; delete s.a`) through the same tracker, so `list()` stays exact.
// Objects this module did not create (a null-prototype state passed to `syncDiff`, an object
// assigned to `presence.state`) are walked as phoenix.js does.
import glue from "./wasm.js";

const getNames = Object.getOwnPropertyNames;
const getProto = Object.getPrototypeOf;
const OBJECT_PROTO = Object.prototype;
const ARRAY_PROTO = Array.prototype;
const isArray = Array.isArray;

function noop() {}

// ---------------------------------------------------------------------------------------------
// clone: `JSON.parse(JSON.stringify(obj))`, as phoenix.js's `Presence.clone`.

// Thrown inside `copy` when a value needs JSON's own handling (toJSON, a Date, a boxed primitive,
// a BigInt, a cycle, an odd prototype, a `__proto__` key...): the whole clone is then done by JSON.
const BAIL = {};

// The same result as JSON's round trip for plain data (objects with Object.prototype or no
// prototype, arrays, strings, booleans, numbers, null), without the text in between.
function copy(v, depth) {
  if (v === null) return null;
  switch (typeof v) {
    case "string":
    case "boolean":
      return v;
    case "number":
      // NaN and ±Infinity become null; -0 becomes 0.
      return v === v && v !== Infinity && v !== -Infinity ? v + 0 : null;
    case "object":
      break;
    default:
      throw BAIL;
  }
  if (depth > 100) throw BAIL;
  if (isArray(v)) {
    if (getProto(v) !== ARRAY_PROTO || typeof v.toJSON === "function") throw BAIL;
    const n = v.length;
    const out = [];
    for (let i = 0; i < n; i++) {
      const x = v[i];
      const t = typeof x;
      out[i] = t === "undefined" || t === "function" || t === "symbol" ? null : copy(x, depth + 1);
    }
    return out;
  }
  const proto = getProto(v);
  if ((proto !== OBJECT_PROTO && proto !== null) || typeof v.toJSON === "function") throw BAIL;
  const out = {};
  // for-in lists the same keys as JSON (own enumerable strings, in order) as long as
  // Object.prototype has no enumerable property (checked per clone).
  for (const k in v) {
    const x = v[k];
    const t = typeof x;
    if (t === "undefined" || t === "function" || t === "symbol") continue;
    if (k === "__proto__") throw BAIL;
    out[k] = copy(x, depth + 1);
  }
  return out;
}

// `copy` made twice in one walk: returns one copy, leaves the other in `second`.
let second = null;
function copyTwice(v, depth) {
  if (v === null || typeof v !== "object") {
    second = copy(v, depth);
    return second;
  }
  if (depth > 100) throw BAIL;
  if (isArray(v)) {
    if (getProto(v) !== ARRAY_PROTO || typeof v.toJSON === "function") throw BAIL;
    const n = v.length;
    const a = [];
    const b = [];
    for (let i = 0; i < n; i++) {
      const x = v[i];
      const t = typeof x;
      if (t === "undefined" || t === "function" || t === "symbol") {
        a[i] = null;
        b[i] = null;
      } else {
        a[i] = copyTwice(x, depth + 1);
        b[i] = second;
      }
    }
    second = b;
    return a;
  }
  const proto = getProto(v);
  if ((proto !== OBJECT_PROTO && proto !== null) || typeof v.toJSON === "function") throw BAIL;
  const a = {};
  const b = {};
  for (const k in v) {
    const x = v[k];
    const t = typeof x;
    if (t === "undefined" || t === "function" || t === "symbol") continue;
    if (k === "__proto__") throw BAIL;
    a[k] = copyTwice(x, depth + 1);
    b[k] = second;
  }
  second = b;
  return a;
}

function prototypeIsClean() {
  for (const _ in {}) return false;
  return true;
}

function clone(obj) {
  const t = typeof obj;
  if (t === "object" && prototypeIsClean()) {
    try {
      return copy(obj, 0);
    } catch (e) {
      if (e !== BAIL) throw e;
    }
  }
  return JSON.parse(JSON.stringify(obj));
}

// ---------------------------------------------------------------------------------------------
// Tracked state objects.

// proxy -> its Tracked record.
const records = new WeakMap();
// Frees the core's tracker when a state object is collected.
const registry =
  typeof FinalizationRegistry === "function" ? new FinalizationRegistry((h) => glue.presence_untrack(h)) : null;

// A state object created here: `target` (null prototype) behind a proxy whose handler is this
// record, `keys`/`vals` in property order, `ver` bumped on every change, `walkers` counting the
// `list(chooser)` walks that read `keys`/`vals` (a change then copies them first).
class Tracked {
  constructor(target, h) {
    this.target = target;
    this.h = h;
    this.keys = [];
    this.vals = [];
    this.ver = 0;
    this.walkers = 0;
    this.lost = false;
    // False once the app defines a non-enumerable key (JSON would leave it out).
    this.plain = true;
  }

  // Proxy traps: changes the app makes through the state object.
  defineProperty(t, key, desc) {
    if (!Reflect.defineProperty(t, key, desc)) return false;
    if (typeof key === "string") {
      const now = Reflect.getOwnPropertyDescriptor(t, key);
      if (!now || !("value" in now)) this.lose();
      else {
        if (!now.enumerable) this.plain = false;
        this.placed(key, now.value);
      }
    }
    return true;
  }

  deleteProperty(t, key) {
    if (!Reflect.deleteProperty(t, key)) return false;
    if (typeof key === "string") this.removed(key);
    return true;
  }

  // `state[key] = value` from this module (strict mode: throws where phoenix.js would). (Not
  // named `set`/`delete`: this object is the proxy handler, and those would be traps.)
  put(key, value) {
    this.target[key] = value;
    this.placed(key, value);
  }

  // `delete state[key]` from this module.
  drop(key) {
    delete this.target[key];
    this.removed(key);
  }

  unshare() {
    this.keys = this.keys.slice();
    this.vals = this.vals.slice();
    this.walkers = 0;
  }

  placed(key, value) {
    this.ver++;
    if (this.lost) return;
    const c = glue.presence_set(this.h, key);
    if (c < 0) {
      this.lose();
      return;
    }
    if (this.walkers) this.unshare();
    const pos = c >> 1;
    if (c & 1) {
      if (pos === this.keys.length) {
        this.keys[pos] = key;
        this.vals[pos] = value;
      } else {
        this.keys.splice(pos, 0, key);
        this.vals.splice(pos, 0, value);
      }
    } else {
      this.vals[pos] = value;
    }
  }

  removed(key) {
    this.ver++;
    if (this.lost) return;
    const c = glue.presence_delete(this.h, key);
    if (c === -1) return;
    if (c < 0) {
      this.lose();
      return;
    }
    if (this.walkers) this.unshare();
    this.keys.splice(c, 1);
    this.vals.splice(c, 1);
  }

  lose() {
    this.ver++;
    if (this.lost) return;
    this.lost = true;
    this.keys = [];
    this.vals = [];
    glue.presence_lose(this.h);
  }
}

// A new, empty tracked state object (its proxy).
function tracked(h = glue.presence_track()) {
  const target = Object.create(null);
  const rec = new Tracked(target, h);
  const proxy = new Proxy(target, rec);
  records.set(proxy, rec);
  if (registry) registry.register(proxy, h);
  return proxy;
}

// phoenix.js's `toNullProtoObj`, except that the new object is a tracked one.
function toTracked(obj) {
  if (getProto(obj) === null) return obj;
  const names = getNames(obj);
  const proxy = tracked();
  const rec = records.get(proxy);
  for (let i = 0; i < names.length; i++) rec.put(names[i], obj[names[i]]);
  return proxy;
}

// phoenix.js's `toNullProtoObj`.
function toNullProtoObj(obj) {
  if (getProto(obj) === null) return obj;
  const cleaned = Object.create(null);
  const names = getNames(obj);
  for (let i = 0; i < names.length; i++) cleaned[names[i]] = obj[names[i]];
  return cleaned;
}

// `phx_ref` values as small integers for the core, for one comparison: equal numbers for `===`
// values. A few refs are compared by scanning (`===` itself, so NaN never equals anything), more
// through a Map (which compares like `===` except for NaN: each NaN gets a number of its own).
class RefIds {
  constructor() {
    this.seen = [];
    this.len = 0;
    this.ids = null;
  }
  reset() {
    this.len = 0;
    this.ids = null;
  }
  of(ref) {
    const seen = this.seen;
    const n = this.len;
    if (this.ids === null) {
      for (let i = 0; i < n; i++) if (seen[i] === ref) return i;
      seen[n] = ref;
      this.len = n + 1;
      if (n === 16) {
        const ids = (this.ids = new Map());
        for (let i = 0; i <= n; i++) if (seen[i] === seen[i] && !ids.has(seen[i])) ids.set(seen[i], i);
      }
      return n;
    }
    this.len = n + 1;
    if (ref !== ref) return n;
    const id = this.ids.get(ref);
    if (id !== undefined) {
      this.len = n;
      return id;
    }
    this.ids.set(ref, n);
    return n;
  }
}

function pick(arr, indices) {
  const out = [];
  for (let i = 0; i < indices.length; i++) out[i] = arr[indices[i]];
  return out;
}

// ---------------------------------------------------------------------------------------------
// The algorithms' plumbing.

// A growable list of u32 (what crosses to the core), reused between calls.
class U32s {
  constructor() {
    this.buf = new Uint32Array(1024);
    this.n = 0;
    this.busy = false;
  }
  push(x) {
    if (this.n === this.buf.length) {
      const bigger = new Uint32Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.n++] = x;
  }
  view() {
    return this.buf.subarray(0, this.n);
  }
}
const shared = new U32s();

// The refs of `metas` (`metas.map(m => m.phx_ref)`) as numbers, after their count. Plain arrays
// are read in place; anything else goes through its own `map`, as in phoenix.js.
function pushRefs(out, metas, ids) {
  if (isArray(metas)) {
    const n = metas.length;
    out.push(n);
    for (let j = 0; j < n; j++) out.push(ids.of(metas[j].phx_ref));
  } else {
    const refs = metas.map((m) => ids.of(m.phx_ref));
    out.push(refs.length);
    for (let j = 0; j < refs.length; j++) out.push(refs[j]);
  }
}

// `metas.map(m => m.phx_ref)` as numbers.
function refsOf(metas, ids) {
  if (!isArray(metas)) return metas.map((m) => ids.of(m.phx_ref));
  const out = [];
  for (let j = 0; j < metas.length; j++) out[j] = ids.of(metas[j].phx_ref);
  return out;
}

// `metas.filter(m => drop.indexOf(m.phx_ref) < 0)`, the core deciding which.
function unmatched(metas, dropMetas) {
  const ids = new RefIds();
  const drop = refsOf(dropMetas, ids);
  return pick(metas, glue.presence_unmatched(refsOf(metas, ids), drop));
}

// `syncDiff`'s two loops, over the joins (keys and already cloned presences) and then over the
// leaves (a cloned object, listed only once the joins are done, as in phoenix.js). `copies`, if
// given, holds the clone of each joined presence for the state (made ahead: unobservable, as the
// app cannot reach a presence before its onJoin).
function applyDiff(state, joinKeys, joinPresences, leaves, onJoin, onLeave, copies) {
  if (!onJoin) onJoin = noop;
  if (!onLeave) onLeave = noop;
  const rec = records.get(state);
  const obj = rec ? rec.target : state;

  for (let i = 0; i < joinKeys.length; i++) {
    const key = joinKeys[i];
    const newPresence = joinPresences[i];
    const currentPresence = obj[key];
    const copied = copies ? copies[i] : clone(newPresence);
    if (rec) rec.put(key, copied);
    else obj[key] = copied;
    if (currentPresence) obj[key].metas.unshift(...unmatched(currentPresence.metas, obj[key].metas));
    onJoin(key, currentPresence, newPresence);
  }

  const leaveKeys = getNames(leaves);
  for (let i = 0; i < leaveKeys.length; i++) {
    const key = leaveKeys[i];
    const leftPresence = leaves[key];
    const currentPresence = obj[key];
    if (!currentPresence) continue;
    currentPresence.metas = unmatched(currentPresence.metas, leftPresence.metas);
    onLeave(key, currentPresence, leftPresence);
    if (currentPresence.metas.length === 0) {
      if (rec) rec.drop(key);
      else delete obj[key];
    }
  }
  return state;
}

function syncDiff(state, diff, onJoin, onLeave) {
  state = toTracked(state);
  const { joins, leaves } = clone(diff);
  const joinKeys = getNames(joins);
  const joinPresences = [];
  for (let i = 0; i < joinKeys.length; i++) joinPresences[i] = joins[joinKeys[i]];
  return applyDiff(state, joinKeys, joinPresences, leaves, onJoin, onLeave);
}

// `toTracked(clone(current))` in one pass when `current` is a tracked object that JSON would
// list exactly as its tracker does: the presences are copied straight into the new object, which
// gets a copy of the tracker (same keys, same order). Otherwise `null`.
function cloneTracked(current) {
  const rec = records.get(current);
  if (!rec || rec.lost || !rec.plain || !prototypeIsClean()) return null;
  const { keys, vals, target } = rec;
  if (typeof target.toJSON === "function") return null;
  const n = keys.length;
  const copies = [];
  try {
    for (let i = 0; i < n; i++) {
      const v = vals[i];
      const t = typeof v;
      // JSON would leave the key out: not the same keys any more.
      if (t === "undefined" || t === "function" || t === "symbol") return null;
      copies[i] = copy(v, 1);
    }
  } catch (e) {
    if (e !== BAIL) throw e;
    return null;
  }
  const h = glue.presence_track_copy(rec.h);
  if (h === 0xffffffff) return null;
  const proxy = tracked(h);
  const out = records.get(proxy);
  for (let i = 0; i < n; i++) out.target[keys[i]] = copies[i];
  out.keys = keys.slice();
  out.vals = copies;
  return proxy;
}

const hasOwn = Object.prototype.hasOwnProperty;

function syncState(currentState, newState, onJoin, onLeave) {
  const state = cloneTracked(currentState) || toTracked(clone(currentState));
  // phoenix.js reads `newState` through a null-prototype copy: own properties only. Read in
  // place instead (the same values: a payload is data, and is only read here).
  const nullProto = getProto(newState) === null;
  const newKeys = getNames(newState);
  const leaves = Object.create(null);
  const rec = records.get(state);
  const obj = rec ? rec.target : state;

  // Presences gone from the new state.
  const gone = (key) => !(nullProto || hasOwn.call(newState, key)) || !newState[key];
  if (rec && !rec.lost) {
    const { keys, vals } = rec;
    for (let i = 0; i < keys.length; i++) if (gone(keys[i])) leaves[keys[i]] = vals[i];
  } else {
    const keys = getNames(obj);
    for (let i = 0; i < keys.length; i++) if (gone(keys[i])) leaves[keys[i]] = obj[keys[i]];
  }

  // Presences in both: the core compares their refs, all in one call. If reading a presence
  // throws, phoenix.js has already updated the presences before it: so do we, then rethrow.
  const n = newKeys.length;
  const news = [];
  const curs = [];
  const ids = new RefIds();
  // One buffer for all calls (a fresh one if this call re-enters from a `map` of odd metas).
  const desc = shared.busy ? new U32s() : shared;
  desc.busy = true;
  desc.n = 0;
  let end = n;
  let error = null;
  try {
    for (let i = 0; i < n; i++) {
      const newPresence = (news[i] = newState[newKeys[i]]);
      const currentPresence = (curs[i] = obj[newKeys[i]]);
      if (!currentPresence) continue;
      const mark = desc.n;
      try {
        ids.reset();
        pushRefs(desc, newPresence.metas, ids);
        pushRefs(desc, currentPresence.metas, ids);
      } catch (e) {
        desc.n = mark;
        end = i;
        error = { e };
        break;
      }
    }
  } finally {
    desc.busy = false;
  }
  const answer = desc.n ? glue.presence_sync_state(desc.view()) : desc.buf;

  // The joins in `newState` order (as a `joins` object would list them: its keys are a
  // subsequence of `newState`'s, which is in property order already).
  const joinKeys = [];
  const joinPresences = [];
  let at = 0;
  for (let i = 0; i < end; i++) {
    const key = newKeys[i];
    const newPresence = news[i];
    const currentPresence = curs[i];
    if (!currentPresence) {
      joinKeys.push(key);
      joinPresences.push(newPresence);
      continue;
    }
    const joined = answer[at];
    const joinedAt = at + 1;
    at = joinedAt + joined;
    const left = answer[at];
    const leftAt = at + 1;
    at = leftAt + left;
    if (joined > 0) {
      const metas = newPresence.metas;
      const joinedMetas = [];
      for (let j = 0; j < joined; j++) joinedMetas[j] = metas[answer[joinedAt + j]];
      joinKeys.push(key);
      joinPresences.push(newPresence);
      newPresence.metas = joinedMetas;
    }
    if (left > 0) {
      const metas = currentPresence.metas;
      const leftMetas = [];
      for (let j = 0; j < left; j++) leftMetas[j] = metas[answer[leftAt + j]];
      leaves[key] = clone(currentPresence);
      leaves[key].metas = leftMetas;
    }
  }
  if (error) throw error.e;

  // `syncDiff(state, {joins, leaves})` clones that diff: the joined presences one by one (the
  // same objects JSON would make; if one needs JSON itself, the whole diff goes through it).
  let joinClones = null;
  const stateCopies = [];
  if (prototypeIsClean()) {
    joinClones = [];
    try {
      for (let i = 0; i < joinPresences.length; i++) {
        const p = joinPresences[i];
        const t = typeof p;
        // JSON would leave the key out of the diff: not the same joins any more.
        if (t === "undefined" || t === "function" || t === "symbol") throw BAIL;
        joinClones[i] = copyTwice(p, 1);
        stateCopies[i] = second;
      }
    } catch (e) {
      if (e !== BAIL) throw e;
      joinClones = null;
    } finally {
      second = null;
    }
  }
  if (!joinClones) {
    const joins = Object.create(null);
    for (let i = 0; i < joinKeys.length; i++) joins[joinKeys[i]] = joinPresences[i];
    return syncDiff(state, { joins, leaves }, onJoin, onLeave);
  }
  return applyDiff(state, joinKeys, joinClones, clone(leaves), onJoin, onLeave, stateCopies);
}

// phoenix.js's `Presence.map`: `Object.getOwnPropertyNames(obj).map(key => func(key, obj[key]))`.
function map(obj, func) {
  return getNames(obj).map((key) => func(key, obj[key]));
}

function list(presences, chooser) {
  const rec = records.get(presences);
  if (!rec || rec.lost) {
    if (!chooser) return map(presences, (_key, presence) => presence);
    return map(presences, (key, presence) => chooser(key, presence));
  }
  if (!chooser) return rec.vals.slice();
  // As phoenix.js: the keys as they are now, each value read just before its chooser call (a
  // chooser may change the state: after a change, values are read from the object).
  const { keys, vals, ver, target } = rec;
  const n = keys.length;
  const out = [];
  rec.walkers++;
  try {
    for (let i = 0; i < n; i++) out[i] = chooser(keys[i], rec.ver === ver ? vals[i] : target[keys[i]]);
  } finally {
    if (rec.keys === keys) rec.walkers--;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The class.

/**
 * Presence over a channel (or any object with `on(event, callback)` and `joinRef()`).
 * @param {Channel} channel
 * @param {Object} opts e.g. `{events: {state: "state", diff: "diff"}}`
 */
export class Presence {
  constructor(channel, opts = {}) {
    const events = opts.events || { state: "presence_state", diff: "presence_diff" };
    this.state = tracked();
    this.pendingDiffs = [];
    this.channel = channel;
    this.joinRef = null;
    this.caller = {
      onJoin: function () {},
      onLeave: function () {},
      onSync: function () {},
    };

    this.channel.on(events.state, (newState) => {
      const { onJoin, onLeave, onSync } = this.caller;
      this.joinRef = this.channel.joinRef();
      this.state = Presence.syncState(this.state, newState, onJoin, onLeave);
      // Diffs that came before this state, in order (the live array: the app may have added some).
      this.pendingDiffs.forEach((diff) => {
        this.state = Presence.syncDiff(this.state, diff, onJoin, onLeave);
      });
      this.pendingDiffs = [];
      onSync();
    });

    this.channel.on(events.diff, (diff) => {
      const { onJoin, onLeave, onSync } = this.caller;
      if (this.inPendingSyncState()) {
        this.pendingDiffs.push(diff);
      } else {
        this.state = Presence.syncDiff(this.state, diff, onJoin, onLeave);
        onSync();
      }
    });
  }

  onJoin(callback) {
    this.caller.onJoin = callback;
  }

  onLeave(callback) {
    this.caller.onLeave = callback;
  }

  onSync(callback) {
    this.caller.onSync = callback;
  }

  list(by) {
    return Presence.list(this.state, by);
  }

  /** True from a (re)join until its presence_state: diffs are queued meanwhile. */
  inPendingSyncState() {
    return !this.joinRef || this.joinRef !== this.channel.joinRef();
  }

  /** Applies a full state (e.g. `presence_state`), calling onJoin/onLeave for the changes. */
  static syncState(currentState, newState, onJoin, onLeave) {
    return syncState(currentState, newState, onJoin, onLeave);
  }

  /** Applies a `{joins, leaves}` diff, calling onJoin per join, then onLeave per leave. */
  static syncDiff(state, diff, onJoin, onLeave) {
    return syncDiff(state, diff, onJoin, onLeave);
  }

  /** The presences, or `chooser(key, presence)` for each, in the state's key order. */
  static list(presences, chooser) {
    return list(presences, chooser);
  }

  static map(obj, func) {
    return map(obj, func);
  }

  static toNullProtoObj(obj) {
    return toNullProtoObj(obj);
  }

  static clone(obj) {
    return clone(obj);
  }
}
