// Presence scenarios PR01-PR16 (identity, mutation and JS key order are observable here).

const m = (ref, extra = {}) => ({phx_ref: ref, ...extra});

export default {
  "PR10-13-syncState-static-key-order-and-mutation"(env) {
    const P = env.Presence;
    const current = env.track("current", {b: {metas: [m("b1")]}, 10: {metas: [m("t1")]}, keep: {metas: [m("k1"), m("k2")]}});
    const next = env.track("next", {a: {metas: [m("a1")]}, 2: {metas: [m("two")]}, keep: {metas: [m("k2"), m("k3")]}, b: {metas: [m("b1")]}});
    const st = env.call("syncState", () => P.syncState(current, next, env.record("onJoin"), env.record("onLeave")));
    env.snap("new state keys", Object.keys(st));
    env.snap("next mutated", next);
    env.snap("current untouched", current);
    env.call("list", () => P.list(st));
    env.call("list chooser", () => P.list(st, env.record("chooser", (k, p) => `${k}:${p.metas.length}`)));
  },

  "PR11-syncDiff-static-joins-then-leaves"(env) {
    const P = env.Presence;
    const state = env.track("state", {u1: {metas: [m("1"), m("2")]}, u2: {metas: [m("3")]}});
    const diff = env.track("diff", {
      joins: {u1: {metas: [m("4")]}, u3: {metas: [m("5")]}},
      leaves: {u1: {metas: [m("1")]}, u2: {metas: [m("3")]}, ghost: {metas: [m("x")]}},
    });
    const out = env.call("syncDiff", () => P.syncDiff(state, diff, env.record("onJoin"), env.record("onLeave")));
    env.snap("same object as input", out === state);
    env.snap("input state after", state);
    env.call("syncDiff missing leaves", () => P.syncDiff({}, {joins: {}}), {loose: true});
    env.call("syncDiff no callbacks", () => P.syncDiff(Object.create(null), {joins: {a: {metas: [m("1")]}}, leaves: {}}));
  },

  "PR16-update-shows-as-join-then-leave"(env) {
    const P = env.Presence;
    let state = P.syncState({}, {u: {metas: [m("1", {status: "away"})]}});
    state = env.call("update", () => P.syncDiff(state, {joins: {u: {metas: [m("2", {phx_ref_prev: "1", status: "online"})]}}, leaves: {u: {metas: [m("1")]}}}, env.record("onJoin"), env.record("onLeave")));
  },

  "PR01-09-presence-on-channel"(env) {
    const s = env.socket();
    const ch = s.channel("room");
    const presence = new env.Presence(ch);
    env.snap("initial", {state: presence.state, pendingDiffs: presence.pendingDiffs.length, joinRef: presence.joinRef, pending: presence.inPendingSyncState(), list: presence.list()});
    presence.onJoin(env.record("onJoin"));
    presence.onLeave(env.record("onLeave"));
    presence.onSync(env.record("onSync"));
    ch.on("presence_state", env.record("binding after presence"));
    ch.join();
    s.connect();
    env.server.open();
    env.server.replyTo("phx_join", "room", "ok", {});
    const jr = ch.joinRef();
    env.mark("diff before state is queued");
    env.server.message([null, null, "room", "presence_diff", {joins: {u2: {metas: [m("2")]}}, leaves: {}}]);
    env.snap("pending", {pending: presence.inPendingSyncState(), queued: presence.pendingDiffs.length});
    env.server.message([jr, null, "room", "presence_state", {u1: {metas: [m("1")]}, 5: {metas: [m("5")]}}]);
    env.call("list", () => presence.list());
    env.server.message([null, null, "room", "presence_diff", {joins: {}, leaves: {u1: {metas: [m("1")]}}}]);
    env.mark("second state reconciles");
    env.server.message([jr, null, "room", "presence_state", {u2: {metas: [m("2"), m("9")]}}]);
    env.call("list by", () => presence.list((k, p) => k + p.metas.map((x) => x.phx_ref).join("")));
    env.mark("rejoin: pending again");
    env.server.close({code: 1006});
    env.clock.advance(10);
    env.server.open();
    env.snap("pending after rejoin", presence.inPendingSyncState());
  },

  "PR01-custom-events"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    const presence = new env.Presence(ch, {events: {state: "st", diff: "df"}});
    presence.onSync(env.record("onSync"));
    env.server.message([null, null, "room", "presence_state", {a: {metas: [m("1")]}}]);
    env.server.message([null, null, "room", "st", {a: {metas: [m("1")]}}]);
    env.server.message([null, null, "room", "df", {joins: {b: {metas: [m("2")]}}, leaves: {}}]);
    env.call("list", () => presence.list());
  },

  // The app changes the state object it read from `presence.state` between two list() calls
  // (assignment, delete, re-creation, integer-like keys, Object.defineProperty, an accessor).
  "PR17-outside-mutation-of-state-between-lists"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    const presence = new env.Presence(ch);
    env.server.message([null, null, "room", "presence_state", {a: {metas: [m("a1")]}, b: {metas: [m("b1")]}, 10: {metas: [m("t1")]}}]);
    const st = presence.state;
    env.call("list 1", () => presence.list());
    st.c = {metas: [m("c1")]};
    delete st.a;
    env.call("list 2", () => presence.list());
    st.b = {metas: [m("b2")]};
    st[2] = {metas: [m("two")]};
    st.a = {metas: [m("a2")]};
    env.call("list 3", () => presence.list((k, p) => `${k}:${p.metas[0].phx_ref}`));
    env.mark("a diff after the app's changes");
    presence.onJoin(env.record("onJoin"));
    presence.onLeave(env.record("onLeave"));
    env.server.message([null, null, "room", "presence_diff", {joins: {c: {metas: [m("c2")]}, d: {metas: [m("d1")]}}, leaves: {b: {metas: [m("b2")]}, 2: {metas: [m("two")]}}}]);
    env.call("list 4", () => presence.list());
    env.snap("same state object", presence.state === st);
    Object.defineProperty(st, "hidden", {value: {metas: [m("h1")]}, enumerable: false, configurable: true, writable: true});
    env.call("list with a non-enumerable key", () => presence.list((k) => k));
    let reads = 0;
    Object.defineProperty(st, "lazy", {get: () => ({metas: [m(`g${++reads}`)]}), enumerable: true, configurable: true});
    env.call("list with an accessor", () => presence.list((k, p) => `${k}:${p.metas[0].phx_ref}`));
    env.call("list with an accessor again", () => presence.list((k, p) => `${k}:${p.metas[0].phx_ref}`));
    env.mark("reconnect state clones what the app left");
    env.server.message([null, null, "room", "presence_state", {c: {metas: [m("c2")]}, z: {metas: [m("z1")]}}]);
    env.call("list after state", () => presence.list());
    env.snap("state", presence.state);
  },

  "PR18-outside-mutation-static-api"(env) {
    const P = env.Presence;
    let state = P.syncState({}, {u1: {metas: [m("1")]}, u2: {metas: [m("2")]}, 7: {metas: [m("7")]}});
    env.call("list 1", () => P.list(state));
    state.u3 = {metas: [m("3")]};
    delete state.u1;
    state[3] = {metas: [m("three")]};
    env.call("list 2", () => P.list(state));
    const again = P.syncDiff(state, {joins: {u1: {metas: [m("1b")]}}, leaves: {u2: {metas: [m("2")]}}}, env.record("onJoin"), env.record("onLeave"));
    env.snap("syncDiff keeps the object", again === state);
    env.call("list 3", () => P.list(state, (k, p) => [k, p.metas.length]));
    env.mark("a chooser that changes the state while list walks it");
    env.call("list by mutating chooser", () =>
      P.list(state, (k, p) => {
        if (k === "3") {
          delete state.u3;
          state.u9 = {metas: [m("9")]};
          state.u1 = {metas: [m("1c")]};
        }
        return [k, p && p.metas[0].phx_ref];
      }));
    env.call("list after", () => P.list(state));
    env.call("map", () => P.map(state, (k, p) => k + p.metas.length));
    env.snap("state", state);
  },

  // phoenix.js's fields are plain, live properties, and callbacks run with `this` undefined.
  "PR19-live-fields-and-this"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    const presence = new env.Presence(ch);
    env.snap("own keys", Object.keys(presence));
    env.snap("caller keys", Object.keys(presence.caller));
    const thisOf = (label) => env.record(label, function () {
      env.mark(`${label} this: ${this === undefined ? "undefined" : typeof this}`);
    });
    presence.onJoin(thisOf("onJoin"));
    presence.onLeave(thisOf("onLeave"));
    // A caller object replaced whole: read on each event.
    const firstCaller = presence.caller;
    presence.caller = {onJoin: thisOf("onJoin2"), onLeave: thisOf("onLeave2"), onSync: thisOf("onSync2")};
    env.snap("caller replaced", firstCaller !== presence.caller);
    // A diff queued by the app itself before the state: replayed after it.
    presence.pendingDiffs.push({joins: {q: {metas: [m("q1")]}}, leaves: {}});
    env.server.message([null, null, "room", "presence_diff", {joins: {r: {metas: [m("r1")]}}, leaves: {}}]);
    env.snap("pending", {queued: presence.pendingDiffs.length, joinRef: presence.joinRef});
    env.server.message([null, null, "room", "presence_state", {a: {metas: [m("a1")]}}]);
    env.call("list", () => presence.list(function (k) {
      return `${k}:${this === undefined ? "undefined" : typeof this}`;
    }));
    env.snap("after state", {pending: presence.pendingDiffs, joinRef: presence.joinRef});
    // joinRef written by the app: pending again until the next state.
    presence.joinRef = "other";
    env.snap("pending after joinRef write", presence.inPendingSyncState());
    env.server.message([null, null, "room", "presence_diff", {joins: {}, leaves: {a: {metas: [m("a1")]}}}]);
    env.snap("queued", presence.pendingDiffs.length);
    // A channel replaced by another channel-like object: joinRef() is asked of the new one.
    presence.channel = {joinRef: () => "other"};
    env.snap("pending with the new channel", presence.inPendingSyncState());
    // `state` replaced by the app with a plain object: list() walks it.
    presence.state = {x: {metas: [m("x1")]}, 1: {metas: [m("one")]}};
    env.call("list of an assigned state", () => presence.list());
    env.call("static list, detached", () => {
      const {list} = env.Presence;
      return list.call(env.Presence, presence.state);
    });
  },
};

