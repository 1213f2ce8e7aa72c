// Page lifecycle scenarios (docs/protocol.md#connection-lifecycle, #b25). They run in a child process preloaded with
// browser-globals.mjs, so that window/document exist before the client is imported.

function open(env, socket) {
  socket.connect();
  env.server.open();
}

export default {
  "B-SO18-listeners-added-per-socket"(env) {
    env.socket();
    env.mark("second socket adds its own set");
    env.socket();
  },

  "B-S36-pagehide-then-pageshow-reconnects"(env) {
    const s = env.socket();
    s.onClose(env.record("onClose"));
    const ch = env.joined(s, "room");
    ch.onError(env.record("ch onError"));
    env.page.dispatch("window", "pagehide");
    env.snapSocket("after pagehide", s);
    env.clock.advance(1000);
    env.page.dispatch("window", "pageshow");
    env.snapSocket("after pageshow", s);
    env.server.open();
    env.snapChannel("ch", ch);
    env.mark("pageshow again does nothing");
    env.page.dispatch("window", "pageshow");
  },

  "B-S36-pageshow-skipped-after-connect-in-between"(env) {
    const s = env.socket();
    open(env, s);
    env.page.dispatch("window", "pagehide");
    env.clock.advance(1000);
    s.connect();
    env.page.dispatch("window", "pageshow");
    env.snapSocket("s", s);
    env.mark("listeners of every socket run: s (connecting) is disconnected and reconnected, s2 has no connection");
    const s2 = env.socket();
    env.page.dispatch("window", "pagehide");
    env.page.dispatch("window", "pageshow");
    env.snapSocket("s2", s2);
  },

  "B-S36-visible-again-reconnects-now-with-reset-backoff"(env) {
    const s = env.socket();
    open(env, s);
    for (let i = 0; i < 3; i++) {
      env.server.close({code: 1006});
      env.clock.runAll(2);
    }
    env.server.close({code: 1006});
    env.mark("reconnect timer pending; page hidden then visible");
    env.page.hide();
    env.page.show();
    env.snapSocket("reconnecting now", s);
    env.mark("resume while the visibility connection is still connecting is ignored");
    env.page.dispatch("document", "resume");
    env.server.close({code: 1006});
    env.clock.runAll(2);
  },

  "B-S36-visible-when-connected-or-clean-does-nothing"(env) {
    const s = env.socket();
    env.page.show();
    open(env, s);
    env.page.show();
    s.disconnect();
    env.clock.advance(1000);
    env.page.show();
    env.page.dispatch("document", "resume");
  },

  "B-LG09-reconnect-timer-while-hidden"(env) {
    const s = env.socket();
    const ch = env.joined(s, "room");
    env.page.hide();
    env.server.close({code: 1006});
    env.clock.advance(10);
    env.snapSocket("not reconnected", s);
    env.clock.advance(2000);
    env.page.show();
    env.server.open();
    env.snapChannel("ch", ch);
  },
};
