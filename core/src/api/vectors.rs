//! The golden vectors manifest (`tests/vectors/manifest.json`), typed: the one
//! reader and writer every Rust user shares (the generator `gen-vectors`,
//! `omega crosscheck`, the host tests). `tests/js/manifest.mjs` is its JS twin
//! and applies the same rules; `tests/vectors/README.md` describes the fields.
//!
//! Parsing is strict, so a manifest one reader accepts is one every reader
//! reads the same way. Refused: anything but the fields below (an unknown
//! field, a missing one, a `null` where a value belongs, a key given twice),
//! a version other than [`VERSION`], no cases, two cases with one name, an op
//! this build does not know, a status other than 0, 1 or 2, a request form
//! that does not fit the op (`input` and `prior` for ops 1 and 2, `fields` for
//! every other op), and a path that is absolute or leaves the folder.
//!
//! Writing ([`Manifest::to_json`]) gives the manifest's exact bytes: the
//! fields sorted, two-space indent, a final newline.
use crate::api::Op;
use crate::api::abi::{STATUS_ERROR, STATUS_OBSTRUCTION, STATUS_OK};
use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;
use serde::de::value::MapAccessDeserializer;
use serde::de::{Error as _, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// The manifest's file name in the vectors folder.
pub const FILE_NAME: &str = "manifest.json";
/// The one manifest version this build reads and writes.
pub const VERSION: u32 = 1;
/// What [`Manifest::new`] writes as `generator`.
pub const GENERATOR: &str = "cargo xtask vectors";

/// The golden vectors manifest: every case, in the generator's order.
///
/// Fields are declared in sorted order: that is the order they are written in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manifest {
    /// The cases; never empty, names unique.
    pub cases: Vec<Case>,
    /// What made the files (`cargo xtask vectors`).
    pub generator: String,
    /// Always [`VERSION`].
    pub version: u32,
}

/// One case: a request to the byte ABI and the exact response it must give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "RawCase")]
pub struct Case {
    /// The case's name: lowercase ASCII letters, digits and `-`.
    pub name: String,
    /// What it shows, in words.
    pub about: String,
    /// The op it calls.
    pub op: Op,
    /// The files its request is made of.
    pub request: Request,
    /// The file holding the exact response body.
    pub expected: String,
    /// The response's status: 0 ok, 1 obstruction, 2 error.
    pub status: u8,
}

/// The files a case's request is made of, in the form its op takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Ops 1 and 2: `u32 little-endian length | events | prior`.
    Reconcile {
        /// The events file.
        input: String,
        /// The prior state file, or none (an empty prior).
        prior: Option<String>,
    },
    /// Every other op: each file as `u32 little-endian length | bytes`.
    Fields(Vec<String>),
}

/// Why a manifest was refused: what, and for a case, which one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError(String);

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl core::error::Error for ManifestError {}

impl Manifest {
    /// A manifest of these cases, at [`VERSION`], made by [`GENERATOR`].
    pub fn new(cases: Vec<Case>) -> Manifest {
        Manifest { cases, generator: String::from(GENERATOR), version: VERSION }
    }

    /// Reads a manifest, refusing anything but the exact shape (see the module docs).
    pub fn parse(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        serde_json::from_slice(bytes).map_err(|e| ManifestError(format!("the vectors manifest is refused: {e}")))
    }

    /// The manifest's bytes: pretty JSON, fields sorted, ending in a newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// The case of this name.
    pub fn case(&self, name: &str) -> Option<&Case> {
        self.cases.iter().find(|c| c.name == name)
    }
}

impl Case {
    /// The op's wire number.
    pub fn op_code(&self) -> u32 {
        self.op.code()
    }

    /// The request's files, in request order (for ops 1 and 2: input, then prior if any).
    pub fn files(&self) -> Vec<&str> {
        match &self.request {
            Request::Reconcile { input, prior } => core::iter::once(input).chain(prior).map(String::as_str).collect(),
            Request::Fields(fields) => fields.iter().map(String::as_str).collect(),
        }
    }

    /// The request bytes, from `read` giving a file's bytes by its manifest path.
    pub fn request_bytes<E>(&self, mut read: impl FnMut(&str) -> Result<Vec<u8>, E>) -> Result<Vec<u8>, E> {
        match &self.request {
            Request::Reconcile { input, prior } => {
                let events = read(input)?;
                let prior = match prior {
                    Some(p) => read(p)?,
                    None => Vec::new(),
                };
                Ok(crate::api::abi::make_request(&events, &prior))
            }
            Request::Fields(fields) => {
                let files = fields.iter().map(|f| read(f)).collect::<Result<Vec<_>, E>>()?;
                Ok(crate::api::ops::make_fields(&files.iter().map(Vec::as_slice).collect::<Vec<_>>()))
            }
        }
    }

    /// The exact response bytes (`status || body`, as `Response::to_bytes` gives) for the expected body.
    pub fn response_bytes(&self, expected_body: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + expected_body.len());
        out.push(self.status);
        out.extend_from_slice(expected_body);
        out
    }
}

/// Reads a `T` from a JSON object only: derived struct impls also take an array
/// of the values in field order, a second shape the JS reader would not accept.
struct ObjectOnly<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectOnly<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map))
    }
}

impl<'de> Deserialize<'de> for Manifest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Manifest, D::Error> {
        let raw: RawManifest = d.deserialize_map(ObjectOnly(PhantomData))?;
        Manifest::try_from(raw).map_err(D::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Case {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Case, D::Error> {
        let raw: RawCase = d.deserialize_map(ObjectOnly(PhantomData))?;
        Case::try_from(raw).map_err(D::Error::custom)
    }
}

/// The manifest as written, before the checks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    cases: Vec<Case>,
    generator: String,
    version: u32,
}

impl TryFrom<RawManifest> for Manifest {
    type Error = String;
    fn try_from(m: RawManifest) -> Result<Manifest, String> {
        if m.version != VERSION {
            return Err(format!("version {}, but this build reads version {VERSION}", m.version));
        }
        if m.cases.is_empty() {
            return Err(String::from("no cases"));
        }
        let mut names = BTreeSet::new();
        for c in &m.cases {
            if !names.insert(c.name.as_str()) {
                return Err(format!("two cases are named `{}`", c.name));
            }
        }
        Ok(Manifest { cases: m.cases, generator: m.generator, version: m.version })
    }
}

/// A case as written. The fields are in sorted order, the order they are written in;
/// `fields`, `input` and `prior` are left out when absent (`prior` may be present and null).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    about: String,
    expected: String,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    fields: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    input: Option<String>,
    name: String,
    op: u32,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    prior: Option<Option<String>>,
    status: u8,
}

/// A field that is there: `Some` of its value (so `null` is refused unless the value type allows it).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A path inside the vectors folder: relative, `/`-separated, no empty, `.` or `..` part.
fn check_path(name: &str, what: &str, p: &str) -> Result<(), String> {
    let ok = !p.is_empty()
        && !p.bytes().any(|b| b == b'\\' || b == b':' || b.is_ascii_control())
        && p.split('/').all(|part| !part.is_empty() && part != "." && part != "..");
    if ok { Ok(()) } else { Err(format!("case `{name}`: `{what}` {p:?} is not a relative path inside the vectors folder")) }
}

impl TryFrom<RawCase> for Case {
    type Error = String;
    fn try_from(c: RawCase) -> Result<Case, String> {
        let name = c.name;
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            return Err(format!("case name {name:?} is not lowercase ASCII letters, digits and `-`"));
        }
        let op = Op::try_from(c.op).map_err(|e| format!("case `{name}`: {e}"))?;
        if ![STATUS_OK, STATUS_OBSTRUCTION, STATUS_ERROR].contains(&c.status) {
            return Err(format!("case `{name}`: status {} is not 0 (ok), 1 (obstruction) or 2 (error)", c.status));
        }
        check_path(&name, "expected", &c.expected)?;
        let reconcile = matches!(op, Op::ReconcileJson | Op::ReconcileBinary);
        let request = match (reconcile, c.input, c.prior, c.fields) {
            (true, Some(input), Some(prior), None) => {
                check_path(&name, "input", &input)?;
                if let Some(p) = &prior {
                    check_path(&name, "prior", p)?;
                }
                Request::Reconcile { input, prior }
            }
            (true, ..) => return Err(format!("case `{name}`: {op} takes `input` and `prior` (a path or null), and no `fields`")),
            (false, None, None, Some(fields)) => {
                for f in &fields {
                    check_path(&name, "fields", f)?;
                }
                Request::Fields(fields)
            }
            (false, ..) => return Err(format!("case `{name}`: {op} takes `fields` (a list of paths), and no `input` or `prior`")),
        };
        Ok(Case { name, about: c.about, op, request, expected: c.expected, status: c.status })
    }
}

impl From<Case> for RawCase {
    fn from(c: Case) -> RawCase {
        let (fields, input, prior) = match c.request {
            Request::Reconcile { input, prior } => (None, Some(input), Some(prior)),
            Request::Fields(fields) => (Some(fields), None, None),
        };
        RawCase { about: c.about, expected: c.expected, fields, input, name: c.name, op: c.op.code(), prior, status: c.status }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    const REAL: &[u8] = include_bytes!("../../../tests/vectors/manifest.json");

    const EVENTS_CASE: &str = r#"{"about": "a", "expected": "reconcile/x.out.json", "input": "reconcile/x.in.json", "name": "x", "op": 1, "prior": null, "status": 0}"#;
    const FIELDS_CASE: &str = r#"{"about": "b", "expected": "certify/y.out.json", "fields": ["certify/y.name.txt", "certify/y.seed.bin"], "name": "y", "op": 3, "status": 2}"#;

    fn manifest(cases: &[&str]) -> String {
        format!(r#"{{"cases": [{}], "generator": "g", "version": 1}}"#, cases.join(","))
    }

    /// The error for a manifest of one case: the `EVENTS_CASE` text with `from` replaced by `to`.
    fn refused(base: &str, from: &str, to: &str) -> String {
        let case = base.replacen(from, to, 1);
        assert_ne!(case, base, "the replacement {from:?} must apply");
        Manifest::parse(manifest(&[&case]).as_bytes()).expect_err(&case).to_string()
    }

    #[test]
    fn the_real_manifest_parses_and_writes_back_byte_for_byte() {
        let m = Manifest::parse(REAL).unwrap();
        assert_eq!(m.version, VERSION);
        assert_eq!(m.generator, GENERATOR);
        assert!(m.cases.len() >= 90, "{} cases", m.cases.len());
        assert!(m.cases.iter().any(|c| matches!(c.request, Request::Reconcile { prior: Some(_), .. })));
        assert!(m.cases.iter().any(|c| matches!(c.request, Request::Fields(_))));
        assert_eq!(m.to_json(), REAL);
        let demo = m.case("demo-sample").unwrap();
        assert_eq!((demo.op, demo.op_code(), demo.status), (Op::ReconcileJson, 1, STATUS_OK));
        assert_eq!(demo.files(), ["reconcile/demo-sample.in.json"]);
        assert!(m.case("no-such-case").is_none());
    }

    #[test]
    fn both_request_forms_parse_and_build_their_bytes() {
        let m = Manifest::parse(manifest(&[EVENTS_CASE, FIELDS_CASE]).as_bytes()).unwrap();
        let read = |p: &str| -> Result<Vec<u8>, ()> { Ok(p.as_bytes().get(..3).unwrap_or_default().to_vec()) };
        let [x, y] = m.cases.as_slice() else { panic!("two cases") };
        assert_eq!(x.request, Request::Reconcile { input: "reconcile/x.in.json".to_string(), prior: None });
        assert_eq!(x.request_bytes(read), Ok(crate::api::abi::make_request(b"rec", b"")));
        assert_eq!(y.op, Op::Keygen);
        assert_eq!(y.files(), ["certify/y.name.txt", "certify/y.seed.bin"]);
        assert_eq!(y.request_bytes(read), Ok(crate::api::ops::make_fields(&[b"cer", b"cer"])));
        assert_eq!(y.response_bytes(b"{}\n"), b"\x02{}\n");
        assert_eq!(y.request_bytes(|_| Err::<Vec<u8>, _>("unreadable")), Err("unreadable"));
        // a prior is read after the input
        let with_prior = EVENTS_CASE.replacen(r#""prior": null"#, r#""prior": "reconcile/x.prior.json""#, 1);
        let m = Manifest::parse(manifest(&[&with_prior]).as_bytes()).unwrap();
        assert_eq!(m.cases[0].files(), ["reconcile/x.in.json", "reconcile/x.prior.json"]);
        assert_eq!(Manifest::parse(&m.to_json()), Ok(m));
    }

    #[test]
    fn a_missing_required_field_is_refused() {
        for field in [r#""about": "a", "#, r#""expected": "reconcile/x.out.json", "#, r#""name": "x", "#, r#""op": 1, "#, r#", "status": 0"#] {
            let e = refused(EVENTS_CASE, field, "");
            assert!(e.contains("missing field"), "{field}: {e}");
        }
        assert!(refused(EVENTS_CASE, r#", "prior": null"#, "").contains("takes `input` and `prior`"));
        assert!(refused(EVENTS_CASE, r#""input": "reconcile/x.in.json", "#, "").contains("takes `input` and `prior`"));
        assert!(refused(FIELDS_CASE, r#""fields": ["certify/y.name.txt", "certify/y.seed.bin"], "#, "").contains("takes `fields`"));
    }

    #[test]
    fn an_unknown_field_is_refused() {
        let e = refused(EVENTS_CASE, r#""about""#, r#""comment": "", "about""#);
        assert!(e.contains("unknown field `comment`"), "{e}");
        let top = r#"{"cases": [], "generator": "g", "version": 1, "extra": 0}"#.replacen("[]", &format!("[{EVENTS_CASE}]"), 1);
        assert!(Manifest::parse(top.as_bytes()).unwrap_err().to_string().contains("unknown field `extra`"));
    }

    #[test]
    fn wrong_values_and_forms_are_refused() {
        let cases = [
            (EVENTS_CASE, r#""op": 1"#, r#""op": 999"#, "unknown op 999"),
            (EVENTS_CASE, r#""op": 1"#, r#""op": -1"#, "invalid value"),
            (EVENTS_CASE, r#""status": 0"#, r#""status": 3"#, "status 3"),
            (EVENTS_CASE, r#""status": 0"#, r#""status": "0""#, "invalid type"),
            (EVENTS_CASE, r#""name": "x""#, r#""name": "X/../y""#, "lowercase"),
            (EVENTS_CASE, r#""name": "x""#, r#""name": """#, "lowercase"),
            (EVENTS_CASE, r#""name": "x""#, r#""name": null"#, "invalid type"),
            (EVENTS_CASE, r#""input": "reconcile/x.in.json""#, r#""input": null"#, "invalid type"),
            (EVENTS_CASE, r#""input": "reconcile/x.in.json""#, r#""input": "../x.in.json""#, "not a relative path"),
            (EVENTS_CASE, r#""prior": null"#, r#""prior": "/etc/passwd""#, "not a relative path"),
            (EVENTS_CASE, r#""expected": "reconcile/x.out.json""#, r#""expected": "reconcile//x""#, "not a relative path"),
            (EVENTS_CASE, r#""expected": "reconcile/x.out.json""#, r#""expected": "reconcile\\x""#, "not a relative path"),
            (EVENTS_CASE, r#""expected": "reconcile/x.out.json""#, r#""expected": "C:x""#, "not a relative path"),
            (EVENTS_CASE, r#""op": 1"#, r#""op": 1, "fields": []"#, "takes `input` and `prior`"),
            (EVENTS_CASE, r#""op": 1"#, r#""op": 4"#, "takes `fields`"),
            (EVENTS_CASE, r#""name": "x""#, r#""name": "x", "name": "x""#, "duplicate field"),
            (FIELDS_CASE, r#""op": 3"#, r#""op": 2"#, "takes `input` and `prior`"),
            (FIELDS_CASE, r#""op": 3"#, r#""op": 3, "prior": null"#, "takes `fields`"),
            (FIELDS_CASE, r#""fields": ["#, r#""fields": null, "x": ["#, "invalid type"),
            (FIELDS_CASE, r#""certify/y.seed.bin""#, r#""certify/./y""#, "not a relative path"),
            (FIELDS_CASE, r#""certify/y.seed.bin""#, r#"7"#, "invalid type"),
        ];
        for (base, from, to, why) in cases {
            let e = refused(base, from, to);
            assert!(e.contains(why), "{to}: {e}");
        }
    }

    #[test]
    fn bad_manifests_are_refused() {
        let version_2 = manifest(&[EVENTS_CASE]).replacen(r#""version": 1"#, r#""version": 2"#, 1);
        let twice = manifest(&[EVENTS_CASE, EVENTS_CASE]);
        let generator = manifest(&[EVENTS_CASE]).replacen(r#""generator": "g""#, r#""generator": 1"#, 1);
        let bad: [(&[u8], &str); 9] = [
            (b"", "EOF"),
            (b"[]", "expected a JSON object"),
            (br#"{"cases": [["a", "reconcile/x.out.json", null, "reconcile/x.in.json", "x", 1, null, 0]], "generator": "g", "version": 1}"#, "expected a JSON object"),
            (b"{\"cases\": []}", "missing field"),
            (br#"{"cases": [], "generator": "g", "version": 1}"#, "no cases"),
            (version_2.as_bytes(), "version 2"),
            (twice.as_bytes(), "two cases are named `x`"),
            (generator.as_bytes(), "invalid type"),
            (REAL.get(..REAL.len() / 2).unwrap(), "EOF"),
        ];
        for (text, why) in bad {
            let e = Manifest::parse(text).unwrap_err().to_string();
            assert!(e.starts_with("the vectors manifest is refused: ") && e.contains(why), "{why}: {e}");
        }
    }
}
