// @types/phoenix 1.6.7: LongPoll, and the Ajax and Timer classes it declares (types only: phoenix.js
// does not export them at run time, so this file only uses them in type positions and dead code).
import { Socket, LongPoll, Ajax, Timer } from "phoenix";

const lp = new LongPoll("http://localhost:4000/socket/longpoll");
const normalized: string = lp.normalizeEndpoint("ws://localhost:4000/socket/websocket");
const url: string = lp.endpointURL();
lp.poll();
lp.send(JSON.stringify(["1", "1", "room:lobby", "phx_join", {}]));
lp.ontimeout();
lp.closeAndRetry();
lp.close();
lp.close(1000);
lp.close(1000, "normal");
lp.close("any", { reason: "any" });

const socket = new Socket("/socket", { transport: LongPoll, longpollerTimeout: 20_000 });
socket.replaceTransport(LongPoll);

function neverCalled(timer: Timer, ajax: typeof Ajax) {
  timer.reset();
  timer.scheduleTimeout();
  const states: { [state: string]: number } = ajax.states;
  ajax.request("GET", "/x", "application/json", null, 1000, () => {}, (resp) => console.log(resp));
  ajax.xdomainRequest({}, "GET", "/x", null);
  ajax.xhrRequest({}, "POST", "/x", "application/json", "{}", 1000, null, async () => {});
  const parsed: JSON = ajax.parseJSON("{}");
  const query: string = ajax.serialize({ a: 1 }, "");
  const withParams: string = ajax.appendParams("/x", { a: 1 });
  return [states, parsed, query, withParams];
}
type TimerCtor = typeof Timer;
const makeTimer = (T: TimerCtor) => new T(() => {}, (tries) => tries * 1000);

export { normalized, url, neverCalled, makeTimer };
