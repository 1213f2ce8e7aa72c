// What 10,000 channel join/leave cycles leave behind, and whether a left channel whose callback
// captures the channel, and a disconnected unreferenced socket, are collected (issue 12; see
// docs/boundary.md, "Garbage"). A measurement, not a test:
//
//   node --expose-gc bench/gc-cycles.mjs [module]   # default: dist/phoenix-wasm.mjs
//   node --expose-gc bench/gc-cycles.mjs phoenix    # phoenix.js 1.8.16, for comparison
//
// Prints {heapGrowthKB, collected}: the JS heap after the cycles minus before (both after full
// collections), and which of "channel" and "socket" a FinalizationRegistry saw collected.
import path from "node:path";
import {pathToFileURL} from "node:url";

if (typeof gc !== "function") {
  console.error("run with node --expose-gc");
  process.exit(2);
}
const arg = process.argv[2] || "dist/phoenix-wasm.mjs";
const spec = arg === "phoenix" ? "phoenix" : pathToFileURL(path.resolve(arg)).href;
const {Socket} = await import(spec);

// A WebSocket stand-in that opens at once and answers joins and leaves with ok.
class FakeWS {
  constructor() {
    this.readyState = 0;
    this.bufferedAmount = 0;
    queueMicrotask(() => {
      this.readyState = 1;
      if (this.onopen) this.onopen({});
    });
  }
  send(data) {
    const [joinRef, ref, topic, event] = JSON.parse(data);
    if (event !== "phx_join" && event !== "phx_leave") return;
    const reply = JSON.stringify([joinRef, ref, topic, "phx_reply", {status: "ok", response: {}}]);
    queueMicrotask(() => this.onmessage && this.onmessage({data: reply}));
  }
  close() {
    this.readyState = 3;
  }
}
Object.assign(FakeWS, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});

const collected = new Set();
const registry = new FinalizationRegistry((what) => collected.add(what));
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
// Collections with turns of the event loop between them, so that finalizers run and
// teardown steps that poll with timers finish.
const fullGc = async () => {
  for (let i = 0; i < 5; i++) {
    gc();
    await tick(50);
  }
};

let socket = new Socket("ws://127.0.0.1:1/socket", {transport: FakeWS, heartbeatIntervalMs: 1e9});
socket.connect();
await tick();
const cycle = (i) => {
  const ch = socket.channel("room:" + i);
  ch.on("x", () => ch.push("y", {}));
  ch.join();
  return ch;
};
// In a function of its own: a suspended async frame (this module's top level) may keep dead
// locals reachable.
const probe = async () => {
  const ch = cycle("probe");
  await tick();
  ch.leave();
  await tick();
  registry.register(ch, "channel");
};
await probe();
for (let i = 0; i < 200; i++) cycle(i).leave();
await fullGc();
const before = process.memoryUsage().heapUsed;
for (let i = 0; i < 10000; i++) {
  const ch = cycle(i);
  if (i % 50 === 0) await tick();
  ch.leave();
}
await fullGc();
const after = process.memoryUsage().heapUsed;
const drop = () => {
  socket.disconnect();
  registry.register(socket, "socket");
  socket = null;
};
drop();
await fullGc();
console.log(JSON.stringify({heapGrowthKB: Math.round((after - before) / 1024), collected: [...collected].sort()}));
