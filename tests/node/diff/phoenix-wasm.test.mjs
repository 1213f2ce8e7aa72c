// (b) phoenix-wasm (or PHX_IMPL=<path or package>) produces exactly the golden trace that
// phoenix.js 1.8.16 produced for every scenario. Known intentional differences go only
// through allowlist.mjs. If the implementation cannot be imported every test FAILS.
import {test} from "node:test";
import assert from "node:assert/strict";
import {scenarios, browserScenarios, runBrowserScenarios, runScenario, loadFixture, compare, loadImpl} from "./common.mjs";

let impl = null;
let importError = null;
let spec = process.env.PHX_IMPL || "phoenix-wasm";
try {
  ({spec, module: impl} = await loadImpl());
} catch (e) {
  importError = e;
}
let browserTraces = null;
let browserError = null;
if (!importError) {
  try {
    browserTraces = runBrowserScenarios("impl", Object.keys(browserScenarios));
  } catch (e) {
    browserError = e;
  }
}

for (const [name, fn] of Object.entries(scenarios)) {
  test(`${spec} ${name}`, async () => {
    if (importError) assert.fail(`cannot import ${spec}: ${importError.message}`);
    const golden = loadFixture(name);
    assert.ok(golden, `no golden trace for ${name}: run node tests/node/diff/record.mjs ${name}`);
    let trace;
    if (browserScenarios[name]) {
      if (browserError) assert.fail(`browser child process failed: ${browserError.message}\n${browserError.stderr || ""}`);
      trace = browserTraces[name];
    } else {
      trace = JSON.parse(JSON.stringify(await runScenario(impl, fn, {name})));
    }
    const d = compare(name, golden, trace);
    if (d) assert.fail(d);
  });
}
