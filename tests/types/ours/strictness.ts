// The types reject what phoenix.js would misuse at run time: each @ts-expect-error must be an error
// (tsc fails on an unused one), so the declarations are not `any` in disguise.
import { Socket, Channel, Presence, LongPoll, Serializer } from "phoenix";

const socket = new Socket("/socket");
const channel = socket.channel("room:lobby");

// @ts-expect-error the endpoint is a string
new Socket(4000);
// @ts-expect-error no such option type: timeout is a number
new Socket("/socket", { timeout: "10s" });
// @ts-expect-error binaryType is "arraybuffer" or "blob"
new Socket("/socket", { binaryType: "text" });
// @ts-expect-error authToken is a string or a function returning one
new Socket("/socket", { authToken: 42 });
// @ts-expect-error a transport is a constructor
new Socket("/socket", { transport: () => ({}) });
// @ts-expect-error connectionState() is one of four states
const bogus: "connected" = socket.connectionState();
// @ts-expect-error off takes an array of refs
socket.off(socket.onOpen(() => {}));
// @ts-expect-error topic is required
socket.channel();
// @ts-expect-error push needs an event and a payload
channel.push("new_msg");
// @ts-expect-error on returns a number ref, not a string
const ref: string = channel.on("x", () => {});
// @ts-expect-error state is a ChannelState
channel.state = "open";
// @ts-expect-error join timeout is a number
channel.join("5s");
// @ts-expect-error Presence needs a channel
new Presence(socket);
// @ts-expect-error list's chooser gets (key, presence)
new Presence(channel).list((key: number) => key);
// @ts-expect-error LongPoll needs an endpoint
new LongPoll();
// @ts-expect-error encode needs a message with topic and event
Serializer.encode({ payload: {} }, () => {});
// @ts-expect-error ping's callback gets a number
socket.ping((latency: string) => latency);

export { bogus, ref, Channel };
