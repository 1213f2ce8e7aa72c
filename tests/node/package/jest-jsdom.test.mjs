// phoenix.js's own test setup: jest with the jsdom environment, which has no TextEncoder or
// TextDecoder. An application's jest tests must be able to require the package there unchanged.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, PKG } from "./helpers.mjs";

const SPEC = `
/** @jest-environment jsdom */
const phx = require("phoenix-wasm");
const { Socket, Channel, LongPoll, Presence, Serializer } = phx;

test("jsdom environment lacks the codec globals", () => {
  expect(typeof window).toBe("object");
  expect(typeof TextEncoder).toBe("undefined");
  expect(typeof TextDecoder).toBe("undefined");
});

test("the package loads and works with no init call", () => {
  for (const name of ["Socket", "Channel", "LongPoll", "Presence", "Serializer"]) expect(name in phx).toBe(true);
  let used = 0;
  if (typeof phx.version === "function") { expect(phx.version()).toBe(${JSON.stringify(PKG.version)}); used++; }
  if (typeof Socket === "function") {
    const socket = new Socket("/socket", { params: { token: "é" } });
    expect(typeof socket.channel).toBe("function");
    used++;
  }
  if (Serializer && typeof Serializer.encode === "function") {
    Serializer.encode({ join_ref: "1", ref: "2", topic: "t", event: "e", payload: { s: "héllo 😀" } }, (out) => {
      expect(JSON.parse(out)).toEqual(["1", "2", "t", "e", { s: "héllo 😀" }]);
    });
    used++;
  }
  expect(used).toBeGreaterThan(0);
  expect(typeof TextEncoder).toBe("undefined"); // no global was assigned
});
`;

test("jest + jest-environment-jsdom can require the package", () => {
  const jest = path.join(ROOT, "node_modules", "jest", "bin", "jest.js");
  assert.ok(fs.existsSync(jest), "jest devDependency missing: npm ci");
  const app = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-wasm-jest-"));
  try {
    const installed = path.join(app, "node_modules", "phoenix-wasm");
    for (const f of ["package.json", ...PKG.files]) {
      assert.ok(fs.existsSync(path.join(ROOT, f)), `${f} missing: run npm run build`);
      fs.mkdirSync(path.dirname(path.join(installed, f)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, f), path.join(installed, f));
    }
    // jest-environment-jsdom is found from the repository's node_modules.
    fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({
      name: "app", private: true,
      jest: { testEnvironment: path.join(ROOT, "node_modules", "jest-environment-jsdom"), transform: {}, cacheDirectory: path.join(app, ".jest-cache") },
    }));
    fs.writeFileSync(path.join(app, "socket.test.js"), SPEC);
    const r = spawnSync(process.execPath, [jest, "--ci", "--runInBand", "--rootDir", app, "--no-watchman"], {
      cwd: app, encoding: "utf8", env: { ...process.env, CI: "true" }, timeout: 120_000,
    });
    assert.equal(r.status, 0, `jest failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /Tests:\s+2 passed, 2 total/);
  } finally {
    fs.rmSync(app, { recursive: true, force: true });
  }
});
