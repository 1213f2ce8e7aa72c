// (a) phoenix.js 1.8.16 still produces its golden traces: proves the harness and the
// scenarios are deterministic and the fixtures are up to date (regenerate with record.mjs).
import {test} from "node:test";
import assert from "node:assert/strict";
import {scenarios, browserScenarios, runBrowserScenarios, runScenario, loadFixture, compare, loadPhoenix} from "./common.mjs";

const phx = await loadPhoenix();
let browserTraces = null;
let browserError = null;
try {
  browserTraces = runBrowserScenarios("phoenix", Object.keys(browserScenarios));
} catch (e) {
  browserError = e;
}

for (const [name, fn] of Object.entries(scenarios)) {
  test(`phoenix.js ${name}`, async () => {
    const golden = loadFixture(name);
    assert.ok(golden, `no golden trace for ${name}: run node tests/node/diff/record.mjs ${name}`);
    let trace;
    if (browserScenarios[name]) {
      if (browserError) assert.fail(`browser child process failed: ${browserError.message}`);
      trace = browserTraces[name];
    } else {
      trace = JSON.parse(JSON.stringify(await runScenario(phx, fn, {name})));
    }
    const d = compare(name, golden, trace);
    if (d) assert.fail(d);
  });
}
