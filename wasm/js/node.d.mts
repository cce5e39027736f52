// Types of the Node entry point: the same API as the web glue, already initialised.
export * from "../dist/omega_wasm.js";
