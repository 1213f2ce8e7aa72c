// jest's jsdom environment has no TextEncoder/TextDecoder. The bundles must load and work there,
// using their own UTF-8 codec, without assigning any global.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import vm from "node:vm";
import { pathToFileURL } from "node:url";
import { distFile, exercise, PHOENIX_EXPORTS } from "./helpers.mjs";
import { Utf8Encoder, Utf8Decoder } from "../../../js/text-codec.js";

// A bare V8 context: JS builtins (WebAssembly, Uint8Array...) but none of Node's or the web's
// globals, so no TextEncoder, TextDecoder, atob, Buffer, window, self or process.
function bareContext() {
  const ctx = vm.createContext({ console });
  assert.equal(vm.runInContext("typeof TextEncoder + typeof TextDecoder + typeof Buffer", ctx), "undefinedundefinedundefined");
  return ctx;
}

test("the CommonJS bundle works in a context without TextEncoder/TextDecoder", () => {
  const ctx = bareContext();
  const src = fs.readFileSync(distFile("phoenix-wasm.cjs"), "utf8");
  const module = { exports: {} };
  vm.runInContext(`(function (module, exports) {${src}\n})`, ctx, { filename: "phoenix-wasm.cjs" })(module, module.exports);
  assert.ok(exercise(module.exports, assert).length > 0);
  assert.equal(vm.runInContext("typeof TextEncoder + typeof TextDecoder", ctx), "undefinedundefined", "a global was assigned");
});

test("the IIFE bundle works in a context without TextEncoder/TextDecoder", () => {
  const ctx = bareContext();
  vm.runInContext(fs.readFileSync(distFile("phoenix-wasm.min.js"), "utf8"), ctx, { filename: "phoenix-wasm.min.js" });
  assert.equal(typeof ctx.Phoenix, "object");
  assert.ok(exercise(ctx.Phoenix, assert).length > 0);
});

test("the ESM bundle works after TextEncoder/TextDecoder are deleted from globalThis", async () => {
  const saved = { TextEncoder: globalThis.TextEncoder, TextDecoder: globalThis.TextDecoder };
  delete globalThis.TextEncoder;
  delete globalThis.TextDecoder;
  try {
    // A query string gives a fresh module instance, evaluated without the globals.
    const url = pathToFileURL(distFile("phoenix-wasm.mjs")).href + "?no-text-codec";
    const mod = await import(url);
    assert.ok(exercise(mod, assert).length > 0);
    assert.equal(typeof globalThis.TextEncoder, "undefined", "a global was assigned");
  } finally {
    Object.assign(globalThis, saved);
  }
});

test("the fallback UTF-8 codec agrees with the real one", () => {
  const samples = ["", "plain", "héllo", "日本語", "😀 emoji", "lone \ud800 surrogate", "\ufeffBOM", "x".repeat(70000) + "é"];
  const enc = new Utf8Encoder();
  for (const s of samples) {
    const ours = enc.encode(s);
    assert.deepEqual(Buffer.from(ours), Buffer.from(new TextEncoder().encode(s)), s.slice(0, 20));
    const opts = { ignoreBOM: true };
    assert.equal(new Utf8Decoder("utf-8", opts).decode(ours), new TextDecoder("utf-8", opts).decode(ours));
    assert.equal(new Utf8Decoder().decode(ours), new TextDecoder().decode(ours));
    for (let cap = 0; cap < 9; cap++) {
      const a = new Uint8Array(cap), b = new Uint8Array(cap);
      assert.deepEqual(enc.encodeInto(s.slice(0, 12), a), new TextEncoder().encodeInto(s.slice(0, 12), b));
      assert.deepEqual(a, b);
    }
  }
  for (const bad of [[0xff], [0xc3], [0xe6, 0x97], [0xed, 0xa0, 0x80], [0xc0, 0x80], [0x61, 0xf0, 0x9f, 0x98]]) {
    const u = new Uint8Array(bad);
    assert.equal(new Utf8Decoder().decode(u), new TextDecoder().decode(u));
    assert.throws(() => new Utf8Decoder("utf-8", { fatal: true }).decode(u), TypeError);
  }
  assert.equal(new Utf8Decoder().decode(), "");
});

test("export names match phoenix.min.js's global Phoenix", () => {
  const ctx = vm.createContext({});
  vm.runInContext(fs.readFileSync(new URL("../../../node_modules/phoenix/priv/static/phoenix.min.js", import.meta.url), "utf8"), ctx);
  assert.deepEqual(Object.keys(ctx.Phoenix).sort(), PHOENIX_EXPORTS);
});
