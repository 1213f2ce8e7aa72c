// A Node program (lib es2020 + @types/node, no DOM lib) against phoenix-wasm's types: the
// declarations must not need the DOM lib. The transport is any WebSocket-like class (here a stub
// standing in for the `ws` package, which ships no types).
import { Socket, Presence } from "phoenix";

class NodeWebSocket {
  binaryType = "arraybuffer";
  constructor(public url: string, public protocols?: string | string[]) {}
  send(_data: string | ArrayBuffer) {}
  close(_code?: number, _reason?: string) {}
}

const socket = new Socket("ws://127.0.0.1:4000/socket", {
  transport: NodeWebSocket,
  params: { token: process.env.TOKEN ?? "" },
  authToken: () => process.env.AUTH_TOKEN ?? "",
  logger: (kind, msg, data) => process.stderr.write(`${kind}: ${msg} ${JSON.stringify(data)}\n`),
});
socket.onError((error, transport, established) => console.error(error, transport.name, established));
socket.onClose((event) => console.log(event.code));
socket.connect();
const channel = socket.channel("room:lobby", { user: "node" });
const presence = new Presence(channel);
presence.onSync(() => console.log(presence.list((id) => id)));
channel.join().receive("ok", () => {
  channel.push("new_msg", { body: "from node" }).receive("ok", ({ id }: { id: number }) => console.log(id));
});
setTimeout(() => socket.disconnect(() => process.exit(0)), 1000);
