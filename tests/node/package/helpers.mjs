// Shared by the packaging tests: where things are, and what phoenix.js exports.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const DIST = path.join(ROOT, "dist");
export const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
// phoenix@1.8.16's exports (priv/static/phoenix.mjs).
export const PHOENIX_EXPORTS = ["Channel", "LongPoll", "Presence", "Serializer", "Socket"];

export function distFile(name) {
  const p = path.join(DIST, name);
  if (!fs.existsSync(p)) throw new Error(`${p} is missing: run \`npm run build\` first`);
  return p;
}

// Exercises whatever the package exports today: the placeholder version(), Socket, Serializer.
// Returns a list of what was checked so a test can assert something was.
export function exercise(mod, assert) {
  const checked = [];
  for (const name of PHOENIX_EXPORTS) assert.ok(name in mod, `export ${name} is missing`);
  if (typeof mod.version === "function") {
    assert.equal(mod.version(), PKG.version);
    checked.push("version");
  }
  if (typeof mod.Socket === "function") {
    const socket = new mod.Socket("ws://127.0.0.1:9/socket", { params: { token: "é😀" } });
    assert.equal(typeof socket.connect, "function");
    assert.equal(typeof socket.channel, "function");
    checked.push("Socket");
  }
  if (mod.Serializer && typeof mod.Serializer.encode === "function") {
    let encoded;
    mod.Serializer.encode({ join_ref: "1", ref: "2", topic: "room:é", event: "new_msg", payload: { body: "héllo 😀" } }, (e) => { encoded = e; });
    assert.equal(typeof encoded, "string");
    assert.deepEqual(JSON.parse(encoded), ["1", "2", "room:é", "new_msg", { body: "héllo 😀" }]);
    checked.push("Serializer");
  }
  return checked;
}
