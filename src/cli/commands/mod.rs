//! One module per subcommand: its arguments (clap derive; the doc comments are the help text) and
//! the function that runs it.

pub mod attest;
pub mod check;
pub mod compare;
pub mod completions;
pub mod hash;
pub mod keygen;
pub mod rebuild;
pub mod verify;
