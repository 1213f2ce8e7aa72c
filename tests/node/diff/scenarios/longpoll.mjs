// LongPoll transport (LP) and the WebSocket -> LongPoll fallback (SO03, SO17, LG07), with a
// fake XMLHttpRequest answered synchronously by the scenario.

const WS = "ws://example.com/socket";

export default {
  // phoenix.js exposes its state as live fields: apps and test suites read `reqs` (a Set of
  // {req}), push onto or splice `batchBuffer` / `currentBatch`, flip `awaitingBatchAck`; and the
  // handlers run with `this` being the LongPoll.
  "LP-live-fields-and-this-in-handlers"(env) {
    const xhr = env.installFakeXHR();
    const lp = new env.LongPoll(`${WS}/websocket?vsn=2.0.0`, ["phoenix", `base64url.bearer.phx.${btoa("tok")}`]);
    env.track("lp", lp);
    lp.timeout = 500;
    for (const h of ["onopen", "onerror", "onmessage", "onclose"]) {
      lp[h] = env.record(h, function () {
        env.snap(`${h}: this === lp`, this === lp);
      });
    }
    const reqs = lp.reqs;
    env.snap("fields", {authToken: lp.authToken, pollEndpoint: lp.pollEndpoint, endPoint: lp.endPoint, token: lp.token, readyState: lp.readyState, skipHeartbeat: lp.skipHeartbeat, reqs: reqs.size, isActive: lp.isActive()});
    env.clock.advance(0);
    env.snap("first poll: reqs is live", {same: lp.reqs === reqs, reqs: [...reqs].map((r) => r.req)});
    xhr.respond("GET", {status: 410, token: "T1"});
    env.snap("open", {same: lp.reqs === reqs, reqs: reqs.size, token: lp.token, readyState: lp.readyState, url: lp.endpointURL()});

    env.mark("send opens a batch; the app pushes onto the live currentBatch");
    lp.send("a");
    const batch = lp.currentBatch;
    batch.push("pushed-by-app");
    env.snap("currentBatch", {batch: lp.currentBatch, same: lp.currentBatch === batch, timer: lp.currentBatchTimer !== null});
    env.clock.advance(0);
    env.snap("posted", {currentBatch: lp.currentBatch, awaitingBatchAck: lp.awaitingBatchAck, reqs: lp.reqs.size});

    env.mark("sends while awaiting the ack land in the live batchBuffer; the app edits it");
    const buffer = lp.batchBuffer;
    lp.send("b");
    lp.send("c");
    env.snap("batchBuffer", {same: lp.batchBuffer === buffer, buffer});
    buffer.push("d");
    buffer.splice(0, 1);
    xhr.respond("POST", {status: 200});
    env.snap("after the ack", {buffer: lp.batchBuffer, replaced: lp.batchBuffer !== buffer, old: buffer, awaitingBatchAck: lp.awaitingBatchAck});
    env.mark("a buffer assigned by the app is posted with the next ack");
    lp.batchBuffer = ["x", "y"];
    xhr.respond("POST", {status: 200});
    env.snap("after the second ack", {buffer: lp.batchBuffer, awaitingBatchAck: lp.awaitingBatchAck});
    xhr.respond("POST", {status: 200});
    env.snap("done", {awaitingBatchAck: lp.awaitingBatchAck});

    env.mark("the app sets awaitingBatchAck: sends are buffered, not batched");
    lp.awaitingBatchAck = true;
    lp.send("e");
    env.snap("buffered", {buffer: lp.batchBuffer, currentBatch: lp.currentBatch});
    lp.awaitingBatchAck = false;
    lp.send("f");
    env.clock.advance(0);

    env.mark("messages: onmessage runs with this === lp");
    xhr.respond("GET", {status: 200, token: "T2", messages: ["m1", "m2"]});
    env.snap("messageTimers", lp.messageTimers.size);
    env.clock.advance(0);

    env.mark("a request the app deletes from the live reqs is no longer ours: its response is ignored");
    const get = [...lp.reqs].find((r) => r.req.method === "GET");
    lp.reqs.delete(get);
    xhr.respond("GET", {status: 200, token: "T3", messages: ["ignored"]});
    env.clock.advance(0);
    env.snap("ignored", {token: lp.token, reqs: lp.reqs.size});

    env.mark("a failed POST: onerror and onclose with this === lp; an app-added request is aborted");
    lp.reqs.add({req: {abort: env.record("app req abort")}});
    xhr.respond("POST", {status: 500});
    env.snap("after failure", {readyState: lp.readyState, reqs: lp.reqs.size, replaced: lp.reqs !== reqs, old: reqs.size, buffer: lp.batchBuffer, isActive: lp.isActive()});
    lp.close(1000, "bye");
    env.snap("closed", {readyState: lp.readyState, isActive: lp.isActive()});
  },

  // The same live fields on the transport a Socket makes (`socket.conn`).
  "LP-socket-conn-live-batchBuffer"(env) {
    const xhr = env.installFakeXHR();
    const s = new env.Socket(WS, {transport: env.LongPoll, logger: env.logger});
    s.connect();
    const conn = s.conn;
    env.snap("conn", {isLongPoll: conn instanceof env.LongPoll, timeout: conn.timeout, skipHeartbeat: conn.skipHeartbeat});
    env.clock.advance(0);
    xhr.respond("GET", {status: 410, token: "T"});
    env.clock.advance(0);
    s.push({topic: "t", event: "a", payload: {}, ref: "1"});
    env.clock.advance(0);
    s.push({topic: "t", event: "b", payload: {}, ref: "2"});
    conn.batchBuffer.push(JSON.stringify([null, "9", "t", "from-app", {}]));
    env.snap("batchBuffer", conn.batchBuffer);
    xhr.respond("POST", {status: 200});
    env.snap("posted", xhr.last("POST").body);
    xhr.respond("POST", {status: 200});
    s.disconnect();
    env.clock.advance(1000);
  },
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
