#!/usr/bin/env node
// Progress report for phoenix-wasm (or PHX_IMPL): pass/fail per API row family, and the first
// difference of each failing scenario on one line.
//   node tests/node/diff/summary.mjs [-v]
import {scenarios, browserScenarios, runBrowserScenarios, runScenario, loadFixture, compare, loadImpl} from "./common.mjs";

const verbose = process.argv.includes("-v");
let impl;
try {
  impl = await loadImpl();
} catch (e) {
  console.log(`cannot import ${process.env.PHX_IMPL || "phoenix-wasm"}: ${e.message}`);
  process.exit(1);
}
let browser = {};
try {
  browser = runBrowserScenarios("impl", Object.keys(browserScenarios));
} catch (e) {
  console.log(`browser scenarios failed to run: ${e.message}`);
}
const byFamily = {};
const failures = [];
for (const [name, fn] of Object.entries(scenarios)) {
  const fam = name.match(/^[A-Z]+/)?.[0] || "?";
  byFamily[fam] ||= {pass: 0, fail: 0};
  const trace = browserScenarios[name] ? browser[name] : JSON.parse(JSON.stringify(await runScenario(impl.module, fn, {name})));
  const d = trace ? compare(name, loadFixture(name), trace) : "no trace";
  if (d) {
    byFamily[fam].fail++;
    const first = d.split("\n").find((l) => l.includes("+ actual")) || d.split("\n")[0];
    failures.push(`${name}: ${first.trim().slice(0, 200)}`);
  } else byFamily[fam].pass++;
}
console.log(`${impl.spec}:`);
for (const [fam, c] of Object.entries(byFamily)) console.log(`  ${fam.padEnd(4)} ${String(c.pass).padStart(3)} pass ${String(c.fail).padStart(3)} fail`);
const tot = Object.values(byFamily).reduce((a, c) => [a[0] + c.pass, a[1] + c.fail], [0, 0]);
console.log(`  all  ${String(tot[0]).padStart(3)} pass ${String(tot[1]).padStart(3)} fail`);
if (verbose) for (const f of failures) console.log(`  - ${f}`);
