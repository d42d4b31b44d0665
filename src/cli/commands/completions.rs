//! `repro-check completions SHELL` and `repro-check man`: shell completions and manual pages,
//! generated from the same clap definitions as the parser and `--help`, so they cannot drift.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, CommandFactory, ValueHint};

use crate::cli::args::Cli;
use crate::cli::{Outcome, report};
use repro_check::Error;

/// Print a shell completion script for bash, zsh, fish, elvish or PowerShell.
///
/// For example, bash: `repro-check completions bash > ~/.local/share/bash-completion/completions/repro-check`;
/// zsh: `repro-check completions zsh > "${fpath[1]}/_repro-check"`; fish:
/// `repro-check completions fish > ~/.config/fish/completions/repro-check.fish`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// Print the manual page (roff) of repro-check, or write one page per subcommand to a directory.
///
/// `repro-check man | man -l -` reads it; `repro-check man --dir DIR` writes repro-check.1 and
/// repro-check-SUBCOMMAND.1 there, e.g. for /usr/local/share/man/man1.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write repro-check.1 and one page per subcommand into this directory instead.
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub dir: Option<PathBuf>,
}

/// Run `completions`.
pub fn completions(args: &CompletionsArgs) -> Result<Outcome, Error> {
    // Generated into memory first: clap_complete panics when a write fails (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "repro-check", &mut script);
    report::to_stdout(|out| out.write_all(&script)).map(|()| Outcome::Pass)
}

/// Run `man`.
pub fn man(args: &ManArgs) -> Result<Outcome, Error> {
    let cmd = Cli::command();
    if let Some(dir) = &args.dir {
        clap_mangen::generate_to(cmd, dir).map_err(|e| Error::Write {
            path: dir.clone(),
            source: e,
        })?;
        return Ok(Outcome::Pass);
    }
    report::to_stdout(|out| clap_mangen::Man::new(cmd).render(out)).map(|()| Outcome::Pass)
}
