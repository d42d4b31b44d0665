//! `repro-check` command-line entry point: parse arguments, run, map the outcome to an exit code.
//!
//! Exit codes (ripgrep's convention): 0 every check passed, 1 a check failed, 2 the job could not be done.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::args::parse_args(std::env::args_os());
    match cli::run(cli) {
        Ok(outcome) => outcome.exit_code(),
        Err(err) => {
            // A closed pipe (`repro-check hash … | head`) is not a failure of the job. Reports
            // written with `report::to_stdout` never get here: a closed pipe there keeps the
            // command's outcome, so a failed check stays a failure.
            if err.is_broken_pipe() {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {err}");
            ExitCode::from(2)
        }
    }
}
