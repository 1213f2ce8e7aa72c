// Transport contract (T), custom encode/decode (ED), logger (LG), edge cases (E),
// user callbacks that throw and re-enter.

function open(env, socket) {
  socket.connect();
  env.server.open();
}

export default {
  // ---------------------------------------------------------------- T
  "T02-events-fired-inside-constructor-are-lost"(env) {
    env.onTransportConstruct = (ws, server) => server.open();
    const s = env.socket();
    s.onOpen(env.record("onOpen"));
    s.connect();
    env.snapSocket("s", s);
    env.onTransportConstruct = null;
  },

  "T07-second-onclose-ignored"(env) {
    const s = env.socket();
    s.onClose(env.record("onClose"));
    open(env, s);
    const srv = env.server;
    srv.close({code: 1001});
    srv.close({code: 1002});
    env.clock.advance(10);
  },

  "T08-transport-name-in-logs"(env) {
    class MyTransport extends env.transport {}
    const s = env.socket({transport: MyTransport});
    s.onError(env.record("onError"));
    s.connect();
    env.server.open();
    env.server.error();
  },

  "T09-onerror-replaced-by-noop-on-close"(env) {
    const s = env.socket();
    s.onError(env.record("onError"));
    open(env, s);
    const first = env.server;
    first.closeDelay = null;
    s.disconnect();
    env.mark("error after our close is swallowed");
    first.error();
    first.finishClose();
  },

  "T-LongPoll-transport-construction-no-network"(env) {
    const s = new env.Socket("ws://example.com/socket", {transport: env.LongPoll, authToken: "tok", logger: env.logger, longpollerTimeout: 1234});
    s.onClose(env.record("onClose"));
    s.connect();
    const c = s.conn;
    env.snap("LongPoll instance", {
      pollEndpoint: c.pollEndpoint,
      authToken: c.authToken,
      endPoint: c.endPoint,
      token: c.token,
      skipHeartbeat: c.skipHeartbeat,
      readyState: c.readyState,
      timeout: c.timeout,
      endpointURL: c.endpointURL(),
      state: s.connectionState(),
    });
    s.disconnect(env.record("disconnect cb"));
    env.clock.advance(1000);
  },

  // ---------------------------------------------------------------- ED
  "ED01-02-custom-sync-encode-decode"(env) {
    const encode = env.record("encode", (msg, cb) => cb(`ENC:${JSON.stringify([msg.topic, msg.event, msg.ref])}`));
    const decode = env.record("decode", (raw, cb) => {
      const [topic, event, ref, join_ref, payload] = JSON.parse(raw.slice(4));
      cb({join_ref, ref, topic, event, payload});
    });
    const s = env.socket({encode, decode});
    s.onMessage(env.record("onMessage"));
    const ch = s.channel("room");
    ch.join().receive("ok", env.record("join ok"));
    open(env, s);
    env.server.message(`DEC:${JSON.stringify(["room", "phx_reply", ch.joinRef(), ch.joinRef(), {status: "ok", response: {v: 1}}])}`);
  },

  "ED01-async-encode-via-setTimeout"(env) {
    const encode = env.record("encode", (msg, cb) => setTimeout(() => cb(JSON.stringify([msg.join_ref, msg.ref, msg.topic, msg.event, msg.payload])), 5));
    const s = env.socket({encode});
    const ch = s.channel("room");
    ch.join().receive("ok", env.record("join ok"));
    open(env, s);
    env.clock.advance(5);
    env.server.replyTo("phx_join", "room", "ok", {});
    ch.push("ev", {a: 1});
    env.mark("connection replaced while encoding: frame dropped");
    ch.push("ev2", {a: 2});
    s.disconnect();
    s.connect();
    env.clock.advance(5);
    env.servers[1].open();
    env.clock.advance(5);
  },

  "ED02-async-decode-via-setTimeout"(env) {
    const decode = env.record("decode", (raw, cb) => setTimeout(() => {
      const [join_ref, ref, topic, event, payload] = JSON.parse(raw);
      cb({join_ref, ref, topic, event, payload});
    }, 3));
    const s = env.socket({decode});
    s.onMessage(env.record("onMessage"));
    const ch = s.channel("room");
    ch.join().receive("ok", env.record("join ok"));
    open(env, s);
    env.server.replyTo("phx_join", "room", "ok", {});
    env.server.message([null, null, "room", "a", {}]);
    env.server.message([null, null, "room", "b", {}]);
    env.clock.advance(3);
    env.mark("message decoded after the connection closed is dropped");
    env.server.message([null, null, "room", "late", {}]);
    env.server.closeDelay = null;
    s.disconnect();
    env.clock.advance(3);
  },

  "ED-encode-returning-value-and-decode-extra-fields"(env) {
    const decode = (raw, cb) => cb({topic: "room", event: "x", payload: {p: 1}, ref: null, join_ref: null, extra: 1});
    const s = env.socket({decode});
    s.onMessage(env.record("onMessage"));
    const ch = env.joined(s, "room", undefined, {});
    ch.on("x", env.record("x"));
    env.server.message("anything");
  },

  // ---------------------------------------------------------------- LG
  "LG01-08-logger-messages"(env) {
    const s = env.socket();
    const a = s.channel("a");
    a.join(100);
    open(env, s);
    env.clock.advance(100);
    env.clock.advance(1000);
    env.server.replyTo("phx_join", "a", "ok", {});
    env.server.message(["stale", null, "a", "e", {x: 1}]);
    env.server.message([null, "5", "a", "noref", {}]);
    env.server.message([null, null, "a", "e", {status: "custom"}]);
    env.server.message([null, null, "a", "e", "string payload"]);
    const jr = a.joinRef();
    env.server.message([jr, jr, "a", "phx_error", {}]);
    env.clock.advance(1000);
    env.server.replyTo("phx_join", "a", "ok", {});
    a.leave();
    const b = env.joined(s, "b");
    env.server.message([b.joinRef(), b.joinRef(), "b", "phx_close", {}]);
    env.server.error("E");
    env.server.close({code: 1006});
  },

  "LG02-receive-null-payload-throws-only-with-logger"(env) {
    const s = env.socket();
    s.onMessage(env.record("onMessage"));
    open(env, s);
    env.server.message([null, null, "t", "e", null], {loose: true});
    s.logger = null;
    env.server.message([null, null, "t", "e", null]);
  },

  // ---------------------------------------------------------------- E
  "E01-registration-refs-shift-wire-refs"(env) {
    const s = env.socket();
    s.onOpen(() => {});
    s.onClose(() => {});
    s.onError(() => {});
    s.onMessage(() => {});
    const a = s.channel("a");
    const b = s.channel("b");
    a.join();
    b.join();
    open(env, s);
  },

  "E06-timeout-zero"(env) {
    const s = env.socket({timeout: 0});
    env.snap("socket.timeout", s.timeout);
    const ch = s.channel("t");
    env.snap("channel.timeout", ch.timeout);
  },

  "E07-channel-params-reassigned-after-construction"(env) {
    const s = env.socket();
    const params = {token: "one"};
    const ch = s.channel("room", params);
    ch.params = () => ({token: "reassigned"});
    ch.join();
    open(env, s);
    env.server.replyTo("phx_join", "room", "ok", {});
    params.token = "mutated";
    env.server.close({code: 1006});
    env.clock.advance(10);
    env.server.open();
  },

  // ---------------------------------------------------------------- E09 throwing callbacks
  "E09-onOpen-throws-skips-rest"(env) {
    const s = env.socket();
    s.onOpen(env.record("open1"));
    s.onOpen(env.record("open2 throws", () => {
      throw env.boom("open2");
    }));
    s.onOpen(env.record("open3 (skipped)"));
    const ch = s.channel("room");
    ch.join();
    open(env, s);
    env.snapSocket("s", s);
    env.snapChannel("ch", ch);
  },

  "E09-binding-throws-skips-socket-onMessage"(env) {
    const s = env.socket();
    s.onMessage(env.record("socket onMessage"));
    const ch = env.joined(s, "room");
    ch.on("e", env.record("e1 throws", () => {
      throw env.boom("e1");
    }));
    ch.on("e", env.record("e2 skipped"));
    const ch2 = env.joined(s, "room2");
    ch2.on("e", env.record("room2 e"));
    env.server.message([null, null, "room", "e", {}]);
    env.server.message([null, null, "room2", "e", {}]);
  },

  "E09-receive-hook-throws"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    const p = ch.push("ev", {});
    p.receive("ok", env.record("ok1 throws", () => {
      throw env.boom("ok1");
    }));
    p.receive("ok", env.record("ok2 skipped"));
    env.server.replyTo("ev", "room", "ok", {});
    env.snapPush("p", p);
    env.mark("immediate receive throws out of receive()");
    env.call("receive", () => p.receive("ok", () => {
      throw env.boom("immediate");
    }));
    env.snapPush("p hooks", p);
  },

  "E09-onClose-throws-during-transport-close"(env) {
    const s = env.socket();
    s.onClose(env.record("close1 throws", () => {
      throw env.boom("close1");
    }));
    s.onClose(env.record("close2 skipped"));
    const ch = env.joined(s, "room");
    ch.onError(env.record("ch onError"));
    env.server.close({code: 1006});
    env.snapSocket("s", s);
    env.clock.advance(10);
  },

  "E09-channel-onError-throws-skips-reconnect-scheduling"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    ch.onError(env.record("onError throws", () => {
      throw env.boom("chErr");
    }));
    s.onClose(env.record("onClose"));
    env.server.close({code: 1006});
    env.snapSocket("s", s);
    env.clock.advance(100);
  },

  "E09-onError-throws"(env) {
    const s = env.socket();
    s.onError(env.record("err1 throws", () => {
      throw env.boom("err1");
    }));
    s.onError(env.record("err2 skipped"));
    const ch = env.joined(s, "room");
    ch.onError(env.record("ch onError"));
    env.server.error();
    env.snapChannel("ch", ch);
  },

  "E09-timer-callback-throws"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    ch.push("ev", {}, 100).receive("timeout", env.record("timeout throws", () => {
      throw env.boom("timeout");
    }));
    env.clock.advance(100);
    env.snapChannel("ch", ch);
  },

  "E09-leave-onClose-throws-out-of-leave"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    ch.onClose(env.record("onClose throws", () => {
      throw env.boom("leave");
    }));
    env.call("leave", () => ch.leave());
    env.snapChannel("ch", ch);
  },

  "E09-logger-throws"(env) {
    let n = 0;
    const logger = env.record("logger", (kind) => {
      if (kind === "push" && ++n === 1) throw env.boom("logger");
    });
    const s = env.socket({logger});
    const ch = s.channel("room");
    env.call("join", () => ch.join());
    env.snapChannel("ch", ch);
    env.snapSocket("s", s);
  },

  // ---------------------------------------------------------------- re-entrancy
  "R-connect-inside-onClose"(env) {
    const s = env.socket();
    s.onClose(env.record("onClose", () => s.connect()));
    open(env, s);
    env.server.close({code: 1006});
    env.snapSocket("s", s);
    env.clock.advance(100);
    env.server.open();
  },

  "R-disconnect-inside-onOpen"(env) {
    const s = env.socket();
    s.onOpen(env.record("onOpen", () => s.disconnect(env.record("disconnect cb"))));
    s.onOpen(env.record("onOpen2"));
    const ch = s.channel("room");
    ch.join();
    open(env, s);
    env.clock.advance(1000);
    env.snapSocket("s", s);
  },

  "R-leave-inside-receive-hook"(env) {
    const s = env.socket();
    const ch = s.channel("room");
    ch.join().receive("ok", env.record("join ok", () => ch.leave()));
    ch.onClose(env.record("onClose"));
    open(env, s);
    env.server.replyTo("phx_join", "room", "ok", {});
    env.snapChannel("ch", ch);
  },

  "R-push-inside-on-callback"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    ch.on("ping", env.record("ping", (payload) => ch.push("pong", payload)));
    env.server.message([null, null, "room", "ping", {n: 1}]);
  },

  "R-join-inside-onOpen-and-channel-in-onMessage"(env) {
    const s = env.socket();
    s.onOpen(env.record("onOpen", () => s.channel("late").join()));
    s.onMessage(env.record("onMessage", (m) => {
      if (m.event === "spawn") s.channel("spawned").join();
    }));
    open(env, s);
    env.server.message([null, null, "x", "spawn", {}]);
    env.snapSocket("s", s);
  },

  "R-rejoin-inside-onError-connect-inside-channel-error"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    ch.onError(env.record("onError", () => {
      s.disconnect();
      s.connect();
    }));
    env.server.close({code: 1006});
    env.snapSocket("s", s);
    env.clock.advance(1000);
    env.server.open();
    env.snapChannel("ch", ch);
  },

  "R-leave-inside-binding-during-dispatch-to-two-channels"(env) {
    const s = env.socket();
    const a = s.channel("dup");
    const b = s.channel("dup");
    a.join();
    open(env, s);
    a.on("e", env.record("a e", () => b.leave()));
    b.on("e", env.record("b e (still dispatched)"));
    env.server.message([null, null, "dup", "e", {}]);
    env.snapSocket("s", s);
  },
};
