// Socket scenarios: exports (X), options (SO), properties (SP), methods (S01-S21),
// event sequences (S30-S35).

function open(env, socket) {
  socket.connect();
  env.server.open();
}

function socketFields(env, label, s) {
  env.snap(label, {
    endPoint: s.endPoint,
    params: s.params(),
    vsn: s.vsn,
    timeout: s.timeout,
    heartbeatIntervalMs: s.heartbeatIntervalMs,
    longpollerTimeout: s.longpollerTimeout,
    binaryType: s.binaryType,
    loggerIsNull: s.logger === null,
    typeofLogger: typeof s.logger,
    hasLogger: s.hasLogger(),
    transportIsFake: s.transport === env.transport,
    transportIsLongPoll: s.transport === env.LongPoll,
    typeofEncode: typeof s.encode,
    typeofDecode: typeof s.decode,
    encodeIsDefault: s.encode === s.defaultEncoder,
    decodeIsDefault: s.decode === s.defaultDecoder,
    authToken: typeof s.authToken === "function" ? ["fn", s.authToken()] : s.authToken,
    channels: s.channels.length,
    sendBuffer: s.sendBuffer.length,
    ref: s.ref,
    stateChangeCallbacks: Object.keys(s.stateChangeCallbacks).map((k) => [k, s.stateChangeCallbacks[k].length]),
    conn: s.conn,
    connection: s.connection,
    closeWasClean: s.closeWasClean,
    establishedConnections: s.establishedConnections,
    primaryPassedHealthCheck: s.primaryPassedHealthCheck,
    longPollFallbackMs: s.longPollFallbackMs,
    pendingHeartbeatRef: s.pendingHeartbeatRef,
    connectionState: s.connectionState(),
    isConnected: s.isConnected(),
  });
}

export default {
  // ---------------------------------------------------------------- X
  "X01-06-exports"(env) {
    const impl = env.impl;
    env.snap("export names", Object.keys(impl).sort());
    env.snap("types", {
      Channel: typeof impl.Channel,
      LongPoll: typeof impl.LongPoll,
      Presence: typeof impl.Presence,
      Serializer: typeof impl.Serializer,
      Socket: typeof impl.Socket,
      SerializerIsPlainObject: Object.getPrototypeOf(impl.Serializer) === Object.prototype,
      Push: typeof impl.Push,
      Timer: typeof impl.Timer,
      Ajax: typeof impl.Ajax,
      PresenceStatics: ["syncState", "syncDiff", "list"].map((k) => typeof impl.Presence[k]),
    });
    env.snap("Serializer members", {
      HEADER_LENGTH: impl.Serializer.HEADER_LENGTH,
      META_LENGTH: impl.Serializer.META_LENGTH,
      KINDS: impl.Serializer.KINDS,
      fns: ["encode", "decode", "binaryEncode", "assertFieldSize", "binaryDecode", "decodePush", "decodeReply", "decodeBroadcast"].map(
        (k) => [k, typeof impl.Serializer[k]],
      ),
    });
  },

  // ---------------------------------------------------------------- SO / SP
  "SO-defaults-no-options"(env) {
    const s = new env.Socket(env.ENDPOINT);
    socketFields(env, "defaults", s);
    env.snap("reconnectAfterMs 0..11", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((t) => s.reconnectAfterMs(t)));
    env.snap("rejoinAfterMs 0..5", [0, 1, 2, 3, 4, 5].map((t) => s.rejoinAfterMs(t)));
    env.snap("getLongPollTransport", s.getLongPollTransport() === env.LongPoll);
  },

  "SO-defaults-with-fake-transport"(env) {
    const s = env.socket({logger: null});
    socketFields(env, "fields", s);
  },

  "SO-falsy-options-get-defaults"(env) {
    const s = env.socket({
      timeout: 0,
      heartbeatIntervalMs: 0,
      longpollerTimeout: 0,
      binaryType: "",
      vsn: "",
      params: null,
      authToken: "",
      logger: null,
    });
    socketFields(env, "fields", s);
  },

  "SO-custom-options"(env) {
    const reconnect = env.record("reconnectAfterMs", (t) => t * 7);
    const rejoin = env.record("rejoinAfterMs", (t) => t * 11);
    const s = env.socket({
      timeout: 1234,
      heartbeatIntervalMs: 4321,
      longpollerTimeout: 999,
      binaryType: "blob",
      vsn: "1.0.0",
      params: {a: 1},
      authToken: "tok",
      reconnectAfterMs: reconnect,
      rejoinAfterMs: rejoin,
      longPollFallbackMs: undefined,
    });
    socketFields(env, "fields", s);
    env.call("reconnectAfterMs(3)", () => s.reconnectAfterMs(3));
    env.call("rejoinAfterMs(2)", () => s.rejoinAfterMs(2));
    const ch = s.channel("t");
    env.snapChannel("channel copies socket timeout", ch);
    s.connect();
    env.server.open();
    env.clock.advance(4321);
  },

  "SO05-06-encode-ignored-for-LongPoll-transport"(env) {
    const enc = (m, cb) => cb("x");
    const dec = (r, cb) => cb({});
    const lp = new env.Socket(env.ENDPOINT, {transport: env.LongPoll, encode: enc, decode: dec});
    env.snap("LongPoll", {encodeIsCustom: lp.encode === enc, decodeIsCustom: lp.decode === dec, encodeIsDefault: lp.encode === lp.defaultEncoder});
    const ws = env.socket({encode: enc, decode: dec});
    env.snap("fake", {encodeIsCustom: ws.encode === enc, decodeIsCustom: ws.decode === dec});
  },

  "SO04-debug-logs-to-console"(env) {
    const s = env.socket({debug: true, logger: null});
    env.snap("hasLogger", s.hasLogger());
    s.connect();
    env.server.open();
    s.push({topic: "t", event: "e", payload: {a: 1}, ref: "9"});
  },

  "SO04-logger-wins-over-debug"(env) {
    const s = env.socket({debug: true});
    s.connect();
    env.server.open();
  },

  "SO13-params-function-called-per-url-build"(env) {
    let n = 0;
    const params = env.record("params()", () => ({n: ++n}));
    const s = env.socket({params, logger: null});
    env.mark("connect without logger");
    s.connect();
    env.server.open();
    env.server.close({code: 1006});
    env.clock.advance(10);
    env.mark("with logger");
    s.logger = env.logger;
    env.server.open();
    env.call("endPointURL", () => s.endPointURL());
  },

  "SO14-authToken-string-and-function"(env) {
    const s1 = env.socket({authToken: "my-token"});
    s1.connect();
    let i = 0;
    const tok = env.record("authToken()", () => `t${++i}?`);
    const s2 = env.socket({authToken: tok});
    s2.connect();
    env.server.close({code: 1006});
    env.clock.advance(10);
    env.snap("s2.authToken()", s2.authToken());
  },

  "SO14-authToken-non-latin1-throws-from-connect"(env) {
    const s = env.socket({authToken: "\u20ac"});
    env.call("connect", () => s.connect(), {loose: true});
    env.snapSocket("after", s);
  },

  "SP-fields-writable"(env) {
    const s = env.socket({logger: null});
    s.timeout = 77;
    const ch = s.channel("t");
    env.snapChannel("uses new socket timeout", ch);
    s.ref = 41;
    env.call("makeRef", () => s.makeRef());
    s.heartbeatIntervalMs = 5;
    s.connect();
    env.server.open();
    env.clock.advance(5);
    s.logger = env.logger;
    env.call("hasLogger", () => s.hasLogger());
    s.push({topic: "x", event: "y", payload: {}, ref: "1"});
  },

  // ---------------------------------------------------------------- S01 connect
  "S01-connect-twice-is-noop"(env) {
    const s = env.socket();
    env.call("connect 1", () => s.connect());
    env.call("connect 2 (connecting)", () => s.connect());
    env.server.open();
    env.call("connect 3 (open)", () => s.connect());
    env.snapSocket("socket", s);
  },

  "S01-connect-noop-while-waiting-for-reconnect"(env) {
    const s = env.socket();
    s.connect();
    env.server.open();
    env.server.close({code: 1006, reason: "net", wasClean: false});
    env.snapSocket("closed, waiting", s);
    env.call("connect while waiting", () => s.connect());
    env.clock.advance(9);
    env.mark("reconnect timer fires at 10");
    env.clock.advance(1);
    env.snapSocket("reconnecting", s);
  },

  "S01-connect-with-params-deprecated"(env) {
    const s = env.socket({params: {a: 1}});
    s.connect({b: 2});
    env.call("params()", () => s.params());
    env.call("endPointURL", () => s.endPointURL());
  },

  "S01-connect-after-disconnect-builds-new-connection"(env) {
    const s = env.socket();
    s.connect();
    env.server.open();
    const first = env.server;
    s.disconnect(env.record("disconnect cb"));
    env.call("connect", () => s.connect());
    env.snapSocket("after connect", s);
    env.mark("old transport events are ignored");
    first.message([null, "99", "phoenix", "phx_reply", {status: "ok", response: {}}]);
    env.clock.advance(1000);
    env.servers[1].open();
    env.snapSocket("new open", s);
  },

  "S01-transport-constructor-throws"(env) {
    const Bad = class WebSocket {
      constructor() {
        throw env.boom("ctor");
      }
    };
    const s = env.socket({transport: Bad});
    env.call("connect", () => s.connect());
    env.snapSocket("after", s);
    env.call("connect again", () => s.connect());
  },

  // ---------------------------------------------------------------- S02 disconnect
  "S02-disconnect-without-connection-callback-sync"(env) {
    const s = env.socket();
    env.call("disconnect", () => s.disconnect(env.record("cb")));
    env.mark("after disconnect returned");
    env.call("disconnect no cb", () => s.disconnect());
    env.snapSocket("socket", s);
  },

  "S02-disconnect-open-no-code"(env) {
    const s = env.socket();
    s.onClose(env.record("onClose"));
    const ch = env.joined(s, "room:a");
    ch.onError(env.record("ch onError"));
    ch.onClose(env.record("ch onClose"));
    s.disconnect(env.record("disconnect cb"));
    env.mark("returned");
    env.snapChannel("ch", ch);
    env.snapSocket("s", s);
    env.clock.advance(1000);
    env.snapChannel("ch after", ch);
    env.snapSocket("s after", s);
  },

  "S02-disconnect-with-code-and-reason-variants"(env) {
    const s = env.socket();
    open(env, s);
    s.disconnect(env.record("cb1"), 4000, "bye");
    env.clock.advance(500);
    s.connect();
    env.server.open();
    s.disconnect(env.record("cb2"), 4001);
    env.clock.advance(500);
    s.connect();
    env.server.open();
    s.disconnect(undefined, 0, "zero code");
    env.clock.advance(500);
  },

  "S02-disconnect-callback-polls-readyState"(env) {
    const s = env.socket();
    open(env, s);
    env.server.closeDelay = null; // the close event never comes
    s.disconnect(env.record("cb"));
    env.clock.advance(2000);
    env.snapSocket("s", s);
  },

  "S02-disconnect-waits-for-bufferedAmount"(env) {
    const s = env.socket();
    open(env, s);
    env.server.ws.bufferedAmount = 10;
    s.disconnect(env.record("cb"));
    env.clock.advance(300);
    env.mark("buffer drained");
    env.server.ws.bufferedAmount = 0;
    env.clock.advance(2000);
  },

  "S02-disconnect-while-connecting"(env) {
    const s = env.socket();
    s.onError(env.record("onError"));
    s.onClose(env.record("onClose"));
    const ch = s.channel("t");
    ch.join();
    ch.onError(env.record("ch onError"));
    s.connect();
    s.disconnect(env.record("cb"));
    env.snapChannel("ch", ch);
    env.clock.advance(1000);
    env.snapSocket("s", s);
    env.snapChannel("ch after", ch);
  },

  "S02-E04-disconnect-then-connect-rejoins"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room:a");
    ch.push("buffered?", {x: 1});
    s.disconnect();
    env.snapChannel("errored", ch);
    env.snapSocket("s", s);
    env.clock.advance(1000);
    s.connect();
    env.server.open();
    env.snapChannel("rejoining", ch);
  },

  "S02-sendBuffer-kept-across-disconnect"(env) {
    const s = env.socket();
    s.push({topic: "t", event: "e1", payload: {}, ref: "r1"});
    s.disconnect();
    env.snapSocket("after disconnect", s);
    s.connect();
    env.server.open();
    env.snapSocket("after open", s);
  },

  // ---------------------------------------------------------------- S04-S07 state callbacks
  "S04-07-state-callbacks-refs-and-args"(env) {
    const s = env.socket();
    env.call("onOpen", () => s.onOpen(env.record("open")));
    env.call("onClose", () => s.onClose(env.record("close")));
    env.call("onError", () => s.onError(env.record("error")));
    env.call("onMessage", () => s.onMessage(env.record("message")));
    env.snap("stateChangeCallbacks", Object.keys(s.stateChangeCallbacks).map((k) => [k, s.stateChangeCallbacks[k].map(([r]) => r)]));
    s.connect();
    env.server.open();
    env.server.message([null, null, "nobody", "ev", {a: 1}]);
    env.server.error();
    env.server.close({code: 1011, reason: "x", wasClean: false});
    env.snapSocket("s", s);
  },

  "S06-onError-args-transport-and-established-count"(env) {
    const s = env.socket();
    s.onError(env.record("error"));
    s.connect();
    env.server.error({custom: "err1"});
    env.server.close({code: 1006});
    env.clock.advance(10);
    env.server.open();
    env.server.error("string error");
    env.server.close({code: 1006});
  },

  "S05-onClose-not-called-for-given-up-connection"(env) {
    const s = env.socket();
    s.onClose(env.record("onClose"));
    open(env, s);
    const first = env.server;
    first.closeDelay = null;
    env.mark("heartbeat timeout with dead network");
    env.clock.advance(60000);
    env.clock.advance(2000);
    env.mark("late close event of the first connection");
    first.finishClose({code: 1006, reason: "late", wasClean: false});
    env.snapSocket("s", s);
  },

  // ---------------------------------------------------------------- S08 off
  "S08-off-array-and-substring-quirk"(env) {
    const s = env.socket();
    const refs = [];
    for (let i = 0; i < 12; i++) refs.push(s.onOpen(env.record(`open${i + 1}`)));
    env.snap("refs", refs);
    env.call("off([\"3\"])", () => s.off(["3"]));
    env.call("off(\"78\")", () => s.off("78"));
    env.call("off(\"12\")", () => s.off("12"));
    env.call("off([])", () => s.off([]));
    env.snap("remaining", s.stateChangeCallbacks.open.map(([r]) => r));
    s.connect();
    env.server.open();
  },

  "S08-off-undefined-throws-once-registered"(env) {
    const s = env.socket();
    env.call("off(undefined) empty", () => s.off(undefined), {loose: true});
    s.onClose(() => {});
    env.call("off(undefined)", () => s.off(undefined), {loose: true});
    env.call("off() no args", () => s.off(), {loose: true});
  },

  "S08-off-during-dispatch"(env) {
    const s = env.socket();
    let r2;
    s.onOpen(env.record("open1", () => s.off([r2])));
    r2 = s.onOpen(env.record("open2"));
    s.onOpen(env.record("open3", () => s.onOpen(env.record("open-added-during"))));
    open(env, s);
    env.server.close({code: 1006});
    env.clock.advance(10);
    env.server.open();
  },

  // ---------------------------------------------------------------- S09 ping
  "S09-ping"(env) {
    const s = env.socket();
    env.call("ping not connected", () => s.ping(env.record("never")));
    s.connect();
    env.call("ping connecting", () => s.ping(env.record("never2")));
    env.server.open();
    env.call("ping open", () => s.ping(env.record("rtt")));
    env.clock.advance(123);
    env.server.replyLast("ok", {});
    env.mark("second reply with the same ref");
    env.server.reply([null, env.server.lastFrame()[1], "phoenix"], "ok", {});
    env.call("ping 2", () => s.ping(env.record("rtt2")));
    env.mark("any topic with that ref triggers it");
    env.clock.advance(7);
    env.server.message([null, env.server.lastFrame()[1], "other", "whatever", {}]);
  },

  "S09-ping-forgotten-when-connection-replaced"(env) {
    const s = env.socket();
    open(env, s);
    s.ping(env.record("rtt"));
    const ref = env.server.lastFrame()[1];
    s.disconnect();
    s.connect();
    env.server.open();
    env.server.message([null, ref, "phoenix", "phx_reply", {status: "ok", response: {}}]);
  },

  // ---------------------------------------------------------------- S10 / S11
  "S10-11-connectionState"(env) {
    const s = env.socket({logger: null});
    const st = (l) => env.snap(l, [s.connectionState(), s.isConnected(), s.conn === null ? "conn null" : s.conn === env.server.ws ? "conn = current ws" : "conn other"]);
    st("initial");
    s.connect();
    st("connecting");
    env.server.open();
    st("open");
    env.server.ws.readyState = 2;
    st("closing");
    env.server.ws.readyState = 3;
    st("closed (readyState 3)");
    env.server.ws.readyState = 7;
    st("unknown readyState");
    env.server.ws.readyState = 1;
    s.disconnect();
    st("after disconnect");
    env.clock.advance(1000);
    st("after close");
  },

  // ---------------------------------------------------------------- S12 / S13 endPointURL
  "S12-endPointURL-absolute-variants"(env) {
    const url = (ep, opts) => env.call(`${ep} ${JSON.stringify(opts && opts.params)}`, () => new env.Socket(ep, {transport: env.transport, ...opts}).endPointURL());
    url("ws://h/socket");
    url("wss://h/socket", {params: {token: "a b", n: {x: 1, y: [1, 2]}, nul: null, und: undefined, t: true}});
    url("ws://h/s?x=1", {params: {a: 1}});
    url("ws://h/s", {params: {b: 2, 10: "ten", 2: "two", a: "é&="}});
    url("ws://h/s", {params: {empty: {}, arr: [], s: ""}});
    url("ws://h/s", {params: {"we ird": "k[]"}});
    url("http://h/s", {vsn: "1.0.0"});
    url("socket", {});
    url("ws://h/s", {params: () => ({fn: 1})});
    url("ws://h/s", {params: {f() {}}});
  },

  "S12-13-endPointURL-relative-with-location"(env) {
    env.stubGlobal("location", {protocol: "https:", host: "example.com:4000"});
    const url = (ep, opts) => env.call(ep, () => new env.Socket(ep, {transport: env.transport, ...opts}).endPointURL());
    url("/socket");
    url("//h/socket");
    url("/socket", {params: {token: "a b", n: {x: 1, y: [1, 2]}, nul: null, und: undefined, t: true}});
    url("/socket", {params: () => ({ts: 5})});
    const s = new env.Socket("/socket", {transport: env.transport});
    env.call("protocol https", () => s.protocol());
    globalThis.location.protocol = "http:";
    env.call("protocol http", () => s.protocol());
    env.call("endPointURL http", () => s.endPointURL());
    s.connect();
  },

  "S12-13-relative-without-location-throws"(env) {
    const s = new env.Socket("/socket", {transport: env.transport});
    env.call("endPointURL", () => s.endPointURL(), {loose: true});
    env.call("protocol", () => s.protocol(), {loose: true});
    env.call("connect", () => s.connect(), {loose: true});
    env.snapSocket("s", s);
  },

  // ---------------------------------------------------------------- S14-S16
  "S14-15-log-and-hasLogger"(env) {
    const s = env.socket({logger: null});
    env.call("hasLogger null", () => s.hasLogger());
    env.call("log without logger", () => s.log("k", "m", {d: 1}));
    s.logger = env.logger;
    env.call("log", () => s.log("k", "m", {d: 1}));
    env.call("log 1 arg", () => s.log("only-kind"));
    s.logger = undefined;
    env.call("hasLogger undefined", () => s.hasLogger());
    env.call("push with undefined logger", () => s.push({topic: "t", event: "e", payload: {}, ref: "1"}), {loose: true});
    s.logger = false;
    env.call("hasLogger false", () => s.hasLogger());
    env.call("log with false logger", () => s.log("k", "m"));
  },

  "S16-makeRef-sequence-and-wrap"(env) {
    const s = env.socket({logger: null});
    env.call("makeRef 1", () => s.makeRef());
    env.call("makeRef 2", () => s.makeRef());
    env.snap("ref", s.ref);
    s.ref = 2 ** 53 - 1;
    env.call("makeRef at 2^53-1", () => s.makeRef());
    env.call("makeRef at 2^53", () => s.makeRef());
    env.snap("ref after wrap", s.ref);
    s.ref = 1.5;
    env.call("makeRef at 1.5", () => s.makeRef());
  },

  // ---------------------------------------------------------------- S17 push
  "S17-socket-push-open-and-buffered"(env) {
    const s = env.socket();
    env.call("push buffered", () => s.push({topic: "t", event: "e1", payload: {n: 1}, ref: "a", join_ref: "j"}));
    s.push({topic: "t", event: "e2", payload: {n: 2}});
    env.snapSocket("buffered", s);
    s.connect();
    env.snapSocket("connecting", s);
    env.server.open();
    env.snapSocket("flushed", s);
    env.call("push open", () => s.push({topic: "t", event: "e3", payload: [1, 2], ref: 5, join_ref: null, extra: "ignored"}));
  },

  "S17-socket-push-null-payload-throws-on-encode"(env) {
    const s = env.socket();
    open(env, s);
    env.call("push null payload", () => s.push({topic: "t", event: "e", payload: null, ref: "1"}), {loose: true});
    env.call("push undefined payload", () => s.push({topic: "t", event: "e", ref: "2"}), {loose: true});
    env.call("push string payload", () => s.push({topic: "t", event: "e", payload: "str", ref: "3"}));
    env.call("push number payload", () => s.push({topic: "t", event: "e", payload: 0, ref: "4"}));
  },

  // ---------------------------------------------------------------- S18 / S19 replaceTransport
  "S18-replaceTransport-open"(env) {
    const s = env.socket();
    s.onClose(env.record("onClose"));
    const ch = env.joined(s, "room:a");
    ch.onError(env.record("ch onError"));
    const Other = class OtherTransport extends env.transport {};
    env.call("replaceTransport", () => s.replaceTransport(Other));
    env.snapSocket("after", s);
    env.snap("transport is Other", s.transport === Other);
    env.snapChannel("ch", ch);
    env.clock.advance(1000);
    env.mark("no reconnect until connect()");
    s.connect();
    env.server.open();
    env.snapChannel("ch rejoining", ch);
  },

  "S18-replaceTransport-no-connection"(env) {
    const s = env.socket();
    env.call("replaceTransport 1", () => s.replaceTransport(env.transport));
    env.call("replaceTransport 2", () => s.replaceTransport(env.transport));
    s.connect();
    env.call("replaceTransport while connecting", () => s.replaceTransport(env.transport));
    env.clock.advance(1000);
    env.snapSocket("s", s);
  },

  // ---------------------------------------------------------------- S20 / S21
  "S20-remove-channel"(env) {
    const s = env.socket();
    const a = s.channel("a");
    const b = s.channel("b");
    env.snap("stateChangeRefs", a.stateChangeRefs);
    env.call("remove(a)", () => s.remove(a));
    env.snap("channels", s.channels.map((c) => c.topic));
    env.snap("open callbacks", s.stateChangeCallbacks.open.map(([r]) => r));
    env.snap("b still there", s.channels[0] === b);
  },

  "S21-leaveOpenTopic"(env) {
    const s = env.socket();
    const a = env.joined(s, "dup");
    a.onClose(env.record("a onClose"));
    const b = s.channel("dup");
    b.onClose(env.record("b onClose"));
    env.call("leaveOpenTopic(dup)", () => s.leaveOpenTopic("dup"));
    env.snapChannel("a", a);
    env.snapChannel("b", b);
    env.call("leaveOpenTopic(none)", () => s.leaveOpenTopic("none"));
  },

  "SP09-channels-array-replaced-not-mutated"(env) {
    const s = env.socket();
    const a = s.channel("a");
    s.channel("b");
    const before = s.channels;
    a.join();
    a.leave();
    env.snap("same array", s.channels === before);
    env.snap("before length", before.length);
    const arr = s.channels;
    s.channel("c");
    env.snap("push mutates", s.channels === arr);
  },

  // ---------------------------------------------------------------- S30-S35 event sequences
  "S30-open-flush-order-and-callback-interleaving"(env) {
    const s = env.socket();
    s.onOpen(env.record("user open 1"));
    const a = s.channel("a");
    a.join().receive("ok", env.record("a ok"));
    s.onOpen(env.record("user open 2"));
    const b = s.channel("b", {p: 1});
    b.join();
    s.push({topic: "raw", event: "raw", payload: {}, ref: "raw1"});
    s.onOpen(env.record("user open 3"));
    s.connect();
    env.server.open();
    env.snapChannel("a", a);
    env.snapSocket("s", s);
  },

  "S30-open-rejoins-errored-channels-in-registration-order"(env) {
    const s = env.socket();
    s.onOpen(env.record("open 1"));
    const a = env.joined(s, "a");
    s.onOpen(env.record("open 2"));
    const b = s.channel("b");
    b.join();
    env.server.replyTo("phx_join", "b", "ok", {});
    s.onOpen(env.record("open 3"));
    env.server.close({code: 1006});
    env.snapChannel("a errored", a);
    env.clock.advance(10);
    env.server.open();
    env.snapChannel("a", a);
    env.snapChannel("b", b);
  },

  "S31-message-dispatch-order"(env) {
    const s = env.socket();
    s.onMessage(env.record("socket onMessage 1"));
    const a = env.joined(s, "room");
    a.on("ev", env.record("a ev"));
    a.onMessage = env.record("a hook", (e, p) => p);
    s.onMessage(env.record("socket onMessage 2"));
    const other = env.joined(s, "other");
    other.on("ev", env.record("other ev"));
    env.mark("broadcast");
    env.server.message([null, null, "room", "ev", {n: 1}]);
    env.mark("ping reply dispatched after channels and onMessage");
    s.ping(env.record("ping"));
    const ref = env.server.lastFrame()[1];
    env.server.message([null, ref, "room", "ev", {n: 2}]);
  },

  "S32-transport-error-order"(env) {
    const s = env.socket();
    s.onError(env.record("user error 1"));
    const a = env.joined(s, "a");
    a.onError(env.record("a onError"));
    s.onError(env.record("user error 2"));
    const b = s.channel("b");
    b.onError(env.record("b onError (closed, not errored)"));
    env.server.error();
    env.snapChannel("a", a);
    env.mark("close after error: channels not errored twice");
    env.server.close({code: 1006});
    env.clock.advance(10);
  },

  "S33-transport-close-order-and-reconnect"(env) {
    const s = env.socket();
    s.onClose(env.record("user close 1"));
    const a = env.joined(s, "a");
    a.onError(env.record("a onError"));
    s.onClose(env.record("user close 2"));
    env.server.close({code: 1000, reason: "server normal", wasClean: true});
    env.snapSocket("s", s);
    env.clock.advance(10);
    env.server.open();
    env.snapChannel("a rejoining", a);
    env.server.replyTo("phx_join", "a", "ok", {});
    env.snapChannel("a joined", a);
  },

  "S34-heartbeat-send-reply-and-timeout"(env) {
    const s = env.socket();
    s.onMessage(env.record("onMessage"));
    const a = env.joined(s, "a");
    a.onError(env.record("a onError"));
    env.clock.advance(30000);
    env.snap("pendingHeartbeatRef", s.pendingHeartbeatRef);
    env.clock.advance(500);
    env.server.replyLast("ok", {});
    env.snap("pendingHeartbeatRef after reply", s.pendingHeartbeatRef);
    env.mark("next heartbeat 30000 after the reply");
    env.clock.advance(30000);
    env.mark("no reply: timeout");
    env.clock.advance(30000);
    env.clock.advance(200);
    env.server.open();
    env.snapChannel("a", a);
  },

  "S34-heartbeat-custom-interval-and-skipHeartbeat"(env) {
    const s = env.socket({heartbeatIntervalMs: 100});
    s.connect();
    env.server.ws.skipHeartbeat = true;
    env.server.open();
    env.clock.advance(1000);
    env.mark("second connection without skipHeartbeat");
    s.disconnect();
    s.connect();
    env.server.open();
    env.clock.advance(100);
    env.server.message([null, env.server.lastFrame()[1], "whatever", "phx_reply", {status: "ok", response: {}}]);
    env.clock.advance(100);
  },

  "S34-heartbeat-reply-is-any-message-with-that-ref"(env) {
    const s = env.socket({heartbeatIntervalMs: 1000});
    open(env, s);
    env.clock.advance(1000);
    const ref = env.server.lastFrame()[1];
    env.server.message(["5", ref, "some:topic", "custom", {x: 1}]);
    env.clock.advance(1999);
    env.snapSocket("s", s);
  },

  "S35-fails-before-open-backoff-table"(env) {
    const s = env.socket();
    s.onError(env.record("onError"));
    s.onClose(env.record("onClose"));
    const ch = s.channel("a");
    ch.join();
    ch.onError(env.record("ch onError"));
    s.connect();
    for (let i = 0; i < 11; i++) {
      env.mark(`attempt ${i + 1} fails`);
      env.server.error();
      env.server.close({code: 1006, reason: "", wasClean: false});
      env.snapChannel("ch", ch);
      env.clock.runAll(3);
    }
    env.server.open();
    env.snapChannel("ch after open", ch);
    env.server.close({code: 1006});
    env.mark("tries reset after open");
    env.clock.runAll(3);
  },

  "S35-custom-reconnectAfterMs-gets-tries"(env) {
    const s = env.socket({reconnectAfterMs: env.record("reconnectAfterMs", (t) => t * 100)});
    s.connect();
    for (let i = 0; i < 3; i++) {
      env.server.close({code: 1006});
      env.clock.runAll(3);
    }
  },

  "S-stale-connection-events-ignored"(env) {
    const s = env.socket();
    s.onOpen(env.record("onOpen"));
    s.onClose(env.record("onClose"));
    s.onError(env.record("onError"));
    s.onMessage(env.record("onMessage"));
    s.connect();
    const old = env.server;
    old.closeDelay = null;
    s.disconnect();
    s.connect();
    env.mark("events from the replaced transport");
    old.open();
    old.message([null, null, "t", "e", {}]);
    old.error();
    old.finishClose({code: 1000, reason: "", wasClean: true});
    env.mark("current transport");
    env.servers[1].open();
    env.snapSocket("s", s);
  },

  "S-message-on-closing-connection-dropped"(env) {
    const s = env.socket();
    s.onMessage(env.record("onMessage"));
    open(env, s);
    env.server.closeDelay = null;
    s.disconnect();
    env.server.message([null, null, "t", "while closing", {}]);
    env.clock.advance(1000);
  },
};
