// Differential test harness: runs a scenario against a Phoenix client implementation
// (phoenix.js or phoenix-wasm) with a fake clock and a scripted fake transport, and
// returns a deterministic trace of everything the client did that a user could observe.
//
// Only public members of the phoenix.js API and the undocumented ones apps can reach are
// touched, through ordinary property access, so the harness works for a client whose
// logic lives in WebAssembly.
//
// Trace entries are arrays, the first element is the category:
//   ["timer", "set", id, delay, "t=<now>"]   a setTimeout made by the client (ids are 1,2,3..)
//   ["timer", "clear", id]                   clearTimeout of a still-pending timer
//   ["timer", "fire", id, "t=<now>"]         the timer callback runs
//   ["ws#N", "new", url, protocols]          transport constructed
//   ["ws#N", "set", field, value]            client assigned binaryType/timeout/on* on it
//   ["ws#N", "send", frame]                  frame sent (string, or {"#bN": hex} for ArrayBuffer)
//   ["ws#N", "close", ...args]               client called close(...)
//   ["server", "ws#N", what, ...]            the scenario delivered a transport event
//   ["cb", label, ...args]                   a callback registered by the scenario ran
//   ["log", kind, msg, data]                 logger call
//   ["console", method, ...args]             console output made by the client
//   ["ret", label, value] / ["throw", label, error]   API calls made through env.call
//   ["snap", label, {...}]                   snapshot of public fields
//   ["mark", text]                           step separator written by the scenario
//   ["end", {pendingTimers}]                 end of scenario
//
// Values are serialised by `ser` (see below) with identity markers: the first time an
// object/function/ArrayBuffer appears it is written {"#o3": value}; every later appearance of
// the very same object is written {"=o3": value}. Objects the scenario names with
// env.track(name, obj) use that name instead of o3.

const REAL = {
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  setInterval: globalThis.setInterval,
  clearInterval: globalThis.clearInterval,
  setImmediate: globalThis.setImmediate,
  DateNow: Date.now,
  console: {...console},
};

export const CLOCK_START = 1_000_000;

export function hex(buf) {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join(" ");
}

export function bytes(...list) {
  // bytes(0x01, "ab", [3,4]) -> ArrayBuffer
  const out = [];
  for (const x of list) {
    if (typeof x === "number") out.push(x);
    else if (typeof x === "string") out.push(...new TextEncoder().encode(x));
    else out.push(...x);
  }
  return new Uint8Array(out).buffer;
}

// ---------------------------------------------------------------------------------------
// Serialisation with identity tracking

function makeSerializer() {
  const ids = new Map();
  const counters = {o: 0, f: 0, b: 0};
  function newId(prefix) {
    counters[prefix]++;
    return prefix + counters[prefix];
  }
  function ser(v, stack = []) {
    if (v === undefined) return "<undefined>";
    if (v === null) return null;
    const t = typeof v;
    if (t === "number") {
      if (Number.isNaN(v)) return "<NaN>";
      if (!Number.isFinite(v)) return `<${v}>`;
      if (Object.is(v, -0)) return "<-0>";
      return v;
    }
    if (t === "string" || t === "boolean") return v;
    if (t === "bigint") return `<bigint ${v}>`;
    if (t === "symbol") return `<${String(v)}>`;
    let id = ids.get(v);
    let mark;
    if (id) {
      mark = "=" + id;
    } else {
      id = newId(t === "function" ? "f" : v instanceof ArrayBuffer ? "b" : "o");
      ids.set(v, id);
      mark = "#" + id;
    }
    if (stack.includes(v)) return {[mark]: "<cycle>"};
    if (stack.length > 8) return {[mark]: "<deep>"};
    const inner = [...stack, v];
    let body;
    let extra = null;
    if (t === "function") {
      body = "<fn>";
    } else if (v instanceof ArrayBuffer) {
      body = hex(v);
    } else if (ArrayBuffer.isView(v)) {
      body = {[v.constructor.name]: hex(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength))};
    } else if (v instanceof Error) {
      body = {error: v.name, message: v.message};
    } else if (Array.isArray(v)) {
      body = v.map((x) => ser(x, inner));
    } else {
      const proto = Object.getPrototypeOf(v);
      if (proto === Object.prototype || proto === null) {
        body = {};
        for (const k of Object.keys(v)) body[k] = ser(v[k], inner);
        if (proto === null) extra = {nullProto: true};
      } else {
        body = "<object>";
      }
    }
    return extra ? {[mark]: body, ...extra} : {[mark]: body};
  }
  return {
    ser,
    name(obj, name) {
      if (obj !== null && (typeof obj === "object" || typeof obj === "function") && !ids.has(obj)) {
        ids.set(obj, name);
      }
      return obj;
    },
  };
}

// ---------------------------------------------------------------------------------------
// Fake clock

export class FakeClock {
  constructor(trace) {
    this.trace = trace;
    this.now = CLOCK_START;
    this.timers = new Map(); // id -> {id, deadline, seq, fn, internal}
    this.nextId = 1;
    this.seq = 0;
    this.onThrow = null;
  }
  t() {
    return `t=${this.now - CLOCK_START}`;
  }
  setTimeout(fn, delay, ...args) {
    const id = this.nextId++;
    let d = Number(delay);
    if (!(d > 0)) d = 0;
    this.trace.push(["timer", "set", id, this.ser(delay), this.t()]);
    this.timers.set(id, {id, deadline: this.now + d, seq: this.seq++, fn: () => fn(...args), internal: false});
    return id;
  }
  clearTimeout(id) {
    // only cancelling a timer that is still pending is observable
    if (typeof id === "number" && this.timers.has(id) && !this.timers.get(id).internal) {
      this.timers.delete(id);
      this.trace.push(["timer", "clear", id]);
    }
  }
  // harness-internal task (e.g. delivering a close event); not a client timer
  schedule(delay, fn) {
    const id = `internal${this.seq}`;
    this.timers.set(id, {id, deadline: this.now + delay, seq: this.seq++, fn, internal: true});
    return id;
  }
  nextTimer(limit = Infinity) {
    let best = null;
    for (const t of this.timers.values()) {
      if (t.deadline > limit) continue;
      if (!best || t.deadline < best.deadline || (t.deadline === best.deadline && t.seq < best.seq)) best = t;
    }
    return best;
  }
  fire(t) {
    this.timers.delete(t.id);
    this.now = Math.max(this.now, t.deadline);
    if (!t.internal) this.trace.push(["timer", "fire", t.id, this.t()]);
    try {
      t.fn();
    } catch (e) {
      this.trace.push(["throw", t.internal ? "internal-task" : `timer#${t.id}`, this.onThrow(e)]);
    }
  }
  advance(ms) {
    const target = this.now + ms;
    let guard = 0;
    for (let t = this.nextTimer(target); t; t = this.nextTimer(target)) {
      this.fire(t);
      if (++guard > 10000) throw new Error("clock.advance: too many timers");
    }
    this.now = target;
  }
  // fire the earliest pending timer(s), at most `limit` of them
  runAll(limit = 100) {
    for (let i = 0; i < limit; i++) {
      const t = this.nextTimer();
      if (!t) return;
      this.fire(t);
    }
    if (this.nextTimer()) this.trace.push(["clock", "runAll limit reached", limit]);
  }
  next() {
    const t = this.nextTimer();
    if (t) this.fire(t);
  }
  pending() {
    return [...this.timers.values()]
      .filter((t) => !t.internal)
      .sort((a, b) => a.deadline - b.deadline || a.seq - b.seq)
      .map((t) => [t.id, `due t=${t.deadline - CLOCK_START}`]);
  }
}

// ---------------------------------------------------------------------------------------
// Fake transport

function makeTransportClass(env) {
  // the class name matters: the socket logs `transport.name`
  const FIELDS = ["binaryType", "timeout", "onopen", "onerror", "onmessage", "onclose"];
  class WebSocket {
    constructor(url, protocols) {
      const n = env.servers.length + 1;
      this._label = `ws#${n}`;
      this._fields = {};
      this.readyState = 0;
      this.bufferedAmount = 0;
      this._sent = [];
      env.ser.name(this, this._label);
      env.trace.push([this._label, "new", env.s(url), env.s(protocols)]);
      const server = new ServerSide(env, this);
      env.servers.push(server);
      if (env.onTransportConstruct) env.onTransportConstruct(this, server);
    }
    send(data) {
      const frame = typeof data === "string" ? data : data instanceof ArrayBuffer ? {bin: hex(data)} : env.s(data);
      this._sent.push(data);
      env.trace.push([this._label, "send", frame]);
      if (this.readyState !== 1) env.trace.push([this._label, "send-while-not-open", this.readyState]);
    }
    close(...args) {
      env.trace.push([this._label, "close", ...args.map((a) => env.s(a))]);
      const srv = env.servers.find((s) => s.ws === this);
      srv._clientClose(args);
    }
  }
  for (const f of FIELDS) {
    Object.defineProperty(WebSocket.prototype, f, {
      configurable: true,
      enumerable: true,
      get() {
        return this._fields[f];
      },
      set(v) {
        this._fields[f] = v;
        env.trace.push([this._label, "set", f, typeof v === "function" ? "<fn>" : env.s(v)]);
      },
    });
  }
  WebSocket.CONNECTING = 0;
  WebSocket.OPEN = 1;
  WebSocket.CLOSING = 2;
  WebSocket.CLOSED = 3;
  return WebSocket;
}

export class ServerSide {
  constructor(env, ws) {
    this.env = env;
    this.ws = ws;
    this.label = ws._label;
    // when the client calls close(): deliver the close event after this many ms (null: never,
    // the scenario calls finishClose() itself)
    this.closeDelay = env.closeDelay;
    this.evN = 0;
  }
  _rec(...what) {
    this.env.trace.push(["server", this.label, ...what]);
  }
  _dispatch(handler, ev, what, opts = {}) {
    const h = this.ws._fields[handler];
    if (typeof h !== "function") {
      this._rec(what, "no handler");
      return;
    }
    try {
      h.call(this.ws, ev);
    } catch (e) {
      this.env.trace.push(["throw", `${this.label}.${handler}`, this.env.errS(e, opts)]);
    }
  }
  _clientClose(args) {
    const wasConnecting = this.ws.readyState === 0;
    if (this.ws.readyState >= 2) return;
    this.ws.readyState = 2;
    const [code, reason] = args;
    const deliver = () => {
      if (this.ws.readyState === 3) return;
      if (wasConnecting) {
        // like a browser: closing a connecting WebSocket emits error, then close 1006
        this.ws.readyState = 3;
        this._rec("error (closed while connecting)");
        this._dispatch("onerror", this.env.ser.name({type: "error"}, `errorEvent-${this.label}-${++this.evN}`), "error");
        this._rec("close (closed while connecting)");
        this._dispatch("onclose", this._closeEvent({code: 1006, reason: "", wasClean: false}), "close");
        return;
      }
      this.finishClose({code: code === undefined ? 1005 : code, reason: reason === undefined ? "" : reason, wasClean: true});
    };
    if (this.closeDelay !== null && this.closeDelay !== undefined) this.env.clock.schedule(this.closeDelay, deliver);
    this._pendingClose = deliver;
  }
  _closeEvent(fields) {
    return this.env.ser.name({...fields}, `closeEvent-${this.label}-${++this.evN}`);
  }
  // deliver the close event of a client-initiated close now
  finishClose(fields) {
    if (!fields) {
      if (this._pendingClose) this._pendingClose();
      return;
    }
    this.ws.readyState = 3;
    this._rec("close", fields.code, fields.reason);
    this._dispatch("onclose", this._closeEvent(fields), "close");
  }
  open() {
    this.ws.readyState = 1;
    this._rec("open");
    this._dispatch("onopen", {type: "open"}, "open");
  }
  message(frame, opts = {}) {
    let data = frame;
    if (Array.isArray(frame) || (frame && typeof frame === "object" && !(frame instanceof ArrayBuffer))) data = JSON.stringify(frame);
    if (data instanceof ArrayBuffer) {
      this.env.ser.name(data, `inFrame-${this.label}-${++this.evN}`);
      this._rec("message", {bin: hex(data)});
    } else {
      this._rec("message", data);
    }
    this._dispatch("onmessage", {data}, "message", opts);
  }
  error(err) {
    const ev = err === undefined ? {type: "error"} : err;
    this.env.ser.name(ev, `errorEvent-${this.label}-${++this.evN}`);
    this._rec("error");
    this._dispatch("onerror", ev, "error");
  }
  close({code = 1000, reason = "", wasClean = true} = {}) {
    this.ws.readyState = 3;
    this._rec("close", code, reason);
    this._dispatch("onclose", this._closeEvent({code, reason, wasClean}), "close");
  }
  // all frames the client sent over this transport, decoded (binary frames stay ArrayBuffers)
  frames() {
    return this.ws._sent.map((d) => (typeof d === "string" ? JSON.parse(d) : d));
  }
  lastFrame() {
    const f = this.frames();
    return f[f.length - 1];
  }
  // last frame with this event (and topic, if given)
  find(event, topic) {
    const f = this.frames().filter((m) => Array.isArray(m) && m[3] === event && (topic === undefined || m[2] === topic));
    if (!f.length) throw new Error(`scenario: no frame ${event} ${topic || ""}`);
    return f[f.length - 1];
  }
  // v2 reply to a received frame
  reply(frame, status = "ok", response = {}) {
    const [joinRef, ref, topic] = frame;
    this.message([joinRef, ref, topic, "phx_reply", {status, response}]);
  }
  replyTo(event, topic, status = "ok", response = {}) {
    this.reply(this.find(event, topic), status, response);
  }
  replyLast(status = "ok", response = {}) {
    this.reply(this.lastFrame(), status, response);
  }
  get readyState() {
    return this.ws.readyState;
  }
}

// ---------------------------------------------------------------------------------------
// Scenario runner

export const ENDPOINT = "ws://example.com/socket";

export async function runScenario(impl, scenario, {name = scenario.name} = {}) {
  const trace = [];
  const serializer = makeSerializer();
  const env = {
    impl,
    name,
    trace,
    servers: [],
    closeDelay: 0,
    ser: serializer,
    s: (v) => serializer.ser(v),
  };
  env.errS = (e, opts = {}) => {
    if (e instanceof Error && opts.loose) return {error: e.name};
    return env.s(e);
  };
  const clock = new FakeClock(trace);
  clock.ser = env.s;
  clock.onThrow = (e) => env.errS(e);
  env.clock = clock;
  env.transport = makeTransportClass(env);
  serializer.name(env.transport, "Transport");
  if (impl.LongPoll) serializer.name(impl.LongPoll, "LongPoll");
  Object.defineProperty(env, "server", {
    get() {
      if (!env.servers.length) throw new Error("scenario: no transport constructed yet");
      return env.servers[env.servers.length - 1];
    },
  });
  Object.assign(env, {
    Socket: impl.Socket,
    Channel: impl.Channel,
    Serializer: impl.Serializer,
    LongPoll: impl.LongPoll,
    Presence: impl.Presence,
    ENDPOINT,
    bytes,
    hex,
    track(nameOf, obj) {
      return serializer.name(obj, nameOf);
    },
    mark(text) {
      trace.push(["mark", text]);
    },
    // a callback that records its arguments, then runs `fn` (if given) and returns its result
    record(label, fn) {
      return function (...args) {
        trace.push(["cb", label, ...args.map((a) => env.s(a))]);
        if (fn) return fn.apply(this, args);
      };
    },
    logger(kind, msg, data) {
      // arity is observable only through `arguments`; record what we got
      trace.push(["log", env.s(kind), env.s(msg), env.s(data)]);
    },
    // call an API, record its return value or the exception it throws
    call(label, fn, opts = {}) {
      try {
        const r = fn();
        if (!opts.noRet) trace.push(["ret", label, env.s(r)]);
        return r;
      } catch (e) {
        trace.push(["throw", label, env.errS(e, opts)]);
        return undefined;
      }
    },
    // an Error for user callbacks to throw; named so its identity shows in the trace
    boom(text = "boom") {
      return serializer.name(new Error(text), `boom:${text}`);
    },
    snap(label, value) {
      trace.push(["snap", label, env.s(typeof value === "function" ? value() : value)]);
    },
    snapSocket(label, socket) {
      trace.push([
        "snap",
        label,
        env.s({
          ref: socket.ref,
          connectionState: socket.connectionState(),
          isConnected: socket.isConnected(),
          sendBuffer: socket.sendBuffer.length,
          channels: socket.channels.length,
          closeWasClean: socket.closeWasClean,
          establishedConnections: socket.establishedConnections,
        }),
      ]);
    },
    snapChannel(label, ch) {
      trace.push([
        "snap",
        label,
        env.s({
          state: ch.state,
          joinRef: ch.joinRef(),
          joinedOnce: ch.joinedOnce,
          timeout: ch.timeout,
          bindings: ch.bindings.length,
          pushBuffer: ch.pushBuffer.length,
          inSocket: ch.socket.channels.indexOf(ch),
        }),
      ]);
    },
    snapPush(label, push) {
      trace.push([
        "snap",
        label,
        env.s({
          event: push.event,
          ref: push.ref,
          refEvent: push.refEvent,
          timeout: push.timeout,
          sent: push.sent,
          receivedResp: push.receivedResp,
          recHooks: push.recHooks.length,
        }),
      ]);
    },
    // new Socket(ENDPOINT, {transport, logger, ...opts}); pass logger: null for no logger
    socket(opts = {}, endPoint = ENDPOINT) {
      const o = {transport: env.transport, ...opts};
      if (!("logger" in opts)) o.logger = env.logger;
      if (o.logger === null) delete o.logger;
      return new impl.Socket(endPoint, o);
    },
    // socket connected and open, channel `topic` joined (join ok replied)
    joined(socket, topic = "room:lobby", params, {reply = {}} = {}) {
      const ch = params === undefined ? socket.channel(topic) : socket.channel(topic, params);
      ch.join();
      if (!socket.isConnected()) {
        socket.connect();
        env.server.open();
      }
      env.server.replyTo("phx_join", topic, "ok", reply);
      return ch;
    },
  });

  const stubs = [];
  env.stubGlobal = (key, value) => {
    stubs.push([key, Object.getOwnPropertyDescriptor(globalThis, key)]);
    Object.defineProperty(globalThis, key, {value, configurable: true, writable: true, enumerable: false});
  };

  // a fake XMLHttpRequest (LongPoll uses XHR when global.XMLHttpRequest exists); requests are
  // answered by the scenario, synchronously, with xhr.respond(req, body)
  env.installFakeXHR = () => {
    const ctl = {requests: []};
    class XMLHttpRequest {
      constructor() {
        this.label = `xhr#${ctl.requests.length + 1}`;
        this.readyState = 0;
        this.responseText = "";
        this._inFlight = false;
        ctl.requests.push(this);
        serializer.name(this, this.label);
      }
      open(method, url, async) {
        this.method = method;
        this.url = url;
        this.readyState = 1;
        trace.push([this.label, "open", method, url, env.s(async)]);
      }
      set timeout(v) {
        this._timeout = v;
        trace.push([this.label, "set", "timeout", env.s(v)]);
      }
      get timeout() {
        return this._timeout;
      }
      setRequestHeader(k, v) {
        trace.push([this.label, "header", k, v]);
      }
      send(body) {
        this._inFlight = true;
        this.body = body;
        trace.push([this.label, "send", env.s(body)]);
      }
      abort() {
        trace.push([this.label, "abort"]);
        if (this._inFlight) {
          // like a browser: the request errors synchronously with readyState 4 and no body
          this._inFlight = false;
          this.readyState = 4;
          this.responseText = "";
          if (typeof this.onreadystatechange === "function") this.onreadystatechange();
        }
      }
    }
    ctl.XMLHttpRequest = XMLHttpRequest;
    ctl.last = (method) => {
      const r = ctl.requests.filter((q) => q._inFlight && (!method || q.method === method));
      if (!r.length) throw new Error(`scenario: no pending ${method || ""} xhr`);
      return r[r.length - 1];
    };
    ctl.respond = (req, body) => {
      if (typeof req === "string" || req === undefined) req = ctl.last(req);
      req._inFlight = false;
      req.readyState = 4;
      req.responseText = typeof body === "string" ? body : JSON.stringify(body);
      trace.push(["xhr-server", req.label, "respond", req.responseText]);
      try {
        req.onreadystatechange();
      } catch (e) {
        trace.push(["throw", `${req.label}.onreadystatechange`, env.errS(e)]);
      }
    };
    // a browser XHR timeout: readystatechange (readyState 4, empty body) first, then timeout
    ctl.timeout = (req) => {
      if (typeof req === "string" || req === undefined) req = ctl.last(req);
      req._inFlight = false;
      req.readyState = 4;
      req.responseText = "";
      trace.push(["xhr-server", req.label, "timeout"]);
      for (const h of ["onreadystatechange", "ontimeout"]) {
        try {
          if (typeof req[h] === "function") req[h]();
        } catch (e) {
          trace.push(["throw", `${req.label}.${h}`, env.errS(e)]);
        }
      }
    };
    env.stubGlobal("XMLHttpRequest", XMLHttpRequest);
    return ctl;
  };
  env.fakeStorage = (initial = {}) => {
    const store = {...initial};
    return {
      getItem: env.record("sessionStorage.getItem", (k) => (k in store ? store[k] : null)),
      setItem: env.record("sessionStorage.setItem", (k, v) => {
        store[k] = String(v);
      }),
      store,
    };
  };

  // page lifecycle (only when preloaded with browser-globals.mjs)
  const browser = globalThis.__phxDiffBrowser;
  if (browser) {
    browser.listeners.length = 0;
    browser.onAdd = (target, type) => trace.push(["page", "addEventListener", target, type]);
    globalThis.document.visibilityState = "visible";
    env.page = {
      // a bubbling event dispatched at document also reaches window listeners, after document's
      dispatch(target, type, {bubbles = false} = {}) {
        trace.push(["page", "event", target, type]);
        const targets = target === "document" && bubbles ? ["document", "window"] : [target];
        const ls = targets.flatMap((t) => browser.listeners.filter((x) => x.target === t && x.type === type));
        for (const l of ls) {
          try {
            l.fn({type});
          } catch (e) {
            trace.push(["throw", `${target}.${type}`, env.errS(e)]);
          }
        }
      },
      setVisibility(v) {
        trace.push(["page", "visibilityState", v]);
        globalThis.document.visibilityState = v;
      },
      hide() {
        this.setVisibility("hidden");
        this.dispatch("document", "visibilitychange", {bubbles: true});
      },
      show() {
        this.setVisibility("visible");
        this.dispatch("document", "visibilitychange", {bubbles: true});
      },
    };
  }

  const consoleRec = (method) => (...args) => trace.push(["console", method, ...args.map((a) => env.s(a))]);
  globalThis.setTimeout = (fn, d, ...a) => clock.setTimeout(fn, d, ...a);
  globalThis.clearTimeout = (id) => clock.clearTimeout(id);
  globalThis.setInterval = (fn, d) => {
    trace.push(["timer", "setInterval", env.s(d)]);
    return clock.setTimeout(fn, d);
  };
  globalThis.clearInterval = (id) => clock.clearTimeout(id);
  Date.now = () => clock.now;
  for (const m of ["log", "warn", "error", "info", "debug"]) console[m] = consoleRec(m);

  // exceptions escaping into microtasks or real tasks (a client that defers callbacks) are
  // recorded instead of crashing the test run
  const saved = {};
  for (const ev of ["unhandledRejection", "uncaughtException"]) {
    saved[ev] = process.listeners(ev);
    process.removeAllListeners(ev);
    process.on(ev, (e) => trace.push(["uncaught", ev, env.errS(e)]));
  }
  try {
    try {
      await scenario(env);
    } catch (e) {
      trace.push(["scenario-threw", env.errS(e)]);
      if (process.env.PHX_DIFF_DEBUG) REAL.console.error(e);
    }
    // anything the client defers to microtasks or real macrotasks shows up after this point
    for (let i = 0; i < 3; i++) await new Promise((r) => REAL.setImmediate(r));
    trace.push(["end", {pendingTimers: clock.pending()}]);
  } finally {
    globalThis.setTimeout = REAL.setTimeout;
    globalThis.clearTimeout = REAL.clearTimeout;
    globalThis.setInterval = REAL.setInterval;
    globalThis.clearInterval = REAL.clearInterval;
    Date.now = REAL.DateNow;
    Object.assign(console, REAL.console);
    for (const ev of Object.keys(saved)) {
      process.removeAllListeners(ev);
      for (const l of saved[ev]) process.on(ev, l);
    }
    if (browser) browser.onAdd = null;
    for (const [key, desc] of stubs.reverse()) {
      if (desc) Object.defineProperty(globalThis, key, desc);
      else delete globalThis[key];
    }
  }
  return trace;
}

// ---------------------------------------------------------------------------------------
// Trace comparison

export function formatTrace(trace) {
  return "[\n" + trace.map((e) => "  " + JSON.stringify(e)).join(",\n") + "\n]\n";
}

// returns null when equal, else a readable first-difference report
export function diffTraces(expected, actual, {context = 6} = {}) {
  const E = expected.map((e) => JSON.stringify(e));
  const A = actual.map((e) => JSON.stringify(e));
  const n = Math.max(E.length, A.length);
  let i = 0;
  while (i < n && E[i] === A[i]) i++;
  if (i === n) return null;
  const lines = [];
  lines.push(`first difference at entry ${i} (expected ${E.length} entries, got ${A.length})`);
  for (let j = Math.max(0, i - context); j < i; j++) lines.push(`    ${j}: ${E[j]}`);
  lines.push(`  - expected ${i}: ${E[i] === undefined ? "<end of trace>" : E[i]}`);
  lines.push(`  + actual   ${i}: ${A[i] === undefined ? "<end of trace>" : A[i]}`);
  if (E[i] !== undefined && A[i] !== undefined) {
    let k = 0;
    while (k < E[i].length && E[i][k] === A[i][k]) k++;
    const from = Math.max(0, k - 50);
    lines.push(`  (at character ${k}: expected ...${E[i].slice(from, k + 40)}`);
    lines.push(`                      actual ...${A[i].slice(from, k + 40)})`);
  }
  lines.push("  expected continues:");
  for (let j = i + 1; j < Math.min(E.length, i + 1 + context); j++) lines.push(`    ${j}: ${E[j]}`);
  lines.push("  actual continues:");
  for (let j = i + 1; j < Math.min(A.length, i + 1 + context); j++) lines.push(`    ${j}: ${A[j]}`);
  return lines.join("\n");
}
