//! Running the build command once: in a given directory, with a given environment and umask,
//! standard output and error both written to one log file.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::Error;

/// How the command ended.
#[derive(Debug, Clone)]
pub struct Exit {
    /// Whether it succeeded.
    pub success: bool,
    /// "exit status 3", "killed by signal 9".
    pub status: String,
    /// How long it ran.
    pub elapsed: Duration,
}

/// Run `argv` in `dir` with the environment changes `set`/`remove` and `umask`, logging to `log`.
/// The umask is applied by `/bin/sh` before it `exec`s the command (no unsafe `pre_exec`).
pub fn run(
    argv: &[OsString],
    dir: &Path,
    set: &[(&str, OsString)],
    remove: &[&str],
    umask: &str,
    log: &Path,
) -> Result<Exit, Error> {
    let out = File::create(log).map_err(|e| Error::Write {
        path: log.to_path_buf(),
        source: e,
    })?;
    let err = out.try_clone().map_err(|e| Error::Write {
        path: log.to_path_buf(),
        source: e,
    })?;
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c")
        .arg("umask \"$1\" && shift && exec \"$@\"")
        .arg("sh")
        .arg(umask)
        .args(argv)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    for key in remove {
        cmd.env_remove(key);
    }
    for (key, value) in set {
        cmd.env(key, value);
    }
    let start = Instant::now();
    let status = cmd.status().map_err(|e| {
        Error::Environment(format!(
            "cannot start /bin/sh to run the build command: {e}; rebuild needs a POSIX shell at /bin/sh"
        ))
    })?;
    let elapsed = start.elapsed();
    let status_text = match (
        status.code(),
        std::os::unix::process::ExitStatusExt::signal(&status),
    ) {
        (Some(127), _) => "exit status 127 (command not found)".to_string(),
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        (None, None) => "an unknown status".to_string(),
    };
    Ok(Exit {
        success: status.success(),
        status: status_text,
        elapsed,
    })
}

/// The last `lines` lines of the log at `path` (reads at most the last 64 KiB).
pub fn tail(path: &Path, lines: usize) -> String {
    let Ok(mut file) = File::open(path) else {
        return String::new();
    };
    let len = fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let start = len.saturating_sub(64 * 1024);
    let mut bytes = Vec::new();
    if file.seek(SeekFrom::Start(start)).is_err() || file.read_to_end(&mut bytes).is_err() {
        return String::new();
    }
    let text = String::from_utf8_lossy(&bytes);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_with_umask_env_and_log() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let argv: Vec<OsString> = ["sh", "-c", "umask; echo \"$X\"; echo err >&2; exit 3"]
            .map(OsString::from)
            .to_vec();
        let exit = run(
            &argv,
            dir.path(),
            &[("X", "set".into())],
            &["HOME"],
            "0027",
            &log,
        )
        .unwrap();
        assert!(!exit.success);
        assert_eq!(exit.status, "exit status 3");
        assert_eq!(tail(&log, 10), "0027\nset\nerr");
        assert_eq!(tail(&log, 1), "err");
    }
}
