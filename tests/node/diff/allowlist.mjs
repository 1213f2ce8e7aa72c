// Known, intentional differences between phoenix-wasm and phoenix.js 1.8.16.
//
// Each entry must say WHY the difference is acceptable. An entry maps a scenario name to
// {reason, normalize(trace) -> trace}; normalize is applied to both the golden trace and
// the phoenix-wasm trace before they are compared, so it can only hide what it rewrites.
//
// Example (do not enable without a reason agreed with the lead):
//   "S01-transport-constructor-throws": {
//     reason: "V8 and wasm-bindgen word the TypeError differently",
//     normalize: (trace) => trace.map((e) => (e[0] === "throw" ? [e[0], e[1]] : e)),
//   },
export default {};
