// Shared pieces of the presence property tests: a seeded PRNG, random presence payloads (as JSON
// text, so each implementation parses its own copy and `__proto__` stays an ordinary key), and a
// trace recorder that writes objects with identity markers ({"#o3": …} the first time an object
// is seen, {"=o3": …} after), so that two traces are equal only if both implementations reuse and
// clone the same objects.

export function mulberry32(seed) {
  let a = seed >>> 0;
  return function () {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  constructor(seed) {
    this.next = mulberry32(seed);
  }
  int(n) {
    return Math.floor(this.next() * n);
  }
  chance(p) {
    return this.next() < p;
  }
  pick(list) {
    return list[this.int(list.length)];
  }
  subset(list, p) {
    return list.filter(() => this.chance(p));
  }
  shuffle(list) {
    const a = [...list];
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }
}

// Keys that exercise JS property order and prototype names.
export const KEYS = [
  "u1", "u2", "u3", "alice", "bob",
  "0", "2", "10", "7", "4294967294", "4294967295", "007", "-1", "1.5",
  "__proto__", "constructor", "toString", "hasOwnProperty", "valueOf",
  "", "a b", "ü", "user:42",
];
export const REFS = ["r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "F1", "F2"];

export function meta(rng, ref) {
  const m = {phx_ref: ref};
  if (rng.chance(0.3)) m.online_at = rng.int(1000);
  if (rng.chance(0.15)) m.phx_ref_prev = rng.pick(REFS);
  if (rng.chance(0.1)) m.nested = {list: [rng.int(5), "x"], flag: rng.chance(0.5)};
  return m;
}

export function metas(rng, max = 3) {
  const n = 1 + rng.int(max);
  const out = [];
  for (let i = 0; i < n; i++) out.push(meta(rng, rng.pick(REFS)));
  return out;
}

function presence(rng, ms) {
  const p = {metas: ms};
  if (rng.chance(0.1)) p.user = {name: "n" + rng.int(9)};
  return p;
}

// JSON text of an object with the given [key, value] entries, in that order (JSON.parse keeps
// text order for string keys; integer-like keys are ordered by the engine, as for a real payload).
export function objText(entries) {
  return "{" + entries.map(([k, v]) => JSON.stringify(k) + ":" + JSON.stringify(v)).join(",") + "}";
}

// A presence_state payload, often derived from `current` (plain data: key -> {metas}) so that
// keys and phx_refs overlap: kept metas, dropped metas, new ones, keys gone and new keys.
export function stateText(rng, current) {
  const entries = [];
  const keys = rng.shuffle(KEYS).slice(0, rng.int(8));
  for (const k of Object.keys(current)) {
    if (!rng.chance(0.75) || keys.includes(k)) continue;
    const cur = current[k] && Array.isArray(current[k].metas) ? current[k].metas : [];
    let ms = cur.filter(() => rng.chance(0.7)).map((m) => ({...m}));
    if (rng.chance(0.4) || ms.length === 0) ms = ms.concat(metas(rng, 2));
    entries.push([k, presence(rng, rng.shuffle(ms))]);
  }
  for (const k of keys) {
    if (entries.some(([e]) => e === k)) continue;
    entries.push([k, presence(rng, metas(rng))]);
  }
  return objText(rng.shuffle(entries));
}

// A presence_diff payload.
export function diffText(rng, current) {
  const existing = Object.keys(current);
  const joins = [];
  const leaves = [];
  for (const k of rng.shuffle(KEYS).slice(0, rng.int(4))) joins.push([k, presence(rng, metas(rng, 2))]);
  for (const k of rng.subset(existing, 0.35)) {
    const cur = current[k] && Array.isArray(current[k].metas) ? current[k].metas : [];
    let ms = cur.filter(() => rng.chance(0.6)).map((m) => ({phx_ref: m.phx_ref}));
    if (rng.chance(0.2)) ms.push({phx_ref: rng.pick(REFS)});
    if (joins.some(([j]) => j === k) || rng.chance(0.8)) leaves.push([k, {metas: ms}]);
  }
  if (rng.chance(0.05)) leaves.push([rng.pick(KEYS), {metas: [{phx_ref: "ghost"}]}]);
  const r = rng.next();
  if (r < 0.02) return `{"joins":${objText(joins)}}`; // missing leaves: TypeError after the joins
  if (r < 0.03) return `{"leaves":${objText(leaves)}}`; // missing joins: TypeError
  if (r < 0.035) return "null";
  if (r < 0.04) return `{"joins":{"x":{"metas":[]}},"leaves":{"x":{"nometas":1}}}`;
  if (r < 0.045) return `{"joins":{"u1":{"metas":{"not":"an array"}}},"leaves":{}}`;
  return `{"joins":${objText(joins)},"leaves":${objText(leaves)}}`;
}

// ---------------------------------------------------------------------------------------------
// Trace recording with identity markers.

export class Trace {
  constructor() {
    this.entries = [];
    this.ids = new Map();
  }
  ser(v, depth = 0) {
    if (v === undefined) return "<undefined>";
    if (typeof v === "number" && !Number.isFinite(v)) return `<${v}>`;
    if (typeof v === "function") return "<function>";
    if (v === null || typeof v !== "object") return v;
    if (depth > 20) return "<deep>";
    let tag;
    if (this.ids.has(v)) tag = "=o" + this.ids.get(v);
    else {
      this.ids.set(v, this.ids.size + 1);
      tag = "#o" + this.ids.size;
    }
    let body;
    if (Array.isArray(v)) body = v.map((x) => this.ser(x, depth + 1));
    else {
      body = {};
      // [key, value] pairs keep the key order (an object would reorder integer-like keys).
      body = Object.getOwnPropertyNames(v).map((k) => [k, this.ser(v[k], depth + 1)]);
      if (Object.getPrototypeOf(v) === null) body.push("<nullProto>");
    }
    return {[tag]: body};
  }
  add(...entry) {
    this.entries.push(JSON.stringify(entry.map((x, i) => (i === 0 ? x : this.ser(x)))));
  }
  // Run f and record its result or the class of what it threw.
  run(label, f) {
    try {
      const r = f();
      this.add("ret", label, r);
      return r;
    } catch (e) {
      this.add("throw", label, errorOf(e));
      return undefined;
    }
  }
}

export function errorOf(e) {
  return e && typeof e === "object" && "name" in e ? `${e.constructor?.name}` : `thrown ${String(e)}`;
}

// First difference between two traces, with context, for assertion messages.
export function firstDiff(a, b) {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) {
      const ctx = (t) => t.slice(Math.max(0, i - 4), i + 3).map((e, j) => `    ${Math.max(0, i - 4) + j}: ${e}`).join("\n");
      return `first difference at entry ${i}\n  phoenix.js:\n${ctx(a)}\n  phoenix-wasm:\n${ctx(b)}`;
    }
  }
  return null;
}
