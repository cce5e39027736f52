// Reconcile events from many nodes, in any order, into one canonical history.
import init, { reconcile, Reconciler, OmegaError, type OmegaEvent } from "omega-kernel";

await init(); // loads the blob in a browser; in Node it is loaded on import and this does nothing

const batch: OmegaEvent[] = [
  { lamport: 2, node: 2, stream: 0, seq: 0, payload: "aGk=" },
  { lamport: 1, node: 1, stream: 0, seq: 0 },
];
const first = reconcile(batch);
if (first.status !== "ok") throw new Error("the first batch obstructs");
console.log("history", first.tree_size, first.root);

// The next batch extends the first: `first` is its prior.
const next = reconcile([{ lamport: 3, node: 1, stream: 0, seq: 1 }], first);
console.log("extended", next.status, next.status === "ok" ? next.tree_size : "-");

// A batch that breaks an invariant is an obstruction, with the evidence.
const gap = reconcile([{ lamport: 3, node: 2, stream: 0, seq: 5 }], first);
if (gap.status === "obstruction") {
  for (const v of gap.violations) console.log("violation", v.code, v.reason);
}

// Streaming: push in any order, flush to reconcile (one sort per flush).
const r = new Reconciler(first);
r.push({ lamport: 4, node: 2, stream: 0, seq: 1 });
r.push({ lamport: 3, node: 1, stream: 0, seq: 1 });
const flushed = r.flush();
console.log("flushed", flushed.status, flushed.status === "ok" ? flushed.root : "-");

// Bad input throws an OmegaError: a stable code, and the event and field.
try {
  reconcile([{ lamport: -1, node: 1, stream: 0, seq: 0 }]);
} catch (e) {
  if (!(e instanceof OmegaError)) throw e;
  console.log("refused", e.code, e.index, e.field);
}
