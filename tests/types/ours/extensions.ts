// phoenix-wasm's extensions beyond phoenix.js (push.promise, socket.stats, reconnectJitter),
// against phoenix-wasm's types only.
import { Socket } from "phoenix";
import type { PushError, SocketStats } from "phoenix";

const socket = new Socket("/socket", { reconnectJitter: 0.3 });
const channel = socket.channel("room:lobby", {});

async function main(): Promise<number> {
  const joined: { messages: string[] } = await channel.join().promise<{ messages: string[] }>();
  try {
    await channel.push("new_msg", { body: "hi" }).receive("ok", () => {}).promise();
  } catch (e) {
    const err = e as PushError;
    const status: "error" | "timeout" = err.status;
    console.log(status, err.response);
  }
  await channel.leave().promise();
  const stats: SocketStats = socket.stats();
  const rtt: number | null = stats.rttMs;
  const t: "websocket" | "longpoll" = stats.transport;
  console.log(rtt, t, stats.openedAt, stats.bytesIn + stats.bytesOut, stats.messagesIn + stats.messagesOut, stats.reconnects);
  return joined.messages.length;
}
main();

// @ts-expect-error the jitter is a number
new Socket("/socket", { reconnectJitter: "0.5" });
