// Loads the embedded wasm synchronously, so the package is usable right after import with no
// init call: `new WebAssembly.Module` on the bytes (Chromium allows this on the main thread for
// modules far below 8 MB), then wasm-bindgen's `initSync`. Every facade module imports the
// instantiated glue from here.
import * as glue from "phoenix-wasm:glue";
import { wasmBytes } from "phoenix-wasm:bytes";
import { noop, closure, identityHook, debugLogger, frameSize } from "./shims.js";

glue.initSync({ module: new WebAssembly.Module(wasmBytes()) });
glue.set_shims(noop, closure, identityHook, debugLogger, frameSize);

export default glue;
