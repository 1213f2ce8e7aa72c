// Drop-in by alias: tests/fixtures/alias-app is an app written for phoenix.js (`import {Socket,
// Presence} from "phoenix"`, `require("phoenix")`). It gets phoenix-wasm under the name `phoenix`
// ("phoenix": "file:<npm pack of this repo>", installed offline) and runs unchanged in Node
// against the reference server over `ws`: join, push/reply, broadcast, presence. The same app
// file also runs with the real npm phoenix@1.8.16, which must give the same answers.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "../../server/support.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const FIXTURE = path.join(ROOT, "tests", "fixtures", "alias-app");
const npmEnv = { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" };
const npm = (args, cwd) => execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: npmEnv });

let server, tmp, app;
before(async () => {
  for (const f of ["phoenix-wasm.mjs", "phoenix-wasm.cjs", "phoenix-wasm.d.ts"]) {
    assert.ok(fs.existsSync(path.join(ROOT, "dist", f)), `dist/${f} missing: run npm run build`);
  }
  server = await startServer();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-wasm-alias-"));
  const [info] = JSON.parse(npm(["pack", "--json", "--ignore-scripts", "--pack-destination", tmp], ROOT));
  app = path.join(tmp, "app");
  fs.cpSync(FIXTURE, app, { recursive: true, filter: (src) => !src.includes("node_modules") });
  const pkgFile = path.join(app, "package.json");
  const pkg = JSON.parse(fs.readFileSync(pkgFile, "utf8"));
  assert.match(pkg.dependencies.phoenix, /^file:\.\.\/phoenix-wasm-.*\.tgz$/);
  pkg.dependencies.phoenix = `file:../${info.filename}`;
  fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
  try {
    npm(["install", "--offline", "--no-package-lock"], app);
  } catch {
    // ws not in this machine's npm cache yet: let npm fetch it once.
    npm(["install", "--prefer-offline", "--no-package-lock"], app);
  }
});
after(async () => {
  await server?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function run(file, cwd) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [file, server.http], { cwd, encoding: "utf8", timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} failed (${err.code}):\n${stdout}${stderr}`));
      else resolve(JSON.parse(stdout.trim().split("\n").pop()));
    });
  });
}

test("node_modules/phoenix is phoenix-wasm, installed from the packed tarball", () => {
  const installed = JSON.parse(fs.readFileSync(path.join(app, "node_modules", "phoenix", "package.json"), "utf8"));
  assert.equal(installed.name, "phoenix-wasm");
  assert.ok(fs.existsSync(path.join(app, "node_modules", "phoenix", "dist", "phoenix-wasm.mjs")));
});

test("import {Socket, Presence} from \"phoenix\": join, push/reply, broadcast, presence", async () => {
  const r = await run("app.mjs", app);
  assert.equal(r.implementation, "phoenix-wasm");
  assert.ok(Array.isArray(r.joined.messages));
  assert.equal(typeof r.reply.id, "number");
  assert.equal(r.message.id, r.reply.id);
  assert.equal(r.message.user, "alias_app");
  assert.equal(r.message.body, "hello from an unchanged phoenix.js app");
  assert.ok(r.users.includes("alias_app"));
  assert.equal(r.state, "joined");
});

test("require(\"phoenix\"): the five exports, join and push/reply", async () => {
  const r = await run("app.cjs", app);
  assert.equal(r.implementation, "phoenix-wasm");
  assert.deepEqual(r.exports, ["function", "function", "function", "function", "object"]);
  assert.equal(typeof r.reply.id, "number");
});

test("the same app.mjs with npm phoenix@1.8.16 gives the same answers", async () => {
  // Copied under the repo so that "phoenix" and "ws" resolve to the repo's devDependencies.
  const dir = fs.mkdtempSync(path.join(ROOT, "target", "alias-ref-"));
  try {
    fs.copyFileSync(path.join(FIXTURE, "app.mjs"), path.join(dir, "app.mjs"));
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
    const r = await run("app.mjs", dir);
    assert.equal(r.implementation, "phoenix.js");
    assert.equal(typeof r.reply.id, "number");
    assert.equal(r.message.body, "hello from an unchanged phoenix.js app");
    assert.ok(r.users.includes("alias_app"));
    assert.equal(r.state, "joined");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("TypeScript resolves \"phoenix\" to the package's own types (nodenext, strict, no paths)", () => {
  const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
  try {
    execFileSync(process.execPath, [tsc, "--strict", "--noEmit", "--module", "nodenext", "--moduleResolution", "nodenext",
      "--target", "es2020", "--lib", "es2020,dom", "--skipDefaultLibCheck", "check.mts"],
    { cwd: app, encoding: "utf8", stdio: "pipe" });
  } catch (err) {
    assert.fail(`tsc failed:\n${err.stdout}${err.stderr}`);
  }
});
