// The presence benchmark workload, shared by the Chromium page and the Node fallback.
// A room of N members arrives in one presence_state, then D presence_diffs (joins of new users,
// leaves, and updates = leave of one meta + join of another for the same key), with list() after
// each diff as an app re-rendering on every sync would do.

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// JSON texts (each implementation parses its own copies, outside the timed part).
export function makeData({seed = 1, members = 10000, diffs = 1000, keys = "string"} = {}) {
  const rnd = mulberry32(seed);
  const key = (i) => (keys === "numeric" ? String(100000 + i * 7) : `user:${i}`);
  let refN = 0;
  const meta = () => ({phx_ref: `F${(refN++).toString(36)}`, online_at: 1700000000 + refN, device: rnd() < 0.5 ? "web" : "mobile"});
  const state = {};
  const live = [];
  for (let i = 0; i < members; i++) {
    state[key(i)] = {metas: [meta()]};
    live.push(i);
  }
  const metasOf = new Map(live.map((i) => [i, state[key(i)].metas.map((m) => m.phx_ref)]));
  let next = members;
  const diffTexts = [];
  for (let d = 0; d < diffs; d++) {
    const joins = {};
    const leaves = {};
    const r = rnd();
    if (r < 0.4) {
      const i = next++;
      const m = meta();
      joins[key(i)] = {metas: [m]};
      live.push(i);
      metasOf.set(i, [m.phx_ref]);
    } else if (r < 0.7 && live.length > 1) {
      const at = Math.floor(rnd() * live.length);
      const i = live[at];
      leaves[key(i)] = {metas: metasOf.get(i).map((phx_ref) => ({phx_ref}))};
      live.splice(at, 1);
      metasOf.delete(i);
    } else {
      const i = live[Math.floor(rnd() * live.length)];
      const old = metasOf.get(i);
      const m = {...meta(), phx_ref_prev: old[0], status: "away"};
      joins[key(i)] = {metas: [m]};
      leaves[key(i)] = {metas: [{phx_ref: old[0]}]};
      metasOf.set(i, [...old.slice(1), m.phx_ref]);
    }
    diffTexts.push(JSON.stringify({joins, leaves}));
  }
  return {stateText: JSON.stringify(state), diffTexts, members, diffs, keys};
}

class Channel {
  constructor() {
    this.handlers = {};
  }
  on(event, callback) {
    this.handlers[event] = callback;
    return 1;
  }
  joinRef() {
    return this.ref ?? "1";
  }
}

const CHOOSERS = {
  none: undefined,
  // What apps usually do: one entry per user with its first meta and a device count.
  firstMeta: (id, {metas: [first, ...rest]}) => ({id, first, count: rest.length + 1}),
};

// One timed run. Returns milliseconds for the state and for the diffs+lists, and a checksum so
// the work cannot be skipped and both implementations can be checked to agree.
// With `resync`, the timed presence_state is a second one after a rejoin (a reconnect: the same
// members, compared with the state already there).
export function runOnce(Presence, data, chooser = "none", resync = false, now = () => performance.now()) {
  const statePayload = JSON.parse(data.stateText);
  const firstPayload = resync ? JSON.parse(data.stateText) : null;
  const diffPayloads = data.diffTexts.map((t) => JSON.parse(t));
  const by = CHOOSERS[chooser];
  const ch = new Channel();
  const presence = new Presence(ch);
  let synced = 0;
  presence.onSync(() => synced++);
  // An app's callbacks: count joins and leaves (one check digit each).
  presence.onJoin((key, current) => {
    synced += current ? 2 : 1;
  });
  presence.onLeave((key, current) => {
    synced += current.metas.length ? 3 : 4;
  });
  if (resync) {
    ch.handlers.presence_state(firstPayload);
    presence.list(by);
    ch.ref = "2";
  }
  const t0 = now();
  ch.handlers.presence_state(statePayload);
  const first = presence.list(by);
  const t1 = now();
  let check = first.length;
  for (const diff of diffPayloads) {
    ch.handlers.presence_diff(diff);
    const list = presence.list(by);
    check += list.length;
  }
  const t2 = now();
  const last = presence.list((id, p) => id + ":" + p.metas.map((m) => m.phx_ref).join(","));
  return {stateMs: t1 - t0, diffsMs: t2 - t1, totalMs: t2 - t0, check, synced, fingerprint: last.length + ":" + last.slice(0, 3).join("|") + ":" + last.slice(-3).join("|")};
}

// The same workload through the static API, as apps without a channel-bound Presence use it:
// `state = Presence.syncState(state, payload, onJoin, onLeave)`, then `Presence.syncDiff` per
// diff and `Presence.list(state)` after each. With `resync`, the timed syncState is a second
// one of the same room into the state already there.
export function runStatic(Presence, data, chooser = "none", resync = false, now = () => performance.now()) {
  const statePayload = JSON.parse(data.stateText);
  const firstPayload = resync ? JSON.parse(data.stateText) : null;
  const diffPayloads = data.diffTexts.map((t) => JSON.parse(t));
  const by = CHOOSERS[chooser];
  let synced = 0;
  const onJoin = (key, current) => {
    synced += current ? 2 : 1;
  };
  const onLeave = (key, current) => {
    synced += current.metas.length ? 3 : 4;
  };
  let state = {};
  if (resync) {
    state = Presence.syncState(state, firstPayload, onJoin, onLeave);
    Presence.list(state, by);
  }
  const t0 = now();
  state = Presence.syncState(state, statePayload, onJoin, onLeave);
  const first = Presence.list(state, by);
  const t1 = now();
  let check = first.length;
  for (const diff of diffPayloads) {
    state = Presence.syncDiff(state, diff, onJoin, onLeave);
    synced++;
    const list = Presence.list(state, by);
    check += list.length;
  }
  const t2 = now();
  const last = Presence.list(state, (id, p) => id + ":" + p.metas.map((m) => m.phx_ref).join(","));
  return {stateMs: t1 - t0, diffsMs: t2 - t1, totalMs: t2 - t0, check, synced, fingerprint: last.length + ":" + last.slice(0, 3).join("|") + ":" + last.slice(-3).join("|")};
}
