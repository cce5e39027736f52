#!/usr/bin/env node
// A tiny static file server for the edge-node page (no dependencies, no
// server-side logic: it only maps URL paths to files).
//
//   node web/serve.mjs                  # http://127.0.0.1:8080/ : web/ + the blob from wasm/dist at /pkg/
//   node web/serve.mjs --port 0         # any free port
//   node web/serve.mjs --dir web/dist   # a self-contained build (node web/build.mjs)
//
// `.wasm` goes out as application/wasm, so browsers can stream-compile it.
// From the repository it also serves the NATS client at /vendor/ (the
// Cluster view's), made by vendor.mjs from the installed npm packages.
import { createServer } from "node:http";
import { createReadStream, statSync } from "node:fs";
import { extname, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { vendorFiles } from "./vendor.mjs";

const WEB = fileURLToPath(new URL(".", import.meta.url)).replace(/[\\/]$/, "");
const ROOT = resolve(WEB, "..");

export const TYPES = {
  ".wasm": "application/wasm",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
  ".mts": "text/plain; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".omega": "application/octet-stream",
  ".bin": "application/octet-stream",
};

/**
 * A file's content type: by extension, and for a C2SP tile store (`omega
 * tiles`) its `checkpoint` as text/plain (the spec's type); tiles and entry
 * bundles, which have no extension, are application/octet-stream.
 */
export function contentType(file) {
  if (/[\\/]checkpoint$/.test(file)) return "text/plain; charset=utf-8";
  return TYPES[extname(file).toLowerCase()] ?? "application/octet-stream";
}

/** The page's layout in the repository: web/ at /, wasm/dist (the blob and its glue) at /pkg/. */
export function repoMounts() {
  return [
    ["/pkg/js/", resolve(ROOT, "wasm/js")],
    ["/pkg/", resolve(ROOT, "wasm/dist")],
    ["/", WEB],
  ];
}

/** Maps a URL path to a file under one of `mounts` ([prefix, dir], longest prefix first); null outside them. */
export function fileFor(mounts, urlPath) {
  let path;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (path.includes("\0") || path.includes("\\")) return null;
  if (path.endsWith("/")) path += "index.html";
  for (const [prefix, dir] of mounts) {
    if (!path.startsWith(prefix)) continue;
    const file = resolve(dir, "." + path.slice(prefix.length - 1));
    return file.startsWith(dir + sep) ? file : null;
  }
  return null;
}

/** Whether `mounts` serve the repository's web/ at / (then /vendor/ is made from the npm packages). */
function isRepoLayout(mounts) {
  return mounts.some(([prefix, dir]) => prefix === "/" && dir === WEB);
}

/**
 * An http.Server serving `mounts` (not yet listening). `vendor` (default: when
 * `mounts` are the repository's) also serves /vendor/ from vendor.mjs, made on
 * the first request; a missing package is a 404 that names the fix.
 */
export function staticServer(mounts = repoMounts(), { log = false, vendor = isRepoLayout(mounts) } = {}) {
  let vendored = null;
  const fromVendor = (path) => {
    if (!vendor || !path.startsWith("/vendor/")) return null;
    if (!vendored) {
      try {
        vendored = vendorFiles();
      } catch (e) {
        return { missing: String(e.message) };
      }
    }
    const text = vendored.get(path.slice("/vendor/".length));
    return text == null ? null : { text };
  };
  return createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    const v = req.method === "GET" || req.method === "HEAD" ? fromVendor(url.pathname) : null;
    if (v) {
      if (log) console.log(`${req.method} ${url.pathname} ${v.missing ? 404 : 200}`);
      const body = Buffer.from(v.missing ? `${v.missing}\n` : v.text);
      res.writeHead(v.missing ? 404 : 200, {
        "content-type": v.missing ? "text/plain; charset=utf-8" : TYPES[".js"],
        "content-length": body.length,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      });
      res.end(req.method === "HEAD" ? undefined : body);
      return;
    }
    const file = req.method === "GET" || req.method === "HEAD" ? fileFor(mounts, url.pathname) : null;
    let size = -1;
    try {
      if (file) {
        const st = statSync(file);
        if (st.isFile()) size = st.size;
      }
    } catch {
      // not found
    }
    if (log) console.log(`${req.method} ${url.pathname} ${size < 0 ? 404 : 200}`);
    if (size < 0) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end("not found\n");
      return;
    }
    res.writeHead(200, {
      "content-type": contentType(file),
      "content-length": size,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    });
    if (req.method === "HEAD") res.end();
    else createReadStream(file).pipe(res);
  });
}

/** Starts a server on 127.0.0.1:`port` (0: any free port); resolves to it once listening. */
export function listen(server, port = 0, host = "127.0.0.1") {
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => ok(server));
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
  };
  const port = Number(opt("--port", process.env.PORT ?? 8080));
  const host = opt("--host", "127.0.0.1");
  const dir = opt("--dir", null);
  const mounts = dir ? [["/", resolve(dir)]] : repoMounts();
  if (!dir) {
    try {
      statSync(resolve(ROOT, "wasm/dist/omega_wasm_bg.wasm"));
    } catch {
      console.error("serve: wasm/dist/omega_wasm_bg.wasm is missing; build it first with `cargo xtask blob`");
      process.exit(2);
    }
  }
  const server = await listen(staticServer(mounts, { log: args.includes("--log") }), port, host);
  const { port: p } = server.address();
  console.log(`omega edge node: http://${host}:${p}/  (serving ${mounts.map(([m, d]) => `${m} -> ${d}`).join(", ")}; Ctrl-C stops)`);
}
