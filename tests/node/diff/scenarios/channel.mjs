// Channel scenarios: C01-C26.

function open(env, socket) {
  socket.connect();
  env.server.open();
}

export default {
  "C01-03-channel-construction-and-fields"(env) {
    const s = env.socket();
    const params = env.track("params", {token: "x"});
    const ch = env.call("socket.channel", () => s.channel("room:1", params));
    env.snap("fields", {
      topic: ch.topic,
      state: ch.state,
      paramsFn: typeof ch.params,
      paramsResult: ch.params(),
      socketIsSocket: ch.socket === s,
      timeout: ch.timeout,
      joinedOnce: ch.joinedOnce,
      joinPushEvent: ch.joinPush.event,
      joinPushTimeout: ch.joinPush.timeout,
      joinPushRef: ch.joinPush.ref,
      pushBuffer: ch.pushBuffer.length,
      bindings: ch.bindings.map((b) => [b.event, b.ref, typeof b.callback]),
      bindingRef: ch.bindingRef,
      stateChangeRefs: ch.stateChangeRefs,
      joinRef: ch.joinRef(),
      socketRef: s.ref,
      channels: s.channels.length,
    });
    const fnParams = env.record("params fn", () => ({n: 1}));
    const ch2 = s.channel("room:2", fnParams);
    env.snap("fn params", {same: ch2.params === fnParams});
    const ch3 = s.channel("room:3", null);
    env.call("null params", () => ch3.params());
    const ch4 = s.channel("room:4");
    env.call("default params", () => ch4.params());
  },

  "C01-new-Channel-directly-not-in-socket"(env) {
    const s = env.socket();
    const ch = new env.Channel("direct", {a: 1}, s);
    env.snap("socket", {channels: s.channels.length, ref: s.ref, open: s.stateChangeCallbacks.open.length});
    ch.on("ev", env.record("direct ev"));
    ch.join();
    open(env, s);
    env.server.message(["1", "1", "direct", "phx_reply", {status: "ok", response: {}}]);
    env.server.message([null, null, "direct", "ev", {}]);
    env.snapChannel("direct", ch);
  },

  "C04-C21-join-ok-flow-and-fields"(env) {
    const s = env.socket();
    const ch = s.channel("room:lobby", {token: "abc"});
    const jp = env.call("join", () => ch.join());
    env.snap("join returns joinPush", jp === ch.joinPush);
    env.snapChannel("joining, not connected", ch);
    env.snapPush("joinPush", jp);
    env.call("receive ok", () => jp.receive("ok", env.record("join ok")));
    jp.receive("error", env.record("join error"));
    jp.receive("timeout", env.record("join timeout"));
    open(env, s);
    env.server.replyTo("phx_join", "room:lobby", "ok", {welcome: true});
    env.snapChannel("joined", ch);
    env.snapPush("joinPush after ok", jp);
    env.mark("receive after ok fires immediately");
    jp.receive("ok", env.record("late ok"));
    jp.receive("error", env.record("late error"));
  },

  "C04-join-custom-timeout-becomes-channel-default"(env) {
    const s = env.socket();
    const ch = s.channel("t");
    open(env, s);
    ch.join(500);
    env.snapChannel("after join(500)", ch);
    env.server.replyTo("phx_join", "t", "ok", {});
    const p = ch.push("ev", {});
    env.snapPush("push uses 500", p);
    const l = ch.leave();
    env.snapPush("leave uses 500", l);
  },

  "C04-params-evaluated-at-each-join-send"(env) {
    const s = env.socket();
    let n = 0;
    const ch = s.channel("t", env.record("params()", () => ({n: ++n})));
    open(env, s);
    ch.join();
    env.server.replyTo("phx_join", "t", "ok", {});
    env.server.close({code: 1006});
    env.clock.advance(10);
    env.server.open();
  },

  "C05-join-twice-throws"(env) {
    const s = env.socket();
    const ch = s.channel("t");
    ch.join();
    env.call("join again", () => ch.join());
    ch.leave();
    env.call("join after leave", () => ch.join());
    env.snapChannel("ch", ch);
  },

  "C06-push-when-joined-and-payload-by-reference"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    const payload = env.track("payload", {body: "hi"});
    const p = env.call("push", () => ch.push("new_msg", payload));
    env.snapPush("push", p);
    env.call("payload()", () => p.payload());
    env.call("push falsy payload", () => ch.push("e2", null));
    env.call("push 0 payload", () => ch.push("e3", 0));
    env.call("push string payload", () => ch.push("e4", "str"));
    env.call("push array payload", () => ch.push("e5", [1, 2]));
    p.receive("ok", env.record("ok"));
    env.server.replyTo("new_msg", "room", "ok", {id: 1});
    env.snapPush("after reply", p);
  },

  "C06-push-buffered-until-joined-then-flushed-new-ref"(env) {
    const s = env.socket();
    const ch = s.channel("room");
    ch.join().receive("ok", env.record("join ok"));
    const payload = env.track("payload", {n: 1});
    const p = ch.push("ev", payload);
    p.receive("ok", env.record("push ok"));
    env.snapPush("buffered", p);
    env.snapChannel("ch", ch);
    payload.n = 2;
    env.clock.advance(3000);
    open(env, s);
    env.mark("mutation before flush is seen");
    payload.n = 3;
    env.server.replyTo("phx_join", "room", "ok", {});
    env.snapPush("flushed", p);
    env.snapChannel("ch", ch);
    env.server.replyTo("ev", "room", "ok", {r: 1});
  },

  "C06-buffered-push-times-out-and-is-skipped"(env) {
    const s = env.socket();
    const ch = s.channel("room");
    ch.join();
    const p1 = ch.push("short", {}, 100);
    p1.receive("timeout", env.record("p1 timeout"));
    const p2 = ch.push("long", {}, 100000);
    p2.receive("timeout", env.record("p2 timeout"));
    open(env, s);
    env.clock.advance(200);
    env.server.replyTo("phx_join", "room", "ok", {});
    env.snapChannel("ch", ch);
    env.snapPush("p1", p1);
  },

  "C07-push-before-join-throws"(env) {
    const s = env.socket();
    const ch = s.channel("room:x");
    env.call("push", () => ch.push("ev", {a: 1}));
    env.snapChannel("ch", ch);
  },

  "C08-leave-closes-synchronously"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    ch.onClose(env.record("onClose"));
    ch.onError(env.record("onError"));
    env.mark("leave");
    const lp = env.call("leave", () => ch.leave());
    env.mark("leave returned");
    env.snapChannel("ch", ch);
    env.snapPush("leavePush", lp);
    lp.receive("ok", env.record("leave ok (immediate)"));
    lp.receive("timeout", env.record("leave timeout (never)"));
    env.server.replyTo("phx_leave", "room", "ok", {});
    env.clock.advance(20000);
  },

  "C08-C19-leave-while-disconnected-never-sent"(env) {
    const s = env.socket();
    const ch = s.channel("room");
    ch.join();
    ch.onClose(env.record("onClose"));
    ch.leave();
    env.snapSocket("s", s);
    open(env, s);
    env.snapSocket("after open", s);
  },

  "C19-leave-never-joined-channel"(env) {
    const s = env.socket();
    open(env, s);
    const ch = s.channel("never");
    ch.onClose(env.record("onClose"));
    env.call("leave", () => ch.leave().receive("ok", env.record("ok")));
    env.snapChannel("ch", ch);
  },

  "C20-leave-twice"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    ch.onClose(env.record("onClose"));
    ch.leave();
    ch.leave();
    env.snapChannel("ch", ch);
  },

  "C09-10-on-off"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    const r1 = env.call("on a 1", () => ch.on("a", env.record("a1")));
    const r2 = env.call("on a 2", () => ch.on("a", env.record("a2")));
    env.call("on b", () => ch.on("b", env.record("b1")));
    env.server.message([null, null, "room", "a", {n: 1}]);
    env.call("off a r1", () => ch.off("a", r1));
    env.server.message([null, null, "room", "a", {n: 2}]);
    env.call("off a wrong ref", () => ch.off("a", 999));
    env.call("off a '1' string ref", () => ch.off("a", String(r2)));
    env.server.message([null, null, "room", "a", {n: 3}]);
    env.call("off b all", () => ch.off("b"));
    env.server.message([null, null, "room", "b", {n: 4}]);
    env.snap("bindings", ch.bindings.map((b) => [b.event, b.ref]));
  },

  "C15-bindings-snapshot-during-dispatch"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    let r2;
    ch.on("e", env.record("e1", () => {
      ch.off("e", r2);
      ch.on("e", env.record("e-added"));
    }));
    r2 = ch.on("e", env.record("e2 (removed but still runs)"));
    env.server.message([null, null, "room", "e", {}]);
    env.server.message([null, null, "room", "e", {}]);
  },

  "C11-12-onClose-onError-args-and-returns"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    env.call("onClose returns", () => ch.onClose(env.record("onClose")));
    env.call("onError returns", () => ch.onError(env.record("onError")));
    env.server.message(["4", "4", "room", "phx_error", {reason: "crash"}]);
    env.snapChannel("errored", ch);
    env.clock.advance(1000);
    env.server.replyTo("phx_join", "room", "ok", {});
    env.server.message([env.server.find("phx_join")[0], env.server.find("phx_join")[0], "room", "phx_close", {bye: 1}]);
    env.snapChannel("closed", ch);
  },

  "C13-onMessage-hook-twice-for-replies"(env) {
    const s = env.socket();
    const ch = s.channel("room");
    ch.onMessage = env.record("hook", (event, payload) => payload);
    ch.join();
    open(env, s);
    env.server.replyTo("phx_join", "room", "ok", {j: 1});
    ch.push("ev", {}).receive("ok", env.record("push ok"));
    env.server.replyTo("ev", "room", "ok", {r: 1});
    env.server.message([null, null, "room", "bc", {b: 1}]);
    ch.push("slow", {}, 50);
    env.clock.advance(50);
    ch.leave();
  },

  "C13-onMessage-hook-modifies-payload"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    ch.onMessage = env.record("hook", (event, payload) => (event === "bc" ? {wrapped: payload} : payload));
    ch.on("bc", env.record("bc"));
    env.server.message([null, null, "room", "bc", {b: 1}]);
  },

  "C13-onMessage-hook-falsy-return-throws"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    ch.onMessage = env.record("hook", () => null);
    ch.on("bc", env.record("bc"));
    s.onMessage(env.record("socket onMessage"));
    env.server.message([null, null, "room", "bc", {b: 1}]);
    env.mark("null payload with falsy return is fine");
    env.server.message([null, null, "room", "bc", null], {loose: true});
  },

  "C14-joinRef-lifecycle"(env) {
    const s = env.socket();
    const ch = s.channel("room");
    const jr = (l) => env.snap(l, ch.joinRef());
    jr("before join");
    ch.join();
    jr("joining");
    open(env, s);
    env.server.replyTo("phx_join", "room", "ok", {});
    jr("joined");
    env.server.close({code: 1006});
    jr("errored after joined keeps joinRef");
    env.clock.advance(10);
    env.server.open();
    jr("rejoining");
    env.server.error();
    jr("errored while joining: null");
  },

  "C16-private-helpers"(env) {
    const s = env.socket();
    const ch = s.channel("room");
    env.call("replyEventName", () => ch.replyEventName("12"));
    env.call("canPush", () => ch.canPush());
    env.snap("is*", [ch.isClosed(), ch.isErrored(), ch.isJoined(), ch.isJoining(), ch.isLeaving()]);
    env.call("isMember same topic", () => ch.isMember("room", "e", {}, null));
    env.call("isMember other topic", () => ch.isMember("other", "e", {}, null));
    ch.join();
    env.call("isMember stale", () => ch.isMember("room", "e", {p: 1}, "999"));
    env.call("isMember current", () => ch.isMember("room", "e", {}, ch.joinRef()));
    ch.on("custom", env.record("custom"));
    env.call("trigger", () => ch.trigger("custom", {x: 1}, "7", "8"));
    env.call("trigger no joinRef", () => ch.trigger("custom", {x: 2}));
  },

  "C17-internal-handlers-before-user"(env) {
    const s = env.socket();
    const ch = s.channel("room");
    ch.join().receive("ok", env.record("ok hook", () => env.snapChannel("state in user ok hook", ch)));
    ch.onError(env.record("onError", () => env.snapChannel("state in user onError", ch)));
    ch.onClose(env.record("onClose", () => env.snapChannel("state in user onClose", ch)));
    open(env, s);
    env.server.replyTo("phx_join", "room", "ok", {});
    env.server.message([ch.joinRef(), ch.joinRef(), "room", "phx_error", {}]);
    env.clock.advance(1000);
    env.server.replyTo("phx_join", "room", "ok", {});
    env.server.message([ch.joinRef(), ch.joinRef(), "room", "phx_close", {}]);
  },

  "C18-duplicate-topic"(env) {
    const s = env.socket();
    const a = env.joined(s, "dup");
    a.onClose(env.record("a onClose"));
    a.on("ev", env.record("a ev"));
    const b = s.channel("dup");
    b.onClose(env.record("b onClose"));
    b.on("ev", env.record("b ev"));
    env.mark("b.join leaves a first");
    b.join();
    env.snapChannel("a", a);
    env.snapChannel("b", b);
    env.server.replyTo("phx_join", "dup", "ok", {});
    env.server.message([null, null, "dup", "ev", {n: 1}]);
  },

  "E08-same-topic-several-channels-all-receive"(env) {
    const s = env.socket();
    const a = s.channel("dup");
    const b = s.channel("dup");
    a.on("ev", env.record("a ev"));
    b.on("ev", env.record("b ev"));
    open(env, s);
    env.server.message([null, null, "dup", "ev", {n: 1}]);
    env.server.message(["1", null, "dup", "ev", {n: 2}]);
  },

  "C22-join-error-reply-and-rejoin"(env) {
    const s = env.socket();
    const ch = s.channel("room");
    ch.join().receive("error", env.record("join error")).receive("ok", env.record("join ok"));
    open(env, s);
    env.server.replyTo("phx_join", "room", "error", {reason: "unauthorized"});
    env.snapChannel("errored", ch);
    env.clock.advance(1000);
    env.server.replyTo("phx_join", "room", "error", {reason: "unauthorized"});
    env.clock.advance(2000);
    env.server.replyTo("phx_join", "room", "error", {reason: "unauthorized"});
    env.clock.advance(5000);
    env.server.replyTo("phx_join", "room", "error", {reason: "unauthorized"});
    env.clock.advance(10000);
    env.server.replyTo("phx_join", "room", "ok", {});
    env.snapChannel("joined", ch);
  },

  "C22-join-error-while-disconnected-no-rejoin-scheduled"(env) {
    const s = env.socket();
    const ch = s.channel("room");
    ch.join().receive("error", env.record("join error"));
    open(env, s);
    const f = env.server.find("phx_join");
    env.server.ws.readyState = 2;
    env.server.reply(f, "error", {});
    env.snapChannel("ch", ch);
  },

  "C23-join-timeout"(env) {
    const s = env.socket();
    const ch = s.channel("room");
    ch.join(1000).receive("timeout", env.record("join timeout")).receive("ok", env.record("join ok"));
    open(env, s);
    env.clock.advance(1000);
    env.snapChannel("errored", ch);
    env.mark("rejoin after rejoinAfterMs(1)");
    env.clock.advance(1000);
    env.snapChannel("rejoining", ch);
    env.clock.advance(1000);
    env.clock.advance(2000);
    env.server.replyTo("phx_join", "room", "ok", {});
    env.snapChannel("joined", ch);
  },

  "C23-join-timeout-while-disconnected"(env) {
    const s = env.socket();
    const ch = s.channel("room");
    ch.join(100).receive("timeout", env.record("join timeout"));
    env.clock.advance(100);
    env.snapChannel("ch", ch);
    env.snapSocket("s", s);
    open(env, s);
    env.snapChannel("ch after open", ch);
  },

  "C24-server-phx_close"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    ch.onClose(env.record("onClose"));
    ch.onError(env.record("onError"));
    const jr = ch.joinRef();
    env.server.message([jr, jr, "room", "phx_close", {}]);
    env.snapChannel("closed", ch);
    env.clock.advance(20000);
    env.mark("no rejoin after reconnect");
    env.server.close({code: 1006});
    env.clock.advance(10);
    env.server.open();
  },

  "C25-server-phx_error-joined-and-joining"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    ch.onError(env.record("onError"));
    const jr = ch.joinRef();
    env.server.message([jr, jr, "room", "phx_error", {reason: "channel_crash"}]);
    env.snapChannel("errored", ch);
    env.clock.advance(1000);
    env.snapChannel("rejoining", ch);
    const jr2 = ch.joinRef();
    env.server.message([jr2, jr2, "room", "phx_error", {reason: "again"}]);
    env.snapChannel("errored while joining", ch);
    env.clock.advance(2000);
  },

  "C26-only-joined-joining-channels-get-transport-errors"(env) {
    const s = env.socket();
    const joined = env.joined(s, "joined");
    const closed = s.channel("closed");
    const joining = s.channel("joining");
    joining.join();
    const leaving = env.joined(s, "leaving");
    leaving.state = "leaving";
    for (const c of [joined, closed, joining, leaving]) c.onError(env.record(`${c.topic} onError`));
    env.server.close({code: 1006});
    env.clock.advance(10);
    env.server.open();
  },

  "C-stale-join_ref-messages-dropped"(env) {
    const s = env.socket();
    s.onMessage(env.record("socket onMessage"));
    const ch = env.joined(s, "room");
    ch.on("ev", env.record("ev"));
    ch.onClose(env.record("onClose"));
    env.server.message(["999", null, "room", "ev", {stale: true}]);
    env.server.message(["999", "999", "room", "phx_close", {}]);
    env.server.message(["", null, "room", "ev", {empty: true}]);
    env.server.message([ch.joinRef(), null, "room", "ev", {current: true}]);
    env.snapChannel("ch", ch);
  },

  "C-stale-reply-after-rejoin-push-times-out"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    const p = ch.push("ev", {});
    p.receive("ok", env.record("ok")).receive("timeout", env.record("timeout"));
    const f = env.server.find("ev");
    env.server.close({code: 1006});
    env.clock.advance(10);
    env.server.open();
    env.server.replyTo("phx_join", "room", "ok", {});
    env.mark("reply with the old join_ref");
    env.server.reply(f, "ok", {late: true});
    env.clock.advance(10000);
  },

  "C-rejoin-timer-only-when-connected-at-fire"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    const jr = ch.joinRef();
    env.server.message([jr, jr, "room", "phx_error", {}]);
    env.server.ws.readyState = 0;
    env.clock.advance(1000);
    env.snapChannel("not rejoined", ch);
    env.server.ws.readyState = 1;
    env.clock.advance(10000);
    env.snapChannel("ch", ch);
  },

  "C-custom-rejoinAfterMs"(env) {
    const s = env.socket({rejoinAfterMs: env.record("rejoinAfterMs", (t) => t * 10)});
    const ch = env.joined(s, "room");
    for (let i = 0; i < 3; i++) {
      const jr = ch.joinRef();
      env.server.message([jr, jr, "room", "phx_error", {}]);
      env.clock.runAll(1);
    }
  },

  "C-push-buffer-survives-error-and-rejoin"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    env.server.close({code: 1006});
    const p = ch.push("while-down", {a: 1});
    p.receive("ok", env.record("ok"));
    env.snapChannel("buffered", ch);
    env.clock.advance(10);
    env.server.open();
    env.server.replyTo("phx_join", "room", "ok", {});
    env.server.replyTo("while-down", "room", "ok", {});
  },

  "C-leave-while-joining-ignores-late-join-ok"(env) {
    const s = env.socket();
    const ch = s.channel("room");
    ch.join().receive("ok", env.record("join ok"));
    ch.onClose(env.record("onClose"));
    open(env, s);
    const f = env.server.find("phx_join");
    ch.leave();
    env.server.reply(f, "ok", {});
    env.snapChannel("ch", ch);
    env.clock.advance(20000);
  },
};
