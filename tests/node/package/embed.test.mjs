// The decoders that turn the embedded wasm text back into bytes at load time.
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { decodeBase64, decodeHex } from "../../../js/base64.js";

test("decodeBase64 and decodeHex round-trip every length and byte", () => {
  for (let n = 0; n < 300; n++) {
    const bytes = crypto.randomBytes(n);
    assert.deepEqual(Buffer.from(decodeBase64(bytes.toString("base64"))), bytes, `base64, ${n} bytes`);
    assert.deepEqual(Buffer.from(decodeHex(bytes.toString("hex"))), bytes, `hex, ${n} bytes`);
  }
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  assert.deepEqual(Buffer.from(decodeBase64(all.toString("base64"))), all);
  assert.deepEqual(Buffer.from(decodeHex(all.toString("hex"))), all);
  assert.deepEqual(Buffer.from(decodeHex(all.toString("hex").toUpperCase())), all);
});
