// The package loads by name with `import` in plain Node (no window, no init call).
import { test } from "node:test";
import assert from "node:assert/strict";
import { distFile, exercise, PHOENIX_EXPORTS } from "./helpers.mjs";

test("import from \"phoenix-wasm\" works in Node without window or init", async () => {
  distFile("phoenix-wasm.mjs");
  assert.equal(typeof globalThis.window, "undefined");
  const mod = await import("phoenix-wasm");
  const checked = exercise(mod, assert);
  assert.ok(checked.length > 0, "nothing usable is exported");
});

test("named imports resolve at module top level", async () => {
  const { Socket, Channel, LongPoll, Presence, Serializer } = await import("phoenix-wasm");
  // Each name exists; each is either a class or (until the wasm exports it) undefined.
  for (const [name, value] of Object.entries({ Socket, Channel, LongPoll, Presence })) {
    assert.ok(value === undefined || typeof value === "function", `${name}: ${typeof value}`);
  }
  assert.ok(Serializer === undefined || typeof Serializer === "object");
});

test("every export of phoenix@1.8.16 is exported", async () => {
  const ours = await import("phoenix-wasm");
  const theirs = await import("phoenix");
  assert.deepEqual(Object.keys(theirs).sort(), PHOENIX_EXPORTS);
  for (const name of PHOENIX_EXPORTS) assert.ok(name in ours, name);
});
