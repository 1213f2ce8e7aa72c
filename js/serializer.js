// The default serializer, `Serializer`: a plain object shaped like phoenix.js's, whose methods
// reach each other through `this` as phoenix.js's do (an app may call them with another `this`
// or replace one of them). JSON frames are the engine's `JSON.stringify`/`JSON.parse` of
// `[join_ref, ref, topic, event, payload]`; the binary layouts (docs/protocol.md#binary-frames) and the 255-byte
// field limit are decided by the core (src/core/serializer.rs) through three entry points.
import glue from "./wasm.js";

// `TextEncoder.encode(x)`'s view of a field: nothing for `undefined`, else `String(x)`.
const field = (v) => (v === undefined ? "" : String(v));

// Start offset the core gives a field that is `null` (a push's ref, a broadcast's refs).
const NONE = 0xffffffff;

// Reads `buffer` with the layout of `kind` (whatever its kind byte says, as phoenix.js's
// per-kind helpers do): `{join_ref, ref, topic, event, payload}`, or `undefined` when the frame
// does not hold that layout (the core rejects truncated frames where phoenix.js would clamp).
function decodeAs(kind, buffer, decoder) {
  const len = buffer.byteLength;
  const at = glue.binary_layout(kind, new Uint8Array(buffer, 0, Math.min(5, len)), len);
  if (at.length === 0) return undefined;
  const text = (i) => (at[i] === NONE ? null : decoder.decode(buffer.slice(at[i], at[i + 1])));
  const joinRef = text(0);
  const ref = text(2);
  const topic = text(4);
  const event = text(6);
  const data = buffer.slice(at[8], len);
  if (kind === 1) {
    return {join_ref: joinRef, ref: ref, topic: topic, event: "phx_reply", payload: {status: event, response: data}};
  }
  return {join_ref: joinRef, ref: ref, topic: topic, event: event, payload: data};
}

export const Serializer = {
  HEADER_LENGTH: 1,
  META_LENGTH: 4,
  KINDS: {push: 0, reply: 1, broadcast: 2},

  encode(msg, callback) {
    if (msg.payload.constructor === ArrayBuffer) {
      return callback(this.binaryEncode(msg));
    }
    return callback(JSON.stringify([msg.join_ref, msg.ref, msg.topic, msg.event, msg.payload]));
  },

  decode(rawPayload, callback) {
    if (rawPayload.constructor === ArrayBuffer) {
      return callback(this.binaryDecode(rawPayload));
    }
    const [join_ref, ref, topic, event, payload] = JSON.parse(rawPayload);
    return callback({join_ref, ref, topic, event, payload});
  },

  // private

  binaryEncode(message) {
    const {join_ref, ref, event, topic, payload} = message;
    return glue.binary_encode(field(join_ref), field(ref), field(topic), field(event), new Uint8Array(payload)).buffer;
  },

  assertFieldSize(size, name) {
    glue.assert_field_size(size, String(name));
  },

  binaryDecode(buffer) {
    if (buffer.byteLength === 0) return undefined;
    const view = new DataView(buffer);
    const kind = view.getUint8(0);
    const decoder = new TextDecoder();
    switch (kind) {
      case this.KINDS.push: return this.decodePush(buffer, view, decoder);
      case this.KINDS.reply: return this.decodeReply(buffer, view, decoder);
      case this.KINDS.broadcast: return this.decodeBroadcast(buffer, view, decoder);
      default: return undefined;
    }
  },

  decodePush(buffer, view, decoder) {
    return decodeAs(0, buffer, decoder);
  },

  decodeReply(buffer, view, decoder) {
    return decodeAs(1, buffer, decoder);
  },

  decodeBroadcast(buffer, view, decoder) {
    return decodeAs(2, buffer, decoder);
  },
};
