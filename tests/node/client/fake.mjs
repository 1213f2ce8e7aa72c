// A minimal WebSocket-like transport for driving a Socket by hand in Node tests.
export class FakeTransport {
  static instances = [];
  constructor(url, protocols) {
    this.url = url;
    this.protocols = protocols;
    this.readyState = 0;
    this.sent = [];
    FakeTransport.instances.push(this);
  }
  send(data) { this.sent.push(data); }
  close(code, reason) {
    this.readyState = 3;
    if (this.onclose) this.onclose({ code: code || 1005, reason: reason || "", wasClean: true });
  }
  // server side
  open() { this.readyState = 1; this.onopen && this.onopen({}); }
  message(data) { this.onmessage && this.onmessage({ data }); }
  static last() { return FakeTransport.instances[FakeTransport.instances.length - 1]; }
}

// A small seeded PRNG (mulberry32) so failures are reproducible.
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
