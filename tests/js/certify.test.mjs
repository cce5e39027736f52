// The certify JS API in Node, and interop with an independent implementation
// of C2SP signed notes: node:crypto's Ed25519 and SHA-256, no omega code.
//
// - a checkpoint omega signs verifies with node:crypto, parsing only the note text;
// - a checkpoint node:crypto signs (key id, verifier key and signature line built
//   here from the C2SP spec) verifies with omega as a quorum member.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { createHash, createPrivateKey, createPublicKey, sign, verify, generateKeyPairSync } from "node:crypto";
import * as omega from "omega-kernel";
import { loadCases } from "./vectors.mjs";

const cases = Object.fromEntries(loadCases().map((c) => [c.name, c]));
const json = (c) => JSON.parse(c.expected.toString("utf8"));

// --- an independent signed-note implementation (C2SP signed-note, Ed25519) ---
const sha256 = (b) => createHash("sha256").update(b).digest();
const keyId = (name, pub) => sha256(Buffer.concat([Buffer.from(name), Buffer.from([0x0a, 0x01]), pub])).subarray(0, 4);
const verifierKey = (name, pub) => `${name}+${keyId(name, pub).toString("hex")}+${Buffer.concat([Buffer.from([1]), pub]).toString("base64")}`;
function parseVerifierKey(vk) {
  const [name, id, data] = vk.split("+");
  const raw = Buffer.from(data, "base64");
  assert.equal(raw[0], 1, "Ed25519 algorithm byte");
  const pub = raw.subarray(1);
  assert.equal(keyId(name, pub).toString("hex"), id, "key id = SHA-256(name || 0x0A || 0x01 || key)[:4]");
  return { name, id, key: createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: pub.toString("base64url") }, format: "jwk" }) };
}
function parseNote(text) {
  const split = text.lastIndexOf("\n\n");
  assert.ok(split > 0, "a blank line separates text and signatures");
  const body = text.slice(0, split + 1);
  const sigs = text.slice(split + 2).split("\n").filter(Boolean).map((line) => {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    assert.ok(m, `signature line: ${line}`);
    const raw = Buffer.from(m[2], "base64");
    return { name: m[1], id: raw.subarray(0, 4).toString("hex"), sig: raw.subarray(4) };
  });
  return { body, sigs };
}
function nodeSigner(name) {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const pub = Buffer.from(publicKey.export({ format: "jwk" }).x, "base64url");
  return {
    name,
    verifier: verifierKey(name, pub),
    line: (body) => `\u2014 ${name} ${Buffer.concat([keyId(name, pub), sign(null, Buffer.from(body), privateKey)]).toString("base64")}\n`,
  };
}

describe("interop with node:crypto (an independent signed-note implementation)", () => {
  test("omega's note verifies with node:crypto, every signature, from the text alone", () => {
    const note = omega.certificateNote(cases["verify-chain"].fields[0]);
    const committee = JSON.parse(cases["verify-chain"].fields[1].toString("utf8"));
    const keys = committee.members.map(parseVerifierKey);
    const { body, sigs } = parseNote(note);
    assert.match(body, /^omega\.example\/log\n\d+\n[A-Za-z0-9+/]{43}=\n/, "C2SP tlog-checkpoint: origin, size, base64 root");
    assert.equal(sigs.length, 5);
    for (const s of sigs) {
      const k = keys.find((k) => k.name === s.name && k.id === s.id);
      assert.ok(k, `${s.name} is a committee member`);
      assert.ok(verify(null, Buffer.from(body), k.key, s.sig), `signature of ${s.name}`);
      const flipped = Buffer.from(body.replace("omega-kind", "omega-kinD"));
      assert.ok(!verify(null, flipped, k.key, s.sig), "a changed text does not verify");
    }
  });

  test("a checkpoint signed by node:crypto verifies with omega (3 of 3)", () => {
    const signers = ["node.example/a", "node.example/b", "node.example/c"].map(nodeSigner);
    // Take omega's checkpoint body, sign it only with node:crypto, and build the note by hand.
    const { body } = parseNote(omega.certificateNote(cases["verify-valid"].fields[0]));
    const unnamed = body.replace(/omega-committee [0-9a-f]{64}\n/, "omega-committee none\n");
    const note = `${unnamed}\n${signers.map((s) => s.line(unnamed)).join("")}`;
    const committee = { threshold: 3, members: signers.map((s) => s.verifier) };
    const report = omega.verifyCertificate(note, committee);
    assert.equal(report.status, "valid", JSON.stringify(report.problems));
    assert.equal(report.valid_signers, 3);
    // and one forged line is caught
    const forged = note.replace(/(\u2014 node\.example\/b \S{10})\S/, (m, p) => p + (m.endsWith("A") ? "B" : "A"));
    const bad = omega.verifyCertificate(forged, committee);
    assert.equal(bad.status, "invalid");
    assert.deepEqual(bad.signatures.map((s) => s.status), ["valid", "bad_signature", "valid"]);
  });

  test("verifyNote checks any signed note node:crypto signs, the way Go's note.Open does", () => {
    const [a, b, c] = ["witness.example/a", "witness.example/b", "witness.example/c"].map(nodeSigner);
    // not an omega checkpoint: any text, as another log or a witness would sign it
    const body = "sum.golang.org\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    const note = `${body}\n${a.line(body)}${b.line(body)}`;
    const ok = omega.verifyNote(note, [a.verifier, c.verifier]);
    assert.equal(ok.status, "valid");
    assert.deepEqual(ok.verified_by, ["witness.example/a"]);
    assert.deepEqual(ok.signatures.map((s) => s.status), ["valid", "unknown_key"]);
    assert.equal(ok.text, body);
    // only c given: nobody it trusts signed
    assert.equal(omega.verifyNote(note, [c.verifier]).status, "invalid");
    // a line by a given key that does not verify makes the note invalid, even beside a good one
    const forged = note.replace(/(\u2014 witness\.example\/b \S{10})\S/, (m, p) => p + (m.endsWith("A") ? "B" : "A"));
    const bad = omega.verifyNote(forged, [a.verifier, b.verifier]);
    assert.equal(bad.status, "invalid");
    assert.deepEqual(bad.signatures.map((s) => s.status), ["valid", "invalid"]);
    // refusals throw with a code
    assert.throws(() => omega.verifyNote(note, []), (e) => e.code === 3301);
    assert.throws(() => omega.verifyNote("no signatures\n", [a.verifier]), (e) => e.code === 3501);
    assert.throws(() => omega.verifyNote(note, ["not a key"]), (e) => e.code === 3503);
  });

  test("omega's verifier keys and key ids match the C2SP recipe", () => {
    const kp = omega.keypairFromSeed("omega.example/m0", new Uint8Array(32).fill(1));
    assert.equal(kp.verifier_key, json(cases.keygen).verifier_key);
    const k = parseVerifierKey(kp.verifier_key);
    assert.equal(k.id, kp.key_id);
  });
});

describe("witness cosignatures (C2SP tlog-cosignature) and trust policies, against node:crypto", () => {
  // cosignature/v1 by hand: key id over 0x04, signature = u64 BE time || Ed25519("cosignature/v1\ntime <t>\n" || text)
  const cosigKeyId = (name, pub) => sha256(Buffer.concat([Buffer.from(name), Buffer.from([0x0a, 0x04]), pub])).subarray(0, 4);
  const cosigned = (t, text) => Buffer.from(`cosignature/v1\ntime ${t}\n${text}`);
  function nodeWitness(name) {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const pub = Buffer.from(publicKey.export({ format: "jwk" }).x, "base64url");
    const id = cosigKeyId(name, pub);
    const verifier = `${name}+${id.toString("hex")}+${Buffer.concat([Buffer.from([4]), pub]).toString("base64")}`;
    const line = (text, t) => {
      const time = Buffer.alloc(8);
      time.writeBigUInt64BE(BigInt(t));
      const sig = sign(null, cosigned(t, text), privateKey);
      return `\u2014 ${name} ${Buffer.concat([id, time, sig]).toString("base64")}\n`;
    };
    return { verifier, line, pub };
  }

  test("an omega witness key's cosignature verifies with node:crypto, and node:crypto's with omega", () => {
    const member = omega.keypairFromSeed("omega.example/m0", new Uint8Array(32).fill(1));
    const witness = omega.keypairFromSeed("witness.example/w", new Uint8Array(32).fill(9), "witness");
    assert.deepEqual(witness, json(cases["keygen-witness"]));
    const raw = Buffer.from(witness.verifier_key.split("+").slice(2).join("+"), "base64");
    assert.deepEqual([raw.length, raw[0]], [33, 4], "base64(0x04 || 32-byte key)");
    assert.equal(cosigKeyId("witness.example/w", raw.subarray(1)).toString("hex"), witness.key_id);
    // omega cosigns at a given time; node:crypto checks the line from the C2SP recipe
    const cert = cases["cosign-witness"].fields[0];
    const signed = omega.cosign(cert, witness.signer_key, 1780000000);
    assert.deepEqual(signed.signers, ["omega.example/m0", "witness.example/w"]);
    const { body, sigs } = parseNote(omega.certificateNote(signed.certificate));
    const line = sigs.find((s) => s.name === "witness.example/w");
    assert.equal(line.sig.length, 72);
    assert.equal(line.sig.readBigUInt64BE(0), 1780000000n);
    const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw.subarray(1).toString("base64url") }, format: "jwk" });
    assert.ok(verify(null, cosigned(1780000000, body), key, line.sig.subarray(8)));
    assert.ok(!verify(null, cosigned(1780000001, body), key, line.sig.subarray(8)), "the time is signed");
    // without a timestamp, the clock's
    const now = Math.floor(Date.now() / 1000);
    const t = parseNote(omega.certificateNote(omega.cosign(cert, witness.signer_key).certificate)).sigs[1].sig.readBigUInt64BE(0);
    assert.ok(Number(t) >= now && Number(t) <= now + 60, `${t} is about ${now}`);
    // a note key takes no timestamp; a witness key cannot certify
    assert.throws(() => omega.cosign(cert, omega.keypairFromSeed("omega.example/m1", new Uint8Array(32).fill(2)).signer_key, 5), (e) => e.code === 3503);
    assert.throws(() => omega.keypairFromSeed("w", new Uint8Array(32), "other"), (e) => e.code === 3301);
    // a committee of the member and the witness
    const committee = { threshold: 2, members: [member.verifier_key, witness.verifier_key] };
    assert.equal(omega.verifyCertificate(signed.certificate, committee).status, "valid");

    // node:crypto's witness cosigns a checkpoint; omega reads the cosignature
    const w = nodeWitness("witness.example/node");
    const text = "example.com/log\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    const log = nodeSigner("example.com/log");
    const note = `${text}\n${log.line(text)}${w.line(text, 1234567890)}`;
    const v = omega.verifyNote(note, [w.verifier]);
    assert.equal(v.status, "valid");
    assert.equal(v.signatures[1].timestamp, 1234567890);
    const policy = `log ${log.verifier}\nwitness w ${w.verifier}\nquorum w\n`;
    const p = omega.verifyPolicy(policy, note);
    assert.equal(p.status, "valid", JSON.stringify(p.problems));
    assert.deepEqual(p.witnesses.map((x) => [x.name, x.status, x.timestamp]), [["w", "valid", 1234567890]]);
    assert.equal(omega.verifyPolicy(policy, note.replace("\n7\n", "\n8\n")).status, "invalid");
    assert.throws(() => omega.verifyPolicy("quorum w\n", note), (e) => e.code === 3507);

    // omega's witness cosigns node:crypto's log's checkpoint (signNote), and node:crypto checks it
    const byOmega = omega.signNote(note, witness.signer_key, 1780000000);
    assert.deepEqual(byOmega, omega.signNote(note, witness.signer_key, 1780000000), "deterministic at a given time");
    assert.ok(byOmega.note.endsWith(byOmega.signature));
    const mine = parseNote(byOmega.note).sigs.find((s) => s.name === "witness.example/w");
    assert.ok(verify(null, cosigned(1780000000, text), key, mine.sig.subarray(8)));
    const both = `${policy.replace("quorum w", `witness o ${witness.verifier_key}\ngroup g all w o\nquorum g`)}`;
    assert.equal(omega.verifyPolicy(both, byOmega.note).status, "valid");
    assert.throws(() => omega.signNote("one line\n", witness.signer_key, 1), (e) => e.code === 3503);
  });

  test("the real CT checkpoint and its four witnesses, as the golden vector has them", () => {
    const c = cases["policy-arche-3-of-4"];
    const got = omega.verifyPolicy(c.fields[0].toString("utf8"), c.fields[1].toString("utf8"));
    assert.deepEqual(got, json(c));
    assert.equal(got.status, "valid");
    assert.ok(got.witnesses.every((w) => w.timestamp === 1779573024));
  });
});

describe("certify API", () => {
  test("generateKeypair uses the platform's random source", () => {
    const a = omega.generateKeypair("edge.example/1");
    const b = omega.generateKeypair("edge.example/1");
    assert.notEqual(a.signer_key, b.signer_key);
    assert.match(a.verifier_key, /^edge\.example\/1\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    const raw = Buffer.from(a.verifier_key.split("+").slice(2).join("+"), "base64");
    assert.deepEqual([raw.length, raw[0]], [33, 1], "base64(0x01 || 32-byte key)");
    assert.match(a.signer_key, /^PRIVATE\+KEY\+edge\.example\/1\+/);
    assert.throws(() => omega.generateKeypair("bad name"), (e) => e.code === 3502);
  });

  test("reconcile, certify, cosign to a quorum, verify, extend, verify the chain", () => {
    const members = [0, 1, 2].map((i) => omega.generateKeypair(`edge.example/${i}`));
    const committee = { threshold: 2, members: members.map((m) => m.verifier_key) };
    const events = JSON.parse(cases["small-shuffled-with-duplicates"].input.toString("utf8"));
    const r1 = omega.reconcile(events);
    const c0 = omega.certify(r1, "edge.example/log", members[0].signer_key, undefined, committee);
    assert.equal(c0.height, 0);
    assert.ok(c0.certificate instanceof Uint8Array);
    assert.equal(omega.verifyCertificate(c0.certificate, committee).status, "invalid");
    const c0b = omega.cosign(c0.certificate, members[1].signer_key);
    assert.equal(omega.verifyCertificate(c0b.certificate, committee).status, "valid");
    assert.throws(() => omega.cosign(c0b.certificate, members[1].signer_key), (e) => e.code === 3605);

    const more = [{ lamport: 50, node: 9, stream: 0, seq: 0, payload: "aGk=" }];
    const r2 = omega.reconcile(more, r1);
    assert.equal(r2.consistency.length > 0, true);
    const c1 = omega.cosign(omega.certify(r2, "edge.example/log", members[2].signer_key, c0b.certificate, committee).certificate, members[0].signer_key);
    const chain = omega.verifyChain([c1.certificate, c0b.certificate], committee);
    assert.equal(chain.status, "valid", JSON.stringify(chain.chain?.problems));
    assert.deepEqual(chain.chain.links.map((l) => l.height), [0, 1]);
    // a result not built on the previous certificate's tree is refused
    assert.throws(() => omega.certify(r1, "edge.example/log", members[0].signer_key, c1.certificate), (e) => e.code === 3604);

    const explained = omega.explainCertificate(c1.certificate, committee);
    assert.match(explained.text, /verdict: VALID/);
    assert.equal(explained.verdict.status, "valid");
  });

  test("a CommitteeVerifier made once answers every golden verify case as verifyCertificate/verifyChain do", () => {
    const verifyCases = Object.values(cases).filter((c) => c.op === 6 && c.status !== 2);
    assert.ok(verifyCases.length >= 5);
    for (const c of verifyCases) {
      const [cert, committee, ...chain] = c.fields;
      const v = new omega.CommitteeVerifier(committee.toString("utf8"));
      const got = chain.length === 0 ? v.verifyCertificate(cert) : v.verifyChain([...chain, cert]);
      assert.deepEqual(got, json(c), c.name);
      assert.equal(v.hash, json(c).committee, c.name);
      // and again: the verifier is reusable
      assert.deepEqual(chain.length === 0 ? v.verifyCertificate(cert) : v.verifyChain([...chain, cert]), json(c), c.name);
      v.free();
    }
    const committee = JSON.parse(cases["verify-valid"].fields[1].toString("utf8"));
    const twice = { ...committee, members: [committee.members[0], ...committee.members] };
    const code = (f) => { try { f(); } catch (e) { return e.code; } return null; };
    const want = code(() => omega.verifyCertificate(cases["verify-valid"].fields[0], twice));
    assert.equal(want, 3603);
    assert.equal(code(() => new omega.CommitteeVerifier(twice)), want, "a bad committee throws what verifyCertificate throws");
    assert.equal(code(() => new omega.CommitteeVerifier("{")), code(() => omega.verifyCertificate(cases["verify-valid"].fields[0], "{")));
    const v = new omega.CommitteeVerifier(committee);
    assert.equal(code(() => v.verifyChain([])), 3301);
    assert.equal(code(() => v.verifyCertificate(new Uint8Array([1, 2, 3]))), code(() => omega.verifyCertificate(new Uint8Array([1, 2, 3]), committee)));
  });

  test("a CommitteeVerifier past the point where it builds its tables answers every golden case as before", () => {
    // The verifier builds fixed-base tables once it has checked more than
    // 8 signature lines per table (7 members + the base point: 64 lines,
    // 13 certificates at threshold 5); from then on it takes the other route.
    const [cert, committee] = cases["verify-valid"].fields;
    const v = new omega.CommitteeVerifier(committee.toString("utf8"));
    for (let i = 0; i < 20; i++) assert.deepEqual(v.verifyCertificate(cert), json(cases["verify-valid"]), `call ${i}`);
    const same = Object.values(cases).filter((c) => c.op === 6 && c.status !== 2 && Buffer.compare(c.fields[1], committee) === 0);
    assert.ok(same.length >= 5 && same.some((c) => json(c).status !== "valid"), "valid and invalid cases under this committee");
    for (const c of same) {
      const [cert, , ...chain] = c.fields;
      assert.deepEqual(chain.length === 0 ? v.verifyCertificate(cert) : v.verifyChain([...chain, cert]), json(c), c.name);
    }
    v.free();
  });

  test("verifyEd25519 checks raw signatures node:crypto makes, and names why a changed one fails", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const key = Buffer.from(publicKey.export({ format: "jwk" }).x, "base64url").toString("hex");
    const msg = Buffer.from("omega: raw Ed25519");
    const sig = sign(null, msg, privateKey);
    const flipped = Buffer.from(sig);
    flipped[40] ^= 1;
    const list = [
      { key, msg: msg.toString("hex"), sig: sig.toString("hex") },
      { key, msg: msg.toString("hex"), sig: flipped.toString("hex") },
      { key, msg: msg.toString("hex"), sig: sig.subarray(0, 63).toString("hex") },
      { key: "01" + "00".repeat(31), msg: "", sig: sig.toString("hex") },
    ];
    const r = omega.verifyEd25519(list);
    assert.deepEqual(r, { checked: 4, valid: 1, results: ["valid", "equation", "sig_length", "key_small_order"] });
    assert.deepEqual(omega.verifyEd25519(JSON.stringify(list)), r, "JSON text works too");
    assert.ok(verify(null, msg, publicKey, sig) && !verify(null, msg, publicKey, flipped), "node:crypto agrees");
    assert.throws(() => omega.verifyEd25519([{ key: key.toUpperCase(), msg: "", sig: "" }]), (e) => e.code === 3004 && e.index === 0 && e.field === "key");
    assert.throws(() => omega.verifyEd25519({}), (e) => e.code === 3002);
  });

  test("inclusion and consistency proofs round-trip and catch tampering", () => {
    const events = cases["demo-sample"].input.toString("utf8");
    const p = omega.inclusionProof(events, 1234);
    assert.deepEqual(p, json(cases["prove-inclusion"]));
    assert.equal(omega.verifyInclusion(p).status, "valid");
    assert.equal(omega.verifyInclusion({ ...p, leaf_index: 1235 }).status, "invalid");
    const c = omega.consistencyProof(events, 1000);
    assert.equal(omega.verifyConsistency(c).status, "valid");
    assert.equal(omega.verifyConsistency({ ...c, proof: c.proof.slice(1) }).status, "invalid");
    assert.throws(() => omega.inclusionProof(events, 3000), (e) => e.code === 3401);
    assert.throws(() => omega.inclusionProof(events, -1), (e) => e instanceof omega.OmegaError && e.code === 3303 && e.field === "index");
  });
});
