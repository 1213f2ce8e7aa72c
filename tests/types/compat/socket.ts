// @types/phoenix 1.6.7: Socket, every method and callback, SocketConnectOption, MessageRef.
// Compiled against @types/phoenix and against phoenix-wasm (tests/types/types.test.mjs).
import { Socket, LongPoll } from "phoenix";
import type { SocketConnectOption, MessageRef, ConnectionState, BinaryType } from "phoenix";

// Every option, spelled as @types/phoenix types them.
const binaryType: BinaryType = "arraybuffer";
const allOptions: SocketConnectOption = {
  authToken: "secret-token",
  binaryType,
  params: { token: "t", user_id: 1 },
  transport: LongPoll,
  timeout: 10_000,
  heartbeatIntervalMs: 30_000,
  longPollFallbackMs: 2_500,
  longpollerTimeout: 20_000,
  encode: (payload: object, callback: (encoded: any) => void | Promise<void>) => callback(JSON.stringify(payload)),
  decode: (payload: string, callback: (decoded: any) => void | Promise<void>) => callback(JSON.parse(payload)),
  logger: (kind: string, message: string, data: any) => console.log(kind, message, data),
  reconnectAfterMs: (tries: number) => [10, 50, 100, 150, 200, 250, 500, 1000, 2000][tries - 1] || 5000,
  rejoinAfterMs: (tries: number) => [1000, 2000, 5000][tries - 1] || 10000,
  vsn: "2.0.0",
  debug: false,
  sessionStorage: window.sessionStorage,
};
const s1 = new Socket("/socket", allOptions);

// Partial options, params as a function, callbacks without annotations.
const partial: Partial<SocketConnectOption> = {
  params: () => ({ token: localStorage.getItem("token") }),
  transport: WebSocket,
  reconnectAfterMs: (tries) => tries * 1000,
  logger: (kind, msg, data) => {},
  decode: (payload, callback) => callback(JSON.parse(payload)),
  encode: async (payload, callback) => { await callback(JSON.stringify(payload)); },
  sessionStorage: {},
};
const s2 = new Socket("wss://example.com/socket", partial);
const s3 = new Socket("/socket");
const s4 = new Socket("ws://127.0.0.1:4000/socket", {});
const s5 = new Socket("/socket", { params: { token: "x" }, authToken: "tok", debug: true, vsn: "1.0.0", binaryType: "blob" });

// Reading options back (a wrapper that keeps them around).
function describe(opts: SocketConnectOption): string {
  const token: string = opts.authToken;
  const t: new (endpoint: string) => object = opts.transport;
  const ms: number = opts.reconnectAfterMs(1) + opts.rejoinAfterMs(1) + opts.timeout + opts.heartbeatIntervalMs;
  const lp: number = opts.longPollFallbackMs + opts.longpollerTimeout;
  opts.decode("[]", (decoded) => console.log(decoded));
  opts.encode({}, (encoded) => console.log(encoded));
  opts.logger("kind", "message", null);
  const params: object | (() => object) = opts.params;
  const store: object = opts.sessionStorage;
  const flags: [string, boolean, BinaryType] = [opts.vsn, opts.debug, opts.binaryType];
  return [token, t, ms, lp, params, store, flags].join();
}
describe(allOptions);

// Methods.
const protocol: string = s1.protocol();
const url: string = s1.endPointURL();
s1.connect();
s1.connect({ token: "deprecated params" });
const state: ConnectionState = s1.connectionState();
const connected: boolean = s1.isConnected();
s1.replaceTransport(LongPoll);
s1.replaceTransport(WebSocket);
const channel = s1.channel("room:lobby");
const channel2 = s1.channel("room:lobby", { user: 1 });
s1.remove(channel2);
s1.push({ topic: "phoenix", event: "heartbeat", payload: {}, ref: s1.makeRef() });
s1.log("socket", "message", { any: "data" });
const hasLogger: boolean = s1.hasLogger();

// Callbacks and refs.
const r1: MessageRef = s1.onOpen(() => console.log("open"));
const r2: MessageRef = s1.onOpen(async () => {});
const r3: MessageRef = s1.onClose((event: CloseEvent) => console.log(event.code, event.reason, event.wasClean));
const r4: MessageRef = s1.onClose(async (event) => {});
const r5: MessageRef = s1.onError((error: Event | string | number, transport: new (endpoint: string) => object, establishedConnections: number) => {
  if (transport === LongPoll && establishedConnections === 0) console.log("longpoll never connected", error);
});
const r6: MessageRef = s1.onError((error) => console.log(error));
const r7: MessageRef = s1.onError(async (error, transport) => {
  s1.replaceTransport(transport);
});
const r8: MessageRef = s1.onMessage((message: object) => console.log(message));
const r9: MessageRef = s1.onMessage(async (message) => {});
const ref: MessageRef = s1.makeRef();
s1.off([r1, r2, r3, r4, r5, r6, r7, r8, r9, ref]);

// ping is a property holding a function.
const pinged: boolean = s1.ping((latency: number) => console.log(`${latency} ms`));
const ping: (callback: (latency: number) => void) => boolean = s1.ping;

s1.disconnect();
s1.disconnect(() => console.log("closed"));
s1.disconnect(async () => {}, 1000, "bye");
s2.disconnect(undefined, 1000);

// A socket subclass and a custom transport.
class LoggingSocket extends Socket {
  connect(params?: any): void {
    console.log("connecting to", this.endPointURL());
    super.connect(params);
  }
}
class MyTransport {
  constructor(public endpoint: string) {}
}
const s6 = new LoggingSocket("/socket", { transport: MyTransport });
s6.replaceTransport(MyTransport);

export { s1, s2, s3, s4, s5, s6, protocol, url, state, connected, channel, hasLogger, pinged, ping };
