//! What `cargo xtask blob` adds to the wasm-bindgen glue (`--target web`,
//! the pinned version), so every entry of the npm package behaves the same:
//!
//! - `OmegaError`, the class of every error the API throws (an `Error` with
//!   `code`, and `index`/`field` when known), exported by the glue and
//!   registered with the blob when it is loaded (`__omegaSetErrorClass`);
//! - a clear error (an `OmegaError`, code 3304) when an export is called
//!   before `init()`, instead of wasm-bindgen's
//!   `TypeError: Cannot read properties of undefined (reading '__wbindgen_add_to_stack_pointer')`.
//!
//! Each change replaces an exact piece of the pinned glue; a piece that is
//! not there exactly once (another wasm-bindgen version) fails the build
//! with its name rather than shipping a glue half patched.
use anyhow::{Result, bail};

/// The class, first in the module (its declaration is in the d.ts, from
/// `wasm/src/lib.rs`).
const ERROR_CLASS: &str = r#"/**
 * Every error omega-kernel throws: an `Error` with omega's stable `code`
 * (docs/FORMATS.md, "Error JSON and codes"), and `index` and `field` when known.
 */
export class OmegaError extends Error {
    constructor(message, code, index, field) {
        super(message);
        this.name = "OmegaError";
        if (code !== undefined) this.code = code;
        if (index !== undefined) this.index = index;
        if (field !== undefined) this.field = field;
    }
}

"#;

/// Before `init()`, `wasm` answers every property read with this error.
const NOT_READY: &str = r#"let wasmModule, wasmInstance, wasm = new Proxy({}, {
    get() {
        throw new OmegaError("omega-kernel is not initialised: `await init()` (the package's default export) before calling any other export. In Node, `import ... from \"omega-kernel\"` loads it on import.", 3304);
    },
});"#;

/// The patches: (name, the piece of the pinned glue, its replacement, how many times it appears).
const PATCHES: &[(&str, &str, &str, usize)] = &[
    ("the blob's handle before init", "let wasmModule, wasmInstance, wasm;", NOT_READY, 1),
    // `wasm` is never undefined now; the instance is, until init.
    ("the already-initialised checks", "    if (wasm !== undefined) return wasm;", "    if (wasmInstance !== undefined) return wasm;", 2),
    (
        "the error class's registration at init",
        "    wasm.__wbindgen_start();\n    return wasm;",
        "    wasm.__wbindgen_start();\n    __omegaSetErrorClass(OmegaError);\n    return wasm;",
        1,
    ),
];

/// The patched glue. Errors when a piece is missing or repeated, or when the
/// glue was patched already.
pub fn patch(glue: &str) -> Result<String> {
    if glue.contains("export class OmegaError") {
        bail!("the glue is patched already");
    }
    let mut out = glue.to_string();
    for (name, from, to, times) in PATCHES {
        let found = out.matches(from).count();
        if found != *times {
            bail!(
                "patching the wasm-bindgen glue ({name}): expected {times} × {from:?}, found {found}; the pinned wasm-bindgen's output changed, update xtask/src/glue.rs"
            );
        }
        out = out.replace(from, to);
    }
    // after the `@ts-self-types` line, which must stay first
    let body = match out.split_once('\n') {
        Some((first, rest)) if first.starts_with("/* @ts-self-types") => format!("{first}\n\n{ERROR_CLASS}{rest}"),
        _ => format!("{ERROR_CLASS}{out}"),
    };
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GLUE: &str = "/* @ts-self-types=\"./omega_wasm.d.ts\" */\nexport function f() { wasm.f(); }\nlet wasmModule, wasmInstance, wasm;\nfunction __wbg_finalize_init(instance, module) {\n    wasm.__wbindgen_start();\n    return wasm;\n}\nfunction initSync(module) {\n    if (wasm !== undefined) return wasm;\n}\nasync function __wbg_init(module_or_path) {\n    if (wasm !== undefined) return wasm;\n}\n";

    #[test]
    fn patches_every_piece_and_keeps_the_types_line_first() {
        let out = patch(GLUE).unwrap();
        assert!(out.starts_with("/* @ts-self-types=\"./omega_wasm.d.ts\" */\n\n/**"));
        assert!(out.contains("export class OmegaError extends Error"));
        assert_eq!(out.matches("if (wasmInstance !== undefined) return wasm;").count(), 2);
        assert!(!out.contains("if (wasm !== undefined)"));
        assert!(out.contains("__omegaSetErrorClass(OmegaError);"));
        assert!(out.contains("3304"));
    }

    #[test]
    fn refuses_a_glue_it_does_not_know_or_patched_twice() {
        let e = patch(&GLUE.replace("let wasmModule, wasmInstance, wasm;", "let wasm;")).unwrap_err();
        assert!(e.to_string().contains("the blob's handle before init"), "{e}");
        let e = patch(&GLUE.replace("    if (wasm !== undefined) return wasm;\n}\nasync", "}\nasync")).unwrap_err();
        assert!(e.to_string().contains("found 1"), "{e}");
        let once = patch(GLUE).unwrap();
        assert!(patch(&once).is_err());
    }
}
