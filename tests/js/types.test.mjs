// The input types written by hand in wasm/src/lib.rs (the response types are
// generated from Rust; these inputs are read by omega's strict parsers, which
// have no serde struct to generate from) checked against the spec and the
// runtime: `OmegaEvent` against FORMATS.md's JSON event form, `EcsCommand`
// against its world-command table, and an object of every shape against the
// blob itself. Run through `cargo xtask test`, or directly:
// node --test tests/js/types.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as omega from "omega-kernel";

const dts = readFileSync(new URL("../../wasm/dist/omega_wasm.d.ts", import.meta.url), "utf8");
const formats = readFileSync(new URL("../../docs/FORMATS.md", import.meta.url), "utf8");

/** The rows of the first Markdown table after `heading`, as arrays of trimmed cells. */
function table(heading) {
  const at = formats.indexOf(heading);
  assert.ok(at >= 0, `FORMATS.md has ${heading}`);
  const lines = formats.slice(at).split("\n");
  const start = lines.findIndex((l) => l.startsWith("|"));
  const rows = [];
  for (const l of lines.slice(start + 2)) {
    if (!l.startsWith("|")) break;
    rows.push(l.split("|").slice(1, -1).map((c) => c.trim()));
  }
  return rows;
}

test("OmegaEvent declares exactly the fields of FORMATS.md's JSON event form, optional where the spec says so", () => {
  const body = dts.match(/export interface OmegaEvent \{([^}]*)\}/)[1];
  const declared = [...body.matchAll(/^\s*(\w+)(\??):/gm)].map((m) => [m[1], m[2] === "" ? "yes" : "no"]);
  const spec = table("## JSON event form").map(([field, , required]) => [field.replace(/`/g, ""), required]);
  assert.deepEqual(declared, spec);
});

test("EcsCommand has one variant per command of FORMATS.md's table, with its field names", () => {
  const spec = new Map(
    table("Binary (big-endian): `\"OMWC\"").map(([, name, fields]) => [name, fields.split(",").map((f) => f.trim().split(" ")[0]).sort()]),
  );
  const union = dts.match(/export type EcsCommand =([^]*?\});/)[1];
  const declared = new Map();
  for (const v of union.matchAll(/\{([^}]*)\}/g)) {
    const fields = v[1].split(";").map((f) => f.split(":").map((x) => x.trim())).filter(([k]) => k);
    const op = fields.find(([k]) => k === "op")[1];
    const names = fields.map(([k]) => k).filter((k) => k !== "tick" && k !== "op").sort();
    for (const o of op.split("|").map((s) => s.trim().replace(/"/g, ""))) declared.set(o, names);
  }
  assert.deepEqual([...declared.keys()].sort(), [...spec.keys()].sort());
  for (const [op, names] of spec) assert.deepEqual(declared.get(op), names, op);
});

test("the blob takes an object of every declared shape, and refuses a field the types do not have", () => {
  const events = [
    { lamport: 1, node: 1, stream: 0, seq: 0 },
    { lamport: 2, node: 2, stream: 0, seq: 0, id: undefined, deps: [], payload: "aGk=" },
  ];
  delete events[1].id;
  assert.equal(omega.reconcile(events).status, "ok");
  assert.throws(() => omega.reconcile([{ lamport: 1, node: 1, stream: 0, seq: 0, extra: 1 }]), (e) => e.code === 3002);

  const w = new omega.World(7, 4);
  const commands = [
    { tick: 1, op: "spawn", node: 0, target: "1.5" },
    { tick: 1, op: "set_target", entity: "0:0", value: "0.25" },
    { tick: 1, op: "sensor", entity: "1:0", value: "-0.5" },
    { tick: 1, op: "link", a: "0:0", b: "2:0", weight: "0.2" },
    { tick: 2, op: "unlink", a: "0:0", b: "2:0" },
    { tick: 2, op: "despawn", entity: "3:0" },
  ];
  assert.equal(w.step(3, commands).length, 3);
  assert.throws(() => w.step(1, [{ tick: 5, op: "despawn", entity: "1:0", extra: 1 }]), (e) => e.code === 4004);
  w.free();
});
