// Bundles the demo page (www/app.js -> www/dist/app.js) and the LiveView demo's client
// (www/live-demo.js -> www/dist/live-demo.js) with esbuild, importing the package the
// way an app does: `import { Socket, Presence } from "phoenix-wasm"`, resolved through this
// repository's package.json "exports" (a package self-reference), i.e. the built dist/.
//
//   npm run build          # the package (dist/)
//   node www/build.mjs     # the page; --watch rebuilds on change
//
// Cross-check: `node www/build.mjs --reference DIR` writes a complete copy of the site to DIR
// built against npm phoenix@1.8.16 (phoenix.js) instead; run the end-to-end suite on it with
// `PHX_E2E_WWW=DIR node --test tests/browser/e2e/` to tell page bugs from package bugs.
import * as esbuild from "esbuild";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const refAt = process.argv.indexOf("--reference");
const reference = refAt > 0 ? path.resolve(process.argv[refAt + 1] || "") : null;
if (!reference && !fs.existsSync(path.join(root, "dist", "phoenix-wasm.mjs"))) {
  console.error("www/build.mjs: dist/phoenix-wasm.mjs is missing: run `npm run build` first");
  process.exit(1);
}

const options = {
  absWorkingDir: root,
  entryPoints: [path.join(here, "app.js")],
  outfile: path.join(reference || here, "dist", "app.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2020"],
  minify: true,
  sourcemap: true,
  legalComments: "none",
  logLevel: "info",
};

if (reference) {
  options.alias = { "phoenix-wasm": "phoenix" };
  fs.mkdirSync(reference, { recursive: true });
  for (const f of ["index.html", "style.css", "favicon.svg"]) fs.copyFileSync(path.join(here, f), path.join(reference, f));
}

// The LiveView demo page (/live-demo): live-demo.js imports `phoenix` as a LiveView app does;
// here `phoenix` is this package (with --reference: npm phoenix, i.e. phoenix.js).
const liveOptions = {
  ...options,
  entryPoints: [path.join(here, "live-demo.js")],
  outfile: path.join(reference || here, "dist", "live-demo.js"),
  alias: reference ? {} : { phoenix: "phoenix-wasm" },
};

if (process.argv.includes("--watch")) {
  for (const o of [options, liveOptions]) await (await esbuild.context(o)).watch();
  console.log("www/build.mjs: watching www/app.js and www/live-demo.js");
} else {
  await Promise.all([esbuild.build(options), esbuild.build(liveOptions)]);
}
