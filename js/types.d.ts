// Type definitions for phoenix-wasm, a drop-in replacement for phoenix.js 1.8.16.
// Hand-written; copied to dist/phoenix-wasm.d.ts and dist/phoenix-wasm.d.cts by scripts/build.mjs.
//
// Compatibility contract (tests/types): every program that type-checks against @types/phoenix
// 1.6.7 under `strict` also type-checks against these. Hence:
// - every name @types/phoenix exports is exported here, including the classes phoenix.js does not
//   export at run time (Push, Ajax, Timer: declared so type references keep compiling);
// - parameters (what a program passes in) are at least as wide as there, results and fields (what
//   a program reads) at least as narrow;
// - what phoenix.js 1.8 added is additional and optional (an authToken function, LongPoll
//   protocols, getLongPollTransport, Serializer, conn, ...).

/** The statuses a push can receive. Servers may reply with others; `receive` accepts any string. */
export type PushStatus = "ok" | "error" | "timeout";

/**
 * A message pushed to a channel (returned by `channel.join()`, `channel.leave()`,
 * `channel.push()`). Not exported at run time by phoenix.js nor phoenix-wasm: use it as a type.
 */
export class Push {
  constructor(channel: Channel, event: string, payload: object, timeout: number);

  send(): void;
  resend(timeout: number): void;

  /**
   * Calls `callback` with the response when the push gets `status` ("ok", "error", "timeout" or
   * any status the server replies with); immediately if it already has. Chainable.
   */
  receive(status: PushStatus | (string & {}), callback: (response?: any) => any): this;

  /**
   * phoenix-wasm extension (not in phoenix.js): the reply as a Promise. Resolves with the `ok`
   * response; rejects with a {@link PushError} (`status` "error" or "timeout"). The receive hooks
   * keep working on the same push.
   */
  promise<T = any>(): Promise<T>;
}

/** phoenix-wasm extension: the rejection of `push.promise()`. Not exported at run time. */
export interface PushError extends Error {
  name: "PushError";
  status: "error" | "timeout";
  /** The reply's response (`{}` for a timeout). */
  response: any;
}

/** phoenix-wasm extension: what `socket.stats()` returns (a fresh object per call). */
export interface SocketStats {
  /** Round trip of the last answered heartbeat in ms; null before the first. */
  rttMs: number | null;
  /** Connections opened after the first one. */
  reconnects: number;
  /** Frames received. */
  messagesIn: number;
  /** Frames sent (heartbeats included). */
  messagesOut: number;
  /** Sizes of the frames received: `byteLength` of binary frames, `length` of text frames. */
  bytesIn: number;
  /** Sizes of the frames sent, counted as bytesIn. */
  bytesOut: number;
  /** When the current connection opened (epoch ms); null when not connected. */
  openedAt: number | null;
  /** The transport of the socket. */
  transport: "websocket" | "longpoll";
}

export type ChannelState = "closed" | "errored" | "joined" | "joining" | "leaving";

/** Binding callbacks of `channel.on(event, callback)`: the payload, the message ref and join ref. */
export type ChannelBindingCallback = (payload?: any, ref?: any, joinRef?: any) => unknown;

export class Channel {
  constructor(topic: string, params?: object | (() => object), socket?: Socket);

  state: ChannelState;
  topic: string;
  /** The join params, as a function (a params object is wrapped in one). */
  params: () => object;
  readonly socket: Socket;
  /** The default timeout of join, leave and push, in ms (the socket's `timeout`). */
  timeout: number;
  readonly joinedOnce: boolean;
  readonly joinPush: Push;

  /** Joins; allowed once per channel instance (rejoins after errors are automatic). */
  join(timeout?: number): Push;
  leave(timeout?: number): Push;

  /**
   * Calls `callback(payload, ref, joinRef)` when the channel closes. Returns `undefined` at run time
   * (as phoenix.js 1.8.16 does); typed `number` as in @types/phoenix.
   */
  onClose(callback: (payload: any, ref: any, joinRef: any) => unknown): number;
  /** Calls `callback(reason)` when the channel errors; returns the binding ref (for `off("phx_error", ref)`). */
  onError(callback: (reason?: any) => unknown): number;
  /**
   * Overridable hook: every message for this channel passes through it before the bindings run;
   * the payload it returns is what they receive.
   */
  onMessage(event: string, payload: any, ref: any, joinRef?: any): any;

  /** Subscribes to an event; returns a ref for `off(event, ref)`. */
  on(event: string, callback: ChannelBindingCallback): number;
  /** Unsubscribes the binding `ref` of `event`, or every binding of `event` without a ref. */
  off(event: string, ref?: number): void;

  push(event: string, payload: object, timeout?: number): Push;

  /** The ref of the current join push: undefined before the first join, null between attempts. */
  joinRef(): string | null | undefined;
}

export type BinaryType = "arraybuffer" | "blob";
export type ConnectionState = "connecting" | "open" | "closing" | "closed";

/**
 * A transport constructor: WebSocket (the DOM one, or `ws` in Node), LongPoll, or your own class
 * with the WebSocket interface. `protocols` is `["phoenix", "base64url.bearer.phx.<token>"]` when
 * the socket has an `authToken`, else `undefined`.
 */
export type Transport = new (endpoint: string, protocols?: string[]) => object;

/** What `sessionStorage` must implement (LongPoll fallback memory); any Storage will do. */
export interface SessionStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Socket options, field by field as @types/phoenix 1.6.7 types them (see also SocketOptions). */
export interface SocketConnectOption {
  /**
   * Sent as a WebSocket subprotocol (`base64url.bearer.phx.…`) or, over LongPoll, as an
   * `authorization` header; the server sees it as `connect_info.auth_token`. The constructor also
   * accepts a function returning the token (see SocketOptions).
   */
  authToken: string;
  /** Binary frames as ArrayBuffer (default) or Blob. */
  binaryType: BinaryType;
  /** Connect params (query string), or a function returning them, called on every connect. */
  params: object | (() => object);
  /** Default: the global WebSocket, else LongPoll. */
  transport: Transport;
  /** Default timeout of pushes, joins and leaves in ms (10 000). */
  timeout: number;
  /** Interval of heartbeats in ms (30 000). */
  heartbeatIntervalMs: number;
  /** After this many ms without a WebSocket connection, fall back to LongPoll (off by default). */
  longPollFallbackMs: number;
  /** Timeout of one long-poll request in ms (20 000). */
  longpollerTimeout: number;
  /**
   * phoenix-wasm extension: from 0 to 1 (default 0, phoenix.js's behaviour). Every delay from
   * `reconnectAfterMs` and `rejoinAfterMs` is multiplied by a random factor in [1 − jitter, 1], so
   * that many clients cut off together do not come back in the same millisecond.
   */
  reconnectJitter?: number;
  /** Encodes an outgoing message (default: Serializer.encode). Not used over LongPoll. */
  encode(payload: object, callback: (encoded: any) => void | Promise<void>): void;
  /**
   * Decodes an incoming frame (default: Serializer.decode). `payload` is a string for text frames
   * and an ArrayBuffer for binary ones; typed `any` so that a decoder written for strings, as
   * @types/phoenix types it (`(payload: string, ...)`, or unannotated), still compiles.
   */
  decode(payload: any, callback: (decoded: any) => void | Promise<void>): void;
  /** Called for every log line; see also `debug`. */
  logger(kind: string, message: string, data: any): void;
  /** Delay before reconnect attempt `tries` (1-based), ms. */
  reconnectAfterMs(tries: number): number;
  /** Delay before channel rejoin attempt `tries` (1-based), ms. */
  rejoinAfterMs(tries: number): number;
  /** Serializer protocol version sent on connect ("2.0.0"). */
  vsn: string;
  /** Log to console.log when no logger is given. */
  debug: boolean;
  /** Storage for the LongPoll fallback memory (default: the global sessionStorage); see SessionStorageLike. */
  sessionStorage: object;
}

/** Everything `new Socket(endPoint, opts)` accepts: SocketConnectOption plus phoenix.js 1.8's forms. */
export interface SocketOptions extends Omit<SocketConnectOption, "authToken"> {
  /** A token, or a function called on every connect that returns one (phoenix.js 1.8). */
  authToken: string | (() => string);
}

export type MessageRef = string;

export class Socket {
  /**
   * @param endPoint `"ws://host/socket"`, `"wss://host/socket"`, or `"/socket"` (relative to the
   * page); `/websocket` or `/longpoll` is appended.
   */
  constructor(endPoint: string, opts?: Partial<SocketOptions>);

  /** The transport instance of the current connection (a WebSocket, a LongPoll, ...), or null. */
  readonly conn: any;
  readonly channels: Channel[];
  /** The endpoint with the transport suffix, e.g. "ws://host/socket/websocket". */
  readonly endPoint: string;
  timeout: number;
  transport: Transport;
  heartbeatIntervalMs: number;
  /** Connections that opened since the socket was created. */
  readonly establishedConnections: number;

  /** "wss" on https pages, else "ws". */
  protocol(): string;
  /** The full URL the transport connects to, with params and vsn in the query string. */
  endPointURL(): string;

  /** Connects (no-op when connected). Passing params here is deprecated: use the `params` option. */
  connect(params?: any): void;
  /** Closes the connection (no reconnect) and then calls `callback`. */
  disconnect(callback?: () => void | Promise<void>, code?: number, reason?: string): void;
  connectionState(): ConnectionState;
  isConnected(): boolean;
  /** phoenix-wasm extension: connection counters, a fresh plain object per call. */
  stats(): SocketStats;
  /** Closes the current connection and uses `transport` from the next connect on. */
  replaceTransport(transport: Transport): void;
  /** The LongPoll class (the fallback transport). */
  getLongPollTransport(): typeof LongPoll;

  /** Forgets a channel (used by `channel.leave()`). */
  remove(channel: Channel): void;
  /** A new channel on this socket (not joined yet). */
  channel(topic: string, chanParams?: object | (() => object)): Channel;
  /** Sends a raw message ({topic, event, payload, ref, join_ref}), buffered while disconnected. */
  push(data: object): void;

  log(kind: string, message: string, data?: any): void;
  hasLogger(): boolean;

  onOpen(callback: () => unknown): MessageRef;
  /** `event`: the transport's close event ({code, reason, wasClean}). */
  onClose(callback: (event: any) => unknown): MessageRef;
  /**
   * `error`: the transport's error event; `transport`: the transport class in use when it failed;
   * `establishedConnections`: connections that had opened before it.
   */
  onError(
    callback: (
      error: Event | string | number,
      transport: Transport,
      establishedConnections: number,
    ) => unknown,
  ): MessageRef;
  /** Every decoded message ({topic, event, payload, ref, join_ref}). */
  onMessage(callback: (message: object) => unknown): MessageRef;

  makeRef(): MessageRef;
  /** Removes the onOpen/onClose/onError/onMessage callbacks with these refs. */
  off(refs: MessageRef[]): void;

  /** Measures the round trip of a heartbeat; false (and no callback) when not connected. */
  ping: (callback: (latency: number) => void) => boolean;
}

/** The long-polling transport (`transport: LongPoll`, or the `longPollFallbackMs` fallback). */
export class LongPoll {
  /** `protocols`: as given to a WebSocket; an auth token in them is sent as a header. */
  constructor(endPoint: string, protocols?: string[]);

  readyState: number;
  /** The request timeout in ms; set by the socket (its `longpollerTimeout`) when it creates the transport. */
  timeout?: number;
  /** Set by the socket when it creates the transport (absent on a LongPoll made by hand). */
  binaryType?: BinaryType;

  onopen: (event?: any) => void;
  onerror: (error?: any) => void;
  onmessage: (event: { data: any }) => void;
  onclose: (event?: any) => void;

  // phoenix.js's state, as live fields (apps and test suites read and mutate them).
  /** The token of a `base64url.bearer.phx.` protocol, sent as the `X-Phoenix-AuthToken` header. */
  authToken?: string;
  /** The URL polled: the endpoint with `ws(s)://` → `http(s)://` and `/websocket` → `/longpoll`. */
  pollEndpoint: string;
  /** The session token the server sent (`null` before the first response). */
  token: any;
  /** Always true: the server knows the connection is alive while it is polled. */
  skipHeartbeat: boolean;
  /** The requests in flight: `{req}` with the XMLHttpRequest (or the fetch's AbortController). */
  reqs: Set<{ req: any }>;
  /** The timers delivering polled messages, one each. */
  messageTimers: Set<any>;
  /** A POST is waiting for its ack: frames sent meanwhile go to `batchBuffer`. */
  awaitingBatchAck: boolean;
  /** The frames sent in the current task, posted together by `currentBatchTimer`. */
  currentBatch: string[] | null;
  currentBatchTimer: any;
  /** Frames waiting for the pending POST's ack. */
  batchBuffer: string[];

  normalizeEndpoint(endPoint: string): string;
  endpointURL(): string;
  closeAndRetry(error?: any, code?: any, reason?: any, wasClean?: boolean): void;
  ontimeout(): void;
  isActive(): boolean;
  poll(): void;
  send(body: any): void;
  /** POSTs `messages` from `offset`, 100 lines at a time. */
  batchSend(messages: string[], offset?: number): void;
  close(code?: any, reason?: any, wasClean?: boolean): void;
  /** Calls `onclose` with a close event (`code` 1005 and `wasClean` true unless given). */
  emitClose(code?: any, reason?: any, wasClean?: boolean): void;
}

/**
 * phoenix.js's internal XHR helper, declared by @types/phoenix. phoenix.js 1.8.16 does not export
 * it (nor does phoenix-wasm): `Ajax` is `undefined` at run time.
 * @deprecated not exported at run time; declared for compatibility with @types/phoenix only.
 */
export class Ajax {
  static states: { [state: string]: number };

  static request(
    method: string,
    endPoint: string,
    accept: string,
    body: any,
    timeout?: number,
    ontimeout?: any,
    callback?: (response?: any) => void | Promise<void>,
  ): void;

  static xdomainRequest(
    req: any,
    method: string,
    endPoint: string,
    body: any,
    timeout?: number,
    ontimeout?: any,
    callback?: (response?: any) => void | Promise<void>,
  ): void;

  static xhrRequest(
    req: any,
    method: string,
    endPoint: string,
    accept: string,
    body: any,
    timeout?: number,
    ontimeout?: any,
    callback?: (response?: any) => void | Promise<void>,
  ): void;

  static parseJSON(resp: string): JSON;
  static serialize(obj: any, parentKey: string): string;
  static appendParams(url: string, params: any): string;
}

/**
 * phoenix.js's internal backoff timer, declared by @types/phoenix. phoenix.js 1.8.16 does not
 * export it (nor does phoenix-wasm): `Timer` is `undefined` at run time.
 * @deprecated not exported at run time; declared for compatibility with @types/phoenix only.
 */
export class Timer {
  constructor(callback: () => void | Promise<void>, timerCalc: (tries: number) => number);

  reset(): void;
  scheduleTimeout(): void;
}

/** `key`; the key's presence before the join (undefined if new); the joined metas ({metas}). */
export type PresenceOnJoinCallback = (key?: string, currentPresence?: any, newPresence?: any) => void;
/** `key`; the key's presence after the leave (no metas left: gone); the left metas ({metas}). */
export type PresenceOnLeaveCallback = (key?: string, currentPresence?: any, leftPresence?: any) => void;

export interface PresenceOpts {
  /** The events carrying the state and diffs (default presence_state / presence_diff). */
  events?: { state: string; diff: string } | undefined;
}

/** A presence state: key → {metas: [...]} (each meta has a phx_ref). */
export type PresenceState = Record<string, { metas: Array<Record<string, any>> }>;
export interface PresenceDiff {
  joins: PresenceState;
  leaves: PresenceState;
}

export class Presence {
  constructor(channel: Channel, opts?: PresenceOpts);

  state: PresenceState;
  pendingDiffs: PresenceDiff[];
  channel: Channel;
  /** The channel join ref the state belongs to. */
  joinRef: string | null;

  onJoin(callback: PresenceOnJoinCallback): void;
  onLeave(callback: PresenceOnLeaveCallback): void;
  /** Called after every state or diff is applied. */
  onSync(callback: () => unknown): void;
  /** One entry per key: `chooser(key, presence)`, or the presence ({metas}) itself. */
  list<T = any>(chooser?: (key: string, presence: any) => T): T[];
  /** True between a (re)join and its presence_state, while diffs are buffered. */
  inPendingSyncState(): boolean;

  /** Returns the new state (`currentState` is not modified). */
  static syncState(
    currentState: object,
    newState: object,
    onJoin?: PresenceOnJoinCallback,
    onLeave?: PresenceOnLeaveCallback,
  ): any;

  /** Returns the new state (`currentState` is not modified). */
  static syncDiff(
    currentState: object,
    diff: { joins: object; leaves: object },
    onJoin?: PresenceOnJoinCallback,
    onLeave?: PresenceOnLeaveCallback,
  ): any;

  static list<T = any>(presences: object, chooser?: (key: string, presence: any) => T): T[];
}

/** A Phoenix message as the serializer sees it. */
export interface Message {
  join_ref?: string | null;
  ref?: string | null;
  topic: string;
  event: string;
  payload: any;
}

/** The default serializer (vsn 2.0.0: JSON arrays for text, the binary format for ArrayBuffer payloads). */
export const Serializer: {
  HEADER_LENGTH: number;
  META_LENGTH: number;
  KINDS: { push: number; reply: number; broadcast: number };
  encode(msg: Message, callback: (encoded: string | ArrayBuffer) => any): any;
  decode(rawPayload: string | ArrayBuffer, callback: (msg: Message) => any): any;
  binaryEncode(message: Message): ArrayBuffer;
  binaryDecode(buffer: ArrayBuffer): Message;
};
