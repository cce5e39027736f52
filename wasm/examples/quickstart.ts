// The shortest tour: load, reconcile, catch a coded error.
import init, { reconcile, OmegaError } from "omega-kernel";

await init(); // a browser loads the blob here; Node loaded it on import

const result = reconcile([{ lamport: 1, node: 1, stream: 0, seq: 0, payload: "aGk=" }]);
if (result.status === "ok") console.log("quickstart", result.tree_size, result.root); // the CLI's fields

try {
  reconcile([{ lamport: -1, node: 1, stream: 0, seq: 0 }]);
} catch (e) {
  if (e instanceof OmegaError) console.log("quickstart", e.code, e.index, e.field); // 3003 0 lamport
}
