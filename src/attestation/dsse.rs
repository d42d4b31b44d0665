//! DSSE, the Dead Simple Signing Envelope (secure-systems-lab/dsse, envelope v1.0.0): a payload, its
//! type, and any number of signatures over `PAE(payloadType, payload)`.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use serde::{Deserialize, Serialize};

use super::keys::{PublicKey, SecretKey};

/// The envelope's `payloadType` for an in-toto Statement.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// A DSSE JSON envelope. Field order follows the spec's examples; unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// Base64 of the serialized body.
    pub payload: String,
    /// What the payload is, e.g. [`IN_TOTO_PAYLOAD_TYPE`].
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// The signatures; the spec requires the field even when empty.
    pub signatures: Vec<Sig>,
}

/// One signature in an envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sig {
    /// An unauthenticated hint naming the key; never used to decide anything.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub keyid: String,
    /// Base64 of the signature bytes.
    pub sig: String,
}

/// The Pre-Authentication Encoding:
/// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, LEN being the decimal byte length.
pub fn pae(payload_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + payload_type.len() + 32);
    out.extend_from_slice(
        format!(
            "DSSEv1 {} {payload_type} {} ",
            payload_type.len(),
            body.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(body);
    out
}

/// Decode base64 the way DSSE verifiers must: standard or URL-safe alphabet, padded or not.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let config =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let standard = GeneralPurpose::new(&alphabet::STANDARD, config);
    let url_safe = GeneralPurpose::new(&alphabet::URL_SAFE, config);
    standard
        .decode(text)
        .or_else(|_| url_safe.decode(text))
        .ok()
}

impl Envelope {
    /// An unsigned envelope around `body`.
    pub fn new(payload_type: &str, body: &[u8]) -> Self {
        Envelope {
            payload: STANDARD.encode(body),
            payload_type: payload_type.to_string(),
            signatures: Vec::new(),
        }
    }

    /// The decoded payload, or `None` when it is not base64.
    pub fn body(&self) -> Option<Vec<u8>> {
        decode_base64(&self.payload)
    }

    /// Add `key`'s signature over the payload, unless the envelope already holds a valid signature
    /// by that key, in whatever base64 form (standard or URL-safe, padded or not) or however made.
    /// Returns false when the payload is not base64 (nothing is signed then).
    pub fn sign(&mut self, key: &SecretKey) -> bool {
        let Some(body) = self.body() else {
            return false;
        };
        let message = pae(&self.payload_type, &body);
        let signed = self
            .signatures
            .iter()
            .filter_map(|s| decode_base64(&s.sig))
            .any(|sig| key.made(&message, &sig));
        if !signed {
            self.signatures.push(Sig {
                keyid: key.keyid.clone(),
                sig: STANDARD.encode(key.sign(&message)),
            });
        }
        true
    }

    /// For each signature, in order, the first of `keys` (as an index) that made it, or `None`:
    /// not base64, made by none of them, or the payload is not base64. The keyid is only a hint,
    /// so every signature is tried against every key.
    pub fn check(&self, keys: &[PublicKey]) -> Vec<Option<usize>> {
        let message = self.body().map(|body| pae(&self.payload_type, &body));
        self.signatures
            .iter()
            .map(|s| {
                let message = message.as_deref()?;
                let sig = decode_base64(&s.sig)?;
                keys.iter().position(|key| key.verifies(message, &sig))
            })
            .collect()
    }
}

/// The keys that made at least one of the signatures [`Envelope::check`] found, as sorted
/// indexes, each once however many signatures it made (DSSE's multi-signature rule).
pub fn signers(checked: &[Option<usize>]) -> Vec<usize> {
    let set: std::collections::BTreeSet<usize> = checked.iter().flatten().copied().collect();
    set.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_spec_vector() {
        // secure-systems-lab/dsse protocol.md, "Test Vectors".
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
    }

    #[test]
    fn base64_accepts_both_alphabets_with_and_without_padding() {
        assert_eq!(
            decode_base64("aGVsbG8gd29ybGQ="),
            Some(b"hello world".to_vec())
        );
        assert_eq!(
            decode_base64("aGVsbG8gd29ybGQ"),
            Some(b"hello world".to_vec())
        );
        assert_eq!(decode_base64("-_8"), Some(vec![0xfb, 0xff]));
        assert_eq!(decode_base64("+/8="), Some(vec![0xfb, 0xff]));
        assert_eq!(decode_base64("not base64!"), None);
    }

    #[test]
    fn envelope_json_has_the_spec_field_names() {
        let env = Envelope::new("t", b"x");
        let json = serde_json::to_string(&env).unwrap();
        assert_eq!(
            json,
            r#"{"payload":"eA==","payloadType":"t","signatures":[]}"#
        );
        let parsed: Envelope = serde_json::from_str(
            r#"{"payload":"eA","payloadType":"t","signatures":[{"sig":"AA=="}],"x":1}"#,
        )
        .unwrap();
        assert_eq!(parsed.signatures[0].keyid, "");
        assert_eq!(parsed.body(), Some(b"x".to_vec()));
    }

    /// A fresh key pair in a temporary directory.
    fn key_pair(dir: &std::path::Path, name: &str) -> (SecretKey, PublicKey) {
        let written = super::super::keys::generate(&dir.join(name)).unwrap();
        (
            SecretKey::load(&written.secret).unwrap(),
            PublicKey::load(&written.public).unwrap(),
        )
    }

    #[test]
    fn signing_checks_and_never_signs_twice_with_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let (alice, alice_pub) = key_pair(dir.path(), "alice");
        let (bob, bob_pub) = key_pair(dir.path(), "bob");
        let mut env = Envelope::new("t", b"body");
        assert!(env.sign(&alice));
        assert_eq!(env.signatures.len(), 1);
        assert_eq!(env.signatures[0].keyid, alice.keyid);
        // The same key again, and its signature rewritten URL-safe without padding: nothing added.
        assert!(env.sign(&alice));
        assert_eq!(env.signatures.len(), 1);
        let raw = decode_base64(&env.signatures[0].sig).unwrap();
        env.signatures[0].sig = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&raw);
        assert!(env.sign(&alice));
        assert_eq!(env.signatures.len(), 1);
        assert!(env.sign(&bob));
        assert_eq!(env.signatures.len(), 2);
        let keys = [bob_pub.clone(), alice_pub];
        assert_eq!(env.check(&keys), [Some(1), Some(0)]);
        assert_eq!(signers(&env.check(&keys)), [0, 1]);
        assert_eq!(env.check(std::slice::from_ref(&bob_pub)), [None, Some(0)]);
        assert_eq!(env.check(&[]), [None, None]);
        // A signature that is not base64, or over another payload type, is nobody's.
        env.signatures[0].sig = "not base64!".into();
        assert_eq!(env.check(&keys), [None, Some(0)]);
        let mut other = env.clone();
        other.payload_type = "u".into();
        assert_eq!(other.check(&keys), [None, None]);
        // A payload that is not base64: nothing is signed, nothing checks.
        let mut broken = env.clone();
        broken.payload = "not base64!".into();
        assert!(!broken.sign(&alice));
        assert_eq!(broken.signatures.len(), 2);
        assert_eq!(broken.check(&keys), [None, None]);
    }

    #[test]
    fn each_signer_counts_once() {
        assert_eq!(signers(&[]), Vec::<usize>::new());
        assert_eq!(signers(&[None, Some(2), Some(0), Some(2), None]), [0, 2]);
    }
}
