// Certificate verification in Node (issue 3): the blob against three other
// Ed25519 verifiers on the very same signed-note text.
//
//   cargo xtask blob && (cd tests/js && npm ci) && node tests/js/bench-certify.mjs [runs]
//
// It builds, with the blob's API, the 5-of-7 certificate and the 1,000-link
// chain that `cargo bench -p omega-core --bench certify` builds natively (same
// seeds, names, events, origin and committee, so the same hashes), then:
//
// 1. checks that every verifier gives the same verdict on the same bytes:
//    omega `verifyCertificate` valid (5 valid signers), and a `CommitteeVerifier`
//    the same; node:crypto,
//    WebCrypto and @noble/ed25519 accept all 5 signatures over the note body;
//    all four reject a signature with one flipped bit (in R and in S);
// 2. times, as the median of `runs` runs (default 7), each run a loop
//    calibrated to about 0.3 s:
//    - omega blob `verifyCertificate(cert, committee)`: one call = 5 signatures,
//      each checked strictly, plus reading the certificate and the committee (7
//      keys, each checked canonical and torsion-free) and rendering the JSON report;
//    - omega blob `CommitteeVerifier.verifyCertificate(cert)`: the same with the
//      committee read once, outside the loop (the way to verify many);
//    - omega blob `verifyCertificate` of a 1-of-1 certificate: one signature,
//      same overheads for one key;
//    - node:crypto `verify(null, body, key, sig)`: one call = 1 signature;
//    - WebCrypto `crypto.subtle.verify("Ed25519", key, sig, body)`: one awaited
//      call = 1 signature (and, for reference, the 5 as one Promise.all);
//    - @noble/ed25519 `verify(sig, body, pub, { zip215: false })` (the RFC 8032
//      strict branch, like omega), SHA-512 from @noble/hashes: 1 signature;
//    - omega blob `verifyChain` over the 1,000 certificates: 1,001 certificate
//      verifications (the head alone, then all 1,000 in the chain) = 5,005
//      signatures, plus the hash links and 999 consistency proofs; and the same
//      through a `CommitteeVerifier`.
// Keys are imported/parsed once, outside the timed loops, for every verifier
// (the blob's too, through `CommitteeVerifier`); the blob's plain functions
// take the committee as JSON on every call.
import { performance } from "node:perf_hooks";
import { readFileSync } from "node:fs";
import { createPublicKey, verify as nodeVerify } from "node:crypto";
import os from "node:os";
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import * as omega from "omega-kernel";

ed.hashes.sha512 = sha512; // synchronous noble verify needs a SHA-512 (pure JS here)

const runs = Math.max(3, Number(process.argv[2] ?? 7));
const ORIGIN = "bench.example/log";
const MEMBERS = 7;
const THRESHOLD = 5;
const CHAIN = 1000;
const subtle = globalThis.crypto.subtle;

function check(cond, what) {
  if (!cond) throw new Error(`verdicts differ: ${what}`);
}

// --- the same inputs as core/benches/certify.rs ---
const keys = Array.from({ length: MEMBERS }, (_, i) => omega.keypairFromSeed(`bench.example/m${i}`, new Uint8Array(32).fill(i + 1)));
const committee = { threshold: THRESHOLD, members: keys.map((k) => k.verifier_key) };
const batch = (r) => {
  const out = [];
  for (const node of [1, 2]) for (const stream of [0, 1]) out.push({ lamport: r + 1, node, stream, seq: r, payload: "cGF5bG9hZA==" });
  return out;
};

let t0 = performance.now();
const chain = [];
{
  let result, prev;
  for (let r = 0; r < CHAIN; r++) {
    result = omega.reconcile(batch(r), result);
    check(result.status === "ok", `link ${r} reconciles`);
    let c = omega.certify(result, ORIGIN, keys[0].signer_key, prev, committee);
    for (const k of keys.slice(1, THRESHOLD)) c = omega.cosign(c.certificate, k.signer_key);
    chain.push(c);
    prev = c.certificate;
  }
}
const buildMs = performance.now() - t0;
const one = chain[1]; // height 1, one consistency line: the certificate of the single-certificate timings
const cert = one.certificate;

// A 1-of-1 certificate over the same result, for the blob's one-signature path.
const solo = { threshold: 1, members: [keys[0].verifier_key] };
const soloResult = omega.reconcile(batch(1), omega.reconcile(batch(0)));
const soloCert = omega.certify(soloResult, ORIGIN, keys[0].signer_key, undefined, solo).certificate;

// --- an independent reading of the note: body, signature lines, member keys ---
function parseNote(text) {
  const split = text.lastIndexOf("\n\n");
  const body = text.slice(0, split + 1);
  const sigs = text.slice(split + 2).split("\n").filter(Boolean).map((line) => {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    check(m, `signature line ${line}`);
    const raw = Buffer.from(m[2], "base64");
    return { name: m[1], id: raw.subarray(0, 4).toString("hex"), sig: new Uint8Array(raw.subarray(4)) };
  });
  return { body, sigs };
}
const pubOf = (vk) => new Uint8Array(Buffer.from(vk.split("+").slice(2).join("+"), "base64").subarray(1));
const note = omega.certificateNote(cert);
const { body: bodyText, sigs } = parseNote(note);
const body = new Uint8Array(Buffer.from(bodyText));
check(sigs.length === 5, "5 signature lines");
const signed = await Promise.all(
  sigs.map(async (s) => {
    const k = keys.find((k) => k.name === s.name && k.key_id === s.id);
    check(k, `${s.name} is a member`);
    const pub = pubOf(k.verifier_key);
    return {
      ...s,
      pub,
      node: createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(pub).toString("base64url") }, format: "jwk" }),
      web: await subtle.importKey("raw", pub, { name: "Ed25519" }, false, ["verify"]),
    };
  }),
);

// --- 1. the same verdicts ---
const rep = omega.verifyCertificate(cert, committee);
check(rep.status === "valid" && rep.valid_signers === 5, `omega: ${JSON.stringify(rep.problems)}`);
const prepared = new omega.CommitteeVerifier(committee);
check(JSON.stringify(prepared.verifyCertificate(cert)) === JSON.stringify(rep), "CommitteeVerifier answers as verifyCertificate");
check(omega.verifyCertificate(note, committee).status === "valid", "omega on the note text");
check(omega.verifyCertificate(soloCert, solo).status === "valid", "omega 1-of-1");
check(omega.verifyChain(chain.map((c) => c.certificate), committee).chain.status === "valid", "omega chain");
for (const s of signed) {
  check(nodeVerify(null, body, s.node, s.sig) === true, `node:crypto ${s.name}`);
  check((await subtle.verify("Ed25519", s.web, s.sig, body)) === true, `WebCrypto ${s.name}`);
  check(ed.verify(s.sig, body, s.pub, { zip215: false }) === true, `noble ${s.name}`);
}
for (const [byte, part] of [[10, "R"], [40, "S"]]) {
  const s = signed[2];
  const bad = s.sig.slice();
  bad[byte] ^= 0x01;
  const line = (x) => `\u2014 ${x.name} ${Buffer.concat([Buffer.from(x.id, "hex"), x.sig]).toString("base64")}\n`;
  const badNote = `${bodyText}\n${signed.map((x) => line(x === s ? { ...x, sig: bad } : x)).join("")}`;
  const r = omega.verifyCertificate(badNote, committee);
  check(r.status === "invalid" && r.signatures[2].status === "bad_signature", `omega rejects a flipped bit in ${part}`);
  check(prepared.verifyCertificate(badNote).status === "invalid", `CommitteeVerifier rejects a flipped bit in ${part}`);
  check(nodeVerify(null, body, s.node, bad) === false, `node:crypto rejects a flipped bit in ${part}`);
  check((await subtle.verify("Ed25519", s.web, bad, body)) === false, `WebCrypto rejects a flipped bit in ${part}`);
  let nobleOk;
  try {
    nobleOk = ed.verify(bad, body, s.pub, { zip215: false });
  } catch {
    nobleOk = false; // noble may throw on a non-decodable R
  }
  check(nobleOk === false, `noble rejects a flipped bit in ${part}`);
}

// --- 2. timings ---
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const TARGET_MS = 300;
async function measure(fn, isAsync = false) {
  const loop = isAsync
    ? async (n) => {
        const s = performance.now();
        for (let i = 0; i < n; i++) await fn();
        return performance.now() - s;
      }
    : async (n) => {
        const s = performance.now();
        for (let i = 0; i < n; i++) fn();
        return performance.now() - s;
      };
  // warm up and calibrate: one run ≈ TARGET_MS
  let n = 1;
  for (;;) {
    const dt = await loop(n);
    if (dt >= TARGET_MS / 3) {
      n = Math.max(1, Math.round((n * TARGET_MS) / dt));
      break;
    }
    n *= 2;
  }
  const perOp = [];
  for (let r = 0; r < runs; r++) perOp.push((await loop(n)) / n);
  return { ms: median(perOp), min: Math.min(...perOp), max: Math.max(...perOp), n };
}

const certs = chain.map((c) => c.certificate);
const s0 = signed[0];
const rows = [
  ["omega blob verifyCertificate 5-of-7", 5, () => omega.verifyCertificate(cert, committee)],
  ["omega blob CommitteeVerifier 5-of-7", 5, () => prepared.verifyCertificate(cert)],
  ["omega blob verifyCertificate 1-of-1", 1, () => omega.verifyCertificate(soloCert, solo)],
  ["omega blob verifyChain 1,000 certs (amortized)", 5005, () => omega.verifyChain(certs, committee)],
  ["omega blob CommitteeVerifier chain 1,000 (amortized)", 5005, () => prepared.verifyChain(certs)],
  ["node:crypto verify (OpenSSL)", 1, () => nodeVerify(null, body, s0.node, s0.sig)],
  ["WebCrypto subtle.verify, awaited one by one", 1, () => subtle.verify("Ed25519", s0.web, s0.sig, body), true],
  ["WebCrypto subtle.verify, 5 in one Promise.all", 5, () => Promise.all(signed.map((s) => subtle.verify("Ed25519", s.web, s.sig, body))), true],
  ["@noble/ed25519 verify (zip215: false)", 1, () => ed.verify(s0.sig, body, s0.pub, { zip215: false })],
];
const results = [];
for (const [name, sigsPerOp, fn, isAsync] of rows) {
  const m = await measure(fn, isAsync);
  results.push({ name, sigsPerOp, ...m, usPerSig: (m.ms * 1000) / sigsPerOp });
}

// --- report ---
const nobleVersion = JSON.parse(readFileSync(new URL("./node_modules/@noble/ed25519/package.json", import.meta.url))).version;
const hashesVersion = JSON.parse(readFileSync(new URL("./node_modules/@noble/hashes/package.json", import.meta.url))).version;
console.log(`omega-kernel ${omega.version()} (blob) in Node ${process.version}, OpenSSL ${process.versions.openssl}; @noble/ed25519 ${nobleVersion}, @noble/hashes ${hashesVersion}`);
console.log(`CPU: ${os.cpus()[0]?.model ?? "?"} (${os.availableParallelism?.() ?? os.cpus().length} threads)`);
console.log(`built the ${CHAIN}-certificate chain (reconcile + certify + 4 cosign per link) in ${(buildMs / 1000).toFixed(2)} s`);
console.log(`certificate at height 1: ${one.hash}; chain head at height ${CHAIN - 1}: ${chain.at(-1).hash}`);
console.log(`verdicts agree: omega valid (5 signers; CommitteeVerifier the same), node:crypto/WebCrypto/noble accept all 5; all reject a flipped bit in R and in S`);
console.log(`median of ${runs} runs, each a loop of about ${TARGET_MS} ms; "per op" is one call, "per sig" divides by the signatures it verifies\n`);
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const fmtMs = (ms) => (ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(1)} µs`);
console.log(`${pad("verifier", 50)} ${lpad("sigs/op", 7)} ${lpad("per op", 11)} ${lpad("ops/s", 9)} ${lpad("µs/sig", 8)} ${lpad("sigs/s", 8)}  (min–max per op)`);
for (const r of results) {
  console.log(
    `${pad(r.name, 50)} ${lpad(r.sigsPerOp, 7)} ${lpad(fmtMs(r.ms), 11)} ${lpad(Math.round(1000 / r.ms), 9)} ${lpad(r.usPerSig.toFixed(1), 8)} ${lpad(Math.round(1e6 / r.usPerSig), 8)}  (${fmtMs(r.min)}–${fmtMs(r.max)})`,
  );
}
const by = (prefix) => results.find((r) => r.name.startsWith(prefix)).usPerSig;
const blob5 = by("omega blob verifyCertificate 5-of-7");
const blobPrepared = by("omega blob CommitteeVerifier 5-of-7");
const blobChain = by("omega blob CommitteeVerifier chain");
const peers = [
  ["@noble/ed25519", by("@noble/ed25519")],
  ["node:crypto", by("node:crypto")],
  ["WebCrypto (awaited one by one)", by("WebCrypto subtle.verify, awaited")],
  ["WebCrypto (Promise.all of 5)", by("WebCrypto subtle.verify, 5 in")],
];
console.log(`\nper-signature speed ratio (peer µs/sig ÷ blob µs/sig; > 1 means the blob is faster)`);
console.log(`${pad("blob vs", 32)} ${lpad("5-of-7 verifyCertificate", 25)} ${lpad("5-of-7 CommitteeVerifier", 25)} ${lpad("chain (CommitteeVerifier)", 26)}`);
for (const [name, us] of peers) console.log(`${pad(name, 32)} ${lpad(`${(us / blob5).toFixed(2)}x`, 25)} ${lpad(`${(us / blobPrepared).toFixed(2)}x`, 25)} ${lpad(`${(us / blobChain).toFixed(2)}x`, 26)}`);
