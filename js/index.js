// The package entry: exactly phoenix.js 1.8.16's exports (tests/node/diff compares the list).
import glue from "./wasm.js";
import { addPromise } from "./promise.js";
import {LongPoll} from "./longpoll.js";

addPromise(glue.Push);

export const Channel = glue.Channel;
export {LongPoll};
// LongPoll wiring for the wasm Socket (js/socket.js takes this over): the class it uses as the
// transport without WebSocket, for longPollFallbackMs, getLongPollTransport() and
// `transport === LongPoll`.
glue.set_long_poll_class(LongPoll);
export { Presence } from "./presence.js";

// The wasm cannot see the JS object its constructor fills in, so the socket is told once, and
// `channel.socket` is then that same object (as in phoenix.js).
export class Socket extends glue.Socket {
  constructor(endPoint, opts) {
    super(endPoint, opts);
    if (this.__bindSelf) this.__bindSelf(this);
  }
}

export {Serializer} from "./serializer.js";
