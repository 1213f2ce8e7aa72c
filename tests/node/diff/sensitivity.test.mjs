// Harness sensitivity: mutated copies of phoenix.js must each be caught by at least one
// scenario (and an unobservable change must not be). This guards against a harness that
// silently stops observing things.
import {test} from "node:test";
import assert from "node:assert/strict";
import {readFileSync, writeFileSync, mkdtempSync} from "node:fs";
import {tmpdir} from "node:os";
import path from "node:path";
import {pathToFileURL, fileURLToPath} from "node:url";
import {scenarios, browserScenarios, runScenario, loadFixture, compare} from "./common.mjs";

const SRC = fileURLToPath(import.meta.resolve("phoenix"));
const source = readFileSync(SRC, "utf8");
const dir = mkdtempSync(path.join(tmpdir(), "phx-mutants-"));

// [name, [[search, replace], ...], expectKilled]
const MUTANTS = [
  ["payload identity lost in bindings", [["bind.callback(handledPayload,", "bind.callback(structuredClone(handledPayload),"]], true],
  ["reconnect backoff table", [["[10, 50, 100, 150,", "[20, 50, 100, 150,"]], true],
  ["leave closes asynchronously", [['this.trigger(CHANNEL_EVENTS.close, "leave");', 'setTimeout(() => this.trigger(CHANNEL_EVENTS.close, "leave"), 0);']], true],
  ["immediate receive deferred to a microtask", [["callback(this.receivedResp.response);", "Promise.resolve().then(() => callback(this.receivedResp.response));"]], true],
  [
    "socket onClose before channel errors",
    [
      ["const closedByUs = !!(connection && connection.closing);", "const closedByUs = !!(connection && connection.closing); this.stateChangeCallbacks.close.forEach(([, callback]) => callback(event));"],
      ["    }\n    this.stateChangeCallbacks.close.forEach(([, callback]) => callback(event));", "    }\n"],
    ],
    true,
  ],
  [
    "send buffer flushed after onOpen callbacks",
    [
      ["    this.flushSendBuffer();\n    this.reconnectTimer.reset();", "    this.reconnectTimer.reset();"],
      ["this.stateChangeCallbacks.open.forEach(([, callback]) => callback());", "this.stateChangeCallbacks.open.forEach(([, callback]) => callback()); this.flushSendBuffer();"],
    ],
    true,
  ],
  ["off() substring quirk fixed", [["return refs.indexOf(ref) === -1;", "return !(Array.isArray(refs) ? refs : [refs]).includes(ref);"]], true],
  ["refs are numbers", [["return this.ref.toString();", "return this.ref;"]], true],
  ["binaryType not set on the transport", [["transport.binaryType = this.binaryType;", ""]], true],
  ["Push.reset cancels its timer", [["  reset() {\n    this.cancelRefEvent();", "  reset() {\n    this.cancelTimeout();\n    this.cancelRefEvent();"]], true],
  ["receive hook exceptions swallowed", [[".forEach((h) => h.callback(response));", ".forEach((h) => { try { h.callback(response); } catch (e) {} });"]], true],
  // negative control: clearing nothing is unobservable
  ["extra clearTimeout(null) calls", [["    this.tries = 0;\n    clearTimeout(this.timer);", "    this.tries = 0;\n    clearTimeout(null);\n    clearTimeout(this.timer);"]], false],
];

let n = 0;
for (const [name, edits, expectKilled] of MUTANTS) {
  test(`mutant: ${name} is ${expectKilled ? "caught" : "not flagged"}`, async (t) => {
    let src = source;
    for (const [a, b] of edits) {
      assert.ok(src.includes(a), `mutation anchor not found: ${a}`);
      src = src.replace(a, b);
    }
    const file = path.join(dir, `mutant${++n}.mjs`);
    writeFileSync(file, src);
    const impl = await import(pathToFileURL(file).href);
    const killers = [];
    for (const [sname, fn] of Object.entries(scenarios)) {
      if (browserScenarios[sname]) continue;
      const trace = JSON.parse(JSON.stringify(await runScenario(impl, fn, {name: sname})));
      if (compare(sname, loadFixture(sname), trace)) killers.push(sname);
    }
    if (expectKilled) assert.ok(killers.length > 0, "no scenario noticed this mutation");
    else assert.deepEqual(killers, [], "an unobservable change was flagged");
    t.diagnostic(`${killers.length} scenario(s) differ: ${killers.slice(0, 5).join(", ")}${killers.length > 5 ? ", ..." : ""}`);
  });
}
