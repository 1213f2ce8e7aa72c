// The package loads by name with `require` in plain Node (no window, no init call).
const { test } = require("node:test");
const assert = require("node:assert/strict");

test("require(\"phoenix-wasm\") works in Node without window or init", async () => {
  const { exercise, distFile } = await import("./helpers.mjs");
  distFile("phoenix-wasm.cjs");
  assert.equal(typeof globalThis.window, "undefined");
  const mod = require("phoenix-wasm");
  assert.ok(exercise(mod, assert).length > 0, "nothing usable is exported");
  assert.equal(require.resolve("phoenix-wasm").endsWith("dist/phoenix-wasm.cjs"), true);
});

test("require and import give the same export names", async () => {
  const cjs = require("phoenix-wasm");
  const esm = await import("phoenix-wasm");
  assert.deepEqual(Object.keys(cjs).sort(), Object.keys(esm).sort());
});
