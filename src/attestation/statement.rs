//! The in-toto Statement v1 (in-toto/attestation `spec/v1/statement.md`): what the attestation is
//! about (`subject`, matched purely by digest) and what it says (`predicateType` + `predicate`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The Statement's `_type`.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";

/// An in-toto Statement v1. `P` is the predicate: a typed struct when writing, a JSON value when
/// reading something that may have been written by anyone. Unknown fields are ignored on input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement<P> {
    /// Always [`STATEMENT_TYPE`].
    #[serde(rename = "_type")]
    pub type_: String,
    /// The artifacts the attestation is about.
    pub subject: Vec<ResourceDescriptor>,
    /// What the predicate means (a TypeURI).
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// The predicate itself.
    pub predicate: P,
}

/// An in-toto ResourceDescriptor, with the fields this program writes. Digest keys are sorted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ResourceDescriptor {
    /// A name distinguishing it from the other subjects (a relative file name here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Where it can be found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// Algorithm → lowercase hex digest.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub digest: BTreeMap<String, String>,
}

impl ResourceDescriptor {
    /// A named artifact with a SHA-256 digest.
    pub fn sha256(name: &str, hex: &str) -> Self {
        ResourceDescriptor {
            name: Some(name.to_string()),
            uri: None,
            digest: BTreeMap::from([("sha256".to_string(), hex.to_string())]),
        }
    }

    /// Its SHA-256, if it has one.
    pub fn sha256_hex(&self) -> Option<&str> {
        self.digest.get("sha256").map(String::as_str)
    }
}

/// Check a parsed statement against the in-toto Statement v1 field rules; each violated rule is
/// one phrase ("subject 2 has no digest").
pub fn field_rule_violations<P>(statement: &Statement<P>) -> Vec<String> {
    let mut problems = Vec::new();
    if statement.type_ != STATEMENT_TYPE {
        problems.push(format!(
            "its _type is {:?}, not {STATEMENT_TYPE:?}",
            statement.type_
        ));
    }
    if statement.subject.is_empty() {
        problems.push("it has no subject".to_string());
    }
    let mut names = std::collections::BTreeSet::new();
    for (i, subject) in statement.subject.iter().enumerate() {
        let n = i + 1;
        if subject.digest.is_empty() {
            problems.push(format!("subject {n} has no digest"));
        }
        for (alg, value) in &subject.digest {
            if !digest_ok(alg, value) {
                problems.push(format!("subject {n}'s {alg} digest {value:?} is not in lowercase hex of the right length"));
            }
        }
        if let Some(name) = &subject.name
            && !names.insert(name.as_str())
        {
            problems.push(format!("subject name {name:?} appears twice"));
        }
    }
    if !is_type_uri(&statement.predicate_type) {
        problems.push(format!(
            "its predicateType {:?} is not a URI with a lowercase scheme",
            statement.predicate_type
        ));
    }
    problems
}

/// Whether `value` is well-formed for the in-toto digest algorithm `alg`: lowercase hex, of the
/// algorithm's length when it is a standard one. Unknown algorithms only need to be non-empty.
pub fn digest_ok(alg: &str, value: &str) -> bool {
    let lengths: &[usize] = match alg {
        "sha256" | "sha512_256" | "sha3_256" | "blake2s" | "sm3" => &[64],
        "sha224" | "sha512_224" | "sha3_224" => &[56],
        "sha384" | "sha3_384" => &[96],
        "sha512" | "sha3_512" | "blake2b" => &[128],
        "sha1" | "ripemd160" => &[40],
        "md5" => &[32],
        "gitCommit" | "gitTree" | "gitBlob" | "gitTag" => &[40, 64],
        _ => return !value.is_empty(),
    };
    lengths.contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Whether `uri` is an RFC 3986 URI (`scheme ":" rest`) with a lowercase scheme, as in-toto's
/// TypeURI requires.
pub fn is_type_uri(uri: &str) -> bool {
    is_uri(uri)
        && !uri
            .split(':')
            .next()
            .is_some_and(|s| s.bytes().any(|b| b.is_ascii_uppercase()))
}

/// Whether `uri` is an RFC 3986 URI: a scheme (a letter, then letters, digits, `+`, `-`, `.`),
/// `:`, and a non-empty rest made only of the characters a URI may hold (unreserved, reserved,
/// and `%` followed by two hex digits). A character check, not a parse of each component: it
/// refuses a path, a bare word, spaces, control characters and non-ASCII text.
pub fn is_uri(uri: &str) -> bool {
    let Some((scheme, rest)) = uri.split_once(':') else {
        return false;
    };
    let mut head = scheme.bytes();
    let scheme_ok = head.next().is_some_and(|b| b.is_ascii_alphabetic())
        && head.all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    let mut bytes = rest.bytes();
    let mut rest_ok = !rest.is_empty();
    while let Some(b) = bytes.next() {
        rest_ok &= match b {
            b'%' => {
                bytes.next().is_some_and(|h| h.is_ascii_hexdigit())
                    && bytes.next().is_some_and(|h| h.is_ascii_hexdigit())
            }
            _ => b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&b),
        };
    }
    scheme_ok && rest_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(subject: Vec<ResourceDescriptor>, predicate_type: &str) -> Statement<()> {
        Statement {
            type_: STATEMENT_TYPE.into(),
            subject,
            predicate_type: predicate_type.into(),
            predicate: (),
        }
    }

    #[test]
    fn field_rules() {
        let good = ResourceDescriptor::sha256("a", &"ab".repeat(32));
        assert!(field_rule_violations(&statement(vec![good.clone()], "urn:oid:2.25.1")).is_empty());
        assert_eq!(
            field_rule_violations(&statement(vec![], "x:y")),
            ["it has no subject"]
        );
        let upper = ResourceDescriptor::sha256("a", &"AB".repeat(32));
        assert_eq!(
            field_rule_violations(&statement(vec![upper], "x:y")),
            [format!(
                "subject 1's sha256 digest {:?} is not in lowercase hex of the right length",
                "AB".repeat(32)
            )]
        );
        assert_eq!(
            field_rule_violations(&statement(vec![good.clone(), good], "x:y")),
            ["subject name \"a\" appears twice"]
        );
        assert!(!is_type_uri("HTTPS://x/y"));
        assert!(is_uri("HTTPS://x/y") && is_uri("urn:oid:2.25.1") && is_uri("a+b-c.d:%2F~"));
        for bad in [
            "",
            ":x",
            "1a:x",
            "a:",
            "/usr/bin/x",
            "x y:z",
            "a:b c",
            "a:b\n",
            "a:%2",
            "a:%zz",
            "a:é",
            "a_b:x",
            "https://x/\u{202e}",
        ] {
            assert!(!is_uri(bad), "{bad:?}");
        }
        assert!(!is_type_uri("no scheme"));
        assert!(is_type_uri("https://in-toto.io/Statement/v1"));
    }
}
