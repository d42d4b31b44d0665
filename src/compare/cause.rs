//! The causes a difference can have, their fix hints, and the wording helpers evidence uses.

use serde::{Deserialize, Serialize};

/// A kind of cause, in rank order (most specific first).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantNames,
    strum::VariantArray,
)]
#[serde(into = "&'static str", try_from = "String")]
#[strum(serialize_all = "kebab-case")]
pub enum CauseKind {
    /// Nothing but the build-id differs.
    BuildIdOnly,
    /// Compiler identification differs.
    Toolchain,
    /// The builds embed different absolute directories.
    BuildPath,
    /// Date- or time-like values differ.
    Timestamp,
    /// Owner or group ids or names differ.
    Ownership,
    /// Permission bits differ.
    Permissions,
    /// User or host names are embedded.
    HostInfo,
    /// A version-control revision or time is embedded.
    VersionInfo,
    /// Same content, other compressor or compressor settings.
    Compression,
    /// Same source and toolchain, other code-generation flags.
    Flags,
    /// Same bytes in a different order.
    Ordering,
    /// Only debug information (and the build-id) differs.
    DebugOnly,
    /// Section sets or sizes differ.
    Layout,
    /// Code or data differ with nothing above explaining it.
    Code,
}

impl CauseKind {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The fix hint shown with it.
    pub fn hint(self) -> &'static str {
        match self {
            CauseKind::BuildIdOnly => {
                "the build-id is a hash of the rest, so something rewrote it: look for --build-id=uuid/random in the linker flags or a tool that edits the file after linking"
            }
            CauseKind::Toolchain => {
                "pin the toolchain: the same rustc (rust-toolchain.toml), C compiler and linker on every builder; Nix pins them for you"
            }
            CauseKind::BuildPath => {
                "build in the same directory everywhere, or map it away on each builder: RUSTFLAGS=\"--remap-path-prefix=$PWD=/build\" for Rust, CFLAGS=-ffile-prefix-map=$PWD=/build for C"
            }
            CauseKind::Timestamp => {
                "set SOURCE_DATE_EPOCH to a fixed time (e.g. $(git log -1 --format=%ct)) and make build scripts use it instead of the clock; avoid __DATE__/__TIME__"
            }
            CauseKind::Ownership => {
                "archive members record the builder's user and group: tar --owner=0 --group=0 --numeric-owner"
            }
            CauseKind::Permissions => {
                "permission bits follow the builder's umask: set umask 022 before building, or tar --mode=go-w"
            }
            CauseKind::HostInfo => {
                "the build embeds the user or host it ran on: pass fixed values (e.g. KBUILD_BUILD_USER/KBUILD_BUILD_HOST) or drop them"
            }
            CauseKind::VersionInfo => {
                "the build embeds a version-control revision or time: build from the same commit and a clean tree (Go: -buildvcs=false; git describe: use a tag or $SOURCE_DATE_EPOCH)"
            }
            CauseKind::Compression => {
                "the content is identical; the compressor or its settings differ: use the same compressor, version and level (and thread count for xz/zstd) on every builder"
            }
            CauseKind::Flags => {
                "the same toolchain compiled with other code-generation flags: use the same optimisation level, target CPU and codegen settings on every builder"
            }
            CauseKind::Ordering => {
                "something writes entries in arbitrary order (HashMap/HashSet iteration or directory listing in a build script or proc-macro): use BTreeMap or sort before writing"
            }
            CauseKind::DebugOnly => {
                "the code is identical: strip debug info the same way on every build (profile strip = \"debuginfo\", strip --strip-debug) if you do not ship it"
            }
            CauseKind::Layout => {
                "sections were added, removed or resized: compare the builds' flags and profiles (debug, strip, opt-level, features, linker)"
            }
            CauseKind::Code => {
                "the compiled program differs: check both builds use the same source, Cargo.lock, features, target CPU and codegen settings (codegen-units, LTO)"
            }
        }
    }
}

impl TryFrom<String> for CauseKind {
    type Error = strum::ParseError;
    fn try_from(name: String) -> Result<Self, Self::Error> {
        name.parse()
    }
}

/// One cause of a difference between two builds of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cause {
    /// What kind of cause.
    pub kind: CauseKind,
    /// What in the files shows it.
    pub evidence: String,
    /// What to do about it.
    pub hint: String,
    /// The regions it explains.
    pub sections: Vec<String>,
    /// The two builds compared (indices into the comparison's builds).
    pub builds: [usize; 2],
}

/// `s` for a verb with a singular subject ("differs"), nothing for a plural one.
pub fn plural_s(n: usize) -> &'static str {
    if n == 1 { "s" } else { "" }
}

/// `s`, cut to `max` characters with an ellipsis.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max).collect();
    out.push('…');
    out
}

/// `a, b, c (+2 more)` of owned strings.
pub fn list(items: &[String], max: usize) -> String {
    let v: Vec<&str> = items.iter().map(String::as_str).collect();
    list_str(&v, max)
}

/// `a, b, c (+2 more)`.
pub fn list_str(items: &[&str], max: usize) -> String {
    let mut s = items
        .iter()
        .take(max)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > max {
        s.push_str(&format!(" (+{} more)", items.len() - max));
    }
    s
}
