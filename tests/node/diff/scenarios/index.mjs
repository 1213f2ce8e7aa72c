// All scenarios, by name. Each file exports an object {name: (env) => void}.
import socket from "./socket.mjs";
import channel from "./channel.mjs";
import push from "./push.mjs";
import serializer from "./serializer.mjs";
import misc from "./misc.mjs";
import presence from "./presence.mjs";
import longpoll from "./longpoll.mjs";
import extra from "./extra.mjs";
import browser from "./browser.mjs";

const files = {socket, channel, push, serializer, misc, presence, longpoll, extra};
const all = {};
for (const [file, scenarios] of Object.entries(files)) {
  for (const [name, fn] of Object.entries(scenarios)) {
    if (all[name]) throw new Error(`duplicate scenario name ${name} (in ${file})`);
    all[name] = fn;
  }
}
// scenarios that need window/document from the start (run in a child process, see common.mjs)
export const browserScenarios = {};
for (const [name, fn] of Object.entries(browser)) {
  if (all[name]) throw new Error(`duplicate scenario name ${name} (in browser)`);
  all[name] = fn;
  browserScenarios[name] = fn;
}
export default all;
