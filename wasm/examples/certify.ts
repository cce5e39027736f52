// Certify a history with a 2-of-2 quorum, chain the next batch, prove inclusion.
import init, {
  reconcile, generateKeypair, certify, cosign, verifyCertificate, verifyChain,
  inclusionProof, verifyInclusion, consistencyProof, verifyConsistency,
  type Committee, type OmegaEvent,
} from "omega-kernel";

await init();

const events: OmegaEvent[] = [];
for (let seq = 0; seq < 4; seq++) {
  for (const node of [1, 2]) events.push({ lamport: 2 * seq + node, node, stream: 0, seq });
}
const result = reconcile(events);
if (result.status !== "ok") throw new Error("the batch obstructs");

const a = generateKeypair("edge.example/a");
const b = generateKeypair("edge.example/b");
const committee: Committee = { threshold: 2, members: [a.verifier_key, b.verifier_key] };

// One member certifies, the other co-signs: a quorum certificate (binary, Uint8Array).
const cert = cosign(certify(result, "edge.example/log", a.signer_key, undefined, committee).certificate, b.signer_key);
console.log("certificate", verifyCertificate(cert.certificate, committee).status, cert.height, cert.tree_size, cert.root);

// The next batch's certificate names this one (`prev`): a chain back to genesis.
const more = reconcile([{ lamport: 9, node: 1, stream: 0, seq: 4 }], result);
const cert2 = cosign(certify(more, "edge.example/log", a.signer_key, cert.certificate, committee).certificate, b.signer_key);
console.log("chain", verifyChain([cert.certificate, cert2.certificate], committee).status, cert2.height);

// RFC 9162 proofs: an event is in the history; the history only grew.
const proof = inclusionProof(events, 3);
console.log("inclusion", proof.leaf_index, verifyInclusion(proof).status);
const grown = [...events, { lamport: 9, node: 1, stream: 0, seq: 4 }];
console.log("consistency", verifyConsistency(consistencyProof(grown, events.length)).status);
