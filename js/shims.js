// Functions the wasm needs as JavaScript function objects. They are written here, not built from
// strings in Rust (`new Function` needs 'unsafe-eval', which a strict Content-Security-Policy
// forbids; the package needs only 'wasm-unsafe-eval').

/** A fresh no-op function (stands for an internal callback in a readable snapshot). */
export function noop() {
  return function () {};
}

/** `closure(value)`: a function returning the value. */
export function closure(v) {
  return function () {
    return v;
  };
}

/** The default `channel.onMessage(event, payload, ref)`: returns the payload. */
export function identityHook() {
  return function (_event, payload, _ref) {
    return payload;
  };
}

/** The logger that `debug: true` installs. */
export function debugLogger() {
  return function (kind, msg, data) {
    console.log(`${kind}: ${msg}`, data);
  };
}

/** The size `socket.stats()` counts for a frame: `length` of a string, else `byteLength`. */
export function frameSize(frame) {
  if (typeof frame === "string") return frame.length;
  return (frame && typeof frame.byteLength === "number" && frame.byteLength) || 0;
}
