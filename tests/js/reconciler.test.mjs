// The streaming `Reconciler` of the npm package `omega-kernel` (pushJson,
// pushBinary, pending, flush, flushJson, stateBytes) and `sampleHistory`, in
// Node, against the golden vectors: events pushed in chunks, in either format
// and any order, flush to the one-shot reconcile's exact bytes; the binary
// state is the one the one-shot result describes and extends a history as a
// prior does; bad input throws an OmegaError with its documented code.
// Run through `cargo xtask test`, or: node --test tests/js/reconciler.test.mjs
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { OP_RECONCILE_BINARY, OP_RECONCILE_JSON, VECTORS_DIR, importKernel, loadCases, sha256Hex } from "./vectors.mjs";
import { concat } from "./manifest.mjs";

const omega = await importKernel();

const cases = loadCases();
// Every reconcile vector with a result (ok or obstruction), in both ops.
const resultCases = cases.filter((c) => !c.fields && (c.op === OP_RECONCILE_JSON || c.op === OP_RECONCILE_BINARY) && c.status !== 2);
const demoIn = readFileSync(new URL("reconcile/demo-sample.in.json", `file://${VECTORS_DIR}`), "utf8");
const demoOut = readFileSync(new URL("reconcile/demo-sample.out.json", `file://${VECTORS_DIR}`), "utf8");
// `omega sample --seed 2026 --shuffle 11` (4 nodes x 3 streams x 250 events, 32-byte payloads): the demo sample.
const DEMO_ARGS = [2026, 4, 3, 250, 32, 11];
// The empty state, byte for byte as docs/FORMATS.md ("State binary") spells it.
const EMPTY_STATE = Uint8Array.from([...Buffer.from("OMGS"), 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);


/** A vector's events as JSON texts of one event each and as canonical binary events, in input order. */
function eventsOf(c) {
  const text = c.op === OP_RECONCILE_JSON ? c.input.toString("utf8") : omega.decodeEvents(new Uint8Array(c.input));
  const json = JSON.parse(text).map((e) => JSON.stringify(e));
  const binary = omega.splitEvents(c.op === OP_RECONCILE_BINARY ? new Uint8Array(c.input) : omega.encodeEvents(text));
  assert.equal(binary.length, json.length, `${c.name}: one binary event per JSON event`);
  return { json, binary };
}

/** Uneven chunks of 0..n (an empty one among them): [start, end) pairs covering every index once. */
function chunks(n) {
  const sizes = [1, 0, 3, 2, 7, 1, 50, 400];
  const out = [];
  for (let at = 0, i = 0; at < n || out.length < 2; i++) {
    const end = Math.min(n, at + sizes[i % sizes.length]);
    out.push([at, end]);
    at = end;
    if (at >= n && out.length >= 2) break;
  }
  return out;
}

/** Throws unless `f` throws an OmegaError with `code` (and `index`/`field` when given); returns the error. */
function refuses(f, code, { index, field } = {}, what = "") {
  let err;
  assert.throws(f, (e) => {
    err = e;
    assert.ok(e instanceof omega.OmegaError && e instanceof Error, `${what}: expected an OmegaError, got ${e?.constructor?.name}: ${e?.message}`);
    assert.equal(typeof e.code, "number", `${what}: code is a number`);
    assert.equal(e.code, code, `${what}: code (message: ${e.message})`);
    if (index !== undefined) assert.equal(e.index, index, `${what}: index (message: ${e.message})`);
    if (field !== undefined) assert.equal(e.field, field, `${what}: field (message: ${e.message})`);
    assert.ok(typeof e.message === "string" && e.message.length > 0, `${what}: a message`);
    return true;
  }, what);
  return err;
}

function withReconciler(prior, f) {
  const r = prior === undefined ? new omega.Reconciler() : new omega.Reconciler(prior);
  try {
    return f(r);
  } finally {
    r.free();
  }
}

test("the API this file tests is there: Reconciler with pushJson, pushBinary, pending, flush, flushJson, stateBytes; sampleHistory", () => {
  assert.equal(typeof omega.Reconciler, "function");
  for (const m of ["push", "pushJson", "pushBinary", "flush", "flushJson", "stateBytes", "free"]) {
    assert.equal(typeof omega.Reconciler.prototype[m], "function", `Reconciler.prototype.${m}`);
  }
  const pending = Object.getOwnPropertyDescriptor(omega.Reconciler.prototype, "pending");
  assert.equal(typeof pending?.get, "function", "pending is a getter");
  assert.equal(pending.set, undefined, "pending is read-only");
  assert.equal(typeof omega.sampleHistory, "function");
  assert.equal(typeof omega.sampleHistoryJson, "function");
  // the cases below: both ops, ok and obstruction, with and without a prior
  const names = resultCases.map((c) => c.name);
  for (const n of ["demo-sample", "empty", "binary-sample", "prior-extend", "code-1002-id-conflict", "code-1001-stale", "multi-violation"]) {
    assert.ok(names.includes(n), `vector ${n} is among the cases (${names.join(", ")})`);
  }
});

describe("pushed in chunks (JSON, binary, mixed; in order and reversed), one flush: the one-shot result's exact bytes", () => {
  for (const c of resultCases) {
    test(c.name, () => {
      const { json, binary } = eventsOf(c);
      const n = json.length;
      const expected = c.expected.toString("utf8");
      const result = JSON.parse(expected);
      const prior = c.prior?.toString("utf8");
      // the one-shot API on the same input gives the vector's bytes (the reference of this test)
      const oneShot = c.op === OP_RECONCILE_JSON ? omega.reconcileJson(c.input.toString("utf8"), prior) : omega.reconcileBinary(new Uint8Array(c.input), prior);
      assert.equal(oneShot, expected);
      const priorState = withReconciler(prior, (r) => r.stateBytes());
      const order = [...Array(n).keys()];
      for (const [mode, reversed] of [["json", false], ["binary", false], ["mixed", false], ["mixed", true], ["binary", true]]) {
        const idx = reversed ? [...order].reverse() : order;
        const what = `${c.name}, ${mode}${reversed ? ", reversed" : ""}`;
        withReconciler(prior, (r) => {
          assert.equal(r.pending, 0, `${what}: nothing pending at the start`);
          let pushed = 0;
          chunks(n).forEach(([a, b], k) => {
            const part = idx.slice(a, b);
            if (mode === "binary" || (mode === "mixed" && k % 2 === 0)) {
              r.pushBinary(concat(part.map((i) => binary[i])));
            } else {
              for (const i of part) r.pushJson(json[i]);
            }
            pushed += part.length;
            assert.equal(r.pending, pushed, `${what}: pending after chunk ${k}`);
          });
          assert.equal(pushed, n);
          assert.deepEqual(r.stateBytes(), priorState, `${what}: pushing does not change the state`);
          assert.equal(r.flushJson(), expected, `${what}: flushJson`);
          assert.equal(r.pending, 0, `${what}: nothing pending after the flush`);
          const state = r.stateBytes();
          if (result.status === "ok") {
            assert.equal(sha256Hex(state), result.state_hash, `${what}: sha256(stateBytes) is the result's state_hash`);
          } else {
            assert.deepEqual(state, priorState, `${what}: an obstructed flush leaves the state unchanged`);
            assert.equal(sha256Hex(state), result.prior_state_hash, `${what}: ...the prior's`);
          }
        });
      }
      // flush() gives the same result as an object
      withReconciler(prior, (r) => {
        r.pushBinary(concat(binary));
        assert.equal(r.pending, n);
        assert.deepStrictEqual(r.flush(), result);
        assert.equal(r.pending, 0);
      });
    });
  }
});

describe("stateBytes is the state the one-shot result describes, and works as a prior", () => {
  for (const c of resultCases.filter((c) => c.status === 0)) {
    test(c.name, () => {
      const { binary } = eventsOf(c);
      const expected = c.expected.toString("utf8");
      const prior = c.prior?.toString("utf8");
      const streamed = withReconciler(prior, (r) => {
        r.pushBinary(concat(binary));
        r.flush();
        return r.stateBytes();
      });
      assert.ok(streamed instanceof Uint8Array, "stateBytes returns a Uint8Array");
      assert.deepEqual([...streamed.subarray(0, 5)], [...Buffer.from("OMGS"), 1], "OMGS version 1");
      // the one-shot result as a prior (its JSON text, or the object) gives the same state
      assert.deepEqual(withReconciler(expected, (r) => r.stateBytes()), streamed, "from the result's JSON text");
      assert.deepEqual(withReconciler(JSON.parse(expected), (r) => r.stateBytes()), streamed, "from the result object");
      // the vector's prior, given as its binary state, gives the same result bytes
      if (prior !== undefined) {
        const priorState = withReconciler(prior, (r) => r.stateBytes());
        assert.equal(sha256Hex(priorState), JSON.parse(expected).prior_state_hash);
        const input = c.op === OP_RECONCILE_JSON ? c.input.toString("utf8") : null;
        assert.equal(input === null ? omega.reconcileBinary(new Uint8Array(c.input), priorState) : omega.reconcileJson(input, priorState), expected, "one-shot on the binary prior");
        assert.equal(withReconciler(priorState, (r) => (r.pushBinary(concat(binary)), r.flushJson())), expected, "Reconciler on the binary prior");
      }
      // the next batch extends the streamed state exactly as it extends the result
      const next = omega.sampleBatch(streamed, 1, 3);
      const onResult = omega.reconcileBinary(next, expected);
      assert.equal(JSON.parse(onResult).status, "ok", onResult);
      assert.equal(omega.reconcileBinary(next, streamed), onResult, "the next batch on stateBytes() as the prior");
      assert.equal(withReconciler(streamed, (r) => (r.pushBinary(next), r.flushJson())), onResult, "a Reconciler made from stateBytes()");
    });
  }
});

test("one Reconciler across flushes: each clean flush extends the history, an obstructed one changes nothing", () => {
  const first = omega.sampleHistory(...DEMO_ARGS);
  withReconciler(undefined, (r) => {
    assert.deepEqual(r.stateBytes(), EMPTY_STATE, "a new Reconciler holds the empty state");
    // nothing pending: a flush appends nothing and keeps the state
    const empty = r.flush();
    assert.equal(empty.status, "ok");
    assert.deepEqual([empty.tree_size, empty.appended], [0, 0]);
    assert.deepEqual(r.stateBytes(), EMPTY_STATE);
    r.pushBinary(first);
    assert.equal(r.pending, 3000);
    assert.equal(r.flushJson(), demoOut, "the demo sample streamed in one piece");
    const s1 = r.stateBytes();
    // a second flush of nothing: ok, the same root, nothing appended
    const again = r.flush();
    assert.deepEqual([again.status, again.tree_size, again.appended, again.root], ["ok", 3000, 0, JSON.parse(demoOut).root]);
    assert.deepEqual(r.stateBytes(), s1);
    // the next batch, in two pushes (one the other's duplicate events): it extends the history
    const next = omega.sampleBatch(s1, 1, 5);
    const parts = omega.splitEvents(next);
    r.pushBinary(concat(parts.slice(0, 7)));
    for (const p of parts.slice(3)) r.pushJson(omega.decodeEvents(p).trim().slice(1, -1));
    assert.equal(r.pending, 7 + parts.length - 3, "pending counts every event pushed, duplicates included");
    const r2 = r.flush();
    const pushed = concat([...parts.slice(0, 7), ...parts.slice(3)]);
    assert.deepStrictEqual(r2, JSON.parse(omega.reconcileBinary(pushed, demoOut)), "the one-shot result of the same events");
    assert.deepEqual([r2.status, r2.appended, r2.duplicates, r2.prior_root], ["ok", parts.length, 4, JSON.parse(demoOut).root]);
    const s2 = r.stateBytes();
    assert.notDeepEqual(s2, s1);
    assert.equal(sha256Hex(s2), r2.state_hash);
    // a batch with a gap obstructs: the state stays, the next clean batch still extends it
    const gap = omega.sampleBatch(s2, 2, 2);
    const gapParts = omega.splitEvents(gap);
    const gapEvents = JSON.parse(omega.decodeEvents(gap));
    assert.equal(gapEvents.length, 2 * 12, "two rounds on 12 streams");
    // leave out one stream's first event of the batch: its second is then a gap
    const skip = gapEvents.findIndex((e) => gapEvents.some((f) => f.node === e.node && f.stream === e.stream && f.seq === e.seq + 1));
    assert.ok(skip >= 0);
    r.pushBinary(concat(gapParts.filter((_, i) => i !== skip)));
    assert.equal(r.pending, gapParts.length - 1);
    const obs = r.flush();
    assert.equal(obs.status, "obstruction");
    assert.ok(obs.violations.some((v) => v.reason === "gap" && v.code === 1001), JSON.stringify(obs.violations.map((v) => [v.code, v.reason])));
    assert.equal(obs.prior_state_hash, r2.state_hash);
    assert.deepEqual(r.stateBytes(), s2, "an obstruction leaves the state unchanged");
    assert.equal(r.pending, 0, "an obstructed flush empties the queue too");
    r.pushBinary(gap);
    const r3 = r.flushJson();
    assert.equal(r3, omega.reconcileBinary(gap, s2));
    assert.deepEqual([JSON.parse(r3).status, JSON.parse(r3).prior_root, JSON.parse(r3).tree_size], ["ok", r2.root, 3060 + 24]);
  });
});

describe("bad input throws an OmegaError with its documented code; the queue and state are unchanged", () => {
  test("pushJson: syntax 3001, shape 3002, range 3003, hex 3004, base64 3005, duplicate key 3007; index is the event's place in the queue", () => {
    withReconciler(undefined, (r) => {
      r.pushJson('{"lamport":1,"node":1,"stream":0,"seq":0}');
      r.pushJson('{"lamport":2,"node":1,"stream":0,"seq":1}');
      const state = r.stateBytes();
      const bad = [
        ['{"lamport":3,', 3001, {}],
        ["not json", 3001, {}],
        ['[{"lamport":3,"node":1,"stream":0,"seq":2}]', 3002, { index: 2 }],
        ['{"lamport":3,"node":"1","stream":0,"seq":2}', 3002, { index: 2, field: "node" }],
        ['{"lamport":3,"node":1,"stream":0}', 3002, { index: 2, field: "seq" }],
        ['{"lamport":3,"node":1,"stream":0,"seq":2,"time":5}', 3002, { index: 2, field: "time" }],
        ['{"lamport":-1,"node":1,"stream":0,"seq":2}', 3003, { index: 2, field: "lamport" }],
        ['{"lamport":3,"node":1,"stream":65536,"seq":2}', 3003, { index: 2, field: "stream" }],
        ['{"lamport":3,"node":1,"stream":0,"seq":2,"id":"xyz"}', 3004, { index: 2, field: "id" }],
        ['{"lamport":3,"node":1,"stream":0,"seq":2,"payload":"!!"}', 3005, { index: 2, field: "payload" }],
        ['{"lamport":3,"node":1,"node":2,"stream":0,"seq":2}', 3007, { index: 2, field: "node" }],
      ];
      for (const [text, code, where] of bad) {
        refuses(() => r.pushJson(text), code, where, `pushJson(${text})`);
        assert.equal(r.pending, 2, `pushJson(${text}) queued nothing`);
      }
      assert.deepEqual(r.stateBytes(), state);
      // the two good events still reconcile
      const out = r.flush();
      assert.deepEqual([out.status, out.tree_size], ["ok", 2]);
    });
  });

  test("pushBinary: a truncated or malformed batch is refused whole (31xx, with the event's index), nothing queued", () => {
    const parts = omega.splitEvents(omega.sampleHistory(5, 2, 1, 3, 8, 0));
    assert.equal(parts.length, 6);
    const three = concat(parts.slice(0, 3));
    withReconciler(undefined, (r) => {
      // a truncated third event: the first two are not queued either
      const e = refuses(() => r.pushBinary(three.subarray(0, three.length - 1)), 3101, { index: 2 }, "truncated");
      assert.match(e.message, /event 2/);
      assert.equal(r.pending, 0, "a refused batch queues nothing");
      refuses(() => r.pushBinary(Uint8Array.of(1, 2, 3)), 3101, { index: 0 }, "three bytes");
      assert.equal(r.pending, 0);
      // an empty batch is no event at all
      r.pushBinary(new Uint8Array(0));
      assert.equal(r.pending, 0);
      r.pushBinary(three);
      assert.equal(r.pending, 3);
      // (`index` here is not checked: pushBinary counts from the start of the bytes given, pushJson from the queue's start)
      refuses(() => r.pushBinary(new Uint8Array(parts[3].subarray(0, 10))), 3101, {}, "a truncated fourth event");
      assert.equal(r.pending, 3, "the queue keeps what was pushed before");
      // the declared `Uint8Array | number[]`: a plain array of bytes is taken too
      r.pushBinary(Array.from(concat(parts.slice(3))));
      assert.equal(r.pending, 6);
      assert.equal(r.flushJson(), omega.reconcileBinary(concat(parts)));
    });
    // the golden truncated batch: the code its vector names
    const c = cases.find((c) => c.name === "binary-truncated");
    assert.ok(c, "the binary-truncated vector");
    const { code } = JSON.parse(c.expected.toString("utf8"));
    withReconciler(undefined, (r) => {
      refuses(() => r.pushBinary(new Uint8Array(c.input)), code, {}, "binary-truncated");
      assert.equal(r.pending, 0);
    });
  });

  test("the JSON error vectors: pushJson of the bad event throws the code, index and field reconcileJson throws", () => {
    const errorCases = cases.filter((c) => !c.fields && c.op === OP_RECONCILE_JSON && c.status === 2 && c.prior === null);
    assert.ok(errorCases.length >= 10, `${errorCases.length} JSON error vectors`);
    for (const c of errorCases) {
      const { code, index, field } = JSON.parse(c.expected.toString("utf8"));
      const input = c.input.toString("utf8");
      withReconciler(undefined, (r) => {
        if (index === undefined) {
          // the input as a whole is refused (not JSON, not an array): as one event it is refused with the same code
          refuses(() => r.pushJson(input), code, {}, `${c.name}: the whole input as one event`);
          assert.equal(r.pending, 0);
          return;
        }
        // the events before the bad one are queued; the bad one, cut from the vector's text as
        // written (re-serialising would hide a duplicate key), is refused at its index
        const events = JSON.parse(input);
        for (let i = 0; i < index; i++) r.pushJson(JSON.stringify(events[i]));
        assert.equal(r.pending, index);
        refuses(() => r.pushJson(eventText(input, index)), code, { index, field }, `${c.name}: event ${index}`);
        assert.equal(r.pending, index, `${c.name}: the bad event is not queued`);
      });
    }
  });

  test("a prior that is not a state: the prior vectors' codes (3201, 3007); 3201 for an object, binary state cut, changed or extended", () => {
    // the prior error vectors: the constructor throws the code the one-shot call throws
    const priorErrors = cases.filter((c) => !c.fields && c.status === 2 && c.prior !== null);
    for (const n of ["error-prior-duplicate-key", "error-prior-tampered"]) assert.ok(priorErrors.some((c) => c.name === n), n);
    for (const c of priorErrors) {
      const { code } = JSON.parse(c.expected.toString("utf8"));
      refuses(() => new omega.Reconciler(c.prior.toString("utf8")), code, {}, c.name);
    }
    const tampered = cases.find((c) => c.name === "error-prior-tampered");
    refuses(() => new omega.Reconciler(JSON.parse(tampered.prior.toString("utf8"))), 3201, {}, "error-prior-tampered (object)");
    const state = withReconciler(demoOut, (r) => r.stateBytes());
    refuses(() => new omega.Reconciler(state.subarray(0, state.length - 1)), 3201, {}, "state cut short");
    const wrongMagic = Uint8Array.from(state);
    wrongMagic[0] ^= 1;
    refuses(() => new omega.Reconciler(wrongMagic), 3201, {}, "state with a bad magic");
    refuses(() => new omega.Reconciler(concat([state, Uint8Array.of(0)])), 3201, {}, "state with a trailing byte");
    refuses(() => new omega.Reconciler("{}"), 3201, {}, "an empty object");
  });
});

/** The exact text of event `i` of a JSON array of flat event objects (no nested objects in the vectors' events). */
function eventText(text, i) {
  const starts = [];
  let depth = 0;
  let inString = false;
  for (let k = 0; k < text.length; k++) {
    const ch = text[k];
    if (inString) {
      if (ch === "\\") k++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "{") {
      if (depth === 0) starts.push(k);
      depth++;
    } else if (ch === "}") depth--;
  }
  const start = starts[i];
  assert.ok(start !== undefined, `event ${i} in ${text}`);
  let end = start;
  for (let d = 0, s = false; end < text.length; end++) {
    const ch = text[end];
    if (s) {
      if (ch === "\\") end++;
      else if (ch === '"') s = false;
    } else if (ch === '"') s = true;
    else if (ch === "{") d++;
    else if (ch === "}" && --d === 0) break;
  }
  return text.slice(start, end + 1);
}

describe("sampleHistory", () => {
  test("the demo sample: `omega sample --seed 2026 --shuffle 11`'s bytes (the golden demo-sample input), and it streams to the golden result", () => {
    const bytes = omega.sampleHistory(...DEMO_ARGS);
    assert.ok(bytes instanceof Uint8Array);
    assert.equal(omega.decodeEvents(bytes), demoIn, "decoded: the golden vector's input, byte for byte");
    assert.equal(omega.sampleHistoryJson(...DEMO_ARGS), demoIn, "sampleHistoryJson: the same text");
    assert.equal(omega.splitEvents(bytes).length, 4 * 3 * 250);
    assert.equal(omega.reconcileBinary(bytes), demoOut);
  });

  test("deterministic: the same arguments give the same bytes; another seed, shape or shuffle gives other bytes", () => {
    const args = [9, 3, 2, 40, 16, 4];
    const a = omega.sampleHistory(...args);
    const b = omega.sampleHistory(...args);
    assert.notEqual(a, b, "a fresh array each call");
    assert.deepEqual(a, b, "same arguments, same bytes");
    assert.equal(omega.splitEvents(a).length, 3 * 2 * 40);
    const changed = (i, v) => omega.sampleHistory(...args.map((x, k) => (k === i ? v : x)));
    const otherSeed = changed(0, 10);
    assert.equal(omega.splitEvents(otherSeed).length, 3 * 2 * 40, "another seed: the same shape");
    assert.notDeepEqual(otherSeed, a, "another seed, other bytes");
    assert.notDeepEqual(changed(5, 5), a, "another shuffle seed, another order");
    assert.notDeepEqual(changed(4, 17), a, "another payload size");
    const payloads = (bytes) => JSON.parse(omega.decodeEvents(bytes)).map((e) => Buffer.from(e.payload, "base64").length);
    assert.deepEqual(new Set(payloads(a)), new Set([16]), "16-byte payloads");
    assert.deepEqual(new Set(payloads(changed(4, 17))), new Set([17]), "17-byte payloads");
    assert.equal(omega.splitEvents(changed(3, 41)).length, 3 * 2 * 41, "per-stream counts");
    // the shuffle reorders the same events: the same canonical order, the same result
    const shuffled = changed(5, 5);
    assert.deepEqual(omega.canonicalOrder(shuffled), omega.canonicalOrder(a));
    assert.equal(omega.reconcileBinary(shuffled), omega.reconcileBinary(a));
    // another seed is another history
    assert.notEqual(JSON.parse(omega.reconcileBinary(otherSeed)).root, JSON.parse(omega.reconcileBinary(a)).root);
  });

  test("its output reconciles ok: every event appended once, one head per (node, stream), in every shape tried", () => {
    for (const [seed, nodes, streams, per, payload, shuffle] of [[1, 1, 1, 1, 0, 0], [2, 5, 3, 17, 64, 99], [3, 2, 4, 100, 1, 7], [4, 0, 3, 10, 8, 1]]) {
      const bytes = omega.sampleHistory(seed, nodes, streams, per, payload, shuffle);
      const n = nodes * streams * per;
      const r = JSON.parse(omega.reconcileBinary(bytes));
      const what = `sampleHistory(${[seed, nodes, streams, per, payload, shuffle]})`;
      assert.equal(r.status, "ok", `${what}: ${JSON.stringify(r.violations)}`);
      assert.deepEqual([r.tree_size, r.appended, r.duplicates], [n, n, 0], what);
      assert.equal(r.heads.length, n === 0 ? 0 : nodes * streams, what);
      assert.ok(r.heads.every((h) => h.seq === per - 1), `${what}: each stream's head is its last event`);
      // and streamed, in chunks, to the same bytes
      const parts = omega.splitEvents(bytes);
      assert.equal(parts.length, n, what);
      withReconciler(undefined, (rec) => {
        for (const [a, b] of chunks(n)) rec.pushBinary(concat(parts.slice(a, b)));
        assert.equal(rec.pending, n);
        assert.equal(rec.flushJson(), omega.reconcileBinary(bytes), what);
      });
      // the JSON form is the same events
      assert.deepEqual(omega.encodeEvents(omega.sampleHistoryJson(seed, nodes, streams, per, payload, shuffle)), bytes, what);
    }
  });

  test("refuses what its documentation refuses: 3303 for a bad argument (naming it), 4101 for a shape `omega sample` refuses", () => {
    refuses(() => omega.sampleHistory("1", 1, 1, 1, 1, 0), 3303, { field: "seed" }, "seed as a string");
    refuses(() => omega.sampleHistory(1, -1, 1, 1, 1, 0), 3303, { field: "nodes" }, "negative nodes");
    refuses(() => omega.sampleHistory(1, 1, 65536, 1, 1, 0), 3303, { field: "streams" }, "streams over 65,535");
    refuses(() => omega.sampleHistory(1, 1, 1, 1.5, 1, 0), 3303, { field: "perStream" }, "a fractional perStream");
    refuses(() => omega.sampleHistory(1, 1, 1, 1, 1), 3303, { field: "shuffleSeed" }, "no shuffleSeed");
    refuses(() => omega.sampleHistory(1, 1, 1, 1, 1_048_577, 0), 4101, {}, "a payload over the 1 MiB limit");
  });
});
