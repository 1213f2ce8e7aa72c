// The shipped declarations (dist/phoenix-wasm.d.ts, from js/types.d.ts) against @types/phoenix
// 1.6.7, the types phoenix.js users have today:
// - compat/*.ts use that package's whole API (every class, method, option, callback signature and
//   exported type). They must compile under `tsc --strict --noEmit` with `phoenix` resolved to
//   @types/phoenix (the samples are valid) and with `phoenix` mapped to our d.ts (tsconfig paths):
//   any such program keeps compiling after switching to phoenix-wasm.
// - ours/*.ts: phoenix.js 1.8 API that @types/phoenix lacks (authToken functions, ping,
//   getLongPollTransport, LongPoll protocols, Serializer, ...) and @ts-expect-error lines that
//   must stay errors (the declarations are not `any` in disguise); node/*.ts: a Node program
//   without the DOM lib.
// - every member declared on Socket, Channel, Presence, LongPoll, Push and Serializer exists on
//   the objects of the built package.
// Run by hand: node_modules/.bin/tsc --strict --noEmit -p tests/types/tsconfig.phoenix-wasm.json
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { declaredMembers } from "./members.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
const TSC = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
const DTS = path.join(ROOT, "dist", "phoenix-wasm.d.ts");

function tsc(project) {
  return new Promise((resolve) => {
    execFile(process.execPath, [TSC, "--strict", "--noEmit", "-p", path.join(HERE, project)], { cwd: ROOT, encoding: "utf8" },
      (err, stdout, stderr) => resolve({ code: err ? err.code ?? 1 : 0, out: stdout + stderr }));
  });
}

function preconditions() {
  assert.ok(fs.existsSync(TSC), "typescript devDependency missing: npm ci");
  assert.ok(fs.existsSync(path.join(ROOT, "node_modules", "@types", "phoenix", "index.d.ts")), "@types/phoenix devDependency missing: npm ci");
  assert.equal(JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", "@types", "phoenix", "package.json"), "utf8")).version, "1.6.7");
  assert.ok(fs.existsSync(DTS), `${DTS} missing: run npm run build`);
}

// The three compilations run at once (tsc is a few seconds of CPU each).
let runs;
function compileAll() {
  runs ??= Promise.all(["tsconfig.types-phoenix.json", "tsconfig.phoenix-wasm.json", "tsconfig.node.json"].map(tsc));
  return runs;
}

test("dist/phoenix-wasm.d.ts and .d.cts are js/types.d.ts (npm run build is current)", () => {
  preconditions();
  const source = fs.readFileSync(path.join(ROOT, "js", "types.d.ts"), "utf8");
  assert.equal(fs.readFileSync(DTS, "utf8"), source, "dist/phoenix-wasm.d.ts differs from js/types.d.ts: run npm run build");
  assert.equal(fs.readFileSync(DTS.replace(/\.d\.ts$/, ".d.cts"), "utf8"), source);
});

test("compat samples compile against @types/phoenix 1.6.7 (they are valid programs)", async () => {
  preconditions();
  const [ref] = await compileAll();
  assert.equal(ref.code, 0, `tsc against @types/phoenix:\n${ref.out}`);
});

test("compat samples (and the 1.8 additions, and the expected errors) compile against phoenix-wasm's d.ts", async () => {
  preconditions();
  const [, ours] = await compileAll();
  assert.equal(ours.code, 0, `tsc against dist/phoenix-wasm.d.ts:\n${ours.out}`);
});

test("a Node program compiles against phoenix-wasm's d.ts without the DOM lib", async () => {
  preconditions();
  const [, , node] = await compileAll();
  assert.equal(node.code, 0, `tsc (lib es2020, types node):\n${node.out}`);
});

test("every sample file is in a project, and the compat samples use every export of @types/phoenix", () => {
  const compat = fs.readdirSync(path.join(HERE, "compat")).filter((f) => f.endsWith(".ts"));
  assert.ok(compat.length >= 5, compat.join());
  const text = compat.map((f) => fs.readFileSync(path.join(HERE, "compat", f), "utf8")).join("\n");
  const theirs = fs.readFileSync(path.join(ROOT, "node_modules", "@types", "phoenix", "index.d.ts"), "utf8");
  const exported = [...theirs.matchAll(/^export (?:class|type|interface) (\w+)/gm)].map((m) => m[1]);
  assert.ok(exported.length >= 15, exported.join());
  for (const name of exported) assert.match(text, new RegExp(`\\b${name}\\b`), `compat samples never use ${name}`);
  // Every method/property name @types/phoenix declares appears in the samples.
  const members = declaredMembers(path.join(ROOT, "node_modules", "@types", "phoenix", "index.d.ts"));
  for (const [cls, { instance, static: st }] of Object.entries(members)) {
    for (const m of [...instance, ...st]) {
      if (m === "constructor") continue;
      assert.match(text, new RegExp(`\\.${m}\\b|\\b${m}:`), `compat samples never use ${cls}.${m}`);
    }
  }
  for (const opt of [...theirs.matchAll(/^ {4}(\w+): /gm)].map((m) => m[1])) {
    assert.match(text, new RegExp(`\\b${opt}\\b`), `compat samples never use ${opt}`);
  }
});

test("every member the d.ts declares exists on the built package's objects", async () => {
  preconditions();
  const P = await import(pathToFileURL(path.join(ROOT, "dist", "phoenix-wasm.mjs")).href);
  const declared = declaredMembers(path.join(ROOT, "js", "types.d.ts"));
  const socket = new P.Socket("ws://127.0.0.1:9/socket", { reconnectAfterMs: () => 60_000 });
  const channel = socket.channel("room:types");
  const objects = {
    Socket: socket,
    Channel: channel,
    Push: channel.join(),
    Presence: new P.Presence(channel),
    LongPoll: new P.LongPoll("http://127.0.0.1:9/socket/longpoll"),
    Serializer: P.Serializer,
  };
  const optional = { LongPoll: ["binaryType", "timeout", "authToken"] }; // declared optional: set by the socket, or only with a token protocol
  const missing = [];
  for (const [cls, { instance, static: statics }] of Object.entries(declared)) {
    if (cls === "Ajax" || cls === "Timer") {
      assert.equal(P[cls], undefined, `${cls} is declared for @types/phoenix compatibility only`);
      continue;
    }
    const obj = objects[cls];
    assert.ok(obj, `no object for declared class ${cls}`);
    for (const m of instance) if (m !== "constructor" && !(m in obj) && !optional[cls]?.includes(m)) missing.push(`${cls}#${m}`);
    if (cls !== "Push" && cls !== "Serializer") for (const m of statics) if (!(m in P[cls])) missing.push(`${cls}.${m}`);
  }
  assert.deepEqual(missing, []);
  assert.equal(P.Push, undefined, "Push is a type only, as in phoenix.js");
});
