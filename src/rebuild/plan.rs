//! The runs of one `rebuild`, and where and with what environment each one runs.
//!
//! Layout of the temporary directory: `build/<dir>` is the build tree of every run but the
//! build-path one (so paths agree), `build-path-varied/deeper/<dir>` that one's; `logs/<run>.log`
//! holds each run's output and `outputs/<run>/` the outputs moved out of its tree; `home/` is the
//! empty home directory of the home variation, `cargo-home-varied/deeper/cargo` the cargo-home
//! variation's `CARGO_HOME`.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use super::Options;
use super::tree::Source;
use super::variation::{self, Variation};
use crate::error::Error;

/// One planned run.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// `control-1`, `control-2`, or the variation's name.
    pub name: String,
    /// The variation applied, none for the controls.
    pub variation: Option<Variation>,
}

/// The two controls, then one run per variation.
pub fn runs(variations: &[Variation]) -> Vec<RunSpec> {
    let control = |n: u8| RunSpec {
        name: format!("control-{n}"),
        variation: None,
    };
    let mut specs = vec![control(1), control(2)];
    specs.extend(variations.iter().map(|&v| RunSpec {
        name: v.name().to_string(),
        variation: Some(v),
    }));
    specs
}

/// Everything the runs share.
pub struct Context {
    work: tempfile::TempDir,
    base: OsString,
    /// The `SOURCE_DATE_EPOCH` of every run.
    pub source_date_epoch: u64,
    jobs: [usize; 2],
    home: Option<OsString>,
    pinned: Vec<(&'static str, OsString)>,
    /// The cargo-home variation's `CARGO_HOME`, when that variation runs and there is a cargo home.
    cargo_home: Option<PathBuf>,
}

const BUILD: &str = "build";
const BUILD_VARIED: &str = "build-path-varied";
const CARGO_HOME_VARIED: &str = "cargo-home-varied";

impl Context {
    /// Create the temporary directory and settle the shared settings.
    pub fn new(opts: &Options, source: &Source) -> Result<Context, Error> {
        let mut builder = tempfile::Builder::new();
        builder.prefix("repro-check-rebuild-");
        let parent = opts.work_dir.clone().unwrap_or_else(std::env::temp_dir);
        let work = builder.tempdir_in(&parent).map_err(|e| Error::Write {
            path: parent.clone(),
            source: e,
        })?;
        for dir in ["logs", "outputs", "home"] {
            let path = work.path().join(dir);
            fs::create_dir_all(&path).map_err(|e| Error::Write { path, source: e })?;
        }
        let base = fs::canonicalize(&opts.source)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_os_string()))
            .unwrap_or_else(|| "source".into());
        let env = &opts.env;
        let source_date_epoch = env
            .source_date_epoch
            .unwrap_or_else(|| source.newest_mtime());
        let home = env.home.clone();
        // Tools that find their data through HOME keep finding it when HOME varies.
        let mut pinned = Vec::new();
        for (var, given, default) in [
            ("CARGO_HOME", &env.cargo_home, ".cargo"),
            ("RUSTUP_HOME", &env.rustup_home, ".rustup"),
        ] {
            let value = given.clone().or_else(|| {
                let dir = Path::new(home.as_ref()?).join(default);
                dir.is_dir().then(|| dir.into_os_string())
            });
            if let Some(value) = value {
                pinned.push((var, value));
            }
        }
        let cargo_home = match pinned.iter().find(|(var, _)| *var == "CARGO_HOME") {
            Some((_, real)) if opts.variations.contains(&Variation::CargoHome) => {
                let dir = work
                    .path()
                    .join(CARGO_HOME_VARIED)
                    .join("deeper")
                    .join("cargo");
                varied_cargo_home(Path::new(real), &dir)?;
                Some(dir)
            }
            _ => None,
        };
        Ok(Context {
            work,
            base,
            source_date_epoch,
            jobs: variation::job_counts(),
            home,
            pinned,
            cargo_home,
        })
    }

    fn varied(spec: &RunSpec, v: Variation) -> usize {
        usize::from(spec.variation == Some(v))
    }

    /// The build tree of a run.
    pub fn tree_dir(&self, spec: &RunSpec) -> PathBuf {
        if spec.variation == Some(Variation::BuildPath) {
            self.work
                .path()
                .join(BUILD_VARIED)
                .join("deeper")
                .join(&self.base)
        } else {
            self.work.path().join(BUILD).join(&self.base)
        }
    }

    /// Remove a run's build tree (best effort: what cannot be removed goes with the rest later).
    pub fn remove_tree(&self, spec: &RunSpec) {
        let top = if spec.variation == Some(Variation::BuildPath) {
            BUILD_VARIED
        } else {
            BUILD
        };
        let _ = fs::remove_dir_all(self.work.path().join(top));
    }

    /// Where a run's log goes.
    pub fn log_path(&self, spec: &RunSpec) -> PathBuf {
        self.work
            .path()
            .join("logs")
            .join(format!("{}.log", spec.name))
    }

    /// Where a run's outputs are kept.
    pub fn store_dir(&self, spec: &RunSpec) -> PathBuf {
        self.work.path().join("outputs").join(&spec.name)
    }

    /// The umask a run uses.
    pub fn umask(&self, spec: &RunSpec) -> &'static str {
        variation::UMASK[Self::varied(spec, Variation::Umask)]
    }

    /// Environment variables every run sets (the same in every run but for its variation).
    pub fn env_set(&self, spec: &RunSpec, tree: &Path) -> Vec<(&'static str, OsString)> {
        let (lang, language) = variation::LOCALE[Self::varied(spec, Variation::Locale)];
        let jobs = self.jobs[Self::varied(spec, Variation::Jobs)];
        let mut env: Vec<(&'static str, OsString)> = vec![
            (
                "SOURCE_DATE_EPOCH",
                self.source_date_epoch.to_string().into(),
            ),
            (
                "TZ",
                variation::TZ[Self::varied(spec, Variation::Tz)].into(),
            ),
            ("LANG", lang.into()),
            ("LC_ALL", lang.into()),
            ("LANGUAGE", language.into()),
            ("CARGO_BUILD_JOBS", jobs.to_string().into()),
            ("MAKEFLAGS", format!("-j{jobs}").into()),
            ("CMAKE_BUILD_PARALLEL_LEVEL", jobs.to_string().into()),
            ("PWD", tree.as_os_str().to_os_string()),
        ];
        if spec.variation == Some(Variation::Home) {
            env.push(("HOME", self.work.path().join("home").into_os_string()));
        } else if let Some(home) = &self.home {
            env.push(("HOME", home.clone()));
        }
        env.extend(self.pinned.iter().cloned());
        if let (Some(Variation::CargoHome), Some(dir)) = (spec.variation, &self.cargo_home) {
            // Set after the pinned one, so it wins.
            env.push(("CARGO_HOME", dir.clone().into_os_string()));
        }
        env
    }

    /// Why the cargo-home variation cannot take effect here, if it cannot.
    pub fn cargo_home_note(&self, spec: &RunSpec) -> Option<String> {
        (spec.variation == Some(Variation::CargoHome) && self.cargo_home.is_none()).then(|| {
            "no effect here: there is no cargo home to vary (CARGO_HOME is unset and ~/.cargo \
             does not exist)"
                .to_string()
        })
    }

    /// Inherited variables no run keeps: other locale categories (LC_ALL rules them anyway) and
    /// a shared cargo target directory (it would reuse the previous run's build).
    pub fn env_remove(&self) -> Vec<&'static str> {
        vec![
            "LC_CTYPE",
            "LC_COLLATE",
            "LC_MESSAGES",
            "LC_NUMERIC",
            "LC_TIME",
            "LC_MONETARY",
            "LC_PAPER",
            "LC_NAME",
            "LC_ADDRESS",
            "LC_TELEPHONE",
            "LC_MEASUREMENT",
            "LC_IDENTIFICATION",
            "CARGO_TARGET_DIR",
            "CARGO_BUILD_TARGET_DIR",
            "OLDPWD",
        ]
    }

    /// What a run changes, for reports.
    pub fn setting(&self, spec: &RunSpec) -> String {
        match spec.variation {
            None => "same environment".to_string(),
            Some(v) => v.settings(self.jobs)[1].clone(),
        }
    }

    /// Remove the temporary directory, or keep it (without build trees) and say where it is.
    pub fn finish(self, keep: bool) -> Result<Option<PathBuf>, Error> {
        for top in [BUILD, BUILD_VARIED, CARGO_HOME_VARIED] {
            // remove_dir_all removes symlinks, never what they point to (the real cargo home).
            let _ = fs::remove_dir_all(self.work.path().join(top));
        }
        if keep {
            Ok(Some(self.work.keep()))
        } else {
            let path = self.work.path().to_path_buf();
            self.work
                .close()
                .map_err(|e| Error::Write { path, source: e })?;
            Ok(None)
        }
    }
}

/// Make `dir` a cargo home that works like `real` but lies elsewhere: every entry of `real` is
/// symlinked, except that `registry/src` and `git/checkouts` start empty, so cargo unpacks the
/// sources it needs there (from the shared download cache, offline) and rustc sees their paths
/// under `dir`. Nothing is written into `real` that a build there would not write.
fn varied_cargo_home(real: &Path, dir: &Path) -> Result<(), Error> {
    let write = |path: &Path, e| Error::Write {
        path: path.to_path_buf(),
        source: e,
    };
    let list = |path: &Path| -> Result<Vec<fs::DirEntry>, Error> {
        fs::read_dir(path)
            .and_then(|entries| entries.collect::<Result<Vec<_>, _>>())
            .map_err(|e| Error::read(path, e))
    };
    fs::create_dir_all(dir).map_err(|e| write(dir, e))?;
    for entry in list(real)? {
        let name = entry.file_name();
        let fresh = match name.to_str() {
            Some("registry") => "src",
            Some("git") => "checkouts",
            _ => "",
        };
        let target = dir.join(&name);
        if fresh.is_empty() || !entry.path().is_dir() {
            std::os::unix::fs::symlink(entry.path(), &target).map_err(|e| write(&target, e))?;
            continue;
        }
        fs::create_dir(&target).map_err(|e| write(&target, e))?;
        for inner in list(&entry.path())? {
            let inner_target = target.join(inner.file_name());
            if inner.file_name() == fresh {
                fs::create_dir(&inner_target)
            } else {
                std::os::unix::fs::symlink(inner.path(), &inner_target)
            }
            .map_err(|e| write(&inner_target, e))?;
        }
        let fresh_dir = target.join(fresh);
        if !fresh_dir.exists() {
            fs::create_dir(&fresh_dir).map_err(|e| write(&fresh_dir, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varied_cargo_home_shares_all_but_unpacked_sources() {
        let real = tempfile::tempdir().unwrap();
        let r = real.path();
        for dir in [
            "bin",
            "registry/src/index-1/crate-1.0",
            "registry/cache/index-1",
            "git/db",
        ] {
            fs::create_dir_all(r.join(dir)).unwrap();
        }
        fs::write(r.join("config.toml"), "").unwrap();
        let work = tempfile::tempdir().unwrap();
        let dir = work.path().join("deeper/cargo");
        varied_cargo_home(r, &dir).unwrap();
        let link = |p: &str| fs::read_link(dir.join(p)).ok();
        assert_eq!(link("bin"), Some(r.join("bin")));
        assert_eq!(link("config.toml"), Some(r.join("config.toml")));
        assert_eq!(link("registry/cache"), Some(r.join("registry/cache")));
        assert_eq!(link("git/db"), Some(r.join("git/db")));
        for fresh in ["registry/src", "git/checkouts"] {
            assert_eq!(link(fresh), None, "{fresh}");
            assert_eq!(fs::read_dir(dir.join(fresh)).unwrap().count(), 0, "{fresh}");
        }
        // Removing it leaves the real cargo home alone.
        fs::remove_dir_all(work.path().join("deeper")).unwrap();
        assert!(r.join("registry/src/index-1/crate-1.0").is_dir());
    }

    #[test]
    fn controls_come_first() {
        let names: Vec<String> = runs(&[Variation::Umask])
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, ["control-1", "control-2", "umask"]);
    }

    use std::collections::BTreeMap;

    /// A context as `Context::new` would settle it, without reading this process's environment.
    fn context(cargo_home: bool) -> Context {
        let work = tempfile::tempdir().unwrap();
        let varied = work.path().join(CARGO_HOME_VARIED).join("deeper/cargo");
        Context {
            base: "proj".into(),
            source_date_epoch: 1_700_000_000,
            jobs: [4, 1],
            home: Some("/home/u".into()),
            pinned: vec![("CARGO_HOME", "/home/u/.cargo".into())],
            cargo_home: cargo_home.then_some(varied),
            work,
        }
    }

    fn spec(variation: Option<Variation>) -> RunSpec {
        RunSpec {
            name: variation.map_or("control-1", Variation::name).into(),
            variation,
        }
    }

    /// The environment a run ends up with: the last setting of a variable wins.
    fn env(ctx: &Context, spec: &RunSpec) -> BTreeMap<&'static str, OsString> {
        ctx.env_set(spec, &ctx.tree_dir(spec)).into_iter().collect()
    }

    #[test]
    fn each_variation_changes_exactly_its_own_settings() {
        let ctx = context(true);
        let control = spec(None);
        let reference = env(&ctx, &control);
        assert_eq!(reference["SOURCE_DATE_EPOCH"], "1700000000");
        assert_eq!(reference["TZ"], "UTC0");
        assert_eq!(reference["LC_ALL"], "C.UTF-8");
        assert_eq!(reference["MAKEFLAGS"], "-j4");
        assert_eq!(reference["HOME"], "/home/u");
        assert_eq!(reference["CARGO_HOME"], "/home/u/.cargo");
        assert_eq!(reference["PWD"], ctx.tree_dir(&control).into_os_string());
        assert_eq!(ctx.umask(&control), "0022");
        for v in variation::ALL {
            let run = spec(Some(v));
            let varied = env(&ctx, &run);
            let mut changed: Vec<&str> = reference
                .keys()
                .chain(varied.keys())
                .filter(|k| reference.get(*k) != varied.get(*k))
                .copied()
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            if ctx.umask(&run) != ctx.umask(&control) {
                changed.push("umask");
            }
            let want: &[&str] = match v {
                Variation::BuildPath => &["PWD"],
                Variation::Tz => &["TZ"],
                Variation::Locale => &["LANG", "LANGUAGE", "LC_ALL"],
                Variation::Umask => &["umask"],
                Variation::Home => &["HOME"],
                Variation::CargoHome => &["CARGO_HOME"],
                Variation::Jobs => &[
                    "CARGO_BUILD_JOBS",
                    "CMAKE_BUILD_PARALLEL_LEVEL",
                    "MAKEFLAGS",
                ],
                Variation::FileOrder => &[],
            };
            assert_eq!(changed, want, "{}", v.name());
            let settings = v.settings(ctx.jobs);
            assert_ne!(settings[0], settings[1], "{}", v.name());
            assert_eq!(ctx.setting(&run), settings[1]);
        }
        assert_eq!(ctx.setting(&control), "same environment");
        let home = env(&ctx, &spec(Some(Variation::Home)));
        assert_eq!(home["HOME"], ctx.work.path().join("home").into_os_string());
        // Only the build-path run is built elsewhere, one level deeper, under the same name.
        let (a, b) = (
            ctx.tree_dir(&control),
            ctx.tree_dir(&spec(Some(Variation::BuildPath))),
        );
        assert_eq!(a.file_name(), b.file_name());
        assert_eq!(b.components().count(), a.components().count() + 1);
        assert_eq!(ctx.tree_dir(&spec(Some(Variation::Tz))), a);
    }

    #[test]
    fn without_a_cargo_home_the_cargo_home_run_says_it_had_no_effect() {
        let ctx = context(false);
        let run = spec(Some(Variation::CargoHome));
        assert_eq!(env(&ctx, &run), env(&ctx, &spec(None)));
        assert!(
            ctx.cargo_home_note(&run)
                .unwrap()
                .starts_with("no effect here")
        );
        assert_eq!(context(true).cargo_home_note(&run), None);
        assert_eq!(ctx.cargo_home_note(&spec(None)), None);
    }

    #[test]
    fn logs_and_outputs_are_per_run_and_finish_keeps_only_them() {
        let ctx = context(false);
        let run = spec(Some(Variation::Umask));
        assert!(ctx.log_path(&run).ends_with("logs/umask.log"));
        assert!(ctx.store_dir(&run).ends_with("outputs/umask"));
        let tree = ctx.tree_dir(&run);
        fs::create_dir_all(&tree).unwrap();
        fs::create_dir_all(ctx.log_path(&run).parent().unwrap()).unwrap();
        fs::write(ctx.log_path(&run), "log").unwrap();
        let kept = ctx.finish(true).unwrap().unwrap();
        assert!(kept.join("logs/umask.log").is_file());
        assert!(!kept.join(BUILD).exists());
        fs::remove_dir_all(&kept).unwrap();

        let ctx = context(false);
        let path = ctx.work.path().to_path_buf();
        assert_eq!(ctx.finish(false).unwrap(), None);
        assert!(!path.exists());
    }
}
