// phoenix.js 1.8 API that @types/phoenix 1.6.7 lacks, against phoenix-wasm's types only.
import { Socket, LongPoll, Presence, Serializer } from "phoenix";
import type { Message, SocketOptions, SessionStorageLike, Transport, PresenceState, PresenceDiff, ChannelBindingCallback } from "phoenix";

// authToken as a function, called on every connect.
let current = "token-1";
const socket = new Socket("/socket", {
  authToken: () => current,
  longPollFallbackMs: 2_500,
  sessionStorage: new (class implements SessionStorageLike {
    private items: Record<string, string> = {};
    getItem(key: string) { return this.items[key] ?? null; }
    setItem(key: string, value: string) { this.items[key] = value; }
    removeItem(key: string) { delete this.items[key]; }
  })(),
  // A decoder for binary frames too.
  decode: (payload: string | ArrayBuffer, callback) =>
    typeof payload === "string" ? callback(JSON.parse(payload)) : Serializer.decode(payload, callback),
});
current = "token-2";
const opts: Partial<SocketOptions> = { authToken: "static" };
new Socket("/socket", opts);

// ping, getLongPollTransport, replaceTransport with the LongPoll class it returns, conn.
const sent: boolean = socket.ping((latency) => console.log(latency.toFixed(1)));
const LP: typeof LongPoll = socket.getLongPollTransport();
socket.replaceTransport(LP);
const conn: unknown = socket.conn;
const transport: Transport = socket.transport;
const endPoint: string = socket.endPoint;
const opened: number = socket.establishedConnections;
socket.timeout = 5_000;
socket.heartbeatIntervalMs = 15_000;
socket.log("socket", "no data");
console.log(socket.channels.map((c) => c.topic), conn, transport, endPoint, opened, sent);

// onError's transport is the class that failed: fall back by hand.
socket.onError((_error, failed, established) => {
  if (failed !== LP && established === 0) socket.replaceTransport(LP);
});

// LongPoll with the protocols a WebSocket gets, and its WebSocket-like surface.
const lp = new LongPoll("http://localhost/socket/longpoll", ["phoenix", "base64url.bearer.phx.dG9r"]);
lp.onmessage = ({ data }) => console.log(data);
lp.onopen = () => {};
lp.onclose = (event) => console.log(event);
lp.onerror = (error) => console.log(error);
lp.timeout = 20_000;
lp.binaryType = "arraybuffer";
const readyState: number = lp.readyState;
lp.closeAndRetry(null, 1005, "retry", false);
lp.close(1000, "bye", true);

// Channel extras: joinRef, params, socket, callbacks that return values, binding args.
const channel = socket.channel("room:lobby", () => ({ since: Date.now() }));
const joinRef: string | null | undefined = channel.joinRef();
const params: object = channel.params();
const same: Socket = channel.socket;
const received: unknown[] = [];
const binding: ChannelBindingCallback = (payload, ref, jref) => received.push([payload, ref, jref]);
channel.on("new_msg", binding);
channel.on("count", (payload) => received.push(payload));
channel.join().receive("some_custom_status", (r) => r);
console.log(joinRef, params, same === socket, channel.joinPush, channel.joinedOnce, channel.timeout);

// Presence state and diffs.
const presence = new Presence(channel);
const state: PresenceState = presence.state;
const diffs: PresenceDiff[] = presence.pendingDiffs;
const pJoinRef: string | null = presence.joinRef;
console.log(state, diffs, pJoinRef, presence.channel.topic);

// Serializer (exported by phoenix.js, not declared by @types/phoenix).
const message: Message = { join_ref: "1", ref: "2", topic: "room:lobby", event: "new_msg", payload: { body: "hi" } };
Serializer.encode(message, (encoded: string | ArrayBuffer) => console.log(encoded));
Serializer.decode('["1","2","t","e",{}]', (decoded: Message) => console.log(decoded.topic));
const binary: ArrayBuffer = Serializer.binaryEncode({ ...message, payload: new ArrayBuffer(4) });
const back: Message = Serializer.binaryDecode(binary);
const kinds: number[] = [Serializer.KINDS.push, Serializer.KINDS.reply, Serializer.KINDS.broadcast, Serializer.HEADER_LENGTH, Serializer.META_LENGTH];

export { readyState, back, kinds };
