// `push.promise()` (a phoenix-wasm extension): the reply of a push as a Promise, beside the
// receive hooks (which keep working on the same push). Resolves with the `ok` response; rejects
// with a PushError whose `status` is "error" or "timeout" and whose `response` is the reply.

/** The rejection of `push.promise()`. */
export class PushError extends Error {
  constructor(status, response) {
    super(`push ${status}`);
    this.name = "PushError";
    this.status = status;
    this.response = response;
  }
}

/** Adds `promise()` to a Push class's prototype (non-enumerable, like a class method). */
export function addPromise(PushClass) {
  Object.defineProperty(PushClass.prototype, "promise", {
    configurable: true,
    writable: true,
    value: function promise() {
      return new Promise((resolve, reject) => {
        this.receive("ok", resolve)
          .receive("error", (response) => reject(new PushError("error", response)))
          .receive("timeout", (response) => reject(new PushError("timeout", response)));
      });
    },
  });
}
