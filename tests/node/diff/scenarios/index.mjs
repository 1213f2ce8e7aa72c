// All scenarios, by name. Each file exports an object {name: (env) => void}.
import socket from "./socket.mjs";

const files = {socket};
const all = {};
for (const [file, scenarios] of Object.entries(files)) {
  for (const [name, fn] of Object.entries(scenarios)) {
    if (all[name]) throw new Error(`duplicate scenario name ${name} (in ${file})`);
    all[name] = fn;
  }
}
export default all;
