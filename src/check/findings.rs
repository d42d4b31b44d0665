//! Findings: each a code, a severity, one sentence, and a fix hint where there is one.

use serde::Serialize;

use super::host::HostFacts;
use super::{Libc, Policy, Role};
use crate::elf::{ElfFacts, names};
use crate::scan::{self, Hit, Marker, ScanResult};

/// A finding's code: stable, for scripts and `--deny`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantNames,
    strum::VariantArray,
)]
#[serde(into = "&'static str")]
#[strum(serialize_all = "kebab-case")]
pub enum Code {
    /// The file requests a program interpreter (`PT_INTERP`).
    Interpreter,
    /// The file needs shared libraries (`DT_NEEDED`).
    Needed,
    /// The file has a `DT_RPATH` library search path.
    Rpath,
    /// The file has a `DT_RUNPATH` library search path.
    Runpath,
    /// A static glibc program that loads NSS modules at run time.
    GlibcNss,
    /// A static glibc program carries dlopen/iconv machinery.
    GlibcDlopen,
    /// Embedded `/nix/store` paths.
    NixStoreRef,
    /// Embedded absolute build paths.
    BuildPath,
    /// A shared library, not a program.
    SharedLibrary,
    /// The file is a dynamic loader.
    DynamicLoader,
    /// An object file or core dump, not a program.
    NotAProgram,
    /// Built for another machine than the one required.
    Machine,
    /// Structurally odd program headers (duplicates, empty interpreter).
    Malformed,
    /// Packed with UPX: the real program is hidden.
    Packed,
    /// A TLS library linked in statically (OpenSSL's version is frozen into the binary).
    Tls,
    /// Trust roots read from the host's CA bundle.
    TrustRoots,
    /// musl's allocator, slow under allocation churn.
    Allocator,
}

/// How much a finding matters.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantNames,
    strum::VariantArray,
)]
#[serde(into = "&'static str")]
#[strum(serialize_all = "lowercase")]
pub enum Severity {
    /// Fails the check.
    Error,
    /// Worth fixing; fails only with `--deny CODE`.
    Warning,
    /// For information; fails only with `--deny CODE`.
    Info,
}

impl Severity {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One thing the checker has to say about a file.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// What kind of finding.
    pub code: Code,
    /// How much it matters.
    pub severity: Severity,
    /// One sentence.
    pub message: String,
    /// How to fix it, when there is a known way.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The strings found (paths, libraries), when the message cannot list them all.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
}

impl Code {
    /// The code as written in reports.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

fn finding(code: Code, severity: Severity, message: String, hint: Option<String>) -> Finding {
    Finding {
        code,
        severity,
        message,
        hint,
        evidence: Vec::new(),
    }
}

/// How many found strings a message names before it says "and N more".
const NAMED_IN_MESSAGE: usize = 3;

pub(super) fn collect(
    facts: &ElfFacts,
    scan: &ScanResult,
    policy: &Policy,
    role: Role,
    libc: Libc,
    host: &HostFacts,
) -> Vec<Finding> {
    use Severity::{Error, Info, Warning};
    let mut out = Vec::new();
    let needed = facts
        .dynamic
        .as_ref()
        .map(|d| d.needed.as_slice())
        .unwrap_or_default();
    let static_hint = static_hint(&facts.machine);

    if let Some(want) = policy
        .machine
        .as_ref()
        .filter(|want| **want != facts.machine)
    {
        out.push(finding(
            Code::Machine,
            Error,
            format!("Built for {}, but {want} is required.", facts.machine),
            Some(format!("build for the {want} target")),
        ));
    }

    match role {
        Role::SharedLibrary => out.push(finding(
            Code::SharedLibrary,
            Error,
            match facts.soname() {
                Some(s) => format!("A shared library (soname {s}), not a program: it cannot start on its own."),
                None => "A shared library, not a program: it cannot start on its own.".to_string(),
            },
            Some("check the program that loads it; a static program links the library's static archive instead".into()),
        )),
        Role::DynamicLoader => out.push(finding(
            Code::DynamicLoader,
            Info,
            format!(
                "The dynamic loader itself ({}): it needs nothing else and starts on its own, but its job is to load dynamic programs.",
                match facts.soname() {
                    Some(s) => format!("soname {s}"),
                    None => "musl's libc.so, installed as ld-musl-*.so.1".to_string(),
                }
            ),
            None,
        )),
        Role::Object => out.push(finding(
            Code::NotAProgram,
            Error,
            "An object file (ET_REL), not a linked program.".into(),
            Some("check the linked executable instead".into()),
        )),
        Role::Core => out.push(finding(Code::NotAProgram, Error, "A core dump, not a program.".into(), None)),
        Role::Other => out.push(finding(Code::NotAProgram, Error, "Not an executable ELF type.".into(), None)),
        Role::Executable => {}
    }

    if let Some(first) = facts.interpreters.first() {
        let musl_gcc_trap = first.contains("ld-musl-") && needed.iter().any(|n| n == "libc.so");
        let hint = if musl_gcc_trap {
            "Debian's musl-gcc adds this interpreter and NEEDED libc.so even with -static-pie; link with `musl-gcc -static`".to_string()
        } else {
            static_hint.clone()
        };
        let message = if first.is_empty() {
            "Has an empty program interpreter (PT_INTERP): the kernel refuses to run it."
                .to_string()
        } else {
            format!(
                "Requests the program interpreter {first}: the kernel will not start it unless that file exists on the host."
            )
        };
        out.push(finding(Code::Interpreter, Error, message, Some(hint)));
        if facts.interpreter_count > 1 {
            out.push(finding(
                Code::Malformed,
                Error,
                format!(
                    "Has {} PT_INTERP headers; the kernel uses only the first.",
                    facts.interpreter_count
                ),
                None,
            ));
        }
    }

    if !needed.is_empty() {
        let list = name_some(needed.iter().map(String::as_str));
        let mut f = if facts.interpreters.is_empty() && matches!(role, Role::Executable) {
            finding(
                Code::Needed,
                Error,
                format!(
                    "Lists shared libraries ({list}) but requests no interpreter: nothing will ever load them, so the first call into them crashes — the link is malformed."
                ),
                Some("relink with -static, or as a normal dynamic program".into()),
            )
        } else {
            let n = facts
                .dynamic
                .as_ref()
                .map_or(needed.len(), |d| d.needed_count);
            let plural = if n == 1 { "library" } else { "libraries" };
            // With an interpreter finding above, its hint already says how to fix both.
            let hint = facts.interpreters.is_empty().then(|| static_hint.clone());
            finding(
                Code::Needed,
                Error,
                format!("Needs {n} shared {plural} at run time: {list}."),
                hint,
            )
        };
        f.evidence = needed.to_vec();
        out.push(f);
    }

    if facts.dynamic_segments > 1 {
        out.push(finding(
            Code::Malformed,
            Error,
            format!(
                "Has {} PT_DYNAMIC headers; the loader uses only the first.",
                facts.dynamic_segments
            ),
            None,
        ));
    }

    if let Some(d) = &facts.dynamic {
        let is_dynamic = !facts.interpreters.is_empty() || !needed.is_empty();
        for (code, name, paths) in [
            (Code::Rpath, "RPATH", &d.rpath),
            (Code::Runpath, "RUNPATH", &d.runpath),
        ] {
            if paths.is_empty() {
                continue;
            }
            let joined = paths.join(":");
            let message = if is_dynamic {
                format!("Has {name} {joined}: the loader searches it for libraries at run time.")
            } else {
                format!(
                    "Has {name} {joined}: unused in a static binary, but Nix counts store paths in it as run-time dependencies."
                )
            };
            let mut f = finding(
                code,
                Severity::Warning,
                message,
                Some(
                    "do not pass -rpath when linking, or remove it with `patchelf --remove-rpath`"
                        .into(),
                ),
            );
            f.evidence = paths.clone();
            out.push(f);
        }
    }

    let static_glibc = libc == Libc::Glibc
        && facts.interpreters.is_empty()
        && needed.is_empty()
        && role == Role::Executable;
    if static_glibc {
        let nss = [Marker::LibNss, Marker::NsswitchConf]
            .iter()
            .filter_map(|m| scan.markers.get(m).map(|off| (*m, *off)))
            .collect::<Vec<_>>();
        if !nss.is_empty() {
            let what: Vec<String> = nss
                .iter()
                .map(|(m, off)| format!("\"{}\" at {off:#x}", m.text()))
                .collect();
            out.push(finding(
                Code::GlibcNss,
                Warning,
                format!(
                    "A static glibc program that uses NSS ({}): getaddrinfo, getpwnam and friends dlopen glibc's NSS modules at run time and fail on a host without them.",
                    what.join(", ")
                ),
                Some(musl_hint(&facts.machine)),
            ));
        }
        if scan.markers.contains_key(&Marker::Gconv) {
            out.push(finding(
                Code::GlibcDlopen,
                Info,
                "A static glibc program: it carries glibc's dlopen and iconv machinery, which loads shared gconv modules at run time for some character sets.".into(),
                Some(musl_hint(&facts.machine)),
            ));
        }
    }

    if matches!(role, Role::Executable) {
        out.extend(host_findings(facts, host));
    }

    // A core dump holds a process's memory (its environment, the host's vDSO): its strings say
    // nothing about how a program was built.
    if role == Role::Core {
        return out;
    }
    let refs: Vec<&Hit> = scan
        .store_refs
        .iter()
        .filter(|h| {
            !policy
                .allow_store_refs
                .iter()
                .any(|allowed| h.text.starts_with(allowed.as_str()))
        })
        .collect();
    if !refs.is_empty() {
        let mut f = finding(
            Code::NixStoreRef,
            Warning,
            format!(
                "Embeds {} /nix/store path{}: {}; Nix will keep {} in the run-time closure.",
                refs.len(),
                if refs.len() == 1 { "" } else { "s" },
                name_some(refs.iter().map(|h| located(h, facts)).collect::<Vec<_>>().iter().map(String::as_str)),
                if refs.len() == 1 { "it" } else { "them" },
            ),
            Some("strip them with remove-references-to (crane does this by default) or --remap-path-prefix; point C libraries' compiled-in paths (OpenSSL's OPENSSLDIR) outside the store".into()),
        );
        f.evidence = refs.iter().map(|h| h.text.clone()).collect();
        out.push(f);
    }

    let in_debug = |h: &Hit| {
        facts
            .section_at(h.offset)
            .is_some_and(|s| s.starts_with(".debug"))
    };
    let mut paths: Vec<&Hit> = scan.build_paths.iter().collect();
    paths.extend(
        scan.scratch_paths
            .iter()
            .filter(|h| in_debug(h) || scan::names_source(&h.text)),
    );
    paths.sort_by_key(|h| h.offset);
    // Debian builds its C libraries in /build/<package>-<random>/ and ships their debug info in
    // libc.a: those paths come with the C library, not from the user's build.
    let (libc_paths, paths): (Vec<&Hit>, Vec<&Hit>) = paths
        .into_iter()
        .partition(|h| in_debug(h) && is_c_library_build_dir(&h.text));
    if !libc_paths.is_empty() {
        let mut f = finding(
            Code::BuildPath,
            Warning,
            format!(
                "Embeds the C library's build directory in its debug information: {}; it came with the static C library, not from this build.",
                name_some(
                    libc_paths
                        .iter()
                        .map(|h| located(h, facts))
                        .collect::<Vec<_>>()
                        .iter()
                        .map(String::as_str)
                ),
            ),
            Some("`strip --strip-debug` (or linking with -s) removes it".into()),
        );
        f.evidence = libc_paths.iter().map(|h| h.text.clone()).collect();
        out.push(f);
    }
    if !paths.is_empty() {
        let mut f = finding(
            Code::BuildPath,
            Warning,
            format!(
                "Embeds {} absolute build path{}: {}; the output depends on where it was built.",
                paths.len(),
                if paths.len() == 1 { "" } else { "s" },
                name_some(paths.iter().map(|h| located(h, facts)).collect::<Vec<_>>().iter().map(String::as_str)),
            ),
            Some("build with RUSTFLAGS=\"--remap-path-prefix=$PWD=.\" (Rust) or -ffile-prefix-map=$PWD=. (C), and remap $CARGO_HOME".into()),
        );
        f.evidence = paths.iter().map(|h| h.text.clone()).collect();
        out.push(f);
    }

    if let Some(f) = packed(facts, scan) {
        out.push(f);
    }
    out
}

/// UPX, found by any of its three marks: the loader info right after the program headers, the
/// pack header (`UPX!` and a plausible header, usually near the end of the file) and its notice.
/// What the headers describe is then UPX's unpacker, not the program, which may well need a
/// loader (a packed dynamic program has no `PT_INTERP` of its own): the file cannot be verified.
fn packed(facts: &ElfFacts, scan: &ScanResult) -> Option<Finding> {
    let mut evidence = Vec::new();
    if let Some(at) = facts.upx_loader_info {
        evidence.push(format!(
            "UPX loader info after the program headers (offset {at:#x})"
        ));
    }
    if let Some(at) = scan.markers.get(&Marker::UpxHeader) {
        evidence.push(format!("UPX! pack header (offset {at:#x})"));
    }
    if let Some(at) = scan.markers.get(&Marker::Upx) {
        evidence.push(format!("\"{}\" (offset {at:#x})", Marker::Upx.text()));
    }
    if evidence.is_empty() {
        return None;
    }
    let mut f = finding(
        Code::Packed,
        Severity::Error,
        "Packed with UPX: the headers checked here are the unpacker's, and the program inside (which may need a dynamic loader) cannot be verified.".into(),
        Some("unpack it with `upx -d` and check the result".into()),
    );
    f.evidence = evidence;
    Some(f)
}

/// Information a hardened host needs, where it calls for action: a static OpenSSL's version (for
/// CVE scans), trust roots the host must provide, musl's slow allocator.
fn host_findings(facts: &ElfFacts, host: &HostFacts) -> Vec<Finding> {
    let mut out = Vec::new();
    let is_static =
        facts.interpreters.is_empty() && facts.dynamic.as_ref().is_none_or(|d| d.needed_count == 0);
    if host.tls.value == "openssl" && is_static {
        let version = host.tls.detail.as_deref().unwrap_or("version unknown");
        let mut f = finding(
            Code::Tls,
            Severity::Info,
            format!(
                "Links OpenSSL statically ({version}): that version is frozen into the binary, so scan it for CVEs and rebuild to update."
            ),
            None,
        );
        f.evidence = host.tls.evidence.clone();
        out.push(f);
    }
    if host.trust_roots.value == "host" && is_static {
        let mut f = finding(
            Code::TrustRoots,
            Severity::Info,
            "Reads its TLS trust roots from the host (a CA bundle such as /etc/ssl/certs/ca-certificates.crt, or SSL_CERT_FILE): a FROM scratch image must ship that bundle.".into(),
            Some("copy /etc/ssl/certs/ca-certificates.crt into the image, or embed the roots (rustls with webpki-roots)".into()),
        );
        f.evidence = host.trust_roots.evidence.clone();
        out.push(f);
    }
    if host.allocator.value == "musl" {
        let mut f = finding(
            Code::Allocator,
            Severity::Info,
            "Uses musl's own allocator, which is slow under heavy allocation churn (many threads, many small objects).".into(),
            Some("if allocation shows in profiles, use mimalloc or jemalloc (Rust: a #[global_allocator] from the mimalloc or tikv-jemallocator crate)".into()),
        );
        f.evidence = host.allocator.evidence.clone();
        out.push(f);
    }
    out
}

/// Whether a path lies in a distribution's build directory of a C library (Debian's
/// `/build/musl-XXXXXX/…`, `/build/glibc-XXXXXX/…`).
fn is_c_library_build_dir(path: &str) -> bool {
    ["/build/musl-", "/build/glibc-"]
        .iter()
        .any(|root| path.starts_with(root))
}

/// "a, b, c and 2 more".
fn name_some<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let all: Vec<&str> = items.into_iter().collect();
    let mut s = all
        .iter()
        .take(NAMED_IN_MESSAGE)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if all.len() > NAMED_IN_MESSAGE {
        s.push_str(&format!(" and {} more", all.len() - NAMED_IN_MESSAGE));
    }
    s
}

/// "path (in .rodata, 3 times)".
fn located(hit: &Hit, facts: &ElfFacts) -> String {
    let mut where_ = Vec::new();
    if let Some(section) = facts.section_at(hit.offset) {
        where_.push(format!("in {section}"));
    }
    if hit.count > 1 {
        where_.push(format!("{} times", hit.count));
    }
    if where_.is_empty() {
        hit.text.clone()
    } else {
        format!("{} ({})", hit.text, where_.join(", "))
    }
}

fn static_hint(machine: &str) -> String {
    match names::musl_target(machine) {
        Some(t) => format!(
            "build a static binary: Rust `--target {t}` with `-C target-feature=+crt-static`; C `-static` (or `-static-pie`) against musl"
        ),
        None => "link statically (`-static`), ideally against musl".to_string(),
    }
}

fn musl_hint(machine: &str) -> String {
    match names::musl_target(machine) {
        Some(t) => format!(
            "build against musl (Rust: --target {t}); its static resolver needs no shared modules"
        ),
        None => "build against musl; its static resolver needs no shared modules".to_string(),
    }
}
