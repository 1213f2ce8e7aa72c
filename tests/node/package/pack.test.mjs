// `npm pack` yields a complete package: every entry point in package.json is in it, and the
// tarball installs into an empty project (offline: the package has no dependencies) and loads
// there with both import and require.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, PKG, distFile } from "./helpers.mjs";

const npm = (args, cwd) => execFileSync("npm", args, {
  cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"],
  env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" },
});

function entryPoints(pkg) {
  const out = new Set([pkg.main, pkg.module, pkg.types, pkg.unpkg, pkg.jsdelivr]);
  const walk = (v) => {
    if (typeof v === "string") out.add(v);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(pkg.exports);
  return [...out].filter(Boolean).map((p) => p.replace(/^\.\//, ""));
}

test("npm pack --dry-run lists every entry point and nothing from the sources", () => {
  for (const f of entryPoints(PKG)) if (f.startsWith("dist/")) distFile(f.slice(5));
  const [info] = JSON.parse(npm(["pack", "--dry-run", "--json", "--ignore-scripts"], ROOT));
  const files = info.files.map((f) => f.path).sort();
  for (const f of [...entryPoints(PKG), "README.md", "package.json"]) assert.ok(files.includes(f), `${f} not packed: ${files}`);
  for (const f of files) assert.match(f, /^(dist\/phoenix-wasm\.|README\.md$|package\.json$|LICENSE)/, `unexpected file ${f}`);
  assert.equal(info.name, "phoenix-wasm");
});

test("the packed tarball installs and loads with import and require", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-wasm-pack-"));
  try {
    const [info] = JSON.parse(npm(["pack", "--json", "--ignore-scripts", "--pack-destination", tmp], ROOT));
    const app = path.join(tmp, "app");
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "app", private: true }));
    npm(["install", "--offline", "--no-package-lock", path.join(tmp, info.filename)], app);
    const check = `
      const checks = (m) => ["Socket","Channel","LongPoll","Presence","Serializer"].every((n) => n in m);
      const c = require("phoenix-wasm");
      import("phoenix-wasm").then((e) => {
        if (!checks(c) || !checks(e)) { console.error("missing exports"); process.exit(1); }
        console.log(JSON.stringify(Object.keys(e).sort()));
      });`;
    const out = execFileSync(process.execPath, ["-e", check], { cwd: app, encoding: "utf8" });
    assert.deepEqual(JSON.parse(out).filter((n) => /^[A-Z]/.test(n)), ["Channel", "LongPoll", "Presence", "Serializer", "Socket"]);
    for (const f of ["phoenix-wasm.d.ts", "phoenix-wasm.min.js"]) {
      assert.ok(fs.existsSync(path.join(app, "node_modules", "phoenix-wasm", "dist", f)), f);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
