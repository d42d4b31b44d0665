//! Reproducibility attestations: an in-toto Statement v1 ([`statement`]) whose predicate
//! ([`predicate`]) records two or more builds of the same source, which agree and why the others
//! differ ([`builds`]); optionally re-expressed as a SLSA VSA ([`vsa`]), wrapped in a DSSE envelope
//! ([`dsse`]) and signed with Ed25519 keys ([`keys`]); and checked against files ([`verify`]).
//! `docs/attestation.md` is the format's reference.

pub mod builds;
pub mod dsse;
pub mod files;
pub mod json;
pub mod keys;
pub mod predicate;
pub mod statement;
pub mod time;
pub mod verify;
pub mod vsa;
