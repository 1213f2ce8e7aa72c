#!/usr/bin/env node
// Regenerates the golden traces from phoenix.js 1.8.16:
//   node tests/node/diff/record.mjs            all scenarios
//   node tests/node/diff/record.mjs NAME...    only these (substring match)
//   node tests/node/diff/record.mjs --print NAME   print the trace instead of writing it
// Every scenario is run twice and must give the same trace (determinism check).
import {mkdirSync, writeFileSync, readdirSync, unlinkSync} from "node:fs";
import path from "node:path";
import {scenarios, browserScenarios, runBrowserScenarios, runScenario, diffTraces, formatTrace, fixturePath, FIXTURES, loadPhoenix} from "./common.mjs";

const args = process.argv.slice(2);
const print = args.includes("--print");
const filters = args.filter((a) => !a.startsWith("--"));
const phx = await loadPhoenix();
mkdirSync(FIXTURES, {recursive: true});
let n = 0;
let failed = 0;
for (const [name, fn] of Object.entries(scenarios)) {
  if (filters.length && !filters.some((f) => name.includes(f))) continue;
  let t1, t2;
  if (browserScenarios[name]) {
    t1 = runBrowserScenarios("phoenix", [name])[name];
    t2 = runBrowserScenarios("phoenix", [name])[name];
  } else {
    t1 = JSON.parse(JSON.stringify(await runScenario(phx, fn, {name})));
    t2 = JSON.parse(JSON.stringify(await runScenario(phx, fn, {name})));
  }
  const d = diffTraces(t1, t2);
  if (d) {
    console.error(`NOT DETERMINISTIC: ${name}\n${d}`);
    failed++;
    continue;
  }
  if (t1.some((e) => e[0] === "scenario-threw")) console.error(`warning: ${name}: scenario threw (see trace)`);
  if (print) process.stdout.write(`=== ${name}\n${formatTrace(t1)}`);
  else writeFileSync(fixturePath(name), formatTrace(t1));
  n++;
}
if (!filters.length && !print) {
  const keep = new Set(Object.keys(scenarios).map((k) => path.basename(fixturePath(k))));
  for (const f of readdirSync(FIXTURES)) if (f.endsWith(".json") && !keep.has(f)) { unlinkSync(path.join(FIXTURES, f)); console.error(`removed stale ${f}`); }
}
console.error(`${print ? "printed" : "recorded"} ${n} scenario(s)${failed ? `, ${failed} not deterministic` : ""}`);
process.exit(failed ? 1 : 0);
