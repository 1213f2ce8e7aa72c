// Push scenarios: P01-P09.

function open(env, socket) {
  socket.connect();
  env.server.open();
}

export default {
  "P01-push-fields-lifecycle"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    const p = ch.push("ev", {a: 1}, 5000);
    env.snapPush("sent", p);
    env.snap("channel is ch", p.channel === ch);
    env.snap("timeoutTimer set", p.timeoutTimer !== null && p.timeoutTimer !== undefined);
    env.server.replyTo("ev", "room", "ok", {r: 1});
    env.snapPush("replied", p);
    env.snap("timeoutTimer after reply", p.timeoutTimer);
  },

  "P02-receive-chainable-and-immediate"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    const p = ch.push("ev", {});
    const r = p.receive("ok", env.record("ok1"));
    env.snap("chainable", r === p);
    p.receive("ok", env.record("ok2")).receive("error", env.record("err"));
    env.server.replyTo("ev", "room", "ok", {r: 1});
    env.mark("after reply: immediate fire, and hook registered");
    p.receive("ok", env.record("ok3"));
    p.receive("error", env.record("err2"));
    env.snapPush("p", p);
  },

  "P02-join-hooks-fire-on-every-rejoin"(env) {
    const s = env.socket();
    const ch = s.channel("room");
    ch.join().receive("ok", env.record("join ok"));
    open(env, s);
    for (let i = 0; i < 3; i++) {
      env.server.replyTo("phx_join", "room", "ok", {n: i});
      env.server.close({code: 1006});
      env.clock.runAll(2);
      env.server.open();
    }
    env.mark("late receive on the join push sees the current (null) resp");
    ch.joinPush.receive("ok", env.record("late"));
  },

  "P03-custom-status"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    const p = ch.push("ev", {});
    p.receive("ok", env.record("ok")).receive("weird", env.record("weird")).receive("Ok", env.record("Ok"));
    env.server.replyTo("ev", "room", "weird", {w: 1});
    env.snapPush("p", p);
  },

  "P04-timeout-and-late-reply-ignored"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    const p = ch.push("ev", {}, 300);
    p.receive("timeout", env.record("timeout")).receive("ok", env.record("ok"));
    env.clock.advance(300);
    env.snapPush("timed out", p);
    env.server.replyTo("ev", "room", "ok", {});
    env.mark("send after timeout is a no-op");
    p.send();
    env.snapPush("p", p);
  },

  "P04-timeout-zero-immediate"(env) {
    const s = env.socket();
    const ch = s.channel("room");
    ch.join(0).receive("timeout", env.record("join timeout"));
    env.clock.advance(0);
    open(env, s);
    env.snapChannel("ch", ch);
    const ch2 = env.joined(s, "room2");
    ch2.push("e", {}, 0).receive("timeout", env.record("push timeout"));
    env.clock.advance(0);
  },

  "P05-only-first-reply-counts"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    const p = ch.push("ev", {});
    p.receive("ok", env.record("ok")).receive("error", env.record("error"));
    const f = env.server.find("ev");
    env.server.reply(f, "error", {first: true});
    env.server.reply(f, "ok", {second: true});
    env.snapPush("p", p);
  },

  "P06-07-08-send-resend-reset"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    const p = ch.push("ev", {n: 1});
    p.receive("ok", env.record("ok"));
    env.server.replyTo("ev", "room", "ok", {});
    env.call("reset", () => p.reset());
    env.snapPush("after reset", p);
    env.call("resend(777)", () => p.resend(777));
    env.snapPush("after resend", p);
    env.server.replyTo("ev", "room", "ok", {again: 1});
    env.call("send", () => p.send());
    env.snapPush("after send", p);
    env.clock.advance(777);
  },

  "P08-stale-timer-after-reset-hits-null-event"(env) {
    const s = env.socket();
    const ch = s.channel("room");
    ch.onMessage = env.record("hook", (e, p) => p);
    ch.join(500).receive("timeout", env.record("timeout"));
    open(env, s);
    env.server.error();
    env.snapChannel("errored while joining", ch);
    env.clock.advance(500);
  },

  "P09-trigger-hasReceived-matchReceive"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    const p = ch.push("ev", {});
    p.receive("custom", env.record("custom"));
    env.call("hasReceived before", () => p.hasReceived("custom"));
    env.call("trigger", () => p.trigger("custom", {fake: 1}));
    env.call("hasReceived after", () => p.hasReceived("custom"));
    env.call("matchReceive", () => p.matchReceive({status: "custom", response: {m: 1}}));
    env.call("cancelTimeout", () => p.cancelTimeout());
    env.snap("timeoutTimer", p.timeoutTimer);
    env.call("startTimeout", () => p.startTimeout());
    env.snapPush("after startTimeout", p);
    env.call("cancelRefEvent", () => p.cancelRefEvent());
    env.snapChannel("ch", ch);
  },
};
