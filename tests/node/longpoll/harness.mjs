// Differential harness for the LongPoll transport: the same scripted HTTP conversation is held
// with npm phoenix@1.8.16's LongPoll and with ours (Node: fetch + AbortController, no XHR), and
// the two traces (requests as the server saw them, transport events, console output) must be
// equal.
//
// The server holds every request until the scenario answers it, so the conversation is decided
// by the scenario, not by timing: `await ctx.req("GET")` takes the oldest unanswered GET (and
// records it), `r.respond(body)` answers it.
import http from "node:http";

const WAIT_MS = 3000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class ScriptedServer {
  // statics: {"/path": {body, type}} answered at once (GET, any query), everything else is held
  constructor({statics = {}} = {}) {
    this.statics = statics;
    this.pending = [];
    this.waiters = [];
    this.sockets = new Set();
  }

  async start() {
    this.server = http.createServer((req, res) => {
      const file = req.method === "GET" && this.statics[req.url.split("?")[0]];
      if (file) {
        res.writeHead(200, {"content-type": file.type, "cache-control": "no-store"});
        res.end(file.body);
        return;
      }
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        const r = {
          method: req.method,
          url: req.url,
          headers: {...req.headers},
          body: chunks.length ? Buffer.concat(chunks).toString("utf8") : null,
          res,
          answered: false,
          aborted: false,
        };
        r.abortedPromise = new Promise((resolve) => {
          res.on("close", () => {
            if (!r.answered) {
              r.aborted = true;
              this.pending = this.pending.filter((p) => p !== r);
            }
            resolve(r.aborted);
          });
        });
        this.pending.push(r);
        this.wake();
      });
    });
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    await new Promise((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = this.server.address().port;
    return this;
  }

  wake() {
    for (const w of [...this.waiters]) w();
  }

  // the oldest unanswered request with this method
  async next(method) {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const i = this.pending.findIndex((p) => p.method === method);
      if (i >= 0) return this.pending.splice(i, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${method} request within ${WAIT_MS} ms`);
      await new Promise((resolve) => {
        const w = () => {
          clearTimeout(t);
          this.waiters = this.waiters.filter((x) => x !== w);
          resolve();
        };
        const t = setTimeout(w, left);
        this.waiters.push(w);
      });
    }
  }

  respond(r, body, {httpStatus = 200} = {}) {
    r.answered = true;
    r.res.writeHead(httpStatus, {"content-type": "application/json; charset=utf-8", "cache-control": "no-store"});
    r.res.end(typeof body === "string" ? body : JSON.stringify(body));
  }

  // the connection of a request dies without an answer (a network error for the client)
  kill(r) {
    r.answered = true;
    r.res.socket?.destroy();
  }

  async stop() {
    for (const r of this.pending) {
      r.answered = true;
      r.res.socket?.destroy();
    }
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

// Header values as the server saw them, without the per-run ones.
function headersOf(r) {
  const out = {};
  for (const [k, v] of Object.entries(r.headers).sort(([a], [b]) => a.localeCompare(b))) {
    if (k === "host" || k === "connection") continue;
    out[k] = v;
  }
  return out;
}

function closeFields(ev) {
  return {
    kind: ev.constructor === Object ? "plain object" : `${ev.constructor.name} ${ev.type}`,
    keys: Object.keys(ev),
    code: ev.code,
    reason: ev.reason === undefined ? "<undefined>" : ev.reason,
    wasClean: ev.wasClean,
  };
}

export async function runScenario(impl, scenario) {
  const server = await new ScriptedServer().start();
  const trace = [];
  const port = String(server.port);
  const scrub = (s) => (typeof s === "string" ? s.split(port).join("PORT") : s);
  const lps = [];
  const realLog = console.log;
  console.log = (...args) => trace.push(["console.log", ...args.map(scrub)]);
  const ctx = {
    impl,
    trace,
    server,
    url: `ws://127.0.0.1:${port}/socket/websocket?vsn=2.0.0`,
    endpoint: `ws://127.0.0.1:${port}/socket`,
    scrub,
    sleep,
    mark(text) {
      trace.push(["mark", text]);
    },
    // new LongPoll(url, protocols) with recording handlers
    create(protocols, {timeout = 5000, handlers = {}} = {}) {
      const lp = new impl.LongPoll(ctx.url, protocols);
      lps.push(lp);
      lp.timeout = timeout;
      const rec = (kind, fn) =>
        function (ev) {
          fn(ev);
          if (handlers[kind]) handlers[kind].call(this, ev, lp);
        };
      lp.onopen = rec("onopen", (ev) => trace.push(["open", ev]));
      lp.onerror = rec("onerror", (ev) => trace.push(["error", ev]));
      lp.onmessage = rec("onmessage", (ev) => trace.push(["message", ev.data, lp.reqs.size]));
      lp.onclose = rec("onclose", (ev) => trace.push(["close", closeFields(ev), lp.readyState]));
      trace.push([
        "created",
        {
          pollEndpoint: scrub(lp.pollEndpoint),
          authToken: lp.authToken,
          endPoint: lp.endPoint,
          token: lp.token,
          readyState: lp.readyState,
          skipHeartbeat: lp.skipHeartbeat,
        },
      ]);
      return lp;
    },
    // the next request of this method, recorded
    async req(method) {
      const r = await server.next(method);
      trace.push(["req", r.method, scrub(r.url), headersOf(r), r.body]);
      return {
        raw: r,
        respond: (body, opts) => server.respond(r, body, opts),
        kill: () => server.kill(r),
        aborted: async () => {
          const a = await Promise.race([r.abortedPromise, sleep(WAIT_MS).then(() => "not aborted")]);
          trace.push(["aborted", r.method, scrub(r.url), a]);
        },
      };
    },
    // waits until `n` entries of this kind are in the trace
    async until(kind, n = 1) {
      const deadline = Date.now() + WAIT_MS;
      while (trace.filter((e) => e[0] === kind).length < n) {
        if (Date.now() > deadline) throw new Error(`no ${n} x ${kind} within ${WAIT_MS} ms`);
        await sleep(2);
      }
    },
    // lets things settle, then records which requests are unanswered
    async quiet(ms = 60) {
      await sleep(ms);
      trace.push(["pending", server.pending.map((p) => `${p.method} ${scrub(p.url)}`)]);
    },
    snap(label, value) {
      trace.push(["snap", label, value]);
    },
  };
  try {
    await scenario(ctx);
  } catch (e) {
    trace.push(["scenario-threw", String(e && e.message)]);
  } finally {
    for (const lp of lps) {
      lp.onerror = () => {};
      lp.onclose = () => {};
      try {
        lp.close();
      } catch {}
    }
    await sleep(5);
    console.log = realLog;
    await server.stop();
  }
  return JSON.parse(JSON.stringify(trace, (k, v) => (v === undefined ? "<undefined>" : v)));
}
