// LongPoll transport (LP) and the WebSocket -> LongPoll fallback (SO03, SO17, LG07), with a
// fake XMLHttpRequest answered synchronously by the scenario.

const WS = "ws://example.com/socket";

export default {
  "LP-handshake-poll-send-batch"(env) {
    const xhr = env.installFakeXHR();
    const s = new env.Socket(WS, {transport: env.LongPoll, logger: env.logger, authToken: "tok", params: {p: 1}});
    s.onOpen(env.record("onOpen"));
    s.onMessage(env.record("onMessage"));
    const ch = s.channel("room");
    ch.join().receive("ok", env.record("join ok"));
    s.connect();
    env.clock.advance(0);
    xhr.respond("GET", {status: 410, token: "T1", messages: []});
    env.snap("state", s.connectionState());
    env.clock.advance(0);
    xhr.respond("POST", {status: 200});
    const join = JSON.parse(xhr.requests.find((r) => r.method === "POST").body);
    env.mark("poll delivers messages, each in its own setTimeout(0), next GET first");
    xhr.respond("GET", {status: 200, token: "T2", messages: [JSON.stringify([join[0], join[1], "room", "phx_reply", {status: "ok", response: {}}]), JSON.stringify([null, null, "room", "ev", {n: 1}])]});
    env.clock.advance(0);
    env.mark("two pushes in one task -> one POST; a third while waiting for the ack -> second POST");
    ch.push("a", {});
    ch.push("b", env.bytes(1, 2));
    env.clock.advance(0);
    ch.push("c", {});
    xhr.respond("POST", {status: 200});
    xhr.respond("POST", {status: 200});
    xhr.respond("GET", {status: 204, token: "T2"});
    env.mark("disconnect aborts the pending GET");
    s.disconnect(env.record("disconnect cb"));
    env.clock.advance(1000);
  },

  "LP-error-statuses-and-reconnect"(env) {
    const xhr = env.installFakeXHR();
    const s = new env.Socket(WS, {transport: env.LongPoll, logger: env.logger});
    s.onError(env.record("onError"));
    s.onClose(env.record("onClose"));
    s.connect();
    env.clock.advance(0);
    xhr.respond("GET", {status: 410, token: "T1"});
    env.mark("410 with a token: session gone");
    xhr.respond("GET", {status: 410, token: "T9"});
    env.clock.runAll(2);
    xhr.respond("GET", {status: 410, token: "T2"});
    env.mark("403");
    xhr.respond("GET", {status: 403});
    env.clock.runAll(2);
    xhr.respond("GET", {status: 410, token: "T3"});
    env.mark("empty body -> 0 -> 500");
    xhr.respond("GET", "");
    env.clock.runAll(2);
    xhr.respond("GET", {status: 410, token: "T4"});
    env.mark("unparsable body: console message, then 0 -> 500");
    xhr.respond("GET", "<html>");
    env.clock.runAll(2);
    xhr.respond("GET", {status: 410, token: "T5"});
    env.mark("unknown status throws inside the XHR callback, polling stops");
    xhr.respond("GET", {status: 418, token: "T4"});
    env.snap("state", s.connectionState());
    env.mark("POST failure");
    s.disconnect();
    env.clock.advance(1000);
  },

  "SO03-fallback-on-error-before-open"(env) {
    const xhr = env.installFakeXHR();
    const storage = env.fakeStorage();
    const s = env.socket({longPollFallbackMs: 2500, sessionStorage: storage});
    s.onError(env.record("onError"));
    s.onOpen(env.record("onOpen"));
    const ch = s.channel("room");
    ch.join();
    s.connect();
    env.snap("stateChangeCallbacks", Object.keys(s.stateChangeCallbacks).map((k) => [k, s.stateChangeCallbacks[k].map(([r]) => r)]));
    env.server.error();
    env.snap("transport is LongPoll", s.transport === env.LongPoll);
    env.snap("fallback fields", {fallbackRef: s.fallbackRef, fallbackErrorRef: s.fallbackErrorRef, fallbackTimer: s.fallbackTimer, primaryPassedHealthCheck: s.primaryPassedHealthCheck});
    env.clock.advance(0);
    xhr.respond("GET", {status: 410, token: "T"});
    env.snap("store", storage.store);
    env.clock.advance(0);
    env.mark("reconnects keep using LongPoll");
    s.disconnect();
    env.clock.advance(1000);
    s.connect();
    env.clock.advance(0);
    xhr.respond("GET", {status: 410, token: "T2"});
  },

  "SO03-fallback-on-timer"(env) {
    const xhr = env.installFakeXHR();
    const storage = env.fakeStorage();
    const s = env.socket({longPollFallbackMs: 1000, sessionStorage: storage});
    s.connect();
    env.clock.advance(1000);
    env.clock.advance(0);
    xhr.respond("GET", {status: 410, token: "T"});
    env.snap("store", storage.store);
  },

  "SO03-primary-passes-health-check"(env) {
    env.installFakeXHR();
    const storage = env.fakeStorage();
    const s = env.socket({longPollFallbackMs: 1000, sessionStorage: storage});
    s.connect();
    env.server.open();
    env.clock.advance(500);
    env.server.replyLast("ok", {});
    env.snap("primaryPassedHealthCheck", s.primaryPassedHealthCheck);
    env.clock.advance(5000);
    env.mark("later error does not fall back");
    env.server.error();
    env.server.close({code: 1006});
    env.clock.advance(10);
    env.snap("transport", s.transport === env.transport);
  },

  "SO03-opens-but-no-ping-reply-falls-back"(env) {
    const xhr = env.installFakeXHR();
    const s = env.socket({longPollFallbackMs: 1000, sessionStorage: env.fakeStorage()});
    s.connect();
    env.server.open();
    env.clock.advance(1000);
    env.snap("transport is LongPoll", s.transport === env.LongPoll);
    env.clock.advance(0);
    xhr.respond("GET", {status: 410, token: "T"});
  },

  "SO03-memorized-fallback"(env) {
    const xhr = env.installFakeXHR();
    const storage = env.fakeStorage({"phx:fallback:LongPoll": "true"});
    const s = env.socket({longPollFallbackMs: 1000, sessionStorage: storage});
    s.connect();
    env.clock.advance(0);
    xhr.respond("GET", {status: 410, token: "T"});
  },

  "LP-batch-over-100-lines-and-timeout"(env) {
    const xhr = env.installFakeXHR();
    const s = new env.Socket(WS, {transport: env.LongPoll});
    s.onError(env.record("onError"));
    s.onClose(env.record("onClose"));
    s.connect();
    env.clock.advance(0);
    xhr.respond("GET", {status: 410, token: "T"});
    for (let i = 0; i < 101; i++) s.push({topic: "t", event: `e${i}`, payload: {}, ref: String(i)});
    env.clock.advance(0);
    env.snap("first POST lines", xhr.last("POST").body.split("\n").length);
    xhr.respond("POST", {status: 200});
    env.snap("second POST lines", xhr.last("POST").body.split("\n").length);
    xhr.respond("POST", {status: 200});
    env.mark("POST answered with an error status");
    s.push({topic: "t", event: "x", payload: {}, ref: "x"});
    env.clock.advance(0);
    xhr.respond("POST", {status: 410});
    env.clock.runAll(2);
    xhr.respond("GET", {status: 410, token: "T2"});
    env.mark("GET times out (XHR: readystatechange first)");
    xhr.timeout("GET");
    env.clock.runAll(2);
  },
};
