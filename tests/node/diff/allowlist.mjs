// Known, intentional differences between phoenix-wasm and phoenix.js 1.8.16.
//
// Each entry must say WHY the difference is acceptable. An entry maps a scenario name to
// {reason, normalize(trace) -> trace}; normalize is applied to both the golden trace and
// the phoenix-wasm trace before they are compared, so it can only hide what it rewrites.

// A frame phoenix.js cannot handle makes it throw a TypeError out of the transport's
// onmessage handler (an uncaught error in a browser); phoenix-wasm logs it through the logger
// ("dropping frame: ...") and drops it, as the client issue requires for bad input. Both
// lose the frame and keep the socket working; only the way they report it differs.
const droppedFrame = (trace) =>
  trace.map((e) => {
    if (e[0] === "throw" && /\.onmessage$/.test(e[1]) && e[2] && e[2].error === "TypeError") return ["dropped-frame"];
    if (e[0] === "log" && e[1] === "transport" && typeof e[2] === "string" && e[2].startsWith("dropping frame")) return ["dropped-frame"];
    return e;
  });

export default {
  "SE-unknown-binary-kind-throws-in-handler": {
    reason: "unknown binary frame kind: logged and dropped instead of a TypeError thrown in onmessage",
    normalize: droppedFrame,
  },
  "LG02-receive-null-payload-throws-only-with-logger": {
    reason: "null payload with a logger set: logged and dropped instead of a TypeError thrown in onmessage",
    normalize: droppedFrame,
  },
  "C13-onMessage-hook-falsy-return-throws": {
    reason: "its last frame has a null payload with a logger set: logged and dropped instead of a TypeError",
    normalize: droppedFrame,
  },
};
