//! repro-check: prove that a Linux binary is truly static and was built reproducibly.
//!
//! The library knows no command line: its functions take inputs and return typed results, which
//! the `repro-check` binary, the tests and the fuzz targets all call. Data flows one way: bytes
//! ([`input`], [`snapshot`], [`container`]) → facts ([`elf`], [`scan`]) → findings, causes and
//! verdicts ([`check`], [`compare`], [`rebuild`], [`attestation`]). Rendering them as text or
//! JSON, exit codes and the environment belong to the binary.
#![forbid(unsafe_code)]

pub mod attestation;
pub mod check;
pub mod compare;
pub mod container;
pub mod digest;
pub mod elf;
pub mod error;
pub mod escape;
pub mod input;
pub mod manifest;
pub mod nar;
pub mod progress;
pub mod rebuild;
pub mod scan;
pub mod snapshot;

pub use error::Error;
