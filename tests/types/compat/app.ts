// A typical application written against @types/phoenix: a chat room with presence and typed
// payloads, reconnect handling, a module-level socket shared by components.
import * as Phoenix from "phoenix";
import { Socket, Channel, Presence } from "phoenix";

type Message = { id: number; user: string; body: string; at: number };

export class ChatRoom {
  private socket: Socket;
  private channel: Channel | null = null;
  private presence: Presence | null = null;
  private refs: Phoenix.MessageRef[] = [];
  messages: Message[] = [];
  online: string[] = [];

  constructor(private token: string, endpoint = "/socket") {
    this.socket = new Socket(endpoint, {
      params: () => ({ token: this.token }),
      reconnectAfterMs: (tries) => Math.min(tries * 500, 5000),
    });
    this.refs.push(this.socket.onError(() => console.warn("socket error")));
    this.refs.push(this.socket.onOpen(() => console.info("socket open")));
  }

  join(room: string): Promise<Message[]> {
    this.socket.connect();
    const channel = this.socket.channel(`room:${room}`, {});
    this.channel = channel;
    this.presence = new Phoenix.Presence(channel);
    this.presence.onSync(() => {
      this.online = this.presence!.list((user) => user);
    });
    channel.on("new_msg", (msg: Message) => { this.messages.push(msg); });
    return new Promise((resolve, reject) => {
      channel
        .join()
        .receive("ok", ({ messages }: { messages: Message[] }) => resolve(messages))
        .receive("error", (e) => reject(new Error(e.reason)))
        .receive("timeout", () => reject(new Error("timeout")));
    });
  }

  send(body: string): Promise<number> {
    return new Promise((resolve, reject) => {
      if (!this.channel) return reject(new Error("not joined"));
      this.channel
        .push("new_msg", { body })
        .receive("ok", ({ id }: { id: number }) => resolve(id))
        .receive("error", reject);
    });
  }

  close() {
    this.channel?.leave();
    this.socket.off(this.refs);
    this.socket.disconnect();
  }
}

export const status = (s: Phoenix.Socket): Phoenix.ConnectionState => s.connectionState();
export const makeChannel = (s: Phoenix.Socket, t: string): Phoenix.Channel => s.channel(t);
export type Status = Phoenix.PushStatus;
export type Opts = Partial<Phoenix.SocketConnectOption>;
