//! The integration tests: one test binary (ripgrep's layout), one module per subcommand or
//! concern, one helper module. Run one module with `cargo test --test integration check::`.

mod common;

mod archives;
mod attest;
mod check;
mod cli;
mod compare;
mod corpus;
mod corruption;
mod hash;
mod help;
mod nix;
mod readme;
mod rebuild;
mod schema;
mod walk;
