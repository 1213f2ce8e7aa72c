// The in-page half of bench/run.mjs. Served by the reference server next to phoenix.mjs
// (npm phoenix@1.8.16) and phoenix-wasm.mjs (a snapshot of dist/). One fresh tab per
// (round, implementation): the tab imports only that implementation, so the cold start is a
// real first import and the two clients never share a heap.
//
// Node drives every step through page.evaluate(window.bench.<step>(...)).

const URLS = { "phoenix.js": "/phoenix.mjs", "phoenix-wasm": "/phoenix-wasm.mjs", "candidate": "/phoenix-wasm-candidate.mjs" };

// The reference server's host:port (the page itself comes from a cross-origin-isolated static
// server, for 5 µs performance.now() resolution instead of 100 µs).
const WS_HOST = () => new URLSearchParams(location.search).get("ws");
let M = null; // the implementation's module namespace
let TOKEN = null;
const state = {};

function joined(ch, what = "join") {
  return new Promise((resolve, reject) => {
    ch.join()
      .receive("ok", resolve)
      .receive("error", (r) => reject(new Error(`${what} error ${JSON.stringify(r)}`)))
      .receive("timeout", () => reject(new Error(`${what} timeout`)));
  });
}

function openSocket(opts = {}) {
  const socket = new M.Socket(`ws://${WS_HOST()}/socket`, { params: { token: TOKEN }, ...opts });
  const opened = new Promise((resolve, reject) => {
    socket.onOpen(resolve);
    socket.onError((e) => reject(new Error(`socket error ${e && e.type}`)));
  });
  socket.connect();
  return { socket, opened };
}

function close(socket) {
  return new Promise((resolve) => {
    let done = false;
    const finish = () => { if (!done) { done = true; resolve(); } };
    socket.disconnect(finish);
    setTimeout(finish, 1000);
  });
}

// A WebSocket whose `onmessage` handler is timed: the CPU the client itself spends per frame
// (decode, routing, bindings, the benchmark's callback), apart from Chromium's delivery. Both
// clients take it through their `transport` option and set `onmessage` as a property.
const handlerTime = { ms: 0, n: 0 };
class TimedWebSocket extends WebSocket {
  set onmessage(f) {
    super.onmessage = typeof f === "function"
      ? (e) => {
        const t = performance.now();
        try {
          return f.call(this, e);
        } finally {
          handlerTime.ms += performance.now() - t;
          handlerTime.n++;
        }
      }
      : f;
  }
  get onmessage() {
    return super.onmessage;
  }
}

const wasmBytes = () => (typeof M.Socket.__wasmMemoryBytes === "function" ? M.Socket.__wasmMemoryBytes() : 0);

window.bench = {
  // 6. Cold start: dynamic import of the module (fetch, parse, wasm compile + instantiate), then
  // new Socket, connect, join: until the first join reply. The token is fetched before t0 (an
  // app has it in the page already). `nonce` makes the module URL unique: no HTTP or code cache.
  async cold(impl, token, nonce, topic) {
    TOKEN = token;
    const t0 = performance.now();
    M = await import(`${URLS[impl]}?cold=${nonce}`);
    const t1 = performance.now();
    const { socket } = openSocket();
    await joined(socket.channel(topic, {}));
    const t2 = performance.now();
    await close(socket);
    return { importMs: t1 - t0, firstJoinMs: t2 - t0, wasmBytes: wasmBytes() };
  },

  // 4. N channels on one socket. setup opens the socket (Node then takes a GC'd heap
  // snapshot), joinAll joins every channel at once and resolves on the last join reply.
  async channelsSetup() {
    const { socket, opened } = openSocket();
    await opened;
    state.channels = { socket, list: [] };
    return { wasmBytes: wasmBytes() };
  },
  async channelsJoinAll(n, prefix) {
    const s = state.channels;
    const t0 = performance.now();
    const all = [];
    for (let i = 0; i < n; i++) {
      const ch = s.socket.channel(`${prefix}${i}`, {});
      s.list.push(ch);
      all.push(joined(ch));
    }
    await Promise.all(all);
    const ms = performance.now() - t0;
    return { ms, joined: s.list.filter((c) => c.state === "joined").length, wasmBytes: wasmBytes() };
  },
  async channelsTeardown() {
    await close(state.channels.socket);
    state.channels = null;
  },

  // 3. Sequential push → reply round trips: `ping` echoes its payload. `warmup` more first,
  // not counted.
  async rtt(n, warmup, topic) {
    const { socket } = openSocket();
    const ch = socket.channel(topic, {});
    await joined(ch);
    const times = new Float64Array(n);
    const t0 = performance.now();
    await new Promise((resolve, reject) => {
      let i = -warmup;
      let t = 0;
      const next = () => {
        if (i === n) return resolve();
        t = performance.now();
        ch.push("ping", { n: i, body: "ping" })
          .receive("ok", () => {
            if (i >= 0) times[i] = performance.now() - t;
            i++;
            next();
          })
          .receive("error", (r) => reject(new Error(`ping error ${JSON.stringify(r)}`)))
          .receive("timeout", () => reject(new Error("ping timeout")));
      };
      next();
    });
    const totalMs = performance.now() - t0;
    await close(socket);
    const sorted = Array.from(times).sort((a, b) => a - b);
    const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    return { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: sorted[sorted.length - 1], totalMs };
  },

  // 2. Inbound dispatch. setup joins the topic and counts `shout`s in an `on` callback; Node
  // then blocks this page (block) while a raw WebSocket client pushes every `shout`, so the
  // messages queue up (server outbound queue, TCP, the browser) and the time measured after
  // the block is the client's own dispatch, not the producer's pace.
  // `others` more channels joined first on the same socket (topics `${otherPrefix}<i>`), each with
  // a `shout` binding that never fires: the many-channel variant of the benchmark.
  async dispatchSetup(n, topic, others = 0, otherPrefix = "") {
    const { socket } = openSocket({ transport: TimedWebSocket });
    const extra = [];
    for (let i = 0; i < others; i++) {
      const c = socket.channel(`${otherPrefix}${i}`, {});
      c.on("shout", () => { throw new Error("a shout reached the wrong channel"); });
      extra.push(joined(c));
    }
    await Promise.all(extra);
    const ch = socket.channel(topic, {});
    await joined(ch);
    const d = { socket, count: 0, sum: 0, tFirst: 0, tEnd: 0, unblocked: 0, countAtUnblock: 0 };
    d.done = new Promise((resolve) => {
      ch.on("shout", (payload) => {
        d.sum += payload.n;
        if (++d.count === 1) d.tFirst = performance.now();
        if (d.count === n) {
          d.tEnd = performance.now();
          resolve();
        }
      });
    });
    state.dispatch = d;
    return true;
  },
  // The floor for dispatch: a bare WebSocket whose onmessage JSON.parses each frame and counts
  // shouts (what any client has to do at least), same topic protocol (v2 JSON arrays).
  async rawDispatchSetup(n, topic, token) {
    const ws = new TimedWebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${WS_HOST()}/socket/websocket?token=${encodeURIComponent(token)}&vsn=2.0.0`);
    const d = { socket: { disconnect: (cb) => { ws.close(); cb(); } }, count: 0, sum: 0, tFirst: 0, tEnd: 0, unblocked: 0, countAtUnblock: 0 };
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error("raw websocket error"));
    });
    let joinedResolve;
    const joinedP = new Promise((r) => { joinedResolve = r; });
    d.done = new Promise((resolve) => {
      ws.onmessage = (e) => {
        const [, , , event, payload] = JSON.parse(e.data);
        if (event === "shout") {
          d.sum += payload.n;
          if (++d.count === 1) d.tFirst = performance.now();
          if (d.count === n) {
            d.tEnd = performance.now();
            resolve();
          }
        } else if (event === "phx_reply") joinedResolve();
      };
    });
    ws.send(JSON.stringify(["1", "1", topic, "phx_join", {}]));
    await joinedP;
    state.dispatch = d;
    return true;
  },
  block(ms) {
    const d = state.dispatch;
    const before = d.count;
    const end = performance.now() + ms;
    while (performance.now() < end) { /* the page is busy: frames queue up */ }
    d.unblocked = performance.now();
    handlerTime.ms = 0;
    handlerTime.n = 0;
    d.countAtUnblock = d.count;
    return { countBefore: before };
  },
  async dispatchWait(n, timeoutMs) {
    const d = state.dispatch;
    const timer = new Promise((resolve) => setTimeout(resolve, timeoutMs, "timeout"));
    const r = await Promise.race([d.done, timer]);
    await close(d.socket);
    state.dispatch = null;
    if (r === "timeout") return { error: `only ${d.count} of ${n} shouts in ${timeoutMs} ms` };
    const expectedSum = (n * (n - 1)) / 2;
    return {
      handlerMs: handlerTime.ms,
      handlerCalls: handlerTime.n,
      ms: d.tEnd - d.unblocked,
      firstToLastMs: d.tEnd - d.tFirst,
      countAtUnblock: d.countAtUnblock,
      checksumOk: d.sum === expectedSum,
    };
  },

  // 5. Presence, with the workload of bench/presence/ (served as /presence-workload.mjs).
  async presence(members, diffs) {
    const wl = await import("/presence-workload.mjs");
    const data = wl.makeData({ members, diffs, keys: "string" });
    const r = wl.runOnce(M.Presence, data, "none", false);
    return { stateMs: r.stateMs, diffsMs: r.diffsMs, totalMs: r.totalMs, check: r.check, fingerprint: r.fingerprint };
  },

  wasmBytes,
};
