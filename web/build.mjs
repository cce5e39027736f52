#!/usr/bin/env node
// Assembles the edge-node page into one self-contained static folder (default
// web/dist/, gitignored) that any static host can serve: the page's files as
// they are (plain ES modules, no bundling) plus the blob and its glue under pkg/,
// and the NATS client of the Cluster view under vendor/ (vendor.mjs makes it
// from the installed npm packages; it throws, naming the fix, when they are missing).
//
//   node web/build.mjs [--out DIR]
//   node web/serve.mjs --dir web/dist
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { vendorFiles } from "./vendor.mjs";

const WEB = fileURLToPath(new URL(".", import.meta.url));
const ROOT = resolve(WEB, "..");
export const PAGE_FILES = ["index.html", "app.js", "worker.js", "cluster.js", "style.css", "lib/history.js"];
export const PKG_FILES = ["omega_wasm.js", "omega_wasm_bg.wasm"];

/** Builds into `out`; returns {files, blobGzip, glueGzip}. */
export function build(out = resolve(WEB, "dist")) {
  const dist = resolve(ROOT, "wasm/dist");
  for (const f of PKG_FILES) {
    try {
      statSync(resolve(dist, f));
    } catch {
      throw new Error(`wasm/dist/${f} is missing; build the blob first with \`cargo xtask blob\``);
    }
  }
  const vendor = vendorFiles();
  rmSync(out, { recursive: true, force: true });
  const files = [];
  const copy = (from, to) => {
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to);
    files.push(relative(out, to));
  };
  for (const f of PAGE_FILES) copy(resolve(WEB, f), resolve(out, f));
  for (const f of PKG_FILES) copy(resolve(dist, f), resolve(out, "pkg", f));
  // the package's tile client (wasm/js/tiles.mjs), which the worker imports from pkg/js/
  copy(resolve(ROOT, "wasm/js/tiles.mjs"), resolve(out, "pkg/js/tiles.mjs"));
  for (const [f, text] of vendor) {
    const to = resolve(out, "vendor", f);
    mkdirSync(dirname(to), { recursive: true });
    writeFileSync(to, text);
    files.push(relative(out, to));
  }
  const gz = (f) => gzipSync(readFileSync(resolve(dist, f)), { level: 9 }).length;
  const sizes = { blobGzip: gz("omega_wasm_bg.wasm"), glueGzip: gz("omega_wasm.js") };
  writeFileSync(resolve(out, "sizes.json"), JSON.stringify(sizes, null, 2) + "\n");
  files.push("sizes.json");
  return { files, ...sizes };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf("--out");
  const out = resolve(i > 0 ? process.argv[i + 1] : resolve(WEB, "dist"));
  const r = build(out);
  console.log(`built ${out}: ${r.files.length} files; blob ${r.blobGzip} + glue ${r.glueGzip} = ${r.blobGzip + r.glueGzip} bytes gzipped (-9)`);
  const rel = relative(process.cwd(), out);
  console.log(`serve it: node ${relative(process.cwd(), resolve(WEB, "serve.mjs"))} --dir ${rel.startsWith("..") ? out : rel || "."}`);
}
