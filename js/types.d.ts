// Type definitions for phoenix-wasm, a drop-in replacement for phoenix.js 1.8.16.
// First version, hand-written in the shape of @types/phoenix; copied to dist/phoenix-wasm.d.ts
// and dist/phoenix-wasm.d.cts by scripts/build.mjs.

export type PushStatus = "ok" | "error" | "timeout";

export class Push {
  constructor(channel: Channel, event: string, payload: object, timeout: number);

  send(): void;
  resend(timeout: number): void;

  receive(status: PushStatus | string, callback: (response?: any) => any): this;
}

export type ChannelState = "closed" | "errored" | "joined" | "joining" | "leaving";

export class Channel {
  constructor(topic: string, params?: object | (() => object), socket?: Socket);

  state: ChannelState;
  topic: string;
  params: () => object;
  socket: Socket;
  timeout: number;
  joinedOnce: boolean;
  joinPush: Push;

  join(timeout?: number): Push;
  leave(timeout?: number): Push;

  onClose(callback: (payload: any, ref: any, joinRef: any) => void | Promise<void>): number;
  onError(callback: (reason?: any) => void | Promise<void>): number;
  onMessage(event: string, payload: any, ref: any): any;

  on(event: string, callback: (response?: any) => void | Promise<void>): number;
  off(event: string, ref?: number): void;

  push(event: string, payload: object, timeout?: number): Push;

  joinRef(): string | null;
}

export type BinaryType = "arraybuffer" | "blob";
export type ConnectionState = "connecting" | "open" | "closing" | "closed";

/** A constructor for a WebSocket-like transport: window.WebSocket, LongPoll, or a test double. */
export type Transport = new (endpoint: string, protocols?: string | string[]) => object;

export interface SocketConnectOption {
  binaryType: BinaryType;
  params: object | (() => object);
  authToken: string | (() => string);
  transport: Transport;
  timeout: number;
  heartbeatIntervalMs: number;
  longPollFallbackMs: number;
  longpollerTimeout: number;
  encode: (payload: object, callback: (encoded: any) => void | Promise<void>) => void;
  decode: (payload: string | ArrayBuffer, callback: (decoded: any) => void | Promise<void>) => void;
  logger: (kind: string, message: string, data: any) => void;
  reconnectAfterMs: (tries: number) => number;
  rejoinAfterMs: (tries: number) => number;
  vsn: string;
  debug: boolean;
  sessionStorage: object;
}

export type MessageRef = string;

export class Socket {
  constructor(endPoint: string, opts?: Partial<SocketConnectOption>);

  protocol(): string;
  endPointURL(): string;

  connect(params?: any): void;
  disconnect(callback?: () => void | Promise<void>, code?: number, reason?: string): void;
  connectionState(): ConnectionState;
  isConnected(): boolean;
  replaceTransport(transport: Transport): void;

  remove(channel: Channel): void;
  channel(topic: string, chanParams?: object | (() => object)): Channel;
  push(data: object): void;

  log(kind: string, message: string, data: any): void;
  hasLogger(): boolean;

  onOpen(callback: () => void | Promise<void>): MessageRef;
  onClose(callback: (event: any) => void | Promise<void>): MessageRef;
  onError(
    callback: (
      error: Event | string | number,
      transport: Transport,
      establishedConnections: number,
    ) => void | Promise<void>,
  ): MessageRef;
  onMessage(callback: (message: object) => void | Promise<void>): MessageRef;

  makeRef(): MessageRef;
  off(refs: MessageRef[]): void;

  ping: (callback: (latency: number) => void) => boolean;
}

export class LongPoll {
  constructor(endPoint: string, protocols?: string | string[]);

  readyState: number;
  timeout: number;
  binaryType: BinaryType;

  onopen: (event?: any) => void;
  onerror: (error?: any) => void;
  onmessage: (event: { data: any }) => void;
  onclose: (event?: any) => void;

  normalizeEndpoint(endPoint: string): string;
  endpointURL(): string;
  closeAndRetry(code?: number, reason?: string, wasClean?: boolean): void;
  ontimeout(): void;
  poll(): void;
  send(body: any): void;
  close(code?: number, reason?: string, wasClean?: boolean): void;
}

export type PresenceOnJoinCallback = (key?: string, currentPresence?: any, newPresence?: any) => void;
export type PresenceOnLeaveCallback = (key?: string, currentPresence?: any, leftPresence?: any) => void;

export interface PresenceOpts {
  events?: { state: string; diff: string } | undefined;
}

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
  joinRef: string | null;

  onJoin(callback: PresenceOnJoinCallback): void;
  onLeave(callback: PresenceOnLeaveCallback): void;
  onSync(callback: () => void | Promise<void>): void;
  list<T = any>(chooser?: (key: string, presence: any) => T): T[];
  inPendingSyncState(): boolean;

  static syncState(
    currentState: object,
    newState: object,
    onJoin?: PresenceOnJoinCallback,
    onLeave?: PresenceOnLeaveCallback,
  ): any;

  static syncDiff(
    currentState: object,
    diff: { joins: object; leaves: object },
    onJoin?: PresenceOnJoinCallback,
    onLeave?: PresenceOnLeaveCallback,
  ): any;

  static list<T = any>(presences: object, chooser?: (key: string, presence: any) => T): T[];
}

export interface Message {
  join_ref?: string | null;
  ref?: string | null;
  topic: string;
  event: string;
  payload: any;
}

/** The default JSON (vsn 2.0.0) and binary serializer. */
export const Serializer: {
  HEADER_LENGTH: number;
  META_LENGTH: number;
  KINDS: { push: number; reply: number; broadcast: number };
  encode(msg: Message, callback: (encoded: string | ArrayBuffer) => any): any;
  decode(rawPayload: string | ArrayBuffer, callback: (msg: Message) => any): any;
  binaryEncode(message: Message): ArrayBuffer;
  binaryDecode(buffer: ArrayBuffer): Message;
};
