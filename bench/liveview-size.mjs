// What phoenix-wasm costs in a Phoenix LiveView app's bundle: the LiveView demo client
// (www/live-demo.js: `import {Socket, LongPoll} from "phoenix"` + `phoenix_live_view`) bundled
// and minified by esbuild with `phoenix` resolving to npm phoenix@1.8.16 and to this package
// (dist/, so run `npm run build` first), for each phoenix_live_view devDependency.
// Prints a Markdown table (raw, gzip -9, brotli q11 bytes); --json prints the numbers instead.
//
//   node bench/liveview-size.mjs
import * as esbuild from "esbuild";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
if (!fs.existsSync(path.join(root, "dist", "phoenix-wasm.mjs"))) {
  console.error("bench/liveview-size.mjs: dist/phoenix-wasm.mjs is missing: run `npm run build` first");
  process.exit(1);
}

const lvs = Object.keys(pkg.devDependencies).filter((d) => d.startsWith("phoenix_live_view"));
const clients = { "phoenix.js": {}, "phoenix-wasm": { phoenix: "phoenix-wasm" } };

async function bundle(lv, alias) {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [path.join(root, "www", "live-demo.js")],
    bundle: true, format: "esm", platform: "browser", target: ["es2020"], minify: true,
    legalComments: "none", write: false, outfile: "live-demo.js",
    alias: lv === "phoenix_live_view" ? alias : { ...alias, phoenix_live_view: lv },
  });
  const code = result.outputFiles[0].contents;
  return {
    raw: code.length,
    gzip: zlib.gzipSync(code, { level: 9 }).length,
    brotli: zlib.brotliCompressSync(code, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: code.length },
    }).length,
  };
}

const rows = [];
for (const lv of lvs) {
  const version = JSON.parse(fs.readFileSync(path.join(root, "node_modules", lv, "package.json"), "utf8")).version;
  const sizes = {};
  for (const [client, alias] of Object.entries(clients)) sizes[client] = await bundle(lv, alias);
  rows.push({ liveview: version, ...sizes });
}

if (process.argv.includes("--json")) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  const n = (x) => x.toLocaleString("en-US");
  console.log("| phoenix_live_view | with phoenix.js: raw / gzip / brotli | with phoenix-wasm: raw / gzip / brotli | gzip added |");
  console.log("|---|---|---|---|");
  for (const r of rows) {
    const a = r["phoenix.js"];
    const b = r["phoenix-wasm"];
    console.log(`| ${r.liveview} | ${n(a.raw)} / ${n(a.gzip)} / ${n(a.brotli)} | ${n(b.raw)} / ${n(b.gzip)} / ${n(b.brotli)} `
      + `| +${n(b.gzip - a.gzip)} (×${(b.gzip / a.gzip).toFixed(2)}) |`);
  }
}
