// Preloaded with `node --import` (before the client is imported) for the "browser"
// scenarios: makes `window` (= globalThis) and `document` exist, so the client's page
// lifecycle code (pagehide/pageshow/visibilitychange/resume; docs/protocol.md#copied-behaviours, B25) is active.
// The harness resets the listener list at the start of every scenario.
const state = {listeners: [], onAdd: null};
globalThis.__phxDiffBrowser = state;
function add(target, type, fn) {
  state.listeners.push({target, type, fn});
  if (state.onAdd) state.onAdd(target, type, fn);
}
globalThis.document = {
  visibilityState: "visible",
  addEventListener(type, fn) {
    add("document", type, fn);
  },
};
globalThis.window = globalThis;
globalThis.addEventListener = (type, fn) => add("window", type, fn);
