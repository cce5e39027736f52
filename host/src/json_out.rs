//! JSON the CLI prints itself (beside the engines' bodies), in the order the
//! docs give. serde_json's maps sort their keys (the workspace builds it
//! without `preserve_order`, and must: the engines' bodies depend on it), so
//! these reports are written from ordered pairs instead.
use anyhow::{Context, Result, anyhow};
use serde_json::Value;

/// A JSON value whose objects keep their keys in the order given.
#[derive(Debug)]
pub(crate) enum J {
    /// A plain value (objects inside it print sorted).
    V(Value),
    /// An object, keys in this order.
    O(Vec<(&'static str, J)>),
    /// An array.
    A(Vec<J>),
}

impl<T: Into<Value>> From<T> for J {
    fn from(v: T) -> J {
        J::V(v.into())
    }
}

impl J {
    /// Pretty-printed as serde_json prints (two spaces), with a final newline.
    pub(crate) fn pretty(&self) -> String {
        let mut s = String::new();
        self.write(&mut s, 0);
        s.push('\n');
        s
    }

    fn write(&self, s: &mut String, indent: usize) {
        let pad = |n: usize| " ".repeat(n);
        match self {
            J::V(v) => {
                let text = serde_json::to_string_pretty(v).unwrap_or_default();
                s.push_str(&text.replace('\n', &format!("\n{}", pad(indent))));
            }
            J::O(pairs) if pairs.is_empty() => s.push_str("{}"),
            J::A(items) if items.is_empty() => s.push_str("[]"),
            J::O(pairs) => {
                s.push_str("{\n");
                for (i, (k, v)) in pairs.iter().enumerate() {
                    s.push_str(&format!("{}{}: ", pad(indent + 2), Value::from(*k)));
                    v.write(s, indent + 2);
                    s.push_str(if i + 1 < pairs.len() { ",\n" } else { "\n" });
                }
                s.push_str(&pad(indent));
                s.push('}');
            }
            J::A(items) => {
                s.push_str("[\n");
                for (i, v) in items.iter().enumerate() {
                    s.push_str(&pad(indent + 2));
                    v.write(s, indent + 2);
                    s.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
                }
                s.push_str(&pad(indent));
                s.push(']');
            }
        }
    }
}

/// The top-level members of an engine's pretty-printed JSON object, in its
/// order, each as its text (for printing a body less a member, or with
/// members added, without reordering it).
pub(crate) fn members(body: &[u8]) -> Result<Vec<(String, String)>> {
    let text = std::str::from_utf8(body).context("the engine's answer is not UTF-8")?;
    let v: Value = serde_json::from_str(text).context("the engine's answer is not JSON")?;
    let obj = v.as_object().ok_or_else(|| anyhow!("the engine's answer is not a JSON object"))?;
    // Each member is the text from its opening line (two spaces, then its
    // key) to the next one, kept verbatim so nested objects keep their order.
    let mut out: Vec<(String, String)> = Vec::with_capacity(obj.len());
    for line in text.lines() {
        if line.starts_with("  \"") && !line.starts_with("   ") {
            let (key, value) = line.trim_start().split_once(": ").ok_or_else(|| anyhow!("a member of the engine's answer"))?;
            let key: String = serde_json::from_str(key).context("a member of the engine's answer")?;
            out.push((key, value.to_string()));
        } else if let Some((_, v)) = out.last_mut().filter(|_| line != "}") {
            v.push('\n');
            v.push_str(line);
        }
    }
    for (k, v) in &mut out {
        if v.ends_with(',') {
            v.pop();
        }
        let parsed: Value = serde_json::from_str(v).with_context(|| format!("the member {k:?} of the engine's answer"))?;
        if obj.get(k.as_str()) != Some(&parsed) {
            return Err(anyhow!("the engine's answer is not pretty-printed JSON"));
        }
    }
    if out.len() != obj.len() {
        return Err(anyhow!("the engine's answer is not pretty-printed JSON"));
    }
    Ok(out)
}

/// Prints `members` as a pretty JSON object, in their order.
pub(crate) fn object(members: &[(String, String)]) -> Vec<u8> {
    let items: Vec<String> = members.iter().map(|(k, v)| format!("  {}: {v}", Value::from(k.as_str()))).collect();
    format!("{{\n{}\n}}\n", items.join(",\n")).into_bytes()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ordered_objects_print_as_serde_json_pretty_prints_them() {
        let j = J::O(vec![("b", 1.into()), ("a", J::A(vec![J::O(vec![("z", "x".into()), ("y", J::V(Value::Null))])])), ("c", J::A(vec![]))]);
        let text = j.pretty();
        assert_eq!(text, "{\n  \"b\": 1,\n  \"a\": [\n    {\n      \"z\": \"x\",\n      \"y\": null\n    }\n  ],\n  \"c\": []\n}\n");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["a"][0]["z"], "x");
    }

    #[test]
    fn members_keep_the_body_s_order_and_print_back_the_same_bytes() {
        let body = b"{\n  \"status\": \"ok\",\n  \"b\": [\n    1,\n    2\n  ],\n  \"a\": {\n    \"k\": \"v\",\n    \"c\": null\n  }\n}\n";
        let m = members(body).unwrap();
        assert_eq!(m.iter().map(|p| p.0.as_str()).collect::<Vec<_>>(), ["status", "b", "a"]);
        assert_eq!(object(&m), body);
        assert!(members(b"{\"a\":1}").is_err(), "not pretty-printed");
        assert!(members(b"[1]").is_err());
    }
}
