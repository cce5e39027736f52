// Node entry point of omega-kernel: loads the blob synchronously, so
// `import { reconcile } from "omega-kernel"` works with no init call.
// (The wasm-bindgen `--target web` glue's default `init()` fetches the blob,
// which Node cannot do for a file URL.)
import { readFileSync } from "node:fs";
import { initSync } from "../dist/omega_wasm.js";

initSync({ module: readFileSync(new URL("../dist/omega_wasm_bg.wasm", import.meta.url)) });

export * from "../dist/omega_wasm.js";
