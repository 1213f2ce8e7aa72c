import assert from "node:assert/strict";

// One client conversation against the reference server, for any runtime: two sockets (alice and
// bob) on an absolute ws:// URL join the same room; bob's Presence lists alice; alice pushes
// new_msg and gets the {id} reply; both get the broadcast; ping measures a round trip.
// `transport` is a WebSocket class (`ws` in Node 20) or undefined (the runtime's global
// WebSocket: Node 22). Resolves a JSON-able summary; rejects on an error or after 10 s a step.
export async function conversation(P, { http, transport, room = `rt-${process.pid}-${Date.now() % 100000}` }) {
  const token = async (name) => {
    const res = await fetch(`${http}/api/token`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name }),
    });
    return (await res.json()).token;
  };
  const wsUrl = http.replace(/^http/, "ws") + "/socket";
  const sockets = [];
  const within = (what, p) => Promise.race([p, new Promise((_, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out: ${what}`)), 10_000);
    p.finally(() => clearTimeout(t)).catch(() => {});
  })]);
  const open = async (name) => {
    const socket = new P.Socket(wsUrl, { ...(transport ? { transport } : {}), params: { token: await token(name) } });
    sockets.push(socket);
    const opened = new Promise((resolve) => socket.onOpen(resolve));
    socket.connect();
    await within(`${name} open`, opened);
    const channel = socket.channel(`room:${room}`);
    const presence = new P.Presence(channel);
    const joined = await within(`${name} join`, new Promise((resolve, reject) => {
      channel.join().receive("ok", resolve).receive("error", reject).receive("timeout", () => reject(new Error("join timeout")));
    }));
    return { socket, channel, presence, joined };
  };
  try {
    const alice = await open("alice");
    const bob = await open("bob");
    const users = (p) => p.list((id) => id).sort();
    const bobSeesBoth = within("bob's presence", new Promise((resolve) => {
      const check = () => { if (users(bob.presence).length === 2) resolve(users(bob.presence)); };
      bob.presence.onSync(check);
      check();
    }));
    const atAlice = new Promise((resolve) => alice.channel.on("new_msg", resolve));
    const atBob = new Promise((resolve) => bob.channel.on("new_msg", resolve));
    const reply = await within("push reply", new Promise((resolve, reject) => {
      alice.channel.push("new_msg", { body: "héllo 😀" }).receive("ok", resolve).receive("error", reject)
        .receive("timeout", () => reject(new Error("push timeout")));
    }));
    const [broadcastAtAlice, broadcastAtBob] = await within("broadcast", Promise.all([atAlice, atBob]));
    const latency = await within("ping", new Promise((resolve, reject) => {
      if (!alice.socket.ping(resolve)) reject(new Error("ping not sent"));
    }));
    return {
      joined: alice.joined,
      reply,
      broadcastAtAlice,
      broadcastAtBob,
      bobPresence: await bobSeesBoth,
      latencyIsNumber: typeof latency === "number" && latency >= 0,
      states: [alice.socket.connectionState(), alice.socket.isConnected(), alice.channel.state],
      endPointURL: alice.socket.endPointURL(),
    };
  } finally {
    await Promise.all(sockets.map((s) => new Promise((resolve) => s.disconnect(resolve))));
  }
}

// The assertions on a summary (node:assert, so usable from any test).
export function checkSummary(r, port) {
  assert.deepEqual(r.joined, { messages: [] });
  assert.equal(typeof r.reply.id, "number");
  for (const m of [r.broadcastAtAlice, r.broadcastAtBob]) {
    assert.equal(m.id, r.reply.id);
    assert.equal(m.user, "alice");
    assert.equal(m.body, "héllo 😀");
  }
  assert.deepEqual(r.bobPresence, ["alice", "bob"]);
  assert.equal(r.latencyIsNumber, true);
  assert.deepEqual(r.states, ["open", true, "joined"]);
  assert.match(r.endPointURL, new RegExp(`^ws://127\\.0\\.0\\.1:${port}/socket/websocket\\?`));
}

// As a script: node scenario.mjs HTTP_BASE [ws|global] prints the summary (used under Node 22).
if (import.meta.url === `file://${process.argv[1]}`) {
  const [http, how = "global"] = process.argv.slice(2);
  const P = await import("phoenix-wasm");
  const transport = how === "ws" ? (await import("ws")).default : undefined;
  const summary = await conversation(P, { http, transport });
  console.log(JSON.stringify({ node: process.version, globalWebSocket: typeof globalThis.WebSocket, ...summary }));
  process.exit(0);
}
