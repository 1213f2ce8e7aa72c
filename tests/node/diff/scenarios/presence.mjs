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
};
