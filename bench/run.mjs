#!/usr/bin/env node
// Benchmarks (not tests): phoenix-wasm (dist/) against npm phoenix@1.8.16 in the same headless
// Chromium, against the same reference server, in the same run. Writes BENCHMARKS.md and
// bench/results.json.
//
//   npm run build && node bench/run.mjs          # full run (5 rounds, ~5-8 minutes on 2 cores)
//   node bench/run.mjs --quick                   # smoke: small sizes, 2 rounds, writes bench/results-quick.json only
//   node bench/run.mjs --rounds=7 --only=rtt,dispatch --no-md
//   node bench/run.mjs --profile=dispatch        # + a CDP CPU profile of each client on that benchmark
//
// Options: --rounds=N, --only=LIST (cold,channels,rtt,dispatch,presence), --out=FILE,
// --no-md (leave BENCHMARKS.md alone), --no-fanout (skip the server fan-out run),
// --profile=BENCH (writes bench/profiles/<bench>-<impl>.cpuprofile and a top-functions summary),
// --server=BIN (default target/bench/server/phoenix-server, built if missing with
// CARGO_TARGET_DIR=target/bench), --dist=FILE (default dist/phoenix-wasm.mjs).
//
// Each round opens one fresh tab per client, alternating which client goes first; a tab imports
// only its client (cold start), then runs channels → rtt → dispatch → presence. Reported:
// medians over rounds, min–max, and the ratio of medians phoenix-wasm / phoenix.js with the range
// of the per-round ratios.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../tests/browser/support.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");
const argv = Object.fromEntries(process.argv.slice(2).map((a) => {
  const [k, ...v] = a.replace(/^--/, "").split("=");
  return [k, v.length ? v.join("=") : true];
}));
const QUICK = Boolean(argv.quick);
const CANDIDATE = typeof argv.candidate === "string" ? path.resolve(ROOT, argv.candidate) : null;
// --candidate=FILE: a third client (another build of phoenix-wasm, e.g. with a fix), run in the
// same rounds; reported in the JSON as candidateSummary (candidate / phoenix.js and / phoenix-wasm).
const IMPLS = CANDIDATE ? ["phoenix.js", "phoenix-wasm", "candidate"] : ["phoenix.js", "phoenix-wasm"];
// A bare WebSocket + JSON.parse: the floor of the dispatch benchmark (Chromium's own cost).
const RAW = "raw WebSocket";
const CFG0 = QUICK
  ? { rounds: 2, dispatch: 10_000, rtt: 1_000, rttWarmup: 100, channels: 200, members: 1_000, diffs: 100, fanout: false }
  : { rounds: 5, dispatch: 100_000, rtt: 10_000, rttWarmup: 200, channels: 1_000, members: 10_000, diffs: 1_000, fanout: true };
const CFG = { ...CFG0 };
if (argv.rounds) CFG.rounds = Number(argv.rounds);
for (const k of ["dispatch", "rtt", "channels", "members", "diffs"]) if (argv[k]) CFG[k] = Number(argv[k]);
if (argv["no-fanout"]) CFG.fanout = false;
const ALL_BENCHES = ["cold", "channels", "rtt", "dispatch", "dispatchMany", "presence"];
const ONLY = argv.only ? String(argv.only).split(",") : ALL_BENCHES;
const PROFILE = typeof argv.profile === "string" ? argv.profile : null;
const OUT = path.resolve(ROOT, argv.out || (QUICK ? "bench/results-quick.json" : "bench/results.json"));
const WRITE_MD = !QUICK && !argv["no-md"];
const SERVER_BIN = path.resolve(ROOT, argv.server || "target/bench/server/phoenix-server");
const DIST = path.resolve(ROOT, argv.dist || "dist/phoenix-wasm.mjs");
const PHOENIX_DIR = path.join(ROOT, "node_modules/phoenix/priv/static");

const log = (...a) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x, d = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);

// ---------------------------------------------------------------------------------------------
// Preparation: the package, the server binary, a static dir for the page.

function ensureDist() {
  if (fs.existsSync(DIST)) return;
  log("dist/ missing: npm run build");
  const r = spawnSync("npm", ["run", "build"], { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) throw new Error("npm run build failed");
}

function ensureServer() {
  if (fs.existsSync(SERVER_BIN)) return;
  log(`${path.relative(ROOT, SERVER_BIN)} missing: cargo build -p phoenix-server --profile server`);
  const r = spawnSync("cargo", ["build", "-p", "phoenix-server", "--profile", "server", "--bin", "phoenix-server", "--example", "fanout"], {
    cwd: ROOT, stdio: "inherit", env: { ...process.env, CARGO_TARGET_DIR: path.join(ROOT, "target/bench") },
  });
  if (r.status !== 0) throw new Error("cargo build failed");
}

// The page's files are copied once, so a concurrent `npm run build` cannot change the client
// under test halfway through the run.
function staticDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-bench-static-"));
  fs.copyFileSync(DIST, path.join(dir, "phoenix-wasm.mjs"));
  if (CANDIDATE) fs.copyFileSync(CANDIDATE, path.join(dir, "phoenix-wasm-candidate.mjs"));
  fs.copyFileSync(path.join(PHOENIX_DIR, "phoenix.mjs"), path.join(dir, "phoenix.mjs"));
  fs.copyFileSync(path.join(HERE, "page.mjs"), path.join(dir, "page.mjs"));
  const workload = path.join(HERE, "presence", "workload.mjs");
  if (fs.existsSync(workload)) fs.copyFileSync(workload, path.join(dir, "presence-workload.mjs"));
  fs.writeFileSync(path.join(dir, "index.html"),
    `<!doctype html><meta charset=utf-8><title>phoenix-wasm bench</title><script type=module src="/page.mjs"></script>\n`);
  return dir;
}

// The page is served cross-origin isolated (COOP + COEP), which gives performance.now() 5 µs
// resolution in Chromium instead of 100 µs; the socket goes to the reference server (another
// loopback origin, which its origin check accepts).
async function servePage(dir) {
  const types = { ".html": "text/html; charset=utf-8", ".mjs": "text/javascript; charset=utf-8" };
  const server = http.createServer((req, res) => {
    const name = new URL(req.url, "http://x").pathname.slice(1) || "index.html";
    const file = path.join(dir, path.basename(name));
    if (name.includes("/") || !fs.existsSync(file)) {
      res.writeHead(name === "favicon.ico" ? 204 : 404).end();
      return;
    }
    res.writeHead(200, {
      "content-type": types[path.extname(file)] || "application/octet-stream",
      "cache-control": "no-store",
      "cross-origin-opener-policy": "same-origin",
      "cross-origin-embedder-policy": "require-corp",
    });
    res.end(fs.readFileSync(file));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { origin: `http://127.0.0.1:${server.address().port}`, close: () => { server.closeAllConnections?.(); server.close(); } };
}

async function startServer(dir) {
  const child = spawn(SERVER_BIN, [
    "--addr", "127.0.0.1:0", "--static-dir", dir,
    // 100,000 broadcasts queue up for a page that is kept busy on purpose (see dispatch).
    "--outbound-queue", "1000000",
    "--idle-timeout-ms", "120000",
  ], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, RUST_LOG: "warn" } });
  let stderr = "";
  child.stderr.on("data", (d) => { stderr = (stderr + d).slice(-4000); });
  const origin = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 15_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on("exit", (code) => reject(new Error(`server exited ${code}: ${stderr}`)));
  });
  return { child, origin, stderr: () => stderr };
}

async function token(origin, name) {
  const res = await fetch(`${origin}/api/token`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name }),
  });
  if (!res.ok) throw new Error(`token: HTTP ${res.status}`);
  return (await res.json()).token;
}

// ---------------------------------------------------------------------------------------------
// 1. Sizes.

async function sizes() {
  const esbuild = await import("esbuild");
  const gz = (b) => zlib.gzipSync(b, { level: 9 }).length;
  const br = (b) => zlib.brotliCompressSync(b, {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: b.length },
  }).length;
  const measure = (buf) => ({ raw: buf.length, gzip: gz(buf), brotli: br(buf) });
  const minify = async (file) => Buffer.from((await esbuild.transform(fs.readFileSync(file, "utf8"), {
    minify: true, format: "esm", target: "es2020", legalComments: "none",
  })).code);
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
  const shipped = pkg.files.filter((f) => f.startsWith("dist/") && /\.(m?js|cjs)$/.test(f));
  const mjs = fs.readFileSync(DIST);
  // The embedded wasm: hex (it starts with the magic "0061736d") or base64 ("AGFzbQ").
  const b64 = /var wasmEncoded = "([A-Za-z0-9+/=]+)"/.exec(mjs.toString("latin1"));
  const wasm = b64 ? Buffer.from(b64[1], b64[1].startsWith("0061736d") ? "hex" : "base64") : null;
  if (wasm && wasm.readUInt32BE(0) !== 0x0061736d) throw new Error("sizes: the embedded wasm did not decode");
  const embedding = b64 ? (b64[1].startsWith("0061736d") ? "hex" : "base64") : "?";
  const jsOnly = b64 ? Buffer.from(mjs.toString("latin1").replace(b64[1], "")) : null;
  const sum = (list) => list.reduce((a, m) => ({ raw: a.raw + m.raw, gzip: a.gzip + m.gzip, brotli: a.brotli + m.brotli }), { raw: 0, gzip: 0, brotli: 0 });
  const shippedEach = Object.fromEntries(shipped.map((f) => [f, measure(fs.readFileSync(path.join(ROOT, f)))]));
  const out = {
    "phoenix-wasm": {
      "dist/phoenix-wasm.min.js (IIFE, minified)": measure(fs.readFileSync(path.join(ROOT, "dist/phoenix-wasm.min.js"))),
      "dist/phoenix-wasm.mjs (ESM as shipped)": measure(mjs),
      "dist/phoenix-wasm.mjs minified by esbuild": measure(await minify(DIST)),
      [`wasm binary alone (decoded from the embedded ${embedding})`]: wasm ? measure(wasm) : null,
      [`JS glue alone (the .mjs without the ${embedding} string)`]: jsOnly ? measure(jsOnly) : null,
      "package: every shipped JS file (.mjs + .cjs + .min.js, each embeds the wasm)": sum(Object.values(shippedEach)),
    },
    "phoenix.js": {
      "phoenix.min.js": measure(fs.readFileSync(path.join(PHOENIX_DIR, "phoenix.min.js"))),
      "phoenix.mjs (as shipped)": measure(fs.readFileSync(path.join(PHOENIX_DIR, "phoenix.mjs"))),
      "phoenix.mjs minified by esbuild": measure(await minify(path.join(PHOENIX_DIR, "phoenix.mjs"))),
    },
    shipped: shippedEach,
  };
  const w = out["phoenix-wasm"];
  const p = out["phoenix.js"];
  out.comparisons = [
    ["IIFE bundle: phoenix-wasm.min.js vs phoenix.min.js", w["dist/phoenix-wasm.min.js (IIFE, minified)"], p["phoenix.min.js"]],
    ["ESM minified by esbuild: phoenix-wasm.mjs vs phoenix.mjs", w["dist/phoenix-wasm.mjs minified by esbuild"], p["phoenix.mjs minified by esbuild"]],
    ["ESM as shipped: phoenix-wasm.mjs vs phoenix.mjs", w["dist/phoenix-wasm.mjs (ESM as shipped)"], p["phoenix.mjs (as shipped)"]],
    ["whole package (3 JS entry files) vs phoenix.min.js", w["package: every shipped JS file (.mjs + .cjs + .min.js, each embeds the wasm)"], p["phoenix.min.js"]],
  ].map(([what, a, b]) => ({ what, wasm: a, js: b, gzipRatio: round(a.gzip / b.gzip, 2), brotliRatio: round(a.brotli / b.brotli, 2) }));
  return out;
}

// ---------------------------------------------------------------------------------------------
// The raw WebSocket producer of the dispatch benchmark (Node, package `ws`): joins the topic and
// pushes `shout`s; the server broadcasts each to everyone on the topic, this client included.

async function producer(origin, tok, topic) {
  const { WebSocket } = await import("ws");
  const url = `${origin.replace(/^http/, "ws")}/socket/websocket?token=${encodeURIComponent(tok)}&vsn=2.0.0`;
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((resolve, reject) => { ws.once("open", resolve); ws.once("error", reject); });
  let echoes = 0;
  let waiter = null;
  let joinedResolve;
  const joined = new Promise((r) => { joinedResolve = r; });
  ws.on("message", (data) => {
    const s = data.toString();
    if (s.includes('"shout"')) {
      echoes++;
      if (waiter && echoes >= waiter.n) { waiter.resolve(); waiter = null; }
    } else if (s.includes('"phx_reply"') && s.includes('"1"')) joinedResolve();
  });
  ws.send(JSON.stringify(["1", "1", topic, "phx_join", {}]));
  await joined;
  return {
    // Resolves when the server has broadcast all n (this client got its copy of each).
    async shout(n) {
      const done = new Promise((resolve) => { waiter = { n, resolve }; });
      for (let i = 0; i < n; i++) ws.send(`["1","${i + 2}","${topic}","shout",{"n":${i},"body":"hi"}]`);
      await done;
    },
    close: () => ws.close(),
  };
}

// ---------------------------------------------------------------------------------------------
// One client in one fresh tab.

async function heap(cdp) {
  await cdp.send("HeapProfiler.collectGarbage");
  await cdp.send("HeapProfiler.collectGarbage");
  const h = await cdp.send("Runtime.getHeapUsage");
  return h.usedSize;
}

async function profileStart(cdp) {
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 100 });
  await cdp.send("Profiler.start");
}
async function profileStop(cdp, name, impl) {
  const { profile } = await cdp.send("Profiler.stop");
  const dir = path.join(HERE, "profiles");
  fs.mkdirSync(dir, { recursive: true });
  const file = `${name}-${impl.replace(/[^a-z.-]+/gi, "_")}.cpuprofile`;
  fs.writeFileSync(path.join(dir, file), JSON.stringify(profile));
  profiles.push({ bench: name, impl, file: `bench/profiles/${file}`, top: summarizeProfile(profile) });
}
async function withProfile(cdp, name, impl, fn) {
  if (PROFILE !== name) return fn();
  await profileStart(cdp);
  try {
    return await fn();
  } finally {
    await profileStop(cdp, name, impl);
  }
}

const profiles = [];
function summarizeProfile(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = profile.timeDeltas;
  const counts = new Map();
  profile.samples.forEach((id, i) => counts.set(id, (counts.get(id) || 0) + (dt[i] || 0)));
  let total = 0;
  for (const [id, us] of counts) {
    const n = byId.get(id);
    const f = n.callFrame;
    const key = `${f.functionName || "(anonymous)"} ${f.url ? path.basename(f.url.split("?")[0]) : ""}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) || 0) + us);
    total += us;
  }
  return [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25)
    .map(([fn, us]) => ({ fn, selfMs: round(us / 1000, 1), pct: round((100 * us) / total, 1) }));
}

let dispatchBlockMs = QUICK ? 800 : 3000;

async function dispatch(ctx, page, cdp, impl, tag, driverToken, others = 0) {
  // (bench:<name> topics: at most 32 letters, digits, `_` and `-` after the prefix)
  const topic = others ? `bench:many-${tag}` : `bench:dispatch-${tag}`;
  if (impl === RAW) await page.evaluate(([n, t, tok]) => window.bench.rawDispatchSetup(n, t, tok), [CFG.dispatch, topic, driverToken]);
  else await page.evaluate(([n, t, o, p]) => window.bench.dispatchSetup(n, t, o, p), [CFG.dispatch, topic, others, `bench:o-${tag}-`]);
  const prod = await producer(ctx.origin, driverToken, topic);
  const blockMs = dispatchBlockMs;
  // The profiler must start before the page is blocked: CDP commands wait for the main thread.
  if (PROFILE === "dispatch") await profileStart(cdp);
  let blockReturned = 0;
  const blocked = page.evaluate((ms) => window.bench.block(ms), blockMs).then((v) => { blockReturned = performance.now(); return v; });
  await sleep(100); // the block has started before the first shout leaves
  const t0 = performance.now();
  await prod.shout(CFG.dispatch);
  const sentMs = performance.now() - t0;
  const allBroadcastAt = performance.now();
  const b = await blocked;
  const res = await page.evaluate(([n, t]) => window.bench.dispatchWait(n, t), [CFG.dispatch, 120_000]);
  if (PROFILE === "dispatch") await profileStop(cdp, "dispatch", impl);
  prod.close();
  if (res.error) throw new Error(`${impl} dispatch: ${res.error}`);
  if (!res.checksumOk) throw new Error(`${impl} dispatch: checksum mismatch`);
  // Buffered: every broadcast left the server before the page was released.
  const buffered = blockReturned === 0 || allBroadcastAt < blockReturned;
  // Next block: comfortably longer than the producer needed.
  dispatchBlockMs = Math.min(15_000, Math.max(QUICK ? 500 : 1500, Math.round(sentMs * 1.6 + 300)));
  return {
    ms: res.ms, msgsPerS: CFG.dispatch / (res.ms / 1000), firstToLastMs: res.firstToLastMs,
    handlerUsPerMsg: (1000 * res.handlerMs) / res.handlerCalls, handlerCalls: res.handlerCalls,
    blockMs, producerMs: sentMs, buffered, countBeforeBlock: b.countBefore, countAtUnblock: res.countAtUnblock,
  };
}

async function runClient(ctx, impl, round, pageToken, driverToken) {
  const page = await ctx.context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  const cdp = await ctx.context.newCDPSession(page);
  await page.goto(`${ctx.pageOrigin}/index.html?ws=${ctx.origin.replace(/^http:\/\//, "")}`);
  await page.waitForFunction(() => window.bench);
  if (!(await page.evaluate(() => self.crossOriginIsolated))) throw new Error("the page is not cross-origin isolated");
  const tag = `${{ "phoenix.js": "js", "phoenix-wasm": "wasm", candidate: "cand" }[impl] ?? "raw"}-${round}-${Date.now().toString(36)}`;
  const r = {};
  try {
    if (impl === RAW) {
      r.dispatch = await dispatch(ctx, page, cdp, impl, tag, driverToken);
      return r;
    }
    // Cold start: always runs (it imports the client), reported only if asked for.
    const cold = await page.evaluate(([i, t, n, topic]) => window.bench.cold(i, t, n, topic), [impl, pageToken, tag, `bench:cold-${tag}`]);
    if (ONLY.includes("cold")) r.cold = cold;

    if (ONLY.includes("channels")) {
      const setup = await page.evaluate(() => window.bench.channelsSetup());
      const heapBefore = await heap(cdp);
      const j = await withProfile(cdp, "channels", impl, () =>
        page.evaluate(([n, p]) => window.bench.channelsJoinAll(n, p), [CFG.channels, `bench:ch-${tag}-`]));
      const heapAfter = await heap(cdp);
      const wasmAfter = await page.evaluate(() => window.bench.wasmBytes());
      if (j.joined !== CFG.channels) throw new Error(`${impl}: ${j.joined}/${CFG.channels} channels joined`);
      r.channels = {
        ms: j.ms,
        jsHeapBefore: heapBefore, jsHeapAfter: heapAfter, wasmBefore: setup.wasmBytes, wasmAfter,
        jsHeapDelta: heapAfter - heapBefore, wasmDelta: wasmAfter - setup.wasmBytes,
        totalDelta: heapAfter - heapBefore + wasmAfter - setup.wasmBytes,
        totalAfter: heapAfter + wasmAfter,
      };
      await page.evaluate(() => window.bench.channelsTeardown());
    }

    if (ONLY.includes("rtt")) {
      r.rtt = await withProfile(cdp, "rtt", impl, () =>
        page.evaluate(([n, w, t]) => window.bench.rtt(n, w, t), [CFG.rtt, CFG.rttWarmup, `bench:rtt-${tag}`]));
    }

    if (ONLY.includes("dispatch")) r.dispatch = await dispatch(ctx, page, cdp, impl, tag, driverToken);
    if (ONLY.includes("dispatchMany")) r.dispatchMany = await dispatch(ctx, page, cdp, impl, tag, driverToken, CFG.channels);

    if (ONLY.includes("presence") && ctx.hasPresence) {
      r.presence = await withProfile(cdp, "presence", impl, () =>
        page.evaluate(([m, d]) => window.bench.presence(m, d), [CFG.members, CFG.diffs]));
    }
  } finally {
    await cdp.detach().catch(() => {});
    await page.close();
  }
  if (errors.length) r.pageErrors = errors;
  return r;
}

// ---------------------------------------------------------------------------------------------
// Metrics: how each is read from a round's result, its unit, and whether lower is better.

const METRICS = [
  { key: "cold.importMs", label: "Cold start: import of the module", unit: "ms", get: (r) => r.cold?.importMs },
  { key: "cold.firstJoinMs", label: "Cold start: import → first join reply", unit: "ms", get: (r) => r.cold?.firstJoinMs },
  { key: "dispatch.msgsPerS", label: () => `Inbound dispatch: ${fmtN(CFG.dispatch)} broadcasts to an \`on\` callback`, unit: "msg/s", higher: true, get: (r) => r.dispatch?.msgsPerS },
  { key: "dispatch.ms", label: () => `Inbound dispatch: time for ${fmtN(CFG.dispatch)}`, unit: "ms", get: (r) => r.dispatch?.ms },
  { key: "dispatch.handlerUsPerMsg", label: "Inbound dispatch: client CPU per message (in the WebSocket `onmessage` handler)", unit: "µs", get: (r) => r.dispatch?.handlerUsPerMsg },
  { key: "dispatchMany.handlerUsPerMsg", label: () => `Inbound dispatch with ${fmtN(CFG.channels)} other channels joined on the socket: client CPU per message`, unit: "µs", get: (r) => r.dispatchMany?.handlerUsPerMsg },
  { key: "dispatchMany.msgsPerS", label: () => `Inbound dispatch with ${fmtN(CFG.channels)} other channels joined: ${fmtN(CFG.dispatch)} broadcasts to one of them`, unit: "msg/s", higher: true, get: (r) => r.dispatchMany?.msgsPerS },
  { key: "rtt.p50", label: () => `Push → reply round trip p50 (${fmtN(CFG.rtt)} sequential)`, unit: "ms", get: (r) => r.rtt?.p50 },
  { key: "rtt.p99", label: "Push → reply round trip p99", unit: "ms", get: (r) => r.rtt?.p99 },
  { key: "channels.ms", label: () => `${fmtN(CFG.channels)} channels on one socket: time to join all`, unit: "ms", get: (r) => r.channels?.ms },
  { key: "channels.jsHeapDelta", label: () => `${fmtN(CFG.channels)} channels: JS heap growth`, unit: "KiB", scale: 1 / 1024, get: (r) => r.channels?.jsHeapDelta },
  { key: "channels.wasmAfter", label: () => `${fmtN(CFG.channels)} channels: wasm linear memory (absolute)`, unit: "KiB", scale: 1 / 1024, get: (r) => r.channels?.wasmAfter, noRatio: true },
  { key: "channels.totalDelta", label: () => `${fmtN(CFG.channels)} channels: memory growth (JS heap + wasm memory)`, unit: "KiB", scale: 1 / 1024, get: (r) => r.channels?.totalDelta },
  { key: "channels.totalAfter", label: () => `${fmtN(CFG.channels)} channels: page memory after (JS heap + wasm memory)`, unit: "KiB", scale: 1 / 1024, get: (r) => r.channels?.totalAfter },
  { key: "presence.totalMs", label: () => `Presence: ${fmtN(CFG.members)} members, ${fmtN(CFG.diffs)} diffs, list() after each`, unit: "ms", get: (r) => r.presence?.totalMs },
  { key: "presence.stateMs", label: "Presence: the presence_state + first list()", unit: "ms", get: (r) => r.presence?.stateMs },
  { key: "presence.diffsMs", label: "Presence: the diffs + list()s", unit: "ms", get: (r) => r.presence?.diffsMs },
];
const fmtN = (n) => n.toLocaleString("en-US");
const labelOf = (m) => (typeof m.label === "function" ? m.label() : m.label);

function summarize(rounds, A = "phoenix-wasm", B = "phoenix.js") {
  const out = {};
  for (const m of METRICS) {
    const per = Object.fromEntries([B, A].map((impl) => [impl, rounds.map((r) => m.get(r[impl]))]));
    if (per[B].every((x) => x === undefined) && per[A].every((x) => x === undefined)) continue;
    const s = (impl) => {
      const xs = per[impl].filter((x) => Number.isFinite(x));
      return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), values: per[impl] };
    };
    const js = s(B);
    const wasm = s(A);
    const perRound = rounds.map((r) => m.get(r[A]) / m.get(r[B])).filter((x) => Number.isFinite(x));
    out[m.key] = {
      label: labelOf(m), unit: m.unit, scale: m.scale ?? 1, lowerIsBetter: !m.higher,
      [B]: js, [A]: wasm,
      ratio: m.noRatio ? null : wasm.median / js.median,
      ratioMin: m.noRatio ? null : Math.min(...perRound), ratioMax: m.noRatio ? null : Math.max(...perRound),
    };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Server fan-out (the reference server's own benchmark).

function fanout() {
  const recorded = path.join(ROOT, "server/bench-results.json");
  const out = {};
  if (fs.existsSync(recorded)) {
    out.recorded = { file: "server/bench-results.json", mtime: fs.statSync(recorded).mtime.toISOString(), ...JSON.parse(fs.readFileSync(recorded, "utf8")) };
  }
  const bin = path.join(path.dirname(SERVER_BIN), "examples", "fanout");
  if (CFG.fanout && fs.existsSync(bin)) {
    const file = path.join(HERE, "fanout-results.json");
    log("server fan-out: 2000 clients, 200 broadcasts, 100-byte payload");
    const r = spawnSync("bash", ["-c", 'ulimit -n 4096 2>/dev/null || true; exec "$0" "$@"', bin,
      "--server", SERVER_BIN, "--clients", "2000", "--messages", "200", "--payload", "100", "--out", file],
    { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"], timeout: 180_000 });
    if (r.status === 0 && fs.existsSync(file)) out.thisRun = { file: "bench/fanout-results.json", ...JSON.parse(fs.readFileSync(file, "utf8")) };
    else out.thisRunError = `fanout exited ${r.status ?? r.signal}`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// BENCHMARKS.md

function fmt(x, unit, scale = 1) {
  if (!Number.isFinite(x)) return "–";
  const v = x * scale;
  if (unit === "msg/s") return `${fmtN(Math.round(v))}`;
  if (unit === "KiB") return fmtN(Math.round(v));
  if (Math.abs(v) >= 100) return fmtN(Math.round(v));
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(v < 1 ? 3 : 2);
}

function markdown(report) {
  const L = [];
  const s = report.summary;
  L.push("# Benchmarks: phoenix-wasm vs phoenix.js 1.8.16", "");
  L.push(`Generated by \`node bench/run.mjs\` on ${report.generated} (${report.rounds} rounds; raw numbers in \`bench/results.json\`).`, "");
  L.push(`Both clients run in the same headless Chromium (${report.env.browser}), against the same reference server ` +
    `(\`phoenix-server\`, profile \`server\`, loopback), in the same run. Each round opens one fresh tab per client and ` +
    `alternates which client goes first. Cells: **median** over rounds, then [min–max]. Ratio = median phoenix-wasm / ` +
    `median phoenix.js, then [min–max of the per-round ratios]; the last column says which way is better.`, "");
  L.push(`Machine: ${report.env.cpus} CPUs (${report.env.cpuModel}), load average at start ${report.env.loadStart}, at end ${report.env.loadEnd}: ` +
    "a shared machine, so absolute times are noisy; the ratios are the point. " +
    `phoenix-wasm: \`dist/phoenix-wasm.mjs\` of commit ${report.env.commit} (built ${report.env.distBuilt}); phoenix.js: npm phoenix@${report.env.phoenixVersion} \`priv/static/phoenix.mjs\`.`, "");

  L.push("## Summary", "");
  L.push("| benchmark | phoenix.js | phoenix-wasm | ratio wasm/js | better |", "|---|---|---|---|---|");
  for (const c of report.sizes.comparisons) {
    L.push(`| Size, ${c.what}: gzip (bytes) | ${fmtN(c.js.gzip)} | ${fmtN(c.wasm.gzip)} | **${c.gzipRatio}** | lower |`);
    L.push(`| Size, ${c.what}: brotli (bytes) | ${fmtN(c.js.brotli)} | ${fmtN(c.wasm.brotli)} | **${c.brotliRatio}** | lower |`);
  }
  for (const m of METRICS) {
    const x = s[m.key];
    if (!x) continue;
    const cell = (v) => `**${fmt(v.median, m.unit, m.scale)}** [${fmt(v.min, m.unit, m.scale)}–${fmt(v.max, m.unit, m.scale)}]`;
    const ratio = x.ratio === null ? "–" : `**${x.ratio.toFixed(3)}** [${x.ratioMin.toFixed(2)}–${x.ratioMax.toFixed(2)}]`;
    L.push(`| ${x.label} (${m.unit}) | ${cell(x["phoenix.js"])} | ${cell(x["phoenix-wasm"])} | ${ratio} | ${x.ratio === null ? "–" : m.higher ? "higher" : "lower"} |`);
  }
  const raws = (report.rounds_ || []).map((r) => r[RAW]?.dispatch).filter(Boolean);
  if (raws.length) {
    const m = (f) => median(raws.map(f));
    const mn = (f) => Math.min(...raws.map(f));
    const mx = (f) => Math.max(...raws.map(f));
    L.push(`| *Floor, no client: a bare WebSocket + JSON.parse in the same setup (msg/s · µs per message)* | | *${fmt(m((d) => d.msgsPerS), "msg/s")}* [${fmt(mn((d) => d.msgsPerS), "msg/s")}–${fmt(mx((d) => d.msgsPerS), "msg/s")}] · *${fmt(m((d) => d.handlerUsPerMsg), "µs")}* µs | | |`);
  }
  L.push("");

  // The Presence section is written by bench/presence/run.mjs --md between these markers; a full
  // run here keeps it as it is (rerun that benchmark to refresh it).
  const md = path.join(ROOT, "BENCHMARKS.md");
  const old = fs.existsSync(md) ? fs.readFileSync(md, "utf8") : "";
  const block = old.match(/<!-- presence:begin[\s\S]*?<!-- presence:end -->/);
  if (block) L.push(block[0], "");

  L.push("## What each row measures", "");
  L.push("- **Size**: gzip -9 and brotli q11 bytes (Node zlib). phoenix-wasm embeds its wasm (as a hex or base64 string) in each entry file " +
    "(no separate fetch, no init call), so each entry file is a whole client. \"minified by esbuild\": `esbuild.transform(minify)` " +
    "of the ESM file, what an app bundler would emit. The whole package counts `.mjs` + `.cjs` + `.min.js` (an app loads one).");
  L.push(`- **Inbound dispatch**: the page joins \`bench:<topic>\` and counts \`shout\`s in \`channel.on\`. A raw WebSocket ` +
    `client in Node (package \`ws\`) joins the same topic and pushes ${fmtN(report.config.dispatch)} \`shout\`s ` +
    `(\`{"n":i,"body":"hi"}\`); the server broadcasts each to the topic. The page is kept busy while that happens, so ` +
    "the broadcasts queue up (server outbound queue raised with `--outbound-queue`, TCP, the browser's WebSocket pipe) and " +
    "the clock runs from the end of the busy loop to the last callback: the client's own dispatch (frame decode, topic " +
    "routing, callback) plus Chromium's WebSocket delivery, which both clients pay alike, not the producer's pace. " +
    "The checksum of every `n` is verified.");
  L.push(`  *With ${fmtN(report.config.channels)} other channels*: the same, on a socket that first joined ${fmtN(report.config.channels)} ` +
    "other topics, each with its own `shout` binding (which must never fire): what topic routing costs an app with many channels " +
    "(phoenix.js tests every channel's topic for every message).");
  L.push("  *Client CPU per message* is the time inside the transport's `onmessage` handler, measured by a `WebSocket` " +
    "subclass both clients are given as `transport` (5 µs timer resolution: the page is cross-origin isolated). The wall-clock " +
    "rate is bounded by Chromium's WebSocket delivery on this machine (the floor row: a bare WebSocket is not much faster " +
    "than phoenix.js, and the renderer is idle for part of the run), so it understates the difference in client cost.");
  L.push(`- **Round trip**: ${fmtN(report.config.rtt)} sequential \`ping\` pushes (each pushed from the previous reply's ` +
    `callback) after ${report.config.rttWarmup} uncounted ones; p50/p99 of push() → \`receive("ok")\`.`);
  L.push(`- **Channels**: one connected socket, then ${fmtN(report.config.channels)} \`socket.channel(...).join()\` in one ` +
    "loop, timed until the last join reply. Memory: CDP `Runtime.getHeapUsage().usedSize` after two forced GCs " +
    "(`HeapProfiler.collectGarbage`) before and after the joins, plus wasm linear memory (`Socket.__wasmMemoryBytes()`, " +
    "0 for phoenix.js). Linear memory only grows, so its growth rounds up to 64 KiB pages.");
  L.push(`- **Presence**: the workload of \`bench/presence/\` (\`workload.mjs\`): ${fmtN(report.config.members)} members in ` +
    `one \`presence_state\`, then ${fmtN(report.config.diffs)} \`presence_diff\`s with \`list()\` after each; payloads ` +
    "parsed before the clock starts. `bench/presence/run.mjs` has more variants (numeric keys, chooser, reconnect).");
  L.push("- **Cold start**: in a fresh tab, `performance.now()` before `await import(url)` (a URL unique to the tab: no " +
    "HTTP or code cache) to the first join reply of `new Socket(...)`, `connect()`, `channel(...).join()`; the token is " +
    "fetched before. Import alone includes fetch, parse, and for phoenix-wasm base64 decode + wasm compile + instantiate.");
  L.push("");

  L.push("## Sizes in detail", "");
  L.push("| file | raw | gzip | brotli |", "|---|---|---|---|");
  for (const side of ["phoenix-wasm", "phoenix.js"]) {
    for (const [k, v] of Object.entries(report.sizes[side])) {
      if (v) L.push(`| ${side}: ${k} | ${fmtN(v.raw)} | ${fmtN(v.gzip)} | ${fmtN(v.brotli)} |`);
    }
  }
  L.push("");

  L.push("## Details per benchmark", "");
  if (report.dispatchNotes) L.push(report.dispatchNotes, "");
  const rt = s["rtt.p50"];
  if (rt) {
    L.push(`Round trip p90 / max medians: phoenix.js ${fmt(median(report.rounds_.map((r) => r["phoenix.js"].rtt?.p90)), "ms")} / ` +
      `${fmt(median(report.rounds_.map((r) => r["phoenix.js"].rtt?.max)), "ms")} ms, phoenix-wasm ` +
      `${fmt(median(report.rounds_.map((r) => r["phoenix-wasm"].rtt?.p90)), "ms")} / ${fmt(median(report.rounds_.map((r) => r["phoenix-wasm"].rtt?.max)), "ms")} ms.`, "");
  }

  L.push("## Server fan-out (reference server, `server/bench/fanout.sh`)", "");
  const f = report.fanout;
  L.push("N WebSocket clients (Rust, tokio-tungstenite) join one `bench:fanout` topic; one more client sends M `shout`s; " +
    "deliveries/s counts every frame every client received. Server and clients share the machine's cores.", "");
  L.push("| run | clients | broadcasts | payload | deliveries/s | elapsed | server RSS per connection |", "|---|---|---|---|---|---|---|");
  for (const [name, r] of [["this run (`bench/fanout-results.json`)", f.thisRun], [`recorded (\`server/bench-results.json\`, ${f.recorded?.mtime?.slice(0, 16) ?? "?"})`, f.recorded]]) {
    if (!r) continue;
    L.push(`| ${name} | ${fmtN(r.clients_connected)} | ${fmtN(r.messages)} | ${r.payload_bytes} B | ${fmtN(Math.round(r.deliveries_per_s))} | ${r.elapsed_s.toFixed(2)} s | ${r.server_rss_per_connection_kb} KiB |`);
  }
  if (f.thisRunError) L.push("", `This run's fan-out failed: ${f.thisRunError}.`);
  L.push("");

  // The reference server's presence-room benchmark is run by hand (server/bench/presence.sh); its
  // section lives in server/bench-presence.md and is included as is.
  const presenceMd = path.join(ROOT, "server", "bench-presence.md");
  if (fs.existsSync(presenceMd)) L.push(fs.readFileSync(presenceMd, "utf8").trim(), "");

  if (report.profileFinding) L.push("## Profile of the worst ratio", "", report.profileFinding, "");
  L.push("## Reproduce", "", "```sh", "npm run build", "node bench/run.mjs            # full run, rewrites BENCHMARKS.md and bench/results.json",
    "node bench/run.mjs --candidate=/tmp/other-build/phoenix-wasm.mjs --only=dispatch --rounds=3 --no-md   # a third client: another build, same rounds",
    "node bench/run.mjs --md-only  # BENCHMARKS.md again from bench/results.json (+ bench/profile-finding.md)",
    "node bench/run.mjs --quick    # smoke run (bench/results-quick.json)", "node bench/run.mjs --profile=dispatch --only=dispatch --rounds=1 --no-md --no-fanout   # CPU profiles in bench/profiles/", "```", "");
  return L.join("\n");
}

// ---------------------------------------------------------------------------------------------

async function main() {
  if (argv["md-only"]) {
    // Rewrites BENCHMARKS.md from bench/results.json (e.g. after editing bench/profile-finding.md).
    const report = JSON.parse(fs.readFileSync(OUT, "utf8"));
    Object.assign(CFG, report.config);
    const findingFile = path.join(HERE, "profile-finding.md");
    if (fs.existsSync(findingFile)) report.profileFinding = fs.readFileSync(findingFile, "utf8").trim();
    fs.writeFileSync(OUT, JSON.stringify(report, null, 2) + "\n");
    fs.writeFileSync(path.join(ROOT, "BENCHMARKS.md"), markdown(report));
    log("wrote BENCHMARKS.md from", path.relative(ROOT, OUT));
    return;
  }
  const started = Date.now();
  ensureDist();
  ensureServer();
  const dir = staticDir();
  const loadStart = os.loadavg().map((x) => x.toFixed(2)).join(" ");
  log(`sizes (gzip, brotli)`);
  const sz = await sizes();
  for (const c of sz.comparisons) log(`  ${c.what}: gzip ${c.wasm.gzip}/${c.js.gzip} = ${c.gzipRatio}, brotli ${c.wasm.brotli}/${c.js.brotli} = ${c.brotliRatio}`);
  const server = await startServer(dir);
  log(`server ${server.origin}`);
  const pageServer = await servePage(dir);
  const ctx = { origin: server.origin, pageOrigin: pageServer.origin, hasPresence: fs.existsSync(path.join(dir, "presence-workload.mjs")) };
  ctx.context = await launchChromium();
  const rounds = [];
  let browser = "?";
  try {
    const probe = await ctx.context.newPage();
    browser = await probe.evaluate(() => navigator.userAgent.replace(/^.*(HeadlessChrome\/\S+).*$/, "$1"));
    await probe.close();
    const pageToken = await token(server.origin, "bench_page");
    const driverToken = await token(server.origin, "bench_driver");
    // Warm-up, not counted: the first tab of a browser pays for process start-up.
    for (const impl of IMPLS) {
      const page = await ctx.context.newPage();
      await page.goto(`${ctx.pageOrigin}/index.html?ws=${ctx.origin.replace(/^http:\/\//, "")}`);
      await page.waitForFunction(() => window.bench);
      await page.evaluate(([i, t, n]) => window.bench.cold(i, t, n, `bench:warmup-${n}`), [impl, pageToken, `warmup-${Date.now()}`]);
      await page.close();
    }
    for (let i = 0; i < CFG.rounds; i++) {
      const order = i % 2 === 0 ? IMPLS : [...IMPLS].reverse();
      const rr = {};
      for (const impl of order) {
        const t = Date.now();
        rr[impl] = await runClient(ctx, impl, i, pageToken, driverToken);
        const x = rr[impl];
        log(`round ${i + 1}/${CFG.rounds} ${impl.padEnd(12)} ${((Date.now() - t) / 1000).toFixed(1)}s` +
          (x.cold ? ` cold ${x.cold.firstJoinMs.toFixed(1)}ms` : "") +
          (x.channels ? ` channels ${x.channels.ms.toFixed(0)}ms heap+${(x.channels.jsHeapDelta / 1024).toFixed(0)}K wasm ${(x.channels.wasmAfter / 1024).toFixed(0)}K` : "") +
          (x.rtt ? ` rtt p50 ${x.rtt.p50.toFixed(3)} p99 ${x.rtt.p99.toFixed(3)}` : "") +
          (x.dispatch ? ` dispatch ${Math.round(x.dispatch.msgsPerS)}/s ${x.dispatch.handlerUsPerMsg.toFixed(1)}µs/msg (${x.dispatch.ms.toFixed(0)}ms, block ${x.dispatch.blockMs}, producer ${x.dispatch.producerMs.toFixed(0)}ms${x.dispatch.buffered ? "" : " NOT BUFFERED"})` : "") +
          (x.presence ? ` presence ${x.presence.totalMs.toFixed(0)}ms` : "") +
          (x.pageErrors ? ` ERRORS ${x.pageErrors.join("; ")}` : ""));
      }
      if (ONLY.includes("dispatch")) {
        rr[RAW] = await runClient(ctx, RAW, i, pageToken, driverToken);
        log(`round ${i + 1}/${CFG.rounds} ${RAW} dispatch ${Math.round(rr[RAW].dispatch.msgsPerS)}/s (${rr[RAW].dispatch.ms.toFixed(0)}ms, ${rr[RAW].dispatch.handlerUsPerMsg.toFixed(1)}µs/msg)`);
      }
      rr.order = order;
      rounds.push(rr);
    }
    for (const r of rounds) {
      if (ONLY.includes("presence") && r["phoenix.js"].presence && r["phoenix.js"].presence.fingerprint !== r["phoenix-wasm"].presence.fingerprint) {
        throw new Error("presence: the clients disagree");
      }
    }
  } finally {
    await ctx.context.close().catch(() => {});
    server.child.kill("SIGTERM");
    pageServer.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const fan = fanout();
  const summary = summarize(rounds);
  let commit = "?";
  try { commit = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT }).stdout.toString().trim(); } catch {}
  let distBuilt = "?";
  try { distBuilt = JSON.parse(fs.readFileSync(path.join(ROOT, "dist/sizes.json"), "utf8")).generated; } catch { distBuilt = fs.statSync(DIST).mtime.toISOString(); }
  const report = {
    generated: new Date().toISOString(),
    durationS: Math.round((Date.now() - started) / 1000),
    rounds: CFG.rounds,
    config: CFG,
    env: {
      browser, node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model?.trim() ?? "?",
      loadStart, loadEnd: os.loadavg().map((x) => x.toFixed(2)).join(" "), commit, distBuilt,
      phoenixVersion: JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules/phoenix/package.json"), "utf8")).version,
    },
    sizes: sz,
    summary,
    fanout: fan,
    profiles: profiles.length ? profiles : undefined,
    candidate: CANDIDATE ? path.relative(ROOT, CANDIDATE) : undefined,
    candidateSummary: CANDIDATE ? { vsPhoenixJs: summarize(rounds, "candidate", "phoenix.js"), vsPhoenixWasm: summarize(rounds, "candidate", "phoenix-wasm") } : undefined,
    rounds_: rounds,
  };
  const findingFile = path.join(HERE, "profile-finding.md");
  if (fs.existsSync(findingFile)) report.profileFinding = fs.readFileSync(findingFile, "utf8").trim();
  const dispatchRuns = rounds.flatMap((r) => IMPLS.map((i) => r[i].dispatch)).filter(Boolean);
  if (dispatchRuns.length) {
    const unbuffered = dispatchRuns.filter((d) => !d.buffered).length;
    report.dispatchNotes = `Dispatch: the producer needed a median ${fmt(median(dispatchRuns.map((d) => d.producerMs)), "ms")} ms to get all ` +
      `${fmtN(CFG.dispatch)} broadcasts out of the server while the page was busy; ${unbuffered ? `${unbuffered} of ${dispatchRuns.length} runs were NOT fully buffered (the page was released before the last broadcast)` : `every run was fully buffered before the page was released`}.`;
  }
  fs.writeFileSync(OUT, JSON.stringify(report, null, 2) + "\n");
  log(`wrote ${path.relative(ROOT, OUT)} (${report.durationS}s)`);
  if (profiles.length) {
    for (const p of profiles) {
      log(`profile ${p.bench} ${p.impl}:`);
      for (const t of p.top.slice(0, 15)) log(`   ${String(t.selfMs).padStart(8)} ms ${String(t.pct).padStart(5)}%  ${t.fn}`);
    }
  }
  for (const [k, v] of Object.entries(summary)) {
    log(`${k.padEnd(22)} js ${fmt(v["phoenix.js"].median, v.unit, v.scale)}  wasm ${fmt(v["phoenix-wasm"].median, v.unit, v.scale)}  ratio ${v.ratio === null ? "–" : v.ratio.toFixed(3)}`);
  }
  if (CANDIDATE) {
    for (const [k, v] of Object.entries(report.candidateSummary.vsPhoenixWasm)) {
      log(`candidate ${k.padEnd(22)} phoenix-wasm ${fmt(v["phoenix-wasm"].median, v.unit, v.scale)}  candidate ${fmt(v.candidate.median, v.unit, v.scale)}  ratio candidate/phoenix-wasm ${v.ratio === null ? "–" : v.ratio.toFixed(3)}  candidate/phoenix.js ${report.candidateSummary.vsPhoenixJs[k]?.ratio?.toFixed(3) ?? "–"}`);
    }
  }
  if (WRITE_MD && !CANDIDATE) {
    fs.writeFileSync(path.join(ROOT, "BENCHMARKS.md"), markdown(report));
    log("wrote BENCHMARKS.md");
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
