//! `repro-check keygen`: make an Ed25519 key pair for signing attestations on machines without
//! internet access.

use std::path::PathBuf;

use clap::ValueHint;

use crate::cli::Outcome;
use crate::cli::report;
use repro_check::attestation::keys;
use repro_check::error::Error;

/// Make an Ed25519 key pair for signing attestations offline.
///
/// It writes PREFIX.key (secret, mode 0600) and PREFIX.pub (public, to hand to whoever verifies).
/// Both are standard PEM files (PKCS#8 and SubjectPublicKeyInfo, RFC 8410) that OpenSSL reads too.
/// Existing files are never overwritten.
#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Where to write: PREFIX.key and PREFIX.pub.
    #[arg(long, value_name = "PREFIX", default_value = "repro-check", value_hint = ValueHint::FilePath)]
    pub out: PathBuf,
}

/// Run `keygen`.
pub fn run(args: &KeygenArgs) -> Result<Outcome, Error> {
    let written = keys::generate(&args.out)?;
    report::to_stdout(|out| report::attest::write_keys(out, &written))?;
    Ok(Outcome::Pass)
}
