// The exported Serializer on bad binary input: called directly, its decoders return `undefined`
// for a frame that does not hold their layout (empty, unknown kind, lengths past the end) and
// never throw; its encoder throws phoenix.js's Error for an oversized field and nothing else.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Serializer } from "phoenix-wasm";
import { rng } from "./fake.mjs";

const buf = (...bytes) => new Uint8Array(bytes).buffer;

test("truncated and unknown binary frames decode to undefined", () => {
  assert.equal(Serializer.binaryDecode(buf()), undefined);
  assert.equal(Serializer.binaryDecode(buf(9, 0, 0)), undefined);
  // A reply whose status length runs past the end of the frame.
  assert.equal(Serializer.binaryDecode(buf(1, 1, 1, 1, 9, 0x35, 0x36, 0x74)), undefined);
  // A broadcast cut inside its length bytes.
  assert.equal(Serializer.binaryDecode(buf(2, 1)), undefined);
  const frame = buf(0, 1);
  assert.equal(Serializer.decodePush(frame, new DataView(frame), new TextDecoder()), undefined);
  let got = "not called";
  Serializer.decode(buf(1), (m) => (got = m));
  assert.equal(got, undefined);
});

test("well-formed frames decode with every layout", () => {
  const reply = buf(1, 1, 2, 1, 2, 0x35, 0x31, 0x32, 0x74, 0x6f, 0x6b, 7);
  const m = Serializer.binaryDecode(reply);
  assert.deepEqual(
    { ...m, payload: { ...m.payload, response: [...new Uint8Array(m.payload.response)] } },
    { join_ref: "5", ref: "12", topic: "t", event: "phx_reply", payload: { status: "ok", response: [7] } },
  );
  const b = Serializer.binaryDecode(buf(2, 1, 1, 0x74, 0x65, 1, 2));
  assert.deepEqual([b.join_ref, b.ref, b.topic, b.event, [...new Uint8Array(b.payload)]], [null, null, "t", "e", [1, 2]]);
});

test("random bytes never make the decoders throw", () => {
  const r = rng(12);
  for (let i = 0; i < 2000; i++) {
    const bytes = new Uint8Array(Math.floor(r() * 24));
    for (let j = 0; j < bytes.length; j++) bytes[j] = r() < 0.5 ? Math.floor(r() * 6) : Math.floor(r() * 256);
    const frame = bytes.buffer;
    for (const f of ["decodePush", "decodeReply", "decodeBroadcast"]) {
      const m = Serializer[f](frame, new DataView(frame), new TextDecoder());
      if (m !== undefined) assert.equal(typeof m.topic, "string");
    }
    Serializer.binaryDecode(frame);
  }
});

test("binaryEncode: the client push layout, and phoenix.js's error for a field over 255 bytes", () => {
  const out = Serializer.binaryEncode({ join_ref: null, ref: undefined, topic: "t", event: "e", payload: buf(9) });
  assert.deepEqual([...new Uint8Array(out)], [0, 4, 0, 1, 1, ...Buffer.from("nullte"), 9]);
  assert.throws(
    () => Serializer.binaryEncode({ join_ref: "1", ref: "é".repeat(128), topic: "t", event: "e", payload: buf() }),
    { message: "unable to convert ref to binary: must be less than or equal to 255 bytes, but is 256 bytes" },
  );
  // The module keeps working after the throw.
  assert.equal(Serializer.binaryEncode({ topic: "t", event: "e", payload: buf() }).byteLength, 7);
});
