#!/usr/bin/env node
// `npm run build`: builds the npm package phoenix-wasm into dist/.
//
// 1. Release wasm: `cargo build --target wasm32-unknown-unknown`, then the pinned `wasm-bindgen`
//    CLI (scripts/setup.sh installs exactly the version in Cargo.lock) with
//    `--target web --omit-default-module-path`, so the glue never refers to a .wasm URL.
// 2. wasm-opt -Oz (npm `binaryen`, node_modules/.bin).
// 3. The hand-written entry `js/index.js` is bundled; it imports the glue (`phoenix-wasm:glue`)
//    and the embedded bytes (`phoenix-wasm:bytes`, hex or base64), instantiated synchronously
//    in `js/wasm.js` (new WebAssembly.Module + initSync): no init call.
// 4. esbuild bundles it three ways, injecting js/text-codec.js so the glue works without global
//    TextEncoder/TextDecoder (jest jsdom): dist/phoenix-wasm.mjs (ESM), dist/phoenix-wasm.cjs
//    (CommonJS), dist/phoenix-wasm.min.js (IIFE, global `Phoenix`, like phoenix.min.js).
// 5. dist/phoenix-wasm.d.ts (+ .d.cts) from js/types.d.ts.
// 6. dist/sizes.json: raw and gzip bytes of every shipped file, the wasm and phoenix.min.js.
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
  builtWith = "cargo+wasm-bindgen";
  must("cargo", ["build", "--lib", "--release", "--target", "wasm32-unknown-unknown", "-p", CRATE_NAME]);
  const targetDir = process.env.CARGO_TARGET_DIR || path.join(ROOT, "target");
  const raw = path.join(targetDir, "wasm32-unknown-unknown", "release", `${CRATE_NAME.replace(/-/g, "_")}.wasm`);
  must("wasm-bindgen", [
    "--target", "web", "--omit-default-module-path", "--out-dir", WASM_OUT, "--out-name", OUT_NAME, raw,
  ]);
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

const glue = fs.readFileSync(glueFile, "utf8");
if (/import\.meta/.test(glue)) {
  console.error("[build] the glue refers to import.meta (was --omit-default-module-path dropped?)");
  process.exit(1);
}
const probe = await esbuild.build({
  entryPoints: [glueFile], bundle: true, write: false, metafile: true, format: "esm", logLevel: "silent",
});
const glueExports = Object.values(probe.metafile.outputs)[0].exports;
if (!glueExports.includes("initSync")) {
  console.error(`[build] the glue has no initSync (exports: ${glueExports.join(", ")})`);
  process.exit(1);
}

const wasmBytes = fs.readFileSync(wasmFile);
const wasmB64 = wasmBytes.toString("base64");
const wasmHex = wasmBytes.toString("hex");
const decoder = EMBED === "hex" ? "decodeHex" : "decodeBase64";
const bytesFile = path.join(WORK, "wasm-bytes.js");
fs.writeFileSync(bytesFile, `// Generated by scripts/build.mjs: the wasm, ${EMBED}-encoded.
import { ${decoder} } from ${JSON.stringify(path.join(ROOT, "js", "base64.js"))};
export const wasmBytes = () => ${decoder}(${JSON.stringify(EMBED === "hex" ? wasmHex : wasmB64)});
`);
// The two generated modules, as the hand-written sources in js/ name them.
const generated = {
  name: "phoenix-wasm-generated",
  setup(b) {
    b.onResolve({ filter: /^phoenix-wasm:(glue|bytes)$/ }, (a) => ({
      path: a.path === "phoenix-wasm:glue" ? glueFile : bytesFile,
    }));
  },
};
const entryFile = path.join(ROOT, "js", "index.js");

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
  plugins: [generated],
};
// A warning here is a warning in every app that bundles the package: the build fails on one.
const built = [];
built.push(await esbuild.build({ ...common, format: "esm", outfile: path.join(STAGE, "phoenix-wasm.mjs") }));
built.push(await esbuild.build({ ...common, format: "cjs", outfile: path.join(STAGE, "phoenix-wasm.cjs") }));
built.push(await esbuild.build({
  ...common, format: "iife", globalName: "Phoenix", minify: true, outfile: path.join(STAGE, "phoenix-wasm.min.js"),
}));
if (built.some((r) => r.warnings.length)) {
  console.error("[build] esbuild warned (see above): apps bundling the package would see the same");
  process.exit(1);
}
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
// 6. sizes (load cost is measured by the benchmark, bench/run.mjs, not on every build)
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
log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s (wasm: ${builtWith}); wrote dist/sizes.json`);
