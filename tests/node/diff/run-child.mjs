// Runs browser scenarios in this process (started with --import ./browser-globals.mjs) and
// prints {name: trace} as JSON on stdout.  Usage: node --import ./browser-globals.mjs
// run-child.mjs <phoenix|impl> NAME...   (impl = PHX_IMPL or phoenix-wasm, as in the tests)
import {browserScenarios, runScenario, loadPhoenix, loadImpl} from "./common.mjs";

const [which, ...names] = process.argv.slice(2);
const impl = which === "phoenix" ? await loadPhoenix() : (await loadImpl()).module;
const out = {};
for (const name of names) out[name] = await runScenario(impl, browserScenarios[name], {name});
process.stdout.write(JSON.stringify(out));
