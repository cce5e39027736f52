// The golden vectors manifest (tests/vectors/manifest.json): the one JS reader.
// The Node suites reach it through vectors.mjs, the Chromium page (page.html)
// imports it directly, so it imports Node modules only when it runs in Node. It is the twin of the
// Rust reader, core/src/api/vectors.rs, and refuses what that refuses, so every
// harness runs the same cases from the same files: anything but the fields of
// tests/vectors/README.md (an unknown field, a missing one, a null where a value
// belongs, a key given twice), a version other than 1, no cases, two cases with
// one name, a status other than 0, 1 or 2, a request form that does not fit the
// op (`input` and `prior` for ops 1 and 2, `fields` for every other op), and a
// path that is absolute or leaves the folder. (The Rust reader also refuses an
// op its build does not know; here the op need only be a u32.)

export const MANIFEST_FILE = "manifest.json";
export const MANIFEST_VERSION = 1;

/** Ops whose request is `u32 LE events length | events | prior`; every other op takes `fields`. */
export const OP_RECONCILE_JSON = 1;
export const OP_RECONCILE_BINARY = 2;

const TOP_FIELDS = ["cases", "generator", "version"];
const CASE_FIELDS = ["about", "expected", "fields", "input", "name", "op", "prior", "status"];
const REQUIRED = ["about", "expected", "name", "op", "status"];

export class ManifestError extends Error {
  constructor(message) {
    super(`the vectors manifest is refused: ${message}`);
    this.name = "ManifestError";
  }
}

const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
const isU32 = (v) => Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;
const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

/** The first key given twice in one object of (already valid) JSON `text`, or null. */
function duplicateKey(text) {
  const objects = []; // per open container: the keys seen (an object) or null (an array)
  let key = false; // the next string is a key
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      const seen = objects.at(-1);
      if (key && seen) {
        const k = JSON.parse(text.slice(i, end + 1));
        if (seen.has(k)) return k;
        seen.add(k);
      }
      key = false;
      i = end;
    } else if (ch === "{") {
      objects.push(new Set());
      key = true;
    } else if (ch === "[") {
      objects.push(null);
    } else if (ch === "}" || ch === "]") {
      objects.pop();
    } else if (ch === ",") {
      key = objects.at(-1) != null;
    }
  }
  return null;
}

/** Throws unless `o` has exactly the `allowed` keys it may have and every `required` one. */
function checkKeys(o, allowed, required, where) {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new ManifestError(`${where}unknown field \`${k}\`, expected one of ${allowed.map((f) => `\`${f}\``).join(", ")}`);
  }
  for (const k of required) {
    if (!has(o, k)) throw new ManifestError(`${where}missing field \`${k}\``);
  }
}

/** A path inside the vectors folder: relative, `/`-separated, no empty, `.` or `..` part. */
function checkPath(name, what, p) {
  const ok =
    typeof p === "string" &&
    p.length > 0 &&
    !/[\\:\u0000-\u001f\u007f]/.test(p) &&
    p.split("/").every((part) => part !== "" && part !== "." && part !== "..");
  if (!ok) throw new ManifestError(`case \`${name}\`: \`${what}\` ${JSON.stringify(p)} is not a relative path inside the vectors folder`);
}

function checkCase(c, i) {
  if (!isObject(c)) throw new ManifestError(`case ${i} is not a JSON object`);
  checkKeys(c, CASE_FIELDS, REQUIRED, `case ${i}: `);
  const { name } = c;
  if (typeof name !== "string" || !/^[a-z0-9-]+$/.test(name)) {
    throw new ManifestError(`case name ${JSON.stringify(name)} is not lowercase ASCII letters, digits and \`-\``);
  }
  if (typeof c.about !== "string") throw new ManifestError(`case \`${name}\`: \`about\` is not a string`);
  if (!isU32(c.op)) throw new ManifestError(`case \`${name}\`: op ${JSON.stringify(c.op)} is not a u32`);
  if (![0, 1, 2].includes(c.status)) {
    throw new ManifestError(`case \`${name}\`: status ${JSON.stringify(c.status)} is not 0 (ok), 1 (obstruction) or 2 (error)`);
  }
  checkPath(name, "expected", c.expected);
  if (c.op === OP_RECONCILE_JSON || c.op === OP_RECONCILE_BINARY) {
    if (!has(c, "input") || !has(c, "prior") || has(c, "fields")) {
      throw new ManifestError(`case \`${name}\`: op ${c.op} takes \`input\` and \`prior\` (a path or null), and no \`fields\``);
    }
    checkPath(name, "input", c.input);
    if (c.prior !== null) checkPath(name, "prior", c.prior);
  } else {
    if (!has(c, "fields") || has(c, "input") || has(c, "prior")) {
      throw new ManifestError(`case \`${name}\`: op ${c.op} takes \`fields\` (a list of paths), and no \`input\` or \`prior\``);
    }
    if (!Array.isArray(c.fields)) throw new ManifestError(`case \`${name}\`: \`fields\` is not a list`);
    for (const f of c.fields) checkPath(name, "fields", f);
  }
  return Object.freeze({ ...c, ...(c.fields ? { fields: Object.freeze([...c.fields]) } : {}) });
}

/**
 * Reads the manifest's text: `{ version, generator, cases }`, every case an
 * object with the manifest's own fields (frozen). Throws a ManifestError on
 * anything but the exact shape.
 */
export function parseManifest(text) {
  let m;
  try {
    m = JSON.parse(text);
  } catch (e) {
    throw new ManifestError(`not JSON: ${e.message}`);
  }
  const twice = duplicateKey(text);
  if (twice !== null) throw new ManifestError(`duplicate field \`${twice}\``);
  if (!isObject(m)) throw new ManifestError("not a JSON object");
  checkKeys(m, TOP_FIELDS, TOP_FIELDS, "");
  if (m.version !== MANIFEST_VERSION) {
    throw new ManifestError(`version ${JSON.stringify(m.version)}, but this reader reads version ${MANIFEST_VERSION}`);
  }
  if (typeof m.generator !== "string") throw new ManifestError("`generator` is not a string");
  if (!Array.isArray(m.cases)) throw new ManifestError("`cases` is not a list");
  if (m.cases.length === 0) throw new ManifestError("no cases");
  const cases = m.cases.map(checkCase);
  const names = new Set();
  for (const c of cases) {
    if (names.has(c.name)) throw new ManifestError(`two cases are named \`${c.name}\``);
    names.add(c.name);
  }
  return Object.freeze({ cases: Object.freeze(cases), generator: m.generator, version: m.version });
}

/** A case's request files, in request order (ops 1 and 2: input, then prior if any). */
export function requestFiles(c) {
  return c.fields ?? (c.prior === null ? [c.input] : [c.input, c.prior]);
}

/** A case's request bytes, from the bytes of `requestFiles(c)` in that order. */
export function requestBytes(c, files) {
  const parts = c.fields
    ? files.flatMap((f) => [u32le(f.length), f]) // each field as `u32 LE length | bytes`
    : [u32le(files[0].length), ...files]; // `u32 LE events length | events | prior`
  return concat(parts);
}

/** A case's exact response bytes: the status, then the expected body. */
export function responseBytes(c, expectedBody) {
  return concat([Uint8Array.of(c.status), expectedBody]);
}

function u32le(n) {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

/** The parts, one after another, in one Uint8Array. */
export function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// Node only (null in the browser): loaded here so that readManifest stays synchronous.
const node = globalThis.process?.versions?.node
  ? { fs: await import("node:fs"), url: await import("node:url") }
  : null;

/** Node: reads and parses the manifest in the vectors folder `dir` (a path or a file: URL). */
export function readManifest(dir) {
  if (!node) throw new Error("readManifest needs Node; in the browser use fetchManifest");
  const base = dir instanceof URL ? dir : node.url.pathToFileURL(dir);
  const file = new URL(MANIFEST_FILE, base.href.endsWith("/") ? base : new URL(`${base.href}/`));
  if (!node.fs.existsSync(file)) {
    throw new Error(`no golden vectors: ${node.url.fileURLToPath(file)} is missing (run \`cargo xtask vectors\`)`);
  }
  return parseManifest(node.fs.readFileSync(file, "utf8"));
}

/** The browser (or Node): fetches and parses the manifest in the vectors folder at URL `base`. */
export async function fetchManifest(base) {
  const url = new URL(MANIFEST_FILE, base);
  const r = await fetch(url);
  if (!r.ok) throw new Error(`GET ${url}: ${r.status}`);
  return parseManifest(await r.text());
}
