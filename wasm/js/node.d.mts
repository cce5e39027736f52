// Types of the Node entry point: the same API as the web glue, already
// initialised; `init()` and `initSync()` load nothing and return the blob's exports.
export * from "../dist/omega_wasm.js";
import type { InitInput, InitOutput, SyncInitInput } from "../dist/omega_wasm.js";

/** The blob is loaded on import in Node: resolves to its exports at once (the argument is ignored). */
export default function init(module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<InitOutput>;
/** The blob is loaded on import in Node: returns its exports (the argument is ignored). */
export function initSync(module?: { module: SyncInitInput } | SyncInitInput): InitOutput;
