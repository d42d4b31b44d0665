//! Fresh copies of the source tree. What is copied is what git would consider part of the working
//! tree: `.gitignore`, `.ignore` and `.git/info/exclude` rules are honoured (even outside a git
//! repository), `.git` itself is never copied and neither is a top-level `target/`, so every build
//! starts clean. Modes and modification times are kept (make and friends decide by mtime);
//! symlinks are copied as symlinks; FIFOs, sockets and devices are skipped.

use std::fs::{self, File, FileTimes};
use std::path::{Path, PathBuf};

use ignore::WalkBuilder;

use crate::error::Error;
use crate::snapshot::Kind;

/// One entry of the source tree, relative to its root.
#[derive(Debug, Clone)]
struct Entry {
    rel: PathBuf,
    kind: Kind,
}

/// The list of what to copy from a source tree, read once and copied many times.
#[derive(Debug)]
pub struct Source {
    root: PathBuf,
    entries: Vec<Entry>,
}

impl Source {
    /// List the tree at `root`, in name order.
    pub fn scan(root: &Path) -> Result<Source, Error> {
        let meta = fs::metadata(root).map_err(|e| Error::read(root, e))?;
        if !meta.is_dir() {
            return Err(Error::input(
                root,
                "is not a directory; give the source tree's top directory with --source",
            ));
        }
        let top = root.to_path_buf();
        let walker = WalkBuilder::new(root)
            .hidden(false)
            .parents(false)
            .git_global(false)
            .require_git(false)
            .follow_links(false)
            .sort_by_file_name(|a, b| a.cmp(b))
            .filter_entry(move |e| {
                let name = e.file_name();
                let top_target = e.depth() == 1 && name == "target";
                !(name == ".git" || top_target) || e.path() == top
            })
            .build();
        let mut entries = Vec::new();
        for item in walker {
            let item = item.map_err(|e| {
                Error::input(
                    root,
                    format!(
                        "(the source tree) cannot be listed: {e}; check that you may read all of it"
                    ),
                )
            })?;
            if item.depth() == 0 {
                continue;
            }
            let Some(ft) = item.file_type() else { continue };
            let Some(kind) = Kind::of(&ft) else { continue };
            let rel = item
                .path()
                .strip_prefix(root)
                .map(Path::to_path_buf)
                .unwrap_or_else(|_| item.path().to_path_buf());
            entries.push(Entry { rel, kind });
        }
        Ok(Source {
            root: root.to_path_buf(),
            entries,
        })
    }

    /// The newest modification time in the tree, in seconds since the epoch (0 if empty).
    pub fn newest_mtime(&self) -> u64 {
        self.entries
            .iter()
            .filter(|e| e.kind == Kind::File)
            .filter_map(|e| fs::symlink_metadata(self.root.join(&e.rel)).ok())
            .filter_map(|m| m.modified().ok())
            .filter_map(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs())
            .max()
            .unwrap_or(0)
    }

    /// How many entries a copy holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the tree is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Copy the tree to `dest` (which must not exist), creating entries in name order or, with
    /// `reverse`, in reverse name order within each directory.
    pub fn copy_to(&self, dest: &Path, reverse: bool) -> Result<(), Error> {
        let mkdir = |p: &Path| fs::create_dir_all(p).map_err(|e| write_error(p, e));
        mkdir(dest)?;
        let order: Box<dyn Iterator<Item = &Entry>> = if reverse {
            Box::new(self.entries.iter().rev())
        } else {
            Box::new(self.entries.iter())
        };
        for entry in order {
            let from = self.root.join(&entry.rel);
            let to = dest.join(&entry.rel);
            if let Some(parent) = to.parent().filter(|p| !p.exists()) {
                mkdir(parent)?;
            }
            match entry.kind {
                Kind::Directory => {
                    if !to.exists() {
                        mkdir(&to)?;
                    }
                }
                Kind::File => {
                    fs::copy(&from, &to).map_err(|e| Error::read(&from, e))?;
                    copy_mtime(&from, &to)?;
                }
                Kind::Symlink => {
                    let target = fs::read_link(&from).map_err(|e| Error::read(&from, e))?;
                    std::os::unix::fs::symlink(&target, &to).map_err(|e| write_error(&to, e))?;
                }
            }
        }
        // Directory modes and times last, deepest first: filling a directory changes its mtime.
        for entry in self
            .entries
            .iter()
            .rev()
            .filter(|e| e.kind == Kind::Directory)
        {
            let from = self.root.join(&entry.rel);
            let to = dest.join(&entry.rel);
            let meta = fs::metadata(&from).map_err(|e| Error::read(&from, e))?;
            fs::set_permissions(&to, meta.permissions()).map_err(|e| write_error(&to, e))?;
            copy_mtime(&from, &to)?;
        }
        Ok(())
    }
}

fn copy_mtime(from: &Path, to: &Path) -> Result<(), Error> {
    let meta = fs::metadata(from).map_err(|e| Error::read(from, e))?;
    let Ok(mtime) = meta.modified() else {
        return Ok(());
    };
    File::open(to)
        .and_then(|f| f.set_times(FileTimes::new().set_modified(mtime)))
        .map_err(|e| write_error(to, e))
}

fn write_error(path: &Path, source: std::io::Error) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// The order in which the filesystem lists every directory under `root` (as `readdir` returns
/// it, not sorted): two copies with the same listing saw no file-order variation.
pub fn listing_order(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(read) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in read.flatten() {
            let path = entry.path();
            out.push(path.strip_prefix(root).unwrap_or(&path).to_path_buf());
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(path);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_what_git_would_see() {
        let src = tempfile::tempdir().unwrap();
        let s = src.path();
        fs::create_dir_all(s.join("src/deep")).unwrap();
        fs::create_dir_all(s.join("target/release")).unwrap();
        fs::create_dir_all(s.join(".git")).unwrap();
        fs::create_dir_all(s.join("sub/target")).unwrap();
        fs::write(s.join(".gitignore"), "*.log\n").unwrap();
        fs::write(s.join("src/deep/a.rs"), "a").unwrap();
        fs::write(s.join("build.log"), "x").unwrap();
        fs::write(s.join("target/release/bin"), "x").unwrap();
        fs::write(s.join(".git/HEAD"), "x").unwrap();
        fs::write(s.join("sub/target/kept"), "x").unwrap();
        std::os::unix::fs::symlink("src/deep/a.rs", s.join("link")).unwrap();

        let source = Source::scan(s).unwrap();
        for reverse in [false, true] {
            let dest = tempfile::tempdir().unwrap();
            let d = dest.path().join("copy");
            source.copy_to(&d, reverse).unwrap();
            assert_eq!(fs::read_to_string(d.join("src/deep/a.rs")).unwrap(), "a");
            assert!(d.join(".gitignore").exists());
            assert!(d.join("sub/target/kept").exists());
            assert!(!d.join("build.log").exists());
            assert!(!d.join("target").exists());
            assert!(!d.join(".git").exists());
            assert_eq!(
                fs::read_link(d.join("link")).unwrap(),
                Path::new("src/deep/a.rs")
            );
            let (a, b) = (
                fs::metadata(s.join("src/deep/a.rs")).unwrap(),
                fs::metadata(d.join("src/deep/a.rs")).unwrap(),
            );
            assert_eq!(a.modified().unwrap(), b.modified().unwrap());
        }
    }
}
