// Harder corners of the socket: outgoing filtering, overlapping connections, buffers.

function open(env, socket) {
  socket.connect();
  env.server.open();
}

export default {
  "S34-heartbeat-fires-while-not-connected-is-buffered"(env) {
    const s = env.socket({heartbeatIntervalMs: 100});
    open(env, s);
    env.server.ws.readyState = 0;
    env.clock.advance(100);
    env.snapSocket("heartbeat buffered", s);
    env.clock.advance(100);
    env.clock.advance(1000);
    env.snapSocket("after timeout", s);
  },

  "ED01-async-encode-leave-still-sent-push-dropped"(env) {
    const encode = (msg, cb) => setTimeout(() => cb(JSON.stringify([msg.join_ref, msg.ref, msg.topic, msg.event, msg.payload])), 1);
    const s = env.socket({encode});
    const ch = s.channel("room");
    ch.join();
    open(env, s);
    env.clock.advance(1);
    env.server.replyTo("phx_join", "room", "ok", {});
    ch.push("dropped", {});
    ch.leave();
    env.clock.advance(1);
  },

  "E03-connect-while-old-connection-drains-errors-its-channels"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    ch.onError(env.record("onError"));
    env.server.ws.bufferedAmount = 100;
    s.disconnect(env.record("disconnect cb"));
    env.snapChannel("still joined while draining", ch);
    env.mark("connect while the old connection is still open");
    s.connect();
    env.snapChannel("errored by connect", ch);
    env.servers[1].open();
    env.servers[0].ws.bufferedAmount = 0;
    env.clock.advance(2000);
    env.snapChannel("ch", ch);
  },

  "E09-flush-throws-keeps-sendBuffer-and-skips-onOpen"(env) {
    const s = env.socket();
    s.onOpen(env.record("onOpen"));
    s.push({topic: "ok1", event: "e", payload: {}, ref: "a"});
    s.push({topic: "x".repeat(300), event: "e", payload: env.bytes(1), ref: "b"});
    s.push({topic: "ok2", event: "e", payload: {}, ref: "c"});
    open(env, s);
    env.snapSocket("after failed flush", s);
    env.clock.advance(60000);
    env.server.close({code: 1006});
    env.clock.advance(100);
    env.server.open();
    env.snapSocket("after second open", s);
  },

  "S10-buffered-join-outdated-after-failed-attempt"(env) {
    const s = env.socket();
    const ch = s.channel("room");
    ch.join();
    s.connect();
    env.server.error();
    env.server.close({code: 1006});
    env.snapSocket("join still in sendBuffer", s);
    env.clock.advance(10);
    env.server.open();
    env.snapSocket("flushed", s);
    env.snapChannel("ch", ch);
  },

  "C-reply-for-phoenix-topic-without-channel"(env) {
    const s = env.socket();
    s.onMessage(env.record("onMessage"));
    const ch = env.joined(s, "room");
    ch.on("phx_reply", env.record("user phx_reply binding"));
    env.server.message([null, "77", "phoenix", "phx_reply", {status: "ok", response: {}}]);
    env.server.message([null, "78", "room", "phx_reply", {status: "error", response: {unknown: true}}]);
    env.server.message([null, "79", "room", "phx_reply", {response: {}}]);
  },

  "C09-user-off-of-internal-events"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    ch.onClose(env.record("onClose"));
    ch.off("phx_reply");
    const p = ch.push("ev", {}, 100);
    p.receive("ok", env.record("ok")).receive("timeout", env.record("timeout"));
    env.server.replyTo("ev", "room", "ok", {});
    env.clock.advance(100);
    ch.off("phx_close");
    ch.leave();
    env.snapChannel("ch", ch);
  },

  "S-reconnect-tries-kept-across-manual-connect"(env) {
    const s = env.socket();
    s.connect();
    env.server.close({code: 1006});
    env.clock.advance(10);
    env.server.close({code: 1006});
    env.mark("disconnect resets tries, connect starts fresh");
    s.disconnect();
    s.connect();
    env.server.close({code: 1006});
    env.clock.advance(10);
  },

  "S-server-closes-every-code"(env) {
    const s = env.socket();
    s.onClose(env.record("onClose"));
    s.connect();
    for (const code of [1000, 1001, 1008, 1011, 1012, 3000, 4000]) {
      env.server.open();
      env.server.close({code, reason: `r${code}`, wasClean: code === 1000});
      env.clock.runAll(2);
    }
  },

  "P-push-while-channel-joined-but-socket-closing"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    env.server.ws.readyState = 2;
    const p = ch.push("ev", {n: 1});
    env.snapPush("buffered", p);
    env.snapChannel("ch", ch);
    env.server.close({code: 1006});
    env.clock.advance(10);
    env.server.open();
    env.server.replyTo("phx_join", "room", "ok", {});
  },
  "SO02-default-transport-is-global-WebSocket-at-construction"(env) {
    const enc = (m, cb) => cb("custom");
    const s1 = new env.Socket(env.ENDPOINT, {encode: enc});
    env.stubGlobal("WebSocket", env.transport);
    const s2 = new env.Socket(env.ENDPOINT, {encode: enc});
    env.snap("transports", {s1LongPoll: s1.transport === env.LongPoll, s2Fake: s2.transport === env.transport, s1CustomEncode: s1.encode === enc, s2CustomEncode: s2.encode === enc});
    s2.connect();
    env.server.open();
    s2.push({topic: "t", event: "e", payload: {}, ref: "1"});
  },

  "SO17-global-sessionStorage-used-without-option"(env) {
    env.installFakeXHR();
    env.stubGlobal("sessionStorage", env.fakeStorage({"phx:fallback:LongPoll": "true"}));
    const s = env.socket({longPollFallbackMs: 1000});
    s.connect();
    env.snap("transport is LongPoll", s.transport === env.LongPoll);
  },

  "ED-custom-decode-or-encode-throws"(env) {
    const s = env.socket({
      decode: (raw, cb) => {
        if (raw === "bad") throw env.boom("decode");
        cb(JSON.parse(raw).reduce((o, v, i) => ({...o, [["join_ref", "ref", "topic", "event", "payload"][i]]: v}), {}));
      },
      encode: (msg, cb) => {
        if (msg.event === "bad") throw env.boom("encode");
        cb(JSON.stringify([msg.join_ref, msg.ref, msg.topic, msg.event, msg.payload]));
      },
    });
    s.onMessage(env.record("onMessage"));
    const ch = env.joined(s, "room");
    env.server.message("bad");
    env.server.message([null, null, "room", "good", {}]);
    env.call("push bad", () => ch.push("bad", {}));
    env.snapChannel("ch", ch);
  },

  "S02-disconnect-twice"(env) {
    const s = env.socket();
    s.onClose(env.record("onClose"));
    s.connect();
    env.server.open();
    s.disconnect(env.record("cb1"), 4001, "first");
    s.disconnect(env.record("cb2"), 4002, "second");
    env.clock.advance(1000);
  },
  "ID-outgoing-objects-keep-identity"(env) {
    const encode = env.record("encode", (msg, cb) => env.Serializer.encode(msg, cb));
    const s = env.socket({encode});
    const params = env.track("params", {token: "t"});
    const ch = s.channel("room", params);
    ch.join();
    s.connect();
    env.server.open();
    env.server.replyTo("phx_join", "room", "ok", {});
    const payload = env.track("payload", {a: 1});
    const p = ch.push("ev", payload);
    env.snap("push.payload() is the object", p.payload() === payload);
    const ab = env.track("ab", env.bytes(1, 2));
    ch.push("bin", ab);
    s.push(env.track("rawMsg", {topic: "t", event: "e", payload: payload, ref: "r"}));
  },

  "ID-incoming-objects-keep-identity"(env) {
    const s = env.socket();
    s.onMessage(env.record("onMessage"));
    const ch = env.joined(s, "room");
    ch.onMessage = env.record("hook", (e, p) => p);
    ch.on("ev", env.record("ev"));
    const p = ch.push("q", {});
    p.receive("ok", env.record("ok", (resp) => env.snap("receivedResp.response is resp", p.receivedResp.response === resp)));
    env.server.replyTo("q", "room", "ok", {deep: {x: [1, {y: 2}]}});
    env.server.message([null, null, "room", "ev", {list: [{a: 1}, {a: 1}]}]);
    env.mark("a binding that mutates the payload: later bindings and onMessage see it");
    ch.on("mut", (payload) => {
      payload.mutated = true;
    });
    ch.on("mut", env.record("mut after mutation"));
    env.server.message([null, null, "room", "mut", {n: 1}]);
  },

  "ID-this-in-onMessage-is-the-channel"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    const seen = [];
    ch.onMessage = function (event, payload) {
      seen.push([event, this === ch]);
      return payload;
    };
    ch.on("ev", env.record("ev"));
    env.server.message([null, null, "room", "ev", {n: 1}]);
    ch.push("q", {}).receive("ok", env.record("ok"));
    env.server.replyTo("q", "room", "ok", {});
    env.snap("this in onMessage", seen);
  },

  "ID-object-identity-of-channels-and-pushes"(env) {
    const s = env.socket();
    const a = s.channel("a");
    const b = s.channel("b");
    const p = a.join();
    env.snap("identity", {
      joinPushChannel: a.joinPush.channel === a,
      joinPushStable: a.joinPush === a.joinPush,
      joinReturnsJoinPush: p === a.joinPush,
      channels: s.channels[0] === a && s.channels[1] === b,
      channelSocket: a.socket === s,
    });
  },
};
