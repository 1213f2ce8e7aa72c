// Shared by record.mjs and the tests.
import {readFileSync, existsSync} from "node:fs";
import {fileURLToPath, pathToFileURL} from "node:url";
import path from "node:path";
import scenarios, {browserScenarios} from "./scenarios/index.mjs";
import {execFileSync} from "node:child_process";
import allowlist from "./allowlist.mjs";
import {runScenario, diffTraces, formatTrace} from "./harness.mjs";

export const DIR = path.dirname(fileURLToPath(import.meta.url));
export const FIXTURES = path.join(DIR, "fixtures");
export {scenarios, browserScenarios, allowlist, runScenario, diffTraces, formatTrace};

export function fixturePath(name) {
  return path.join(FIXTURES, `${name.replace(/[^A-Za-z0-9._-]/g, "_")}.json`);
}

export function loadFixture(name) {
  const p = fixturePath(name);
  if (!existsSync(p)) return null;
  return JSON.parse(readFileSync(p, "utf8"));
}

export async function loadPhoenix() {
  return await import("phoenix");
}

// phoenix-wasm, or PHX_IMPL=<path or package name>
export async function loadImpl() {
  const spec = process.env.PHX_IMPL || "phoenix-wasm";
  const target = spec.startsWith(".") || spec.startsWith("/") ? pathToFileURL(path.resolve(spec)).href : spec;
  return {spec, module: await import(target)};
}

// compare a trace against a golden one, applying the allowlist; returns null or a report
export function compare(name, expected, actual) {
  const entry = allowlist[name];
  if (entry) {
    expected = entry.normalize(expected);
    actual = entry.normalize(actual);
  }
  const d = diffTraces(expected, actual);
  return d && `scenario ${name}: ${d}`;
}

// Browser scenarios need `window`/`document` before the client is imported, so they run in a
// child process. Returns {name: trace}. `which` is "phoenix" or "impl".
export function runBrowserScenarios(which, names) {
  if (!names.length) return {};
  const out = execFileSync(process.execPath, ["--import", path.join(DIR, "browser-globals.mjs"), path.join(DIR, "run-child.mjs"), which, ...names], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: process.env,
  });
  return JSON.parse(out);
}
