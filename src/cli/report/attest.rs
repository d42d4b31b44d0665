//! What `attest` and `keygen` say: the one-line summary of an attestation (on standard error,
//! since the attestation itself may go to standard output) and the key files written.

use std::io::{self, Write};

use repro_check::attestation::keys::Written;
use repro_check::attestation::predicate::{Match, Predicate};
use repro_check::escape;

/// The summary of an attestation of `subjects` files.
pub fn write_summary(out: &mut impl Write, p: &Predicate, subjects: usize) -> io::Result<()> {
    match p.result {
        Match::Identical => writeln!(
            out,
            "identical: {} of {} builds produced the same output; attested {subjects} file(s)",
            p.agreement.agreeing, p.agreement.total
        ),
        Match::Different => writeln!(
            out,
            "different: only {} of {} builds agree; {} file(s) differ (recorded in the attestation)",
            p.agreement.agreeing,
            p.agreement.total,
            p.differences.len()
        ),
    }
}

/// What a co-signing did: `envelope` (the file written, if any) now carries `total` signatures.
pub fn write_cosigned(
    out: &mut impl Write,
    envelope: Option<&std::path::Path>,
    total: usize,
    added: usize,
) -> io::Result<()> {
    writeln!(
        out,
        "{} now carries {total} signature(s) ({added} added)",
        envelope.map_or(std::borrow::Cow::Borrowed("the envelope"), escape::path),
    )
}

/// The key files `keygen` wrote.
pub fn write_keys(out: &mut impl Write, written: &Written) -> io::Result<()> {
    writeln!(
        out,
        "wrote {} (secret, mode 0600: keep it private) and {} (public: give it to verifiers)",
        escape::path(&written.secret),
        escape::path(&written.public),
    )?;
    writeln!(out, "keyid {}", written.keyid)
}
