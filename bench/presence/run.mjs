#!/usr/bin/env node
// Presence benchmark (not a test): npm phoenix@1.8.16 vs phoenix-wasm, same page, same run.
//
//   npm run build && node bench/presence/run.mjs            # Debian Chromium (/usr/bin/chromium)
//   node bench/presence/run.mjs --node                      # in this Node process instead
//   node bench/presence/run.mjs --reps=6 --members=10000 --diffs=1000
//   node bench/presence/run.mjs --md                         # also write the Presence section of BENCHMARKS.md
//   node bench/presence/run.mjs --only=reconnect             # only the workloads whose name contains it
//
// Workload (workload.mjs): N members in one presence_state, then D presence_diffs with list()
// after each. Each repetition runs both implementations, alternating which goes first. Medians
// and the ratio phoenix-wasm / phoenix.js (below 1 = phoenix-wasm faster) go to results.json.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { makeData, runOnce, runStatic } from "./workload.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..", "..");
const argv = Object.fromEntries(process.argv.slice(2).map((a) => {
  const [k, v] = a.replace(/^--/, "").split("=");
  return [k, v ?? true];
}));
const REPS = Number(argv.reps ?? 6);
const MEMBERS = Number(argv.members ?? 10000);
const DIFFS = Number(argv.diffs ?? 1000);
const IN_NODE = Boolean(argv.node);
// --only=<text>: only the workloads whose name contains it (results.json is then partial).
const ONLY = typeof argv.only === "string" ? argv.only : null;
const WORKLOADS = [
  // The instance API (a Presence on a channel), onJoin/onLeave/onSync set, list() after each diff.
  { name: "instance: list()", api: "instance", keys: "string", chooser: "none" },
  { name: "instance: list() numeric keys", api: "instance", keys: "numeric", chooser: "none" },
  { name: "instance: list(chooser)", api: "instance", keys: "string", chooser: "firstMeta" },
  // The static API: syncState / syncDiff with onJoin/onLeave, Presence.list(state) after each.
  { name: "static: list()", api: "static", keys: "string", chooser: "none" },
  { name: "static: list(chooser)", api: "static", keys: "string", chooser: "firstMeta" },
  // A reconnect: the timed presence_state is a second one for the same room (its own row:
  // the presence_state + first list(), "state" below).
  { name: "reconnect (instance): second presence_state, then list()", api: "instance", keys: "string", chooser: "none", resync: true },
  { name: "reconnect (static): second syncState, then list()", api: "static", keys: "string", chooser: "none", resync: true },
].filter((w) => !ONLY || w.name.includes(ONLY));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const r2 = (x) => Math.round(x * 100) / 100;
const r4 = (x) => Number(x.toPrecision(4));

// The same loop runs in the page (as a string, with the two modules imported there) and in Node.
async function measure(run, impls, data, api, chooser, resync) {
  const runs = { "phoenix.js": [], "phoenix-wasm": [] };
  const prints = new Set();
  for (let rep = 0; rep < REPS; rep++) {
    const order = rep % 2 === 0 ? ["phoenix.js", "phoenix-wasm"] : ["phoenix-wasm", "phoenix.js"];
    for (const name of order) {
      const r = await run(impls[name], data, api, chooser, resync);
      runs[name].push(r);
      prints.add(`${r.check}/${r.synced}/${r.fingerprint}`);
    }
  }
  if (prints.size !== 1) throw new Error(`the implementations disagree: ${[...prints].join(" vs ")}`);
  const summary = (name) => {
    const rs = runs[name];
    return {
      medianTotalMs: r2(median(rs.map((r) => r.totalMs))),
      medianStateMs: r2(median(rs.map((r) => r.stateMs))),
      medianDiffsMs: r2(median(rs.map((r) => r.diffsMs))),
      totalMs: rs.map((r) => r2(r.totalMs)),
    };
  };
  const js = summary("phoenix.js");
  const wasm = summary("phoenix-wasm");
  return {
    "phoenix.js": js,
    "phoenix-wasm": wasm,
    ratio: r4(wasm.medianTotalMs / js.medianTotalMs),
    ratioState: r4(wasm.medianStateMs / js.medianStateMs),
    ratioDiffs: r4(wasm.medianDiffsMs / js.medianDiffsMs),
  };
}

async function warmUp(run) {
  for (const api of ["instance", "static"]) {
    for (const chooser of ["none", "firstMeta"]) {
      for (const resync of [false, true]) {
        for (const name of ["phoenix.js", "phoenix-wasm"]) await run(name, null, api, chooser, resync);
      }
    }
  }
}

function serve() {
  const files = {
    "/": { type: "text/html", body: "<!doctype html><meta charset=utf-8><title>presence bench</title>" },
    "/phoenix.mjs": { type: "text/javascript", file: path.join(ROOT, "node_modules/phoenix/priv/static/phoenix.mjs") },
    "/phoenix-wasm.mjs": { type: "text/javascript", file: path.join(ROOT, "dist/phoenix-wasm.mjs") },
    "/workload.mjs": { type: "text/javascript", file: path.join(HERE, "workload.mjs") },
  };
  const server = http.createServer((req, res) => {
    const f = files[new URL(req.url, "http://x").pathname];
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": f.type, "cache-control": "no-store" });
    res.end(f.body ?? fs.readFileSync(f.file));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

async function inChromium() {
  const { chromium } = await import("playwright-core");
  const server = await serve();
  const base = `http://127.0.0.1:${server.address().port}`;
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "presence-bench-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (e) => console.error("[page]", e));
    await page.goto(base + "/");
    await page.evaluate(async () => {
      const [js, wasm, wl] = await Promise.all([import("/phoenix.mjs"), import("/phoenix-wasm.mjs"), import("/workload.mjs")]);
      window.__bench = { impls: { "phoenix.js": js.Presence, "phoenix-wasm": wasm.Presence }, instance: wl.runOnce, static: wl.runStatic };
    });
    const browser = await page.evaluate(() => navigator.userAgent);
    const run = (implName, data, api, chooser, resync) =>
      page.evaluate(([n, a, c, r]) => window.__bench[a](window.__bench.impls[n], window.__data, c, r), [implName, api, chooser, resync]);
    // Warm-up, untimed: both implementations through every path once on a small room, so the
    // first workload does not pay for compiling either.
    await page.evaluate((d) => { window.__data = d; }, makeData({ members: 2000, diffs: 100 }));
    await warmUp(run);
    const results = {};
    for (const w of WORKLOADS) {
      const data = makeData({ members: MEMBERS, diffs: DIFFS, keys: w.keys });
      await page.evaluate((d) => { window.__data = d; }, data);
      results[w.name] = await measure(run, { "phoenix.js": "phoenix.js", "phoenix-wasm": "phoenix-wasm" }, data, w.api, w.chooser, !!w.resync);
      console.log(w.name, JSON.stringify(results[w.name]));
    }
    return { environment: "chromium", browser, results };
  } finally {
    await context.close();
    server.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}

async function inNode() {
  const js = await import("phoenix");
  const wasm = await import("phoenix-wasm");
  const impls = { "phoenix.js": js.Presence, "phoenix-wasm": wasm.Presence };
  const runners = { instance: runOnce, static: runStatic };
  const warm = makeData({ members: 2000, diffs: 100 });
  await warmUp(async (n, _d, a, c, r) => runners[a](impls[n], warm, c, r));
  const results = {};
  for (const w of WORKLOADS) {
    const data = makeData({ members: MEMBERS, diffs: DIFFS, keys: w.keys });
    results[w.name] = await measure(async (P, d, a, c, r) => runners[a](P, d, c, r), impls, data, w.api, w.chooser, !!w.resync);
    console.log(w.name, JSON.stringify(results[w.name]));
  }
  return { environment: "node", node: process.version, results };
}

const out = IN_NODE ? await inNode() : await inChromium();
const headline = out.results[WORKLOADS[0].name];
const report = {
  generated: new Date().toISOString(),
  workload: `${MEMBERS} members in presence_state, then ${DIFFS} presence_diffs with list() after each`,
  reps: REPS,
  ratio: headline.ratio,
  speedup: r2(1 / headline.ratio),
  load: `load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")} on ${os.cpus().length} CPUs (a shared machine: ` +
    "absolute times are noisy; both implementations run interleaved in the same page)",
  note: "ratio = median total time phoenix-wasm / phoenix.js (below 1: phoenix-wasm is faster). " +
    "Totals include the presence_state and every diff + list(); payloads are parsed before timing.",
  ...out,
};
const file = path.join(HERE, IN_NODE ? "results-node.json" : "results.json");
fs.writeFileSync(file, JSON.stringify(report, null, 2) + "\n");
console.log(`ratio phoenix-wasm/phoenix.js = ${report.ratio} (${report.speedup}x faster); wrote ${path.relative(ROOT, file)}`);

// --md: write the Presence section of BENCHMARKS.md (between its markers; added before
// "## What each row measures" if missing). Only a full Chromium run is written.
if (argv.md && !IN_NODE && !ONLY) {
  const mdFile = path.join(ROOT, "BENCHMARKS.md");
  const BEGIN = "<!-- presence:begin (written by bench/presence/run.mjs --md) -->";
  const END = "<!-- presence:end -->";
  const f1 = (x) => (x >= 100 ? Math.round(x).toLocaleString("en-US") : x.toFixed(1));
  const speed = (r) => `${(1 / r).toFixed(1)}×`;
  const commit = spawnGit(["rev-parse", "--short", "HEAD"]);
  const L = [BEGIN, "## Presence: static API, instance API, reconnect (`bench/presence/run.mjs`)", ""];
  L.push(`Generated on ${report.generated} in ${out.browser.match(/HeadlessChrome\/[\d.]+/)?.[0] ?? "Chromium"} ` +
    `(${REPS} repetitions per path, the two implementations alternating which goes first, in one page); ` +
    `phoenix-wasm: \`dist/phoenix-wasm.mjs\` of commit ${commit}; raw numbers in \`bench/presence/results.json\`. ` +
    `${report.load}.`);
  L.push("");
  L.push(`Workload (\`workload.mjs\`): ${MEMBERS.toLocaleString("en-US")} members in one \`presence_state\`, then ` +
    `${DIFFS.toLocaleString("en-US")} \`presence_diff\`s (joins, leaves, updates) with \`list()\` after each, onJoin/onLeave ` +
    "callbacks set; payloads parsed before the clock starts. *Instance*: `new Presence(channel)` on a channel-like object. " +
    "*Static*: `Presence.syncState` / `syncDiff` / `list(state)`. *Chooser*: `list((id, {metas: [first, ...rest]}) => " +
    "({id, first, count}))`. *Reconnect*: a second `presence_state` of the same room into the full state (the reconnect " +
    "row is that state plus the first `list()`). Cells: median ms; ratio = phoenix-wasm / phoenix.js (below 1: faster).");
  L.push("");
  L.push("| path | what is timed | phoenix.js (ms) | phoenix-wasm (ms) | ratio wasm/js | phoenix-wasm speed-up |");
  L.push("|---|---|---|---|---|---|");
  for (const w of WORKLOADS) {
    const r = out.results[w.name];
    if (!r) continue;
    const js = r["phoenix.js"];
    const wasm = r["phoenix-wasm"];
    if (w.resync) {
      L.push(`| ${w.name} | the reconnect \`presence_state\` + first \`list()\` | ${f1(js.medianStateMs)} | ${f1(wasm.medianStateMs)} | **${r.ratioState}** | ${speed(r.ratioState)} |`);
    } else {
      L.push(`| ${w.name} | state + ${DIFFS.toLocaleString("en-US")} diffs, \`list()\` after each | ${f1(js.medianTotalMs)} | ${f1(wasm.medianTotalMs)} | **${r.ratio}** | ${speed(r.ratio)} |`);
      L.push(`| ${w.name} | of which the first \`presence_state\` + \`list()\` | ${f1(js.medianStateMs)} | ${f1(wasm.medianStateMs)} | ${r.ratioState} | ${speed(r.ratioState)} |`);
    }
  }
  L.push("");
  L.push("Why: phoenix.js walks the whole state object on every `list()` (`Object.getOwnPropertyNames` of a 10,000-key " +
    "dictionary object, then a lookup per key); phoenix-wasm keeps each state's keys and presences in two arrays in " +
    "property order, patched where the core's tracker says on every change (including the app's own changes, which " +
    "reach it through the state object's proxy traps), so `list()` is an array copy. `syncState`/`syncDiff` copy " +
    "presences with a JSON-equivalent structural copy instead of `JSON.parse(JSON.stringify(...))` per presence, and " +
    "the metas comparisons go to the core as numbers, one call per `syncState`.");
  L.push(END);
  const section = L.join("\n");
  let md = fs.existsSync(mdFile) ? fs.readFileSync(mdFile, "utf8") : "";
  const a = md.indexOf(BEGIN);
  const b = md.indexOf(END);
  if (a >= 0 && b > a) md = md.slice(0, a) + section + md.slice(b + END.length);
  else {
    const at = md.indexOf("## What each row measures");
    md = at >= 0 ? md.slice(0, at) + section + "\n\n" + md.slice(at) : md + "\n" + section + "\n";
  }
  fs.writeFileSync(mdFile, md);
  console.log("wrote the Presence section of BENCHMARKS.md");
}

function spawnGit(args) {
  try {
    return execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
  } catch {
    return "?";
  }
}
