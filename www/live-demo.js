// The client of the LiveView demo page (/live-demo on phoenix-server): an unmodified LiveView
// app.js. It imports `phoenix` like every Phoenix app; the bundler decides what `phoenix` is
// (www/build.mjs aliases it to this package, tests/browser/liveview bundles it both ways).
//
// `?transport=longpoll` on the page URL picks the LongPoll transport; `?fallback=MS` sets
// `longPollFallbackMs` (LongPoll when the WebSocket does not open within MS).
import { Socket, LongPoll } from "phoenix";
import { LiveSocket } from "phoenix_live_view";

const query = new URLSearchParams(window.location.search);
const csrfToken = document.querySelector("meta[name='csrf-token']").getAttribute("content");
const options = {
  // The reference server speaks the protocol subset LiveView 1.0-1.2 share; it answers with
  // the client's own version so the client does not warn about a mismatch.
  params: () => ({ _csrf_token: csrfToken, _lv_version: liveSocket.version() }),
};
if (query.get("transport") === "longpoll") options.transport = LongPoll;
if (query.get("fallback")) options.longPollFallbackMs = Number(query.get("fallback"));

const liveSocket = new LiveSocket("/live", Socket, options);
liveSocket.connect();

// As in a generated Phoenix app: reachable from the console (and from the browser tests).
window.liveSocket = liveSocket;
