//! The golden vectors on other CPUs: `gen-vectors --check` built for aarch64
//! and for big-endian s390x and run under qemu-user, so that the vectors are
//! checked on more than x86_64 and wasm32 (float drift between Intel and ARM
//! is what omega rules out; byte order is the other thing a port gets wrong).
//!
//! [`ensure`] checks (and, as root, installs with apt-get) what one
//! architecture needs and returns it as [`CrossTools`], or a `missing(...)`
//! error naming the fix; [`check`] builds gen-vectors for it and runs
//! `--check` under qemu. `cargo xtask test` runs one suite per architecture
//! (calling both), `cargo xtask setup` installs them all ([`setup`]) and
//! `cargo xtask doctor` reports them ([`doctor_check`]).
//!
//! Needs, per architecture: the rustup target, Debian's `qemu-user` (the
//! `qemu-<arch>` binary; `qemu-<arch>-static` from `qemu-user-static` also
//! does), the cross gcc as linker (`$CARGO_TARGET_<TRIPLE>_LINKER` overrides
//! it) and the cross C library under `/usr/<gnu triple>`, which both links
//! the binary and is the root qemu loads its dynamic loader and libc from.
use crate::{Ctx, missing, run, step};
use anyhow::{Result, bail};
use omega_report::{Check, Status};
use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Debian's package with the `qemu-<arch>` user-mode emulators.
const QEMU_PACKAGE: &str = "qemu-user";

/// A CPU the golden vectors are checked on under qemu-user.
#[derive(Debug)]
pub(crate) struct Arch {
    /// The suite's line in `cargo xtask test`.
    pub(crate) suite: &'static str,
    /// The row in `cargo xtask doctor`.
    pub(crate) part: &'static str,
    /// The rust target.
    pub(crate) triple: &'static str,
    /// The GNU triple: the cross gcc's prefix and the C library's root under /usr.
    gnu: &'static str,
    /// The user-mode emulator.
    qemu: &'static str,
    /// The dynamic loader in `/usr/<gnu>/lib`.
    loader: &'static str,
    /// Debian's cross C library (development files; pulls in the runtime).
    libc_package: &'static str,
    /// ELF `e_machine` of its binaries.
    elf_machine: u16,
    /// Whether its ELF files are big-endian.
    big_endian: bool,
}

pub(crate) const AARCH64: Arch = Arch {
    suite: "golden vectors on aarch64 (qemu-user)",
    part: "aarch64 via qemu",
    triple: "aarch64-unknown-linux-gnu",
    gnu: "aarch64-linux-gnu",
    qemu: "qemu-aarch64",
    loader: "ld-linux-aarch64.so.1",
    libc_package: "libc6-dev-arm64-cross",
    elf_machine: 183,
    big_endian: false,
};

pub(crate) const S390X: Arch = Arch {
    suite: "golden vectors on s390x, big-endian (qemu-user)",
    part: "s390x via qemu",
    triple: "s390x-unknown-linux-gnu",
    gnu: "s390x-linux-gnu",
    qemu: "qemu-s390x",
    loader: "ld64.so.1",
    libc_package: "libc6-dev-s390x-cross",
    elf_machine: 22,
    big_endian: true,
};

/// Every architecture, in the order the suites run.
pub(crate) const ARCHES: [&Arch; 2] = [&AARCH64, &S390X];

impl Arch {
    /// Where Debian's cross C library lives: the linker's and qemu's `-L` root.
    fn sysroot(&self) -> PathBuf {
        Path::new("/usr").join(self.gnu)
    }

    /// The cross C library's files the build and the run need.
    fn libc_files(&self) -> [PathBuf; 2] {
        let lib = self.sysroot().join("lib");
        [lib.join("libc.so"), lib.join(self.loader)]
    }

    fn gcc(&self) -> String {
        format!("{}-gcc", self.gnu)
    }

    fn gcc_package(&self) -> String {
        format!("gcc-{}", self.gnu)
    }

    /// The variable cargo takes this target's linker from.
    fn linker_var(&self) -> String {
        format!(
            "CARGO_TARGET_{}_LINKER",
            self.triple.to_ascii_uppercase().replace('-', "_")
        )
    }
}

/// What one architecture needs, found on this machine.
#[derive(Debug, Clone)]
pub(crate) struct CrossTools {
    pub(crate) arch: &'static Arch,
    /// The emulator.
    qemu: PathBuf,
    /// The linker cargo is told to use.
    linker: PathBuf,
}

/// What is there for an architecture (nothing installed).
#[derive(Debug, Default, Clone)]
pub(crate) struct Found {
    /// The rustup target's standard library.
    target: bool,
    qemu: Option<PathBuf>,
    linker: Option<PathBuf>,
    /// The cross C library ([`Arch::libc_files`]).
    libc: bool,
}

/// Looks for what `arch` needs; `rust_sysroot` is `rustc --print sysroot`, if known.
pub(crate) fn find(arch: &Arch, rust_sysroot: Option<&Path>) -> Found {
    let linker = env::var_os(arch.linker_var())
        .filter(|l| !l.is_empty())
        .map(PathBuf::from)
        .or_else(|| which(&arch.gcc()));
    Found {
        target: rust_sysroot.is_some_and(|s| {
            s.join("lib/rustlib").join(arch.triple).join("lib").is_dir()
        }),
        qemu: which(arch.qemu).or_else(|| which(&format!("{}-static", arch.qemu))),
        linker,
        libc: arch.libc_files().iter().all(|f| f.is_file()),
    }
}

/// The Debian packages that provide what `found` lacks (the rust target aside).
pub(crate) fn packages(arch: &Arch, found: &Found) -> Vec<String> {
    let mut p = Vec::new();
    if found.qemu.is_none() {
        p.push(QEMU_PACKAGE.to_string());
    }
    if found.linker.is_none() {
        p.push(arch.gcc_package());
    }
    if !found.libc {
        p.push(arch.libc_package.to_string());
    }
    p
}

/// What `found` lacks, in words, each with where it comes from.
pub(crate) fn lacking(arch: &Arch, found: &Found) -> Vec<String> {
    let mut l = Vec::new();
    if !found.target {
        l.push(format!("the rust target {}", arch.triple));
    }
    if found.qemu.is_none() {
        l.push(format!("{} (Debian's {QEMU_PACKAGE})", arch.qemu));
    }
    if found.linker.is_none() {
        l.push(format!("{} ({})", arch.gcc(), arch.gcc_package()));
    }
    if !found.libc {
        l.push(format!(
            "{} ({})",
            arch.libc_files()[0].display(),
            arch.libc_package
        ));
    }
    l
}

/// The apt-get line that installs `packages` (`sudo` unless we are root).
fn apt_line(packages: &[String], root: bool) -> String {
    let sudo = if root { "" } else { "sudo " };
    format!(
        "{sudo}apt-get update && {sudo}apt-get install -y --no-install-recommends {}",
        packages.join(" ")
    )
}

/// The commands that supply what `found` lacks ("" when nothing).
pub(crate) fn fix(arch: &Arch, found: &Found, root: bool) -> String {
    let mut f = Vec::new();
    if !found.target {
        f.push(format!("rustup target add {}", arch.triple));
    }
    let p = packages(arch, found);
    if !p.is_empty() {
        f.push(apt_line(&p, root));
    }
    f.join(" && ")
}

/// The tools, when `found` has them all.
fn tools(arch: &'static Arch, found: &Found) -> Option<CrossTools> {
    match (found.target, &found.qemu, &found.linker, found.libc) {
        (true, Some(qemu), Some(linker), true) => Some(CrossTools {
            arch,
            qemu: qemu.clone(),
            linker: linker.clone(),
        }),
        _ => None,
    }
}

/// Checks what `arch` needs and installs what is missing (the rustup target
/// with rustup; the rest with apt-get, only when root): the tools, or a
/// `missing(...)` error naming what lacks and the command that fixes it.
pub(crate) fn ensure(ctx: &Ctx, arch: &'static Arch) -> Result<CrossTools> {
    ctx.ensure_target(arch.triple)?;
    step(&format!(
        "checking qemu-user, the cross gcc and C library for {}",
        arch.triple
    ));
    let look = || Found {
        target: true,
        ..find(arch, None)
    };
    let mut found = look();
    let root = is_root();
    let needed = packages(arch, &found);
    if !needed.is_empty() {
        let what = format!("for the {}: {}", arch.suite, lacking(arch, &found).join(", "));
        if !root {
            return Err(missing(&what, &fix(arch, &found, false)));
        }
        step(&format!(
            "installing {} with apt-get (about a minute)",
            needed.join(" ")
        ));
        let apt = |args: &[&str]| {
            run(Command::new("apt-get")
                .args(args)
                .env("DEBIAN_FRONTEND", "noninteractive")
                .stdin(Stdio::null()))
        };
        let mut install = vec!["install", "-y", "--no-install-recommends"];
        install.extend(needed.iter().map(String::as_str));
        // the package lists are updated only when the install cannot find a package
        apt(&install)
            .or_else(|_| apt(&["update"]).and_then(|()| apt(&install)))
            .map_err(|e| missing(&format!("{what} ({e})"), &fix(arch, &found, true)))?;
        found = look();
    }
    let Some(t) = tools(arch, &found) else {
        return Err(missing(
            &format!("for the {}: {}", arch.suite, lacking(arch, &found).join(", ")),
            &fix(arch, &found, root),
        ));
    };
    println!(
        "    {} and linker {}, C library in {}",
        t.qemu.display(),
        t.linker.display(),
        arch.sysroot().display()
    );
    Ok(t)
}

/// `cargo xtask setup`: [`ensure`] for every architecture; what cannot be
/// installed is a warning here (the suite reports it as its error).
pub(crate) fn setup(ctx: &Ctx) {
    for arch in ARCHES {
        if let Err(e) = ensure(ctx, arch) {
            println!(
                "warning: {e:#}\n         the suite `{}` cannot run",
                arch.suite
            );
        }
    }
}

/// `cargo build` (from `cargo`, which runs in the checkout) of gen-vectors for the tools' target.
fn build_command(mut cargo: Command, tools: &CrossTools) -> Command {
    cargo
        .args([
            "build",
            "--release",
            "-p",
            "omega-tests",
            "--bin",
            "gen-vectors",
            "--target",
            tools.arch.triple,
        ])
        .env(tools.arch.linker_var(), &tools.linker);
    cargo
}

/// The binary [`build_command`] makes, under the cargo target folder `target_dir`.
fn binary(target_dir: &Path, arch: &Arch) -> PathBuf {
    target_dir
        .join(arch.triple)
        .join("release")
        .join("gen-vectors")
}

/// `qemu-<arch> -L /usr/<gnu> <binary> --check`, run in the checkout (gen-vectors
/// finds tests/vectors by the path it was compiled at, which qemu-user shares).
fn check_command(root: &Path, target_dir: &Path, tools: &CrossTools) -> Command {
    let mut c = Command::new(&tools.qemu);
    c.arg("-L")
        .arg(tools.arch.sysroot())
        .arg(binary(target_dir, tools.arch))
        .arg("--check")
        .current_dir(root);
    c
}

/// The ELF header's machine and whether the file is big-endian (None: not ELF).
fn elf_machine(head: &[u8]) -> Option<(u16, bool)> {
    if head.get(..4)? != b"\x7fELF" {
        return None;
    }
    let big = match head.get(5)? {
        1 => false,
        2 => true,
        _ => return None,
    };
    let m = [*head.get(18)?, *head.get(19)?];
    Some((
        if big {
            u16::from_be_bytes(m)
        } else {
            u16::from_le_bytes(m)
        },
        big,
    ))
}

/// Builds gen-vectors for the tools' architecture, checks that the binary is
/// one of its ELF files, and runs `gen-vectors --check` under qemu.
pub(crate) fn check(ctx: &Ctx, tools: &CrossTools) -> Result<()> {
    let arch = tools.arch;
    step(&format!("building gen-vectors for {}", arch.triple));
    let t = Instant::now();
    run(&mut build_command(ctx.cargo(), tools))?;
    println!("    built in {:.1?}", t.elapsed());
    let bin = binary(&ctx.target_dir, arch);
    let head = std::fs::read(&bin)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", bin.display()))?;
    let want = (arch.elf_machine, arch.big_endian);
    if elf_machine(&head) != Some(want) {
        bail!(
            "{} is not a {} ELF file (header says {:?}, want machine {} big-endian {})",
            bin.display(),
            arch.triple,
            elf_machine(&head),
            want.0,
            want.1
        );
    }
    step(&format!(
        "checking the golden vectors with gen-vectors under {}",
        arch.qemu
    ));
    let t = Instant::now();
    run(&mut check_command(&ctx.root, &ctx.target_dir, tools))?;
    println!("    ran in {:.1?}", t.elapsed());
    Ok(())
}

/// `cargo xtask doctor`'s row for `arch`, from what [`find`] found.
pub(crate) fn doctor_check(arch: &Arch, found: &Found, root: bool) -> Check {
    let l = lacking(arch, found);
    if l.is_empty() {
        let show = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
        return Check::ok(
            arch.part,
            format!(
                "{}, {} as linker, C library in {}, rust target {}",
                show(&found.qemu),
                show(&found.linker),
                arch.sysroot().display(),
                arch.triple
            ),
        );
    }
    let setup = if root {
        "`cargo xtask setup` installs them"
    } else {
        "`cargo xtask setup` installs them when run as root"
    };
    Check::new(
        arch.part,
        Status::Missing,
        format!(
            "for the {}, lacks {}; {setup}",
            arch.suite,
            l.join(", ")
        ),
        fix(arch, found, root),
    )
}

/// The first `name` on the PATH that is a file.
fn which(name: &str) -> Option<PathBuf> {
    env::split_paths(&env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .stderr(Stdio::null())
        .output()
        .ok()
        .is_some_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::show;
    use std::ffi::OsStr;

    fn all(arch: &Arch) -> Found {
        Found {
            target: true,
            qemu: Some(PathBuf::from(format!("/usr/bin/{}", arch.qemu))),
            linker: Some(PathBuf::from(format!("/usr/bin/{}", arch.gcc()))),
            libc: true,
        }
    }

    #[test]
    fn each_arch_has_its_own_suite_target_and_variable() {
        assert_eq!(AARCH64.linker_var(), "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER");
        assert_eq!(S390X.linker_var(), "CARGO_TARGET_S390X_UNKNOWN_LINUX_GNU_LINKER");
        assert_eq!(AARCH64.gcc(), "aarch64-linux-gnu-gcc");
        assert_eq!(S390X.gcc_package(), "gcc-s390x-linux-gnu");
        assert_eq!(
            S390X.libc_files(),
            [
                PathBuf::from("/usr/s390x-linux-gnu/lib/libc.so"),
                PathBuf::from("/usr/s390x-linux-gnu/lib/ld64.so.1")
            ]
        );
        assert_ne!(AARCH64.suite, S390X.suite);
        assert!(S390X.suite.contains("big-endian"));
        for a in ARCHES {
            assert!(a.suite.contains("qemu-user") && a.triple.starts_with(a.qemu.trim_start_matches("qemu-")));
        }
    }

    #[test]
    fn nothing_found_names_every_part_and_one_fix() {
        let none = Found::default();
        assert_eq!(
            packages(&AARCH64, &none),
            ["qemu-user", "gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross"]
        );
        assert_eq!(
            fix(&AARCH64, &none, false),
            "rustup target add aarch64-unknown-linux-gnu && sudo apt-get update && sudo apt-get install -y --no-install-recommends qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross"
        );
        assert_eq!(
            fix(&S390X, &none, true),
            "rustup target add s390x-unknown-linux-gnu && apt-get update && apt-get install -y --no-install-recommends qemu-user gcc-s390x-linux-gnu libc6-dev-s390x-cross"
        );
        let l = lacking(&S390X, &none);
        assert_eq!(l.len(), 4, "{l:?}");
        assert!(l[3].contains("/usr/s390x-linux-gnu/lib/libc.so (libc6-dev-s390x-cross)"), "{l:?}");
        assert!(tools(&S390X, &none).is_none());
        let c = doctor_check(&S390X, &none, false);
        assert_eq!(c.status, Status::Missing);
        assert_eq!(c.part, "s390x via qemu");
        assert!(c.detail.contains("lacks the rust target s390x-unknown-linux-gnu, qemu-s390x (Debian's qemu-user)"), "{c:?}");
        assert!(c.detail.contains("when run as root"), "{c:?}");
        assert_eq!(c.fix, fix(&S390X, &none, false));
    }

    #[test]
    fn only_what_lacks_is_installed() {
        let mut f = all(&AARCH64);
        assert!(packages(&AARCH64, &f).is_empty());
        assert_eq!(fix(&AARCH64, &f, false), "");
        assert_eq!(doctor_check(&AARCH64, &f, false).status, Status::Ok);
        f.libc = false;
        f.target = false;
        assert_eq!(packages(&AARCH64, &f), ["libc6-dev-arm64-cross"]);
        assert_eq!(
            fix(&AARCH64, &f, true),
            "rustup target add aarch64-unknown-linux-gnu && apt-get update && apt-get install -y --no-install-recommends libc6-dev-arm64-cross"
        );
        f.target = true;
        assert_eq!(fix(&AARCH64, &f, true), "apt-get update && apt-get install -y --no-install-recommends libc6-dev-arm64-cross");
    }

    #[test]
    fn the_build_names_the_target_and_its_linker() {
        let t = tools(&AARCH64, &all(&AARCH64)).unwrap();
        let c = build_command(Command::new("cargo"), &t);
        assert_eq!(
            show(&c),
            "cargo build --release -p omega-tests --bin gen-vectors --target aarch64-unknown-linux-gnu"
        );
        let envs: Vec<_> = c.get_envs().collect();
        assert_eq!(
            envs,
            [(
                OsStr::new("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER"),
                Some(OsStr::new("/usr/bin/aarch64-linux-gnu-gcc"))
            )]
        );
    }

    #[test]
    fn the_check_runs_the_cross_binary_under_qemu_in_the_checkout() {
        let t = tools(&S390X, &all(&S390X)).unwrap();
        let c = check_command(Path::new("/src/omega"), Path::new("/src/omega/target"), &t);
        assert_eq!(
            show(&c),
            "/usr/bin/qemu-s390x -L /usr/s390x-linux-gnu /src/omega/target/s390x-unknown-linux-gnu/release/gen-vectors --check"
        );
        assert_eq!(c.get_current_dir(), Some(Path::new("/src/omega")));
    }

    #[test]
    fn elf_headers_name_machine_and_byte_order() {
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(b"\x7fELF");
        h[5] = 1;
        h[18..20].copy_from_slice(&183u16.to_le_bytes());
        assert_eq!(elf_machine(&h), Some((AARCH64.elf_machine, false)));
        h[5] = 2;
        h[18..20].copy_from_slice(&22u16.to_be_bytes());
        assert_eq!(elf_machine(&h), Some((S390X.elf_machine, true)));
        assert_eq!(elf_machine(b"#!/bin/sh\n"), None);
        assert_eq!(elf_machine(b"\x7fELF"), None);
        // the host's own binary is neither
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        if cfg!(target_arch = "x86_64") {
            assert_eq!(elf_machine(&me), Some((62, false)));
        }
    }
}
