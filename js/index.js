// The package entry: exactly phoenix.js 1.8.16's exports (tests/node/diff compares the list).
import glue from "./wasm.js";

export const Channel = glue.Channel;
export const LongPoll = glue.LongPoll;
export { Presence } from "./presence.js";

// The wasm cannot see the JS object its constructor fills in, so the socket is told once, and
// `channel.socket` is then that same object (as in phoenix.js).
export class Socket extends glue.Socket {
  constructor(endPoint, opts) {
    super(endPoint, opts);
    if (this.__bindSelf) this.__bindSelf(this);
  }
}

export const Serializer = glue.serializer();
