// The LongPoll transport: phoenix.js 1.8.16's `LongPoll`, a WebSocket-like object over HTTP
// long polling (a GET that waits for messages, POSTs of NDJSON batches).
//
// This class owns what apps see and touch: the live fields (`reqs`, `batchBuffer`,
// `currentBatch`, `awaitingBatchAck`, `token`, `readyState`, ...), the handlers (called with
// `this` being the LongPoll), the requests and timers. Every decision (what a status means, the
// token and session, when to batch, buffer or flush, how a failure closes) is the core's,
// src/core/longpoll.rs, asked through the `lp_*` entry points; the numbers below name its
// answers.
import glue from "./wasm.js";
import Ajax from "./ajax.js";

// WebSocket readyState values (phoenix.js SOCKET_STATES).
const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;

// lp_poll: core::longpoll::PollAction, plus STORE_TOKEN.
const P_SESSION_GONE = 0;
const P_DELIVER = 1;
const P_POLL = 2;
const P_OPEN = 3;
const P_FORBIDDEN = 4;
// 5: server error (the default case below)
const P_UNHANDLED = 6;
const P_STORE_TOKEN = 8;
// lp_send: core::longpoll::SendAction (2: a new batch, the default case).
const S_ADD_TO_BATCH = 0;
const S_BUFFER = 1;
// lp_ack: core::longpoll::AckAction (3: done, the default case).
const A_FAILED = 0;
const A_NEXT = 1;
const A_POST_BUFFER = 2;
// lp_failure: core::longpoll::Failure.
const F_SESSION_GONE = 0;
const F_SERVER_ERROR = 1;
const F_FORBIDDEN = 2;
const F_POST_FAILED = 3;
const F_TIMEOUT = 4;

const NO_STATUS = glue.lp_no_status();

/** A number as `===` compares it; anything else is NaN to the core. */
const num = (v) => (typeof v === "number" ? v : NaN);

const arrayBufferToBase64 = (buffer) => {
  let binary = "";
  const bytes = new Uint8Array(buffer);
  const len = bytes.byteLength;
  for (let i = 0; i < len; i++) binary += String.fromCharCode(bytes[i]);
  return btoa(binary);
};

/** Fails as the core says: closeAndRetry(error, code, reason, false), or onerror + close.
 *  Called with `this` the LongPoll. */
function fail(kind, resp) {
  const f = glue.lp_failure(kind);
  const reason = glue.lp_failure_reason(kind);
  const e = (f >>> 16) & 0xfff;
  const error = e === 0 ? resp && resp.status : e === 1 ? reason : e;
  const code = f & 0xffff;
  if (f & (1 << 28)) {
    this.closeAndRetry(error, code, reason, false);
  } else {
    this.onerror(error);
    this.close(code, reason, false);
  }
}

export class LongPoll {
  constructor(endPoint, protocols) {
    // only the auth-token subprotocol is used: ["phoenix", "base64url.bearer.phx.<base64>"]
    if (protocols && protocols.length === 2) {
      // (not a string: throws as phoenix.js's `protocols[1].startsWith(...)` does)
      if (typeof protocols[1] !== "string") protocols[1].startsWith();
      const b64 = glue.lp_auth_token(String(protocols[1]));
      if (b64 !== undefined) this.authToken = atob(b64);
    }
    this.endPoint = null;
    this.token = null;
    this.skipHeartbeat = true;
    // the pending requests and queued messages, cancelled when we stop
    this.reqs = new Set();
    this.messageTimers = new Set();
    this.awaitingBatchAck = false;
    this.currentBatch = null;
    this.currentBatchTimer = null;
    this.batchBuffer = [];
    this.onopen = function () {};
    this.onerror = function () {};
    this.onmessage = function () {};
    this.onclose = function () {};
    this.pollEndpoint = this.normalizeEndpoint(endPoint);
    this.readyState = CONNECTING;
    // the caller sets the handlers and `timeout` first, and may close us before the first poll
    setTimeout(() => this.poll(), 0);
  }

  normalizeEndpoint(endPoint) {
    // (not a string: throws as phoenix.js's `endPoint.replace(...)` does)
    return glue.lp_normalize_endpoint(typeof endPoint === "string" ? endPoint : String(endPoint.replace()));
  }

  endpointURL() {
    return Ajax.appendParams(this.pollEndpoint, {token: this.token});
  }

  closeAndRetry(error, code, reason, wasClean) {
    if (!this.isActive()) return;
    // no longer open when the error and close are emitted, but connecting again before their
    // handlers run, so that they can still close us for good (a socket disconnect)
    this.stop(CONNECTING);
    this.onerror(error);
    if (this.isActive()) this.emitClose(code, reason, wasClean);
  }

  ontimeout() {
    fail.call(this, F_TIMEOUT);
  }

  isActive() {
    return glue.lp_is_active(num(this.readyState));
  }

  poll() {
    if (!this.isActive()) return;
    const headers = {Accept: "application/json"};
    if (this.authToken) headers["X-Phoenix-AuthToken"] = this.authToken;
    this.ajax("GET", headers, null, () => this.ontimeout(), (resp) => {
      let status, token, messages;
      if (resp) ({status, token, messages} = resp);
      const a = glue.lp_poll(resp ? num(status) : undefined, this.token !== null);
      if (a & P_STORE_TOKEN) this.token = token;
      switch (a & 7) {
        case P_DELIVER:
          // each message in its own macrotask, as WebSocket messages arrive; stopping cancels
          // those not delivered yet
          messages.forEach((msg) => {
            const timer = setTimeout(() => {
              this.messageTimers.delete(timer);
              this.onmessage({data: msg});
            }, 0);
            this.messageTimers.add(timer);
          });
          this.poll();
          break;
        case P_POLL:
          this.poll();
          break;
        case P_OPEN:
          this.readyState = OPEN;
          this.onopen({});
          this.poll();
          break;
        case P_UNHANDLED:
          throw new Error(`unhandled poll status ${status}`);
        case P_SESSION_GONE:
          fail.call(this, F_SESSION_GONE);
          break;
        case P_FORBIDDEN:
          fail.call(this, F_FORBIDDEN);
          break;
        default: // server error
          fail.call(this, F_SERVER_ERROR);
      }
    });
  }

  send(body) {
    if (typeof body !== "string") body = arrayBufferToBase64(body);
    switch (glue.lp_send(!!this.currentBatch, !!this.awaitingBatchAck)) {
      case S_ADD_TO_BATCH:
        this.currentBatch.push(body);
        break;
      case S_BUFFER:
        this.batchBuffer.push(body);
        break;
      default:
        // the frames sent in this task go together
        this.currentBatch = [body];
        this.currentBatchTimer = setTimeout(() => {
          this.batchSend(this.currentBatch);
          this.currentBatch = null;
        }, 0);
    }
  }

  batchSend(messages, offset = 0) {
    this.awaitingBatchAck = true;
    const next = glue.lp_batch_end(offset);
    const batch = messages.slice(offset, next);
    this.ajax("POST", {"Content-Type": "application/x-ndjson"}, batch.join("\n"), () => this.ontimeout(), (resp) => {
      const a = glue.lp_ack(resp ? num(resp.status) : undefined, next, messages.length, this.batchBuffer.length);
      switch (a) {
        case A_FAILED:
          fail.call(this, F_POST_FAILED, resp);
          break;
        case A_NEXT:
          this.batchSend(messages, next);
          break;
        case A_POST_BUFFER:
          this.batchSend(this.batchBuffer);
          this.batchBuffer = [];
          break;
        default:
          this.awaitingBatchAck = false;
      }
    });
  }

  close(code, reason, wasClean) {
    this.stop(CLOSED);
    this.emitClose(code, reason, wasClean);
  }

  /** Cancels the pending requests, queued messages and outgoing batches. */
  stop(readyState) {
    this.readyState = readyState;
    // the requests are no longer ours before they are aborted, as aborting can call their
    // callbacks (synchronously for XHR, later for fetch)
    const reqs = this.reqs;
    this.reqs = new Set();
    for (const {req} of reqs) req && req.abort();
    for (const timer of this.messageTimers) clearTimeout(timer);
    this.messageTimers.clear();
    this.batchBuffer = [];
    this.awaitingBatchAck = false;
    clearTimeout(this.currentBatchTimer);
    this.currentBatchTimer = null;
    this.currentBatch = null;
  }

  /** Emits the close event (a CloseEvent where there is one); the code defaults to 1005. */
  emitClose(code = NO_STATUS, reason, wasClean = true) {
    const opts = {code, reason, wasClean};
    if (typeof CloseEvent !== "undefined") {
      this.onclose(new CloseEvent("close", opts));
    } else {
      this.onclose(opts);
    }
  }

  ajax(method, headers, body, onCallerTimeout, callback) {
    // the request is ours until it completes or we stop (before it starts, as it can complete
    // while starting); the callbacks of a request that is no longer ours are ignored
    const request = {req: null};
    this.reqs.add(request);
    const ontimeout = () => {
      if (this.reqs.delete(request)) onCallerTimeout();
    };
    request.req = Ajax.request(method, this.endpointURL(), headers, body, this.timeout, ontimeout, (resp) => {
      if (this.reqs.delete(request)) callback(resp);
    });
  }
}
