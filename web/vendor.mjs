// The NATS client for the browser, without a bundler.
//
// The official `@nats-io/nats-core` and `@nats-io/jetstream` (3.x) packages
// on npm ship CommonJS (`require`/`exports`), which a browser cannot import
// as ES modules. This file turns the installed packages into static files a
// browser can load, keeping every package file's text as it is:
//
//   vendor/nats.js                  every CommonJS file the entry points need
//                                   (found by following their `require`s), each
//                                   wrapped in a function, plus a 30-line loader
//   vendor/@nats-io/nats-core.js    one ES module per package: its exports, named
//   vendor/@nats-io/jetstream.js    (the import map in index.html points the bare
//   vendor/@nats-io/nkeys.js         names here)
//   vendor/@nats-io/nuid.js
//   vendor/tweetnacl.js
//
// `serve.mjs` serves them at /vendor/ from the installed packages, `build.mjs`
// writes them into the dist. The packages are installed with tests/js's
// (package.json pins them, `npm ci` installs them; see web/README.md).
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "..");

/** The packages the page imports by name (the import map's entries), in load order. */
export const VENDOR_PACKAGES = ["@nats-io/nats-core", "@nats-io/jetstream", "@nats-io/nkeys", "@nats-io/nuid", "tweetnacl"];

/** Where the packages are installed: `$OMEGA_NODE_MODULES`, else tests/js/node_modules. */
export function modulesDir() {
  return process.env.OMEGA_NODE_MODULES || resolve(ROOT, "tests/js/node_modules");
}

/** The URL path (under vendor/) of a package's ES module entry. */
export const entryPath = (pkg) => `${pkg}.js`;

function readJson(file) {
  return JSON.parse(readFileSync(file, "utf8"));
}

/** A package's folder, its version and its entry points (subpath -> file, relative). */
function packageInfo(dir, pkg) {
  const base = resolve(dir, pkg);
  const file = resolve(base, "package.json");
  if (!existsSync(file)) {
    throw new Error(`${pkg} is not installed in ${dir}: run \`npm ci\` in tests/js (or \`cargo xtask setup\`)`);
  }
  const j = readJson(file);
  const strip = (p) => p.replace(/^\.\//, "");
  const entries = {};
  if (j.exports && typeof j.exports === "object") {
    for (const [k, v] of Object.entries(j.exports)) {
      const target = typeof v === "string" ? v : v?.require ?? v?.default;
      if (typeof target === "string") entries[k] = strip(target);
    }
  }
  entries["."] ??= strip(j.main ?? "index.js");
  return { base, version: j.version, entries };
}

const REQUIRE = /\brequire\(\s*(["'])([^"']+)\1\s*\)/g;

/**
 * The vendored files: a Map from path under vendor/ to text. Throws when a
 * package is missing (with the command that installs it).
 */
export function vendorFiles(dir = modulesDir()) {
  const pkgs = {};
  for (const p of VENDOR_PACKAGES) pkgs[p] = packageInfo(dir, p);
  const splitSpec = (spec) => {
    const parts = spec.split("/");
    const n = spec.startsWith("@") ? 2 : 1;
    return [parts.slice(0, n).join("/"), parts.slice(n).join("/")];
  };
  const withJs = (base, rel) => {
    for (const c of [rel, `${rel}.js`, `${rel}/index.js`]) if (existsSync(resolve(base, c)) && c.endsWith(".js")) return c;
    return null;
  };
  // module id: "<package>/<file relative to the package>"
  const modules = new Map();
  const resolveSpec = (fromId, spec) => {
    if (spec.startsWith("./") || spec.startsWith("../")) {
      const [pkg, rel] = splitSpec(fromId);
      const file = withJs(pkgs[pkg].base, resolve("/", dirname(rel), spec).slice(1));
      return file ? `${pkg}/${file}` : null;
    }
    const [pkg, sub] = splitSpec(spec);
    const info = pkgs[pkg];
    if (!info) return null; // a Node builtin (tweetnacl's guarded `require('crypto')`): never reached in a browser
    const target = info.entries[sub ? `./${sub}` : "."] ?? (sub ? withJs(info.base, sub) : null);
    return target ? `${pkg}/${target}` : null;
  };
  const visit = (id) => {
    if (modules.has(id)) return;
    const [pkg, rel] = splitSpec(id);
    const text = readFileSync(resolve(pkgs[pkg].base, rel), "utf8");
    const deps = {};
    modules.set(id, { text, deps });
    for (const m of text.matchAll(REQUIRE)) {
      const to = resolveSpec(id, m[2]);
      if (to) {
        deps[m[2]] = to;
        visit(to);
      }
    }
  };
  const roots = {};
  for (const p of VENDOR_PACKAGES) {
    for (const [sub, file] of Object.entries(pkgs[p].entries)) {
      const id = `${p}/${file}`;
      if (!existsSync(resolve(pkgs[p].base, file))) continue;
      roots[sub === "." ? p : `${p}/${sub.slice(2)}`] = id;
      visit(id);
    }
  }

  const out = new Map();
  const versions = VENDOR_PACKAGES.map((p) => `${p}@${pkgs[p].version}`).join(", ");
  let loader = `// Generated by web/vendor.mjs from the npm packages ${versions}
// (their CommonJS files, text unchanged, each wrapped in a function). Do not edit.
const M = {\n`;
  for (const [id, { text, deps }] of modules) {
    const body = text.replace(/^\/\/# sourceMappingURL=.*$/gm, "");
    loader += `${JSON.stringify(id)}: [${JSON.stringify(deps)}, function (exports, require, module) {\n${body}\n}],\n`;
  }
  loader += `};
const ROOTS = ${JSON.stringify(roots)};
const cache = new Map();
function load(id) {
  const hit = cache.get(id);
  if (hit) return hit.exports;
  const def = M[id];
  if (!def) throw new Error("vendor/nats.js: no module " + id);
  const module = { exports: {} };
  cache.set(id, module);
  const require = (spec) => {
    const to = def[0][spec];
    if (!to) throw new Error("vendor/nats.js: " + id + " requires " + spec + ", which is not available in a browser");
    return load(to);
  };
  def[1].call(module.exports, module.exports, require, module);
  return module.exports;
}
/** The CommonJS exports of a package (or "package/subpath") by name. */
export function requirePackage(name) {
  const id = ROOTS[name];
  if (!id) throw new Error("vendor/nats.js: no package " + name);
  return load(id);
}
`;
  out.set("nats.js", loader);

  // The named exports of each package's entry, read by loading it in Node.
  const req = createRequire(resolve(dir, "_omega_vendor_.js"));
  for (const p of VENDOR_PACKAGES) {
    const names = Object.keys(req(p)).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== "default" && n !== "__esModule");
    const depth = p.split("/").length - 1;
    const up = depth ? "../".repeat(depth) : "./";
    let m = `// Generated by web/vendor.mjs: ${p}@${pkgs[p].version} as an ES module. Do not edit.\n`;
    m += `import { requirePackage } from "${up}nats.js";\nconst m = requirePackage(${JSON.stringify(p)});\nexport default m;\n`;
    if (names.length) m += `export const { ${names.join(", ")} } = m;\n`;
    out.set(entryPath(p), m);
  }
  return out;
}

/** The import map index.html carries (relative to the page). */
export function importMap() {
  return { imports: Object.fromEntries(VENDOR_PACKAGES.map((p) => [p, `./vendor/${entryPath(p)}`])) };
}
