// Node entry point of omega-kernel: loads the blob synchronously, so
// `import { reconcile } from "omega-kernel"` works with no init call.
// (The wasm-bindgen `--target web` glue's default `init()` fetches the blob,
// which Node cannot do for a file URL.)
import { readFileSync } from "node:fs";
import { webcrypto } from "node:crypto";
import { initSync as loadSync } from "../dist/omega_wasm.js";

// Node 18 has WebCrypto only as `require("node:crypto").webcrypto`; from Node
// 19 on it is also the global `crypto`, which `generateKeypair` draws from.
// Define it as Node 19+ does, only where it is missing.
if (typeof globalThis.crypto === "undefined") {
  Object.defineProperty(globalThis, "crypto", { value: webcrypto, writable: true, configurable: true, enumerable: false });
}

const exports = loadSync({ module: readFileSync(new URL("../dist/omega_wasm_bg.wasm", import.meta.url)) });

export * from "../dist/omega_wasm.js";

/**
 * Browser-style code runs unchanged in Node: the blob is loaded on import,
 * so `await init()` (with or without an argument) resolves to the loaded
 * blob's exports at once and loads nothing.
 */
export default async function init(_moduleOrPath) {
  return exports;
}

/** As `init`, synchronously: the blob is already loaded. */
export function initSync(_module) {
  return exports;
}
