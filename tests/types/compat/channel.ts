// @types/phoenix 1.6.7: Channel and the Push.receive chain, PushStatus, ChannelState.
import { Socket, Channel, Push } from "phoenix";
import type { PushStatus, ChannelState } from "phoenix";

const socket = new Socket("/socket", { params: { token: "t" } });
socket.connect();

const channel: Channel = socket.channel("room:lobby", { user: "alice" });
const viaCtor = new Channel("room:other", { user: "bob" }, socket);
const withFnParams = new Channel("room:fn", () => ({ at: Date.now() }), socket);
const bare = new Channel("room:bare");

const state: ChannelState = channel.state;
const topic: string = channel.topic;
const isActive = (c: Channel) => c.state === "joined" || c.state === "joining" || c.state === "leaving" || c.state === "errored";
if (isActive(channel)) channel.state = "closed";
console.log(topic);

// join → receive chain, every status, untyped and typed responses.
interface JoinReply { messages: { id: number; body: string }[] }
const joinPush: Push = channel
  .join()
  .receive("ok", (resp: JoinReply) => console.log(resp.messages.length))
  .receive("error", ({ reason }) => console.log("join failed", reason))
  .receive("timeout", () => console.log("join timeout"));
const rejoin: Push = viaCtor.join(5_000);

const statuses: PushStatus[] = ["ok", "error", "timeout"];
for (const status of statuses) joinPush.receive(status, (response?: any) => response);

// push with and without timeout; callbacks returning values or promises.
const push: Push = channel.push("new_msg", { body: "hello" });
push.receive("ok", (reply) => reply.id).receive("error", async (e) => { await Promise.resolve(e); });
channel.push("new_msg", { body: "hi" }, 10_000).receive("timeout", () => {});
push.send();
push.resend(1_000);
const manual = new Push(channel, "event", { a: 1 }, 1_000);
manual.receive("ok", () => {}).send();

// on/off with refs.
const ref1: number = channel.on("new_msg", (msg) => console.log(msg.body));
const ref2: number = channel.on("new_msg", async (payload?: any) => {});
const ref3: number = channel.on("presence_diff", () => {});
channel.off("new_msg", ref1);
channel.off("new_msg", ref2);
channel.off("presence_diff");
console.log(ref3);

// Lifecycle callbacks.
const closeRef: number = channel.onClose((payload: any, ref: any, joinRef: any) => console.log(payload, ref, joinRef));
const closeRef2: number = channel.onClose(async () => {});
const errRef: number = channel.onError((reason?: any) => console.log(reason));
const errRef2: number = channel.onError(async () => {});
console.log(closeRef, closeRef2, errRef, errRef2);

// onMessage: called, and overridden (payload hook).
const msg: any = channel.onMessage("event", { a: 1 }, "1");
channel.onMessage = (event: string, payload: any, ref: any) => ({ ...payload, event, ref });

// leave chain.
channel.leave().receive("ok", () => console.log("left"));
withFnParams.leave(1_000).receive("timeout", () => {});
bare.join();

export { state, rejoin, manual, msg };
