// Serializer scenarios SE01-SE08, binary frames end to end, E10.

export default {
  "SE02-03-json-encode-decode-direct"(env) {
    const S = env.Serializer;
    const cb = env.record("cb", (x) => ["cb-result", x]);
    env.call("encode", () => S.encode({join_ref: "1", ref: "2", topic: "t", event: "e", payload: {a: [1, "x"]}}, cb));
    env.call("encode undefined refs", () => S.encode({topic: "t", event: "e", payload: {}}, cb));
    env.call("encode unicode", () => S.encode({join_ref: null, ref: null, topic: "t\u00e9", event: "\u{1F600}", payload: {s: "\u2028"}}, cb));
    env.call("decode", () => S.decode('["1","2","t","e",{"a":1}]', cb));
    env.call("decode extra/missing", () => S.decode('["1","2"]', cb));
    env.call("decode 6 elements", () => S.decode('[null,null,"t","e",{},"extra"]', cb));
    env.call("decode bad json", () => S.decode("{nope", cb), {loose: true});
    env.call("encode null payload", () => S.encode({topic: "t", event: "e", payload: null}, cb), {loose: true});
    env.call("encode Uint8Array payload (JSON)", () => S.encode({topic: "t", event: "e", payload: new Uint8Array([1, 2])}, cb));
  },

  "SE04-binaryEncode-and-field-sizes"(env) {
    const S = env.Serializer;
    const cb = env.record("cb", (x) => x);
    env.call("encode binary", () => S.encode({join_ref: "1", ref: "2", topic: "t", event: "e", payload: env.bytes(9, 8)}, cb));
    env.call("binaryEncode direct", () => S.binaryEncode({join_ref: "10", ref: "11", topic: "room:\u00e9", event: "ev", payload: env.bytes(1, 2, 3)}));
    env.call("null join_ref -> 'null'", () => S.binaryEncode({join_ref: null, ref: undefined, topic: "t", event: "e", payload: env.bytes()}));
    const long = "x".repeat(256);
    env.call("topic too long", () => S.binaryEncode({join_ref: "1", ref: "1", topic: long, event: "e", payload: env.bytes()}));
    env.call("event too long and join_ref too long: join_ref first", () => S.binaryEncode({join_ref: long, ref: "1", topic: "t", event: long, payload: env.bytes()}));
    env.call("exactly 255", () => S.binaryEncode({join_ref: "1", ref: "1", topic: "y".repeat(255), event: "e", payload: env.bytes()}).byteLength);
    env.call("ref too long (multibyte)", () => S.binaryEncode({join_ref: "1", ref: "\u00e9".repeat(128), topic: "t", event: "e", payload: env.bytes()}));
  },

  "SE05-assertFieldSize"(env) {
    const S = env.Serializer;
    env.call("255", () => S.assertFieldSize(255, "topic"));
    env.call("256", () => S.assertFieldSize(256, "topic"));
    env.call("big", () => S.assertFieldSize(1000, "whatever"));
  },

  "SE06-07-binaryDecode-kinds"(env) {
    const S = env.Serializer;
    const cb = env.record("cb", (x) => x);
    // push: kind 0, JL, TL, EL, join_ref, topic, event, payload
    env.call("push", () => S.decode(env.bytes(0, 1, 1, 2, "5", "t", "ev", [7, 7]), cb));
    // reply: kind 1, JL, RL, TL, SL, join_ref, ref, topic, status, response
    env.call("reply", () => S.decode(env.bytes(1, 1, 2, 1, 2, "5", "12", "t", "ok", [1, 2, 3]), cb));
    // broadcast: kind 2, TL, EL, topic, event, payload
    env.call("broadcast", () => S.decode(env.bytes(2, 1, 1, "t", "e", [255]), cb));
    env.call("unknown kind", () => S.decode(env.bytes(9, 0, 0), cb));
    env.call("empty join_ref", () => S.decode(env.bytes(0, 0, 1, 1, "t", "e"), cb));
    const buf = env.bytes(2, 1, 1, "t", "e", [1]);
    const view = new DataView(buf);
    env.call("decodeBroadcast direct", () => S.decodeBroadcast(buf, view, new TextDecoder()));
    env.call("binaryDecode direct", () => S.binaryDecode(buf));
  },

  "SE08-this-binding"(env) {
    const S = env.Serializer;
    const enc = S.encode;
    const dec = S.decode;
    const cb = env.record("cb", (x) => x);
    env.call("unbound json encode", () => enc({topic: "t", event: "e", payload: {}}, cb));
    env.call("unbound json decode", () => dec('[null,null,"t","e",{}]', cb));
    env.call("unbound binary encode", () => enc({topic: "t", event: "e", payload: env.bytes(1)}, cb), {loose: true});
    env.call("call with other this", () => S.encode.call({binaryEncode: () => "custom"}, {topic: "t", event: "e", payload: env.bytes(1)}, cb));
  },

  "SE08-binaryDecode-dispatches-through-this"(env) {
    const S = env.Serializer;
    const cb = env.record("cb", (x) => x);
    const lender = {
      KINDS: {push: 2, reply: 1, broadcast: 0},
      decodePush: env.record("lent decodePush", () => "push!"),
      decodeReply: env.record("lent decodeReply", () => "reply!"),
      decodeBroadcast: env.record("lent decodeBroadcast", () => "broadcast!"),
    };
    env.call("binaryDecode with lent KINDS", () => S.binaryDecode.call(lender, env.bytes(2, 1, 1, "t", "e")));
    env.call("decode with lent binaryDecode", () => S.decode.call({binaryDecode: (b) => b.byteLength}, env.bytes(0, 1), cb));
    env.call("encode with lent binaryEncode", () => S.encode.call({binaryEncode: (m) => m.topic}, {topic: "t", event: "e", payload: env.bytes(1)}, cb));
    // The per-kind helpers read their own layout whatever the kind byte says.
    const reply = env.bytes(1, 1, 2, 1, 2, "5", "12", "t", "ok", [1, 2, 3]);
    env.call("decodePush on a reply frame", () => S.decodePush(reply, new DataView(reply), new TextDecoder()));
    env.call("decodeReply on a reply frame", () => S.decodeReply(reply, new DataView(reply), new TextDecoder()));
  },

  "SE-binary-push-over-socket"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    const payload = env.track("abPayload", env.bytes(1, 2, 3));
    const p = ch.push("bin", payload);
    p.receive("ok", env.record("ok"));
    env.snapPush("p", p);
    const [, ref] = [null, p.ref];
    env.mark("binary reply");
    env.server.message(env.bytes(1, 1, ref.length, 4, 2, ch.joinRef(), ref, "room", "ok", [0xde, 0xad]));
    env.snapPush("after", p);
  },

  "SE-binary-broadcast-and-push-received"(env) {
    const s = env.socket();
    s.onMessage(env.record("socket onMessage"));
    const ch = env.joined(s, "room");
    ch.on("bin", env.record("bin"));
    ch.onMessage = env.record("hook", (e, p) => p);
    env.server.message(env.bytes(2, 4, 3, "room", "bin", [1, 2]));
    env.server.message(env.bytes(0, ch.joinRef().length, 4, 3, ch.joinRef(), "room", "bin", [3]));
    env.mark("stale join_ref binary push dropped");
    env.server.message(env.bytes(0, 3, 4, 3, "999", "room", "bin", [4]));
  },

  "SE-unknown-binary-kind-throws-in-handler"(env) {
    const s = env.socket();
    s.onMessage(env.record("onMessage"));
    s.connect();
    env.server.open();
    env.server.message(env.bytes(7, 0), {loose: true});
    env.server.message([null, null, "t", "after", {}]);
  },

  "E10-typed-arrays-are-json"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    ch.push("u8", new Uint8Array([1, 2]));
    ch.push("view", new DataView(env.bytes(1, 2)));
    ch.push("ab", env.bytes(5));
    ch.push("obj with ab", {data: env.bytes(6)});
  },

  "E10-binary-payload-field-too-long-throws-from-push"(env) {
    const s = env.socket();
    const ch = env.joined(s, "x".repeat(300));
    env.call("push binary", () => ch.push("e", env.bytes(1)));
    env.snapChannel("ch", ch);
  },
};
