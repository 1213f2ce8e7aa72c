#!/usr/bin/env node
// `npm run build`: builds the npm package phoenix-wasm into dist/.
//
// 1. Release wasm with wasm-pack (`--target web --mode no-install --no-pack --no-opt`), which finds
//    the local wasm-bindgen (scripts/setup.sh installs the version in Cargo.lock) and never
//    downloads anything. If wasm-pack fails, the same is done by hand: cargo build + wasm-bindgen.
// 2. wasm-opt -Oz (npm `binaryen`, node_modules/.bin).
// 3. The glue's exports are read (esbuild metafile) and an entry is generated that embeds the wasm
//    as base64 and instantiates it synchronously (new WebAssembly.Module + initSync), then
//    exports exactly phoenix.js's names: Socket, Channel, LongPoll, Presence (undefined while the
//    glue lacks them) and Serializer = serializer().
// 4. esbuild bundles it three ways, injecting js/text-codec.js so the glue works without global
//    TextEncoder/TextDecoder (jest jsdom): dist/phoenix-wasm.mjs (ESM), dist/phoenix-wasm.cjs
//    (CommonJS), dist/phoenix-wasm.min.js (IIFE, global `Phoenix`, like phoenix.min.js).
// 5. dist/phoenix-wasm.d.ts (+ .d.cts) from js/types.d.ts.
// 6. dist/sizes.json: raw and gzip bytes of every shipped file, the wasm, phoenix.min.js, and the
//    cost of loading (synchronous instantiation) in Node.
//
// Options: --skip-wasm reuses target/phoenix-wasm-build/wasm (for iterating on the JS side).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DIST = path.join(ROOT, "dist");
const WORK = path.join(ROOT, "target", "phoenix-wasm-build");
const WASM_OUT = path.join(WORK, "wasm");
const OUT_NAME = "phoenix_wasm";
const CRATE_NAME = "phoenix-wasm";
const PHOENIX_NAMES = ["Socket", "Channel", "LongPoll", "Presence"];
const SHIPPED = ["phoenix-wasm.mjs", "phoenix-wasm.cjs", "phoenix-wasm.min.js", "phoenix-wasm.d.ts", "phoenix-wasm.d.cts"];
// Rust's default wasm32 features (1.82+/1.87+) that the optimizer must accept.
const WASM_OPT_ARGS = [
  "-Oz",
  "--enable-bulk-memory",
  "--enable-nontrapping-float-to-int",
  "--enable-sign-ext",
  "--enable-mutable-globals",
  "--enable-reference-types",
  "--enable-multivalue",
  "--strip-debug",
  "--strip-producers",
  "--strip-target-features",
];

const cargoHome = process.env.CARGO_HOME || path.join(process.env.HOME || "/root", ".cargo");
const env = {
  ...process.env,
  PATH: [path.join(ROOT, "node_modules", ".bin"), path.join(cargoHome, "bin"), process.env.PATH].join(path.delimiter),
  // An empty cache of wasm-pack's own: it can find nothing there, and --mode no-install forbids
  // filling it, so wasm-bindgen / wasm-opt come from PATH or the build fails.
  WASM_PACK_CACHE: path.join(ROOT, "target", "wasm-pack-cache"),
};

// The work tree is shared by several people: one build at a time (others wait), and dist/ is
// replaced in one rename at the end so tests never see it half-written.
const LOCK = path.join(ROOT, "target", ".phoenix-wasm-build.lock");
function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}
async function acquireLock(maxWaitMs = 20 * 60_000) {
  fs.mkdirSync(path.dirname(LOCK), { recursive: true });
  const started = Date.now();
  let told = false;
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      fs.writeFileSync(path.join(LOCK, "pid"), String(process.pid));
      const release = () => fs.rmSync(LOCK, { recursive: true, force: true });
      process.on("exit", release);
      for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));
      return;
    } catch (err) {
      if (err.code !== "EEXIST") throw err;
    }
    let holder = NaN;
    try {
      holder = Number(fs.readFileSync(path.join(LOCK, "pid"), "utf8"));
    } catch {}
    const age = Date.now() - (fs.statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if ((Number.isInteger(holder) && holder > 0 && !pidAlive(holder)) || (!Number.isInteger(holder) && age > 10_000)) {
      fs.rmSync(LOCK, { recursive: true, force: true }); // stale
      continue;
    }
    if (!told) {
      console.log(`[build] waiting for another build (pid ${holder}) to finish`);
      told = true;
    }
    if (Date.now() - started > maxWaitMs) throw new Error(`another build (pid ${holder}) holds ${LOCK}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const args = new Set(process.argv.slice(2));
// How the wasm bytes are embedded in the JS: hex (default; bigger raw, smaller gzip) or base64.
// hex by default: gzip compresses hex far better than base64 (131 vs 151 KB gzip per entry
// file at the time of writing), and it decodes as fast (native Uint8Array.fromHex where present).
const EMBED = [...args].find((a) => a.startsWith("--embed="))?.slice(8) || process.env.PHOENIX_WASM_EMBED || "hex";
if (!["base64", "hex"].includes(EMBED)) throw new Error(`--embed must be base64 or hex, not ${EMBED}`);
const t0 = Date.now();
const log = (msg) => console.log(`[build] ${msg}`);

function run(cmd, argv, opts = {}) {
  log(`$ ${cmd} ${argv.join(" ")}`);
  const r = spawnSync(cmd, argv, { cwd: ROOT, env, stdio: "inherit", ...opts });
  if (r.error) throw r.error;
  return r.status === 0;
}

function must(cmd, argv, opts) {
  if (!run(cmd, argv, opts)) {
    console.error(`[build] failed: ${cmd} ${argv.join(" ")}`);
    process.exit(1);
  }
}

function gzipSize(buf) {
  return zlib.gzipSync(buf, { level: 9 }).length;
}

await acquireLock();

// ---------------------------------------------------------------------------------------------
// 1-2. wasm
const wasmFile = path.join(WASM_OUT, `${OUT_NAME}_bg.wasm`);
const glueFile = path.join(WASM_OUT, `${OUT_NAME}.js`);
let builtWith = "reused";
if (!args.has("--skip-wasm")) {
  fs.rmSync(WASM_OUT, { recursive: true, force: true });
  fs.mkdirSync(WASM_OUT, { recursive: true });
  fs.mkdirSync(env.WASM_PACK_CACHE, { recursive: true });
  // PHOENIX_WASM_NO_WASM_PACK=1 forces the fallback (to test it).
  const ok = process.env.PHOENIX_WASM_NO_WASM_PACK !== "1" && run("wasm-pack", [
    "build", "--target", "web", "--release", "--mode", "no-install", "--no-pack", "--no-opt",
    "--out-dir", WASM_OUT, "--out-name", OUT_NAME, ROOT,
  ]);
  builtWith = "wasm-pack";
  if (!ok) {
    log(`${process.env.PHOENIX_WASM_NO_WASM_PACK === "1" ? "PHOENIX_WASM_NO_WASM_PACK=1" : "wasm-pack failed"}; falling back to cargo build + wasm-bindgen`);
    builtWith = "cargo+wasm-bindgen";
    must("cargo", ["build", "--lib", "--release", "--target", "wasm32-unknown-unknown", "-p", CRATE_NAME]);
    const targetDir = process.env.CARGO_TARGET_DIR || path.join(ROOT, "target");
    const raw = path.join(targetDir, "wasm32-unknown-unknown", "release", `${CRATE_NAME.replace(/-/g, "_")}.wasm`);
    must("wasm-bindgen", ["--target", "web", "--out-dir", WASM_OUT, "--out-name", OUT_NAME, raw]);
  }
  const before = fs.statSync(wasmFile).size;
  const tmp = wasmFile + ".opt";
  must("wasm-opt", [...WASM_OPT_ARGS, wasmFile, "-o", tmp]);
  fs.renameSync(tmp, wasmFile);
  log(`wasm-opt: ${before} -> ${fs.statSync(wasmFile).size} bytes`);
}
if (!fs.existsSync(wasmFile) || !fs.existsSync(glueFile)) {
  console.error(`[build] missing ${wasmFile} or ${glueFile}`);
  process.exit(1);
}
// Chromium refuses synchronous compilation (new WebAssembly.Module) of more than 8 MB on the
// main thread; the whole design depends on staying far below that.
const SYNC_COMPILE_LIMIT = 8 * 1024 * 1024;
if (fs.statSync(wasmFile).size > SYNC_COMPILE_LIMIT / 2) {
  console.error(`[build] the wasm is ${fs.statSync(wasmFile).size} bytes: too close to Chromium's 8 MB limit for synchronous compilation on the main thread`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// 3. generated sources
const esbuild = await import("esbuild");
fs.mkdirSync(WORK, { recursive: true });

// The glue's async init refers to the .wasm file by URL; bundlers (webpack 5, Vite) would try to
// emit that file. The bytes are embedded instead, so that reference is removed.
let glue = fs.readFileSync(glueFile, "utf8");
glue = glue.replace(/new URL\(\s*['"][^'"]*\.wasm['"]\s*,\s*import\.meta\.url\s*\)/g, "undefined");
if (/import\.meta/.test(glue)) {
  console.error("[build] the glue still refers to import.meta after patching; update scripts/build.mjs");
  process.exit(1);
}
const gluePatched = path.join(WORK, "glue.js");
fs.writeFileSync(gluePatched, glue);

const probe = await esbuild.build({
  entryPoints: [gluePatched], bundle: true, write: false, metafile: true, format: "esm", logLevel: "silent",
});
const glueExports = Object.values(probe.metafile.outputs)[0].exports;
if (!glueExports.includes("initSync")) {
  console.error(`[build] the glue has no initSync (exports: ${glueExports.join(", ")})`);
  process.exit(1);
}
// Only phoenix.js's own names are exported (tests/node/diff X01-06 compares the export list
// exactly); other exports of the glue (Push: a class of the wasm but, as in phoenix.js, not an
// export of the package) stay internal.
const internalOnly = glueExports.filter((n) => !["default", "initSync", "serializer", ...PHOENIX_NAMES].includes(n));
const missing = PHOENIX_NAMES.filter((n) => !glueExports.includes(n));
const hasSerializer = glueExports.includes("serializer");

const wasmBytes = fs.readFileSync(wasmFile);
const wasmB64 = wasmBytes.toString("base64");
const wasmHex = wasmBytes.toString("hex");
fs.writeFileSync(path.join(WORK, "wasm-bytes.js"), `export const wasmEncoded = ${JSON.stringify(EMBED === "hex" ? wasmHex : wasmB64)};\n`);
const decoder = EMBED === "hex" ? "decodeHex" : "decodeBase64";

const rel = (p) => "./" + path.relative(WORK, p).split(path.sep).join("/");
const entry = `// Generated by scripts/build.mjs: do not edit.
import * as glue from "./glue.js";
import { ${decoder} } from ${JSON.stringify(rel(path.join(ROOT, "js", "base64.js")))};
import { wasmEncoded } from "./wasm-bytes.js";

// Synchronous instantiation: the package is usable right after import, with no init call.
glue.initSync({ module: new WebAssembly.Module(${decoder}(wasmEncoded)) });

${PHOENIX_NAMES.filter((n) => !missing.includes(n) && n !== "Socket").map((n) => `export const ${n} = glue.${n};`).join("\n")}
${missing.includes("Socket") ? "" : `// The wasm cannot see the JS object its constructor fills in, so the socket is told once, and
// \`channel.socket\` is then that same object (as in phoenix.js).
export const Socket = class Socket extends glue.Socket {
  constructor(endPoint, opts) {
    super(endPoint, opts);
    if (this.__bindSelf) this.__bindSelf(this);
  }
};`}
${missing.map((n) => `export const ${n} = undefined; // not exported by the wasm yet`).join("\n")}
${hasSerializer ? "export const Serializer = glue.serializer();" : "export const Serializer = undefined; // no serializer() in the wasm yet"}
`;
const entryFile = path.join(WORK, "entry.mjs");
fs.writeFileSync(entryFile, entry);
log(`glue exports: ${glueExports.join(", ")}; not yet in the wasm: ${[...missing, ...(hasSerializer ? [] : ["Serializer"])].join(", ") || "none"}; not re-exported: ${internalOnly.join(", ") || "none"}`);

// ---------------------------------------------------------------------------------------------
// 4. bundles
const STAGE = path.join(WORK, "dist");
fs.rmSync(STAGE, { recursive: true, force: true });
fs.mkdirSync(STAGE, { recursive: true });
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const banner = `/* phoenix-wasm ${pkg.version}: Phoenix Channels client (Rust/WebAssembly), drop-in for phoenix.js 1.8.16. MIT license. */`;
const common = {
  entryPoints: [entryFile],
  bundle: true,
  inject: [path.join(ROOT, "js", "text-codec.js")],
  platform: "neutral",
  target: ["es2020"],
  legalComments: "none",
  // Class names are API: phoenix.js's transportName() and apps read `transport.name`.
  keepNames: true,
  banner: { js: banner },
  logLevel: "warning",
  metafile: false,
};
await esbuild.build({ ...common, format: "esm", outfile: path.join(STAGE, "phoenix-wasm.mjs") });
await esbuild.build({ ...common, format: "cjs", outfile: path.join(STAGE, "phoenix-wasm.cjs") });
await esbuild.build({
  ...common, format: "iife", globalName: "Phoenix", minify: true, outfile: path.join(STAGE, "phoenix-wasm.min.js"),
});
for (const f of ["phoenix-wasm.mjs", "phoenix-wasm.cjs", "phoenix-wasm.min.js"]) {
  const text = fs.readFileSync(path.join(STAGE, f), "utf8");
  if (/import\.meta|\.wasm["']/.test(text)) {
    console.error(`[build] ${f} refers to import.meta or a .wasm file; bundlers would choke on it`);
    process.exit(1);
  }
}

// 5. types
const types = fs.readFileSync(path.join(ROOT, "js", "types.d.ts"), "utf8");
fs.writeFileSync(path.join(STAGE, "phoenix-wasm.d.ts"), types);
fs.writeFileSync(path.join(STAGE, "phoenix-wasm.d.cts"), types);

// ---------------------------------------------------------------------------------------------
// 6. sizes and load cost
function measureLoad(runs = 5) {
  // Each sample is a fresh process, so V8 has no compiled copy of the module yet.
  const requireScript = `
    const { performance } = require("node:perf_hooks");
    const t0 = performance.now();
    require(${JSON.stringify(path.join(STAGE, "phoenix-wasm.cjs"))});
    console.log(JSON.stringify({ require: performance.now() - t0 }));`;
  const compileScript = `
    import { performance } from "node:perf_hooks";
    import fs from "node:fs";
    import { ${decoder} as decode } from ${JSON.stringify("file://" + path.join(ROOT, "js", "base64.js"))};
    const encoded = fs.readFileSync(${JSON.stringify(wasmFile)}).toString(${JSON.stringify(EMBED)});
    const t0 = performance.now();
    const bytes = decode(encoded);
    const t1 = performance.now();
    new WebAssembly.Module(bytes);
    const t2 = performance.now();
    console.log(JSON.stringify({ decode: t1 - t0, compile: t2 - t1 }));`;
  const sample = (argv) => {
    const r = spawnSync(process.execPath, argv, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`load measurement failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split("\n").pop());
  };
  const samples = [];
  for (let i = 0; i < runs; i++) {
    samples.push({ ...sample(["-e", requireScript]), ...sample(["--input-type=module", "-e", compileScript]) });
  }
  const median = (k) => {
    const v = samples.map((s) => s[k]).sort((a, b) => a - b);
    return Math.round(v[Math.floor(v.length / 2)] * 100) / 100;
  };
  return {
    runs,
    requireCjsMs: median("require"),
    decodeMs: median("decode"),
    compileWasmMs: median("compile"),
    node: process.version,
    note: "medians over fresh node processes. requireCjsMs: the whole require() of dist/phoenix-wasm.cjs " +
      `(JS parse, ${EMBED} decode, new WebAssembly.Module, initSync, Serializer). decodeMs and ` +
      "compileWasmMs: those two steps alone.",
  };
}

const files = {};
for (const f of SHIPPED) {
  const buf = fs.readFileSync(path.join(STAGE, f));
  files[`dist/${f}`] = { raw: buf.length, gzip: gzipSize(buf) };
}
const phoenixMin = path.join(ROOT, "node_modules", "phoenix", "priv", "static", "phoenix.min.js");
const ref = fs.existsSync(phoenixMin) ? fs.readFileSync(phoenixMin) : null;
const refGzip = ref ? gzipSize(ref) : null;
const sizes = {
  generated: new Date().toISOString(),
  builtWith,
  gzipLevel: 9,
  files,
  embed: EMBED,
  wasm: {
    raw: wasmBytes.length, gzip: gzipSize(wasmBytes),
    base64: wasmB64.length, base64Gzip: gzipSize(Buffer.from(wasmB64)),
    hex: wasmHex.length, hexGzip: gzipSize(Buffer.from(wasmHex)),
  },
  reference: ref ? { "phoenix@1.8.16 priv/static/phoenix.min.js": { raw: ref.length, gzip: gzipSize(ref) } } : null,
  // What one consumer downloads: a single entry (the wasm is inside it), vs phoenix.min.js.
  perConsumer: Object.fromEntries(["phoenix-wasm.mjs", "phoenix-wasm.cjs", "phoenix-wasm.min.js"].map((f) => [
    `dist/${f}`, { gzip: files[`dist/${f}`].gzip, vsPhoenixMinJs: refGzip ? +(files[`dist/${f}`].gzip / refGzip).toFixed(2) : null },
  ])),
  packageTotal: {
    raw: Object.values(files).reduce((a, s) => a + s.raw, 0),
    gzip: Object.values(files).reduce((a, s) => a + s.gzip, 0),
  },
  glueExports,
  load: measureLoad(),
};
fs.writeFileSync(path.join(STAGE, "sizes.json"), JSON.stringify(sizes, null, 2) + "\n");
// Swap the finished dist/ in (rename is atomic; the rm before it leaves a few-ms gap at most).
fs.rmSync(DIST, { recursive: true, force: true });
fs.renameSync(STAGE, DIST);

const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
console.log("");
console.log(`${pad("file", 44)}${lpad("raw", 10)}${lpad("gzip -9", 10)}`);
for (const [f, s] of Object.entries(files)) console.log(`${pad(f, 44)}${lpad(s.raw, 10)}${lpad(s.gzip, 10)}`);
console.log(`${pad("(wasm alone, after wasm-opt)", 44)}${lpad(sizes.wasm.raw, 10)}${lpad(sizes.wasm.gzip, 10)}`);
console.log(`${pad(`(wasm as base64${EMBED === "base64" ? ", embedded" : ""})`, 44)}${lpad(sizes.wasm.base64, 10)}${lpad(sizes.wasm.base64Gzip, 10)}`);
console.log(`${pad(`(wasm as hex${EMBED === "hex" ? ", embedded" : ""})`, 44)}${lpad(sizes.wasm.hex, 10)}${lpad(sizes.wasm.hexGzip, 10)}`);
console.log(`${pad("(all shipped files)", 44)}${lpad(sizes.packageTotal.raw, 10)}${lpad(sizes.packageTotal.gzip, 10)}`);
if (ref) console.log(`${pad("phoenix@1.8.16 phoenix.min.js (reference)", 44)}${lpad(ref.length, 10)}${lpad(refGzip, 10)}`);
console.log(`load in Node (median of ${sizes.load.runs}): require ${sizes.load.requireCjsMs} ms, ` +
  `${EMBED} decode ${sizes.load.decodeMs} ms, new WebAssembly.Module ${sizes.load.compileWasmMs} ms`);
log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s (wasm: ${builtWith}); wrote dist/sizes.json`);
