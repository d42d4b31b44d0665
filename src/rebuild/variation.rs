//! The environment variations `rebuild` applies, one per run, and the reference settings every
//! other run keeps. Each variation changes exactly one thing relative to the reference, so a
//! difference that appears only in its run is blamed on it.

use serde::Serialize;

/// One thing varied between builds.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantNames,
    strum::VariantArray,
)]
#[serde(into = "&'static str")]
#[strum(serialize_all = "kebab-case")]
pub enum Variation {
    /// The directory the source tree is copied to (a different path and depth).
    BuildPath,
    /// The time zone (`TZ`).
    Tz,
    /// The locale (`LANG`, `LC_ALL`, `LANGUAGE`).
    Locale,
    /// The file-creation mask (`umask`).
    Umask,
    /// The home directory (`HOME`; `CARGO_HOME` and `RUSTUP_HOME` stay put).
    Home,
    /// Cargo's home (`CARGO_HOME`): another directory, so crates' sources are unpacked at another
    /// path.
    CargoHome,
    /// The job count (`CARGO_BUILD_JOBS`, `MAKEFLAGS=-jN`, `CMAKE_BUILD_PARALLEL_LEVEL`).
    Jobs,
    /// The order in which the source tree's files are created (and so listed by the filesystem).
    FileOrder,
}

/// Every variation, in the order they run.
pub const ALL: [Variation; 8] = [
    Variation::BuildPath,
    Variation::Tz,
    Variation::Locale,
    Variation::Umask,
    Variation::Home,
    Variation::CargoHome,
    Variation::Jobs,
    Variation::FileOrder,
];

/// Reference and varied time zones (POSIX TZ strings: no tzdata needed; 26 hours apart, so even
/// the date differs).
pub const TZ: [&str; 2] = ["UTC0", "GMT-14"];
/// Reference and varied locales (`LANG`/`LC_ALL`, then `LANGUAGE`).
pub const LOCALE: [(&str, &str); 2] = [("C.UTF-8", "en_US:en"), ("et_EE.UTF-8", "et_EE:fr")];
/// Reference and varied umasks.
pub const UMASK: [&str; 2] = ["0022", "0002"];

impl Variation {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// What is varied, in words.
    pub fn what(self) -> &'static str {
        match self {
            Variation::BuildPath => "the directory the source is built in (path and depth)",
            Variation::Tz => "the time zone: TZ",
            Variation::Locale => "the locale: LANG, LC_ALL, LANGUAGE",
            Variation::Umask => "the file-creation mask: umask",
            Variation::Home => "the home directory: HOME (CARGO_HOME and RUSTUP_HOME stay put)",
            Variation::CargoHome => {
                "cargo's home: CARGO_HOME, another directory at another depth that shares the \
                 download cache and settings but unpacks crates' sources afresh, so dependencies' \
                 paths differ (as between two builders)"
            }
            Variation::Jobs => {
                "the job count: CARGO_BUILD_JOBS, MAKEFLAGS=-jN, CMAKE_BUILD_PARALLEL_LEVEL"
            }
            Variation::FileOrder => {
                "the order the source files are created in, so the order directories list them \
                 (no FUSE: takes effect on filesystems that list in creation order, such as tmpfs; \
                 ext4 lists by name hash, and then the run says it had no effect)"
            }
        }
    }

    /// The reference setting and the varied one, for reports.
    pub fn settings(self, jobs: [usize; 2]) -> [String; 2] {
        match self {
            Variation::BuildPath => [
                "build/<dir>".into(),
                "build-path-varied/deeper/<dir>".into(),
            ],
            Variation::Tz => TZ.map(|tz| format!("TZ={tz}")),
            Variation::Locale => LOCALE.map(|(l, _)| format!("LC_ALL={l}")),
            Variation::Umask => UMASK.map(|u| format!("umask {u}")),
            Variation::Home => ["HOME unchanged".into(), "HOME=<empty directory>".into()],
            Variation::CargoHome => [
                "CARGO_HOME unchanged".into(),
                "CARGO_HOME=cargo-home-varied/deeper/cargo".into(),
            ],
            Variation::Jobs => jobs.map(|n| format!("{n} job{}", if n == 1 { "" } else { "s" })),
            Variation::FileOrder => [
                "files created in name order".into(),
                "files created in reverse name order".into(),
            ],
        }
    }
}

/// Whether the varied locale is installed, as `locale -a` lists it (`None`: cannot tell).
pub fn locale_installed() -> Option<bool> {
    let out = std::process::Command::new("locale")
        .arg("-a")
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let norm = |s: &str| s.to_ascii_lowercase().replace(['-', '_', '.'], "");
    let wanted = norm(LOCALE[1].0);
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| norm(l.trim()) == wanted),
    )
}

/// Which variations to run: all of them, or only `only` when it is not empty, minus `skip`.
pub fn select(only: &[Variation], skip: &[Variation]) -> Vec<Variation> {
    ALL.iter()
        .copied()
        .filter(|v| only.is_empty() || only.contains(v))
        .filter(|v| !skip.contains(v))
        .collect()
}

/// Reference and varied job counts: all cores, then one (two on a one-core machine).
pub fn job_counts() -> [usize; 2] {
    let all = std::thread::available_parallelism().map_or(1, |n| n.get());
    [all, if all == 1 { 2 } else { 1 }]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection() {
        assert_eq!(select(&[], &[]), ALL.to_vec());
        assert_eq!(
            select(&[Variation::Umask, Variation::Tz], &[]),
            [Variation::Tz, Variation::Umask]
        );
        assert_eq!(select(&[], &ALL), []);
        assert_eq!(select(&[Variation::Home], &[Variation::Home]), []);
    }

    #[test]
    fn settings_name_both_sides_and_count_jobs() {
        assert_eq!(
            Variation::Jobs.settings([4, 1]),
            ["4 jobs".to_string(), "1 job".to_string()]
        );
        assert_eq!(Variation::Tz.settings([1, 2]), ["TZ=UTC0", "TZ=GMT-14"]);
        assert_eq!(
            Variation::Locale.settings([1, 2]),
            ["LC_ALL=C.UTF-8", "LC_ALL=et_EE.UTF-8"]
        );
        assert_eq!(
            Variation::Umask.settings([1, 2]),
            ["umask 0022", "umask 0002"]
        );
        let names: std::collections::BTreeSet<&str> = ALL.iter().map(|v| v.name()).collect();
        assert_eq!(names.len(), ALL.len());
        for v in ALL {
            let [a, b] = v.settings([3, 1]);
            assert_ne!(a, b, "{}", v.name());
            assert!(!v.what().is_empty());
        }
        // The reference and the varied values differ, so a variation is a change.
        assert_ne!(TZ[0], TZ[1]);
        assert_ne!(LOCALE[0], LOCALE[1]);
        assert_ne!(UMASK[0], UMASK[1]);
        let [all, varied] = job_counts();
        assert!(all >= 1 && varied >= 1 && all != varied);
    }
}
