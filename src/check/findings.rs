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

/// Everything the checker has to say about one file: each rule below in turn, in report order.
pub(super) fn collect(
    facts: &ElfFacts,
    scan: &ScanResult,
    policy: &Policy,
    role: Role,
    libc: Libc,
    host: &HostFacts,
) -> Vec<Finding> {
    let mut out = Vec::new();
    out.extend(machine(facts, policy));
    out.extend(not_a_program(facts, role));
    out.extend(interpreter(facts));
    out.extend(needed(facts, role));
    out.extend(dynamic_segments(facts));
    out.extend(search_paths(facts));
    out.extend(glibc_nss(facts, scan, role, libc));
    out.extend(glibc_dlopen(facts, scan, role, libc));
    if role == Role::Executable {
        out.extend(host_findings(facts, host));
    }
    // A core dump holds a process's memory (its environment, the host's vDSO): its strings say
    // nothing about how a program was built.
    if role == Role::Core {
        return out;
    }
    out.extend(store_refs(facts, scan, policy));
    out.extend(build_paths(facts, scan));
    out.extend(packed(facts, scan));
    out
}

/// The `DT_NEEDED` names, empty without a dynamic section.
fn needed_of(facts: &ElfFacts) -> &[String] {
    facts
        .dynamic
        .as_ref()
        .map(|d| d.needed.as_slice())
        .unwrap_or_default()
}

/// `machine`: looks at `e_machine` against `--machine`; fires when a machine is required and the
/// file is built for another.
fn machine(facts: &ElfFacts, policy: &Policy) -> Option<Finding> {
    let want = policy
        .machine
        .as_ref()
        .filter(|want| **want != facts.machine)?;
    Some(finding(
        Code::Machine,
        Severity::Error,
        format!("Built for {}, but {want} is required.", facts.machine),
        Some(format!("build for the {want} target")),
    ))
}

/// `shared-library`, `dynamic-loader`, `not-a-program`: looks at the role; fires for everything
/// but a program (a loader only for information: it does start on its own).
fn not_a_program(facts: &ElfFacts, role: Role) -> Option<Finding> {
    use Severity::{Error, Info};
    Some(match role {
        Role::SharedLibrary => finding(
            Code::SharedLibrary,
            Error,
            match facts.soname() {
                Some(s) => format!("A shared library (soname {s}), not a program: it cannot start on its own."),
                None => "A shared library, not a program: it cannot start on its own.".to_string(),
            },
            Some("check the program that loads it; a static program links the library's static archive instead".into()),
        ),
        Role::DynamicLoader => finding(
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
        ),
        Role::Object => finding(
            Code::NotAProgram,
            Error,
            "An object file (ET_REL), not a linked program.".into(),
            Some("check the linked executable instead".into()),
        ),
        Role::Core => finding(Code::NotAProgram, Error, "A core dump, not a program.".into(), None),
        Role::Other => finding(Code::NotAProgram, Error, "Not an executable ELF type.".into(), None),
        Role::Executable => return None,
    })
}

/// `interpreter` (and `malformed` for several): looks at the `PT_INTERP` headers; fires when there
/// is one, empty or not, with the musl-gcc trap named in the hint.
fn interpreter(facts: &ElfFacts) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(first) = facts.interpreters.first() else {
        return out;
    };
    let musl_gcc_trap =
        first.contains("ld-musl-") && needed_of(facts).iter().any(|n| n == "libc.so");
    let hint = if musl_gcc_trap {
        "Debian's musl-gcc adds this interpreter and NEEDED libc.so even with -static-pie; link with `musl-gcc -static`".to_string()
    } else {
        static_hint(&facts.machine)
    };
    let message = if first.is_empty() {
        "Has an empty program interpreter (PT_INTERP): the kernel refuses to run it.".to_string()
    } else {
        format!(
            "Requests the program interpreter {first}: the kernel will not start it unless that file exists on the host."
        )
    };
    out.push(finding(
        Code::Interpreter,
        Severity::Error,
        message,
        Some(hint),
    ));
    if facts.interpreter_count > 1 {
        out.push(finding(
            Code::Malformed,
            Severity::Error,
            format!(
                "Has {} PT_INTERP headers; the kernel uses only the first.",
                facts.interpreter_count
            ),
            None,
        ));
    }
    out
}

/// `needed`: looks at `DT_NEEDED`; fires when the file lists shared libraries, as a malformed link
/// when a program lists them without an interpreter to load them.
fn needed(facts: &ElfFacts, role: Role) -> Option<Finding> {
    let needed = needed_of(facts);
    if needed.is_empty() {
        return None;
    }
    let list = name_some(needed.iter().map(String::as_str));
    let mut f = if facts.interpreters.is_empty() && matches!(role, Role::Executable) {
        finding(
            Code::Needed,
            Severity::Error,
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
        // With an interpreter finding, its hint already says how to fix both.
        let hint = facts
            .interpreters
            .is_empty()
            .then(|| static_hint(&facts.machine));
        finding(
            Code::Needed,
            Severity::Error,
            format!("Needs {n} shared {plural} at run time: {list}."),
            hint,
        )
    };
    f.evidence = needed.to_vec();
    Some(f)
}

/// `malformed`: looks at the number of `PT_DYNAMIC` headers; fires when there is more than one.
fn dynamic_segments(facts: &ElfFacts) -> Option<Finding> {
    (facts.dynamic_segments > 1).then(|| {
        finding(
            Code::Malformed,
            Severity::Error,
            format!(
                "Has {} PT_DYNAMIC headers; the loader uses only the first.",
                facts.dynamic_segments
            ),
            None,
        )
    })
}

/// `rpath`, `runpath`: look at `DT_RPATH` and `DT_RUNPATH`; each fires when present, whether or not
/// the program is dynamic (a static one keeps Nix store paths alive through it).
fn search_paths(facts: &ElfFacts) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(d) = &facts.dynamic else {
        return out;
    };
    let is_dynamic = !facts.interpreters.is_empty() || !needed_of(facts).is_empty();
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
    out
}

/// Whether the file is a static glibc program, the only kind the two glibc rules speak about.
fn is_static_glibc(facts: &ElfFacts, role: Role, libc: Libc) -> bool {
    libc == Libc::Glibc
        && facts.interpreters.is_empty()
        && needed_of(facts).is_empty()
        && role == Role::Executable
}

/// `glibc-nss`: looks at the scan's NSS markers (`libnss_`, `/etc/nsswitch.conf`); fires for a
/// static glibc program that has either.
fn glibc_nss(facts: &ElfFacts, scan: &ScanResult, role: Role, libc: Libc) -> Option<Finding> {
    if !is_static_glibc(facts, role, libc) {
        return None;
    }
    let what: Vec<String> = [Marker::LibNss, Marker::NsswitchConf]
        .iter()
        .filter_map(|m| {
            scan.markers
                .get(m)
                .map(|off| format!("\"{}\" at {off:#x}", m.text()))
        })
        .collect();
    if what.is_empty() {
        return None;
    }
    Some(finding(
        Code::GlibcNss,
        Severity::Warning,
        format!(
            "A static glibc program that uses NSS ({}): getaddrinfo, getpwnam and friends dlopen glibc's NSS modules at run time and fail on a host without them.",
            what.join(", ")
        ),
        Some(musl_hint(&facts.machine)),
    ))
}

/// `glibc-dlopen`: looks at the scan's gconv marker; fires for a static glibc program that carries
/// glibc's iconv (and so dlopen) machinery.
fn glibc_dlopen(facts: &ElfFacts, scan: &ScanResult, role: Role, libc: Libc) -> Option<Finding> {
    (is_static_glibc(facts, role, libc) && scan.markers.contains_key(&Marker::Gconv)).then(|| {
        finding(
            Code::GlibcDlopen,
            Severity::Info,
            "A static glibc program: it carries glibc's dlopen and iconv machinery, which loads shared gconv modules at run time for some character sets.".into(),
            Some(musl_hint(&facts.machine)),
        )
    })
}

/// `nix-store-ref`: looks at the scan's `/nix/store` paths; fires when any is not allowed by
/// `--allow-store-ref`.
fn store_refs(facts: &ElfFacts, scan: &ScanResult, policy: &Policy) -> Option<Finding> {
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
    if refs.is_empty() {
        return None;
    }
    let mut f = finding(
        Code::NixStoreRef,
        Severity::Warning,
        format!(
            "Embeds {} /nix/store path{}: {}; Nix will keep {} in the run-time closure.",
            refs.len(),
            if refs.len() == 1 { "" } else { "s" },
            name_located(&refs, facts),
            if refs.len() == 1 { "it" } else { "them" },
        ),
        Some("strip them with remove-references-to (crane does this by default) or --remap-path-prefix; point C libraries' compiled-in paths (OpenSSL's OPENSSLDIR) outside the store".into()),
    );
    f.evidence = refs.iter().map(|h| h.text.clone()).collect();
    Some(f)
}

/// `build-path`: looks at the scan's build paths, and its scratch paths (`/tmp/…`, `/build/…`)
/// that lie in debug information or name a source file; fires once for the C library's own build
/// directory (Debian's, from its debug info) and once for the rest.
fn build_paths(facts: &ElfFacts, scan: &ScanResult) -> Vec<Finding> {
    let mut out = Vec::new();
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
            Severity::Warning,
            format!(
                "Embeds the C library's build directory in its debug information: {}; it came with the static C library, not from this build.",
                name_located(&libc_paths, facts),
            ),
            Some("`strip --strip-debug` (or linking with -s) removes it".into()),
        );
        f.evidence = libc_paths.iter().map(|h| h.text.clone()).collect();
        out.push(f);
    }
    if !paths.is_empty() {
        let mut f = finding(
            Code::BuildPath,
            Severity::Warning,
            format!(
                "Embeds {} absolute build path{}: {}; the output depends on where it was built.",
                paths.len(),
                if paths.len() == 1 { "" } else { "s" },
                name_located(&paths, facts),
            ),
            Some("build with RUSTFLAGS=\"--remap-path-prefix=$PWD=.\" (Rust) or -ffile-prefix-map=$PWD=. (C), and remap $CARGO_HOME".into()),
        );
        f.evidence = paths.iter().map(|h| h.text.clone()).collect();
        out.push(f);
    }
    out
}

/// `packed`: UPX, found by any of its three marks: the loader info right after the program headers, the
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

/// `tls`, `trust-roots`, `allocator`: information a hardened host needs, where it calls for action: a static OpenSSL's version (for
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

/// The first few hits, each located: "a (in .rodata), b and 2 more".
fn name_located(hits: &[&Hit], facts: &ElfFacts) -> String {
    let located: Vec<String> = hits.iter().map(|h| located(h, facts)).collect();
    name_some(located.iter().map(String::as_str))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Linkage, host};
    use crate::elf::{DynamicFacts, FileType, Section};

    fn program() -> ElfFacts {
        ElfFacts::synthetic(FileType::Executable)
    }

    fn dynamic(needed: &[&str]) -> DynamicFacts {
        DynamicFacts {
            needed: needed.iter().map(|s| s.to_string()).collect(),
            needed_count: needed.len(),
            ..DynamicFacts::default()
        }
    }

    fn hit(text: &str, offset: u64) -> Hit {
        Hit {
            text: text.into(),
            offset,
            count: 1,
        }
    }

    fn with_markers(markers: &[Marker]) -> ScanResult {
        let mut scan = ScanResult::default();
        for (i, m) in markers.iter().enumerate() {
            scan.markers.insert(*m, 0x100 * (i as u64 + 1));
        }
        scan
    }

    /// All findings for a file, as `collect` reports them.
    fn all(
        facts: &ElfFacts,
        scan: &ScanResult,
        policy: &Policy,
        role: Role,
        libc: Libc,
    ) -> Vec<Finding> {
        let host = host::describe(facts, scan, Linkage::Static, libc);
        collect(facts, scan, policy, role, libc, &host)
    }

    fn codes(findings: &[Finding]) -> Vec<Code> {
        findings.iter().map(|f| f.code).collect()
    }

    #[test]
    fn a_plain_static_program_has_no_findings() {
        let f = all(
            &program(),
            &ScanResult::default(),
            &Policy::default(),
            Role::Executable,
            Libc::Unknown,
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn machine_fires_only_for_another_machine() {
        let mut policy = Policy {
            machine: Some("aarch64".into()),
            ..Policy::default()
        };
        let f = machine(&program(), &policy).expect("x86_64 is not aarch64");
        assert_eq!((f.code, f.severity), (Code::Machine, Severity::Error));
        assert!(
            f.message
                .contains("Built for x86_64, but aarch64 is required")
        );
        policy.machine = Some("x86_64".into());
        assert!(machine(&program(), &policy).is_none());
        assert!(machine(&program(), &Policy::default()).is_none());
    }

    #[test]
    fn not_a_program_fires_for_every_role_but_a_program() {
        let facts = program();
        assert!(not_a_program(&facts, Role::Executable).is_none());
        for (role, code, severity) in [
            (Role::SharedLibrary, Code::SharedLibrary, Severity::Error),
            (Role::DynamicLoader, Code::DynamicLoader, Severity::Info),
            (Role::Object, Code::NotAProgram, Severity::Error),
            (Role::Core, Code::NotAProgram, Severity::Error),
            (Role::Other, Code::NotAProgram, Severity::Error),
        ] {
            let f = not_a_program(&facts, role).unwrap();
            assert_eq!((f.code, f.severity), (code, severity), "{role:?}");
        }
        let mut lib = ElfFacts::synthetic(FileType::SharedObject);
        lib.dynamic = Some(DynamicFacts {
            soname: Some("libz.so.1".into()),
            ..DynamicFacts::default()
        });
        let f = not_a_program(&lib, Role::SharedLibrary).unwrap();
        assert!(f.message.contains("soname libz.so.1"), "{}", f.message);
    }

    #[test]
    fn interpreter_fires_with_the_musl_gcc_trap_named() {
        assert!(interpreter(&program()).is_empty());
        let mut facts = program();
        facts.interpreters = vec!["/lib/ld-musl-x86_64.so.1".into()];
        facts.interpreter_count = 1;
        let f = interpreter(&facts);
        assert_eq!(codes(&f), [Code::Interpreter]);
        assert!(f[0].message.contains("/lib/ld-musl-x86_64.so.1"));
        assert!(
            f[0].hint
                .as_deref()
                .unwrap()
                .contains("x86_64-unknown-linux-musl")
        );
        facts.dynamic = Some(dynamic(&["libc.so"]));
        let f = interpreter(&facts);
        assert!(f[0].hint.as_deref().unwrap().contains("musl-gcc -static"));
    }

    #[test]
    fn interpreter_says_empty_and_counts_duplicates() {
        let mut facts = program();
        facts.interpreters = vec![String::new(), "/lib/ld.so".into()];
        facts.interpreter_count = 2;
        let f = interpreter(&facts);
        assert_eq!(codes(&f), [Code::Interpreter, Code::Malformed]);
        assert!(f[0].message.contains("empty program interpreter"));
        assert!(f[1].message.contains("Has 2 PT_INTERP headers"));
    }

    #[test]
    fn needed_fires_and_counts_all_libraries() {
        let mut facts = program();
        assert!(needed(&facts, Role::Executable).is_none());
        facts.interpreters = vec!["/lib64/ld-linux-x86-64.so.2".into()];
        let mut d = dynamic(&["libc.so.6", "libm.so.6", "libz.so.1", "libssl.so.3"]);
        d.needed_count = 300;
        facts.dynamic = Some(d);
        let f = needed(&facts, Role::Executable).unwrap();
        assert_eq!((f.code, f.severity), (Code::Needed, Severity::Error));
        assert_eq!(
            f.message,
            "Needs 300 shared libraries at run time: libc.so.6, libm.so.6, libz.so.1 and 1 more."
        );
        assert_eq!(f.hint, None, "the interpreter finding's hint covers it");
        assert_eq!(f.evidence.len(), 4);
    }

    #[test]
    fn needed_without_an_interpreter_is_a_malformed_link() {
        let mut facts = program();
        facts.dynamic = Some(dynamic(&["libc.so.6"]));
        let f = needed(&facts, Role::Executable).unwrap();
        assert!(
            f.message.contains("requests no interpreter"),
            "{}",
            f.message
        );
        let f = needed(&facts, Role::SharedLibrary).unwrap();
        assert_eq!(f.message, "Needs 1 shared library at run time: libc.so.6.");
        assert!(f.hint.is_some());
    }

    #[test]
    fn dynamic_segments_fires_only_for_more_than_one() {
        let mut facts = program();
        facts.dynamic_segments = 1;
        assert!(dynamic_segments(&facts).is_none());
        facts.dynamic_segments = 3;
        let f = dynamic_segments(&facts).unwrap();
        assert_eq!(f.code, Code::Malformed);
        assert!(f.message.contains("Has 3 PT_DYNAMIC headers"));
    }

    #[test]
    fn search_paths_fire_for_rpath_and_runpath_and_say_whether_they_are_used() {
        let mut facts = program();
        assert!(search_paths(&facts).is_empty());
        facts.dynamic = Some(DynamicFacts {
            rpath: vec!["/nix/store/x/lib".into()],
            runpath: vec!["$ORIGIN".into(), "/opt/lib".into()],
            ..DynamicFacts::default()
        });
        let f = search_paths(&facts);
        assert_eq!(codes(&f), [Code::Rpath, Code::Runpath]);
        assert!(f[0].message.contains("unused in a static binary"));
        assert!(f[1].message.contains("RUNPATH $ORIGIN:/opt/lib"));
        assert_eq!(f[1].evidence, ["$ORIGIN", "/opt/lib"]);
        facts.interpreters = vec!["/lib/ld.so".into()];
        assert!(
            search_paths(&facts)[0]
                .message
                .contains("searches it for libraries at run time")
        );
    }

    #[test]
    fn glibc_nss_fires_only_for_a_static_glibc_program_with_nss_markers() {
        let facts = program();
        let scan = with_markers(&[Marker::LibNss, Marker::NsswitchConf]);
        let f = glibc_nss(&facts, &scan, Role::Executable, Libc::Glibc).unwrap();
        assert_eq!((f.code, f.severity), (Code::GlibcNss, Severity::Warning));
        assert!(
            f.message.contains("at 0x100") && f.message.contains("at 0x200"),
            "{}",
            f.message
        );
        assert!(glibc_nss(&facts, &scan, Role::Executable, Libc::Musl).is_none());
        assert!(glibc_nss(&facts, &scan, Role::SharedLibrary, Libc::Glibc).is_none());
        assert!(
            glibc_nss(
                &facts,
                &ScanResult::default(),
                Role::Executable,
                Libc::Glibc
            )
            .is_none()
        );
        let mut dynamic_program = program();
        dynamic_program.interpreters = vec!["/lib64/ld-linux-x86-64.so.2".into()];
        assert!(glibc_nss(&dynamic_program, &scan, Role::Executable, Libc::Glibc).is_none());
    }

    #[test]
    fn glibc_dlopen_fires_only_for_a_static_glibc_program_with_gconv() {
        let facts = program();
        let scan = with_markers(&[Marker::Gconv]);
        let f = glibc_dlopen(&facts, &scan, Role::Executable, Libc::Glibc).unwrap();
        assert_eq!((f.code, f.severity), (Code::GlibcDlopen, Severity::Info));
        assert!(glibc_dlopen(&facts, &scan, Role::Executable, Libc::Unknown).is_none());
        assert!(
            glibc_dlopen(
                &facts,
                &ScanResult::default(),
                Role::Executable,
                Libc::Glibc
            )
            .is_none()
        );
    }

    #[test]
    fn store_refs_fire_unless_allowed() {
        let facts = program();
        let mut scan = ScanResult::default();
        assert!(store_refs(&facts, &scan, &Policy::default()).is_none());
        scan.store_refs = vec![
            hit("/nix/store/aaaa-glibc-2.40", 0x10),
            hit("/nix/store/bbbb-openssl-3", 0x20),
        ];
        let f = store_refs(&facts, &scan, &Policy::default()).unwrap();
        assert!(
            f.message.starts_with("Embeds 2 /nix/store paths:"),
            "{}",
            f.message
        );
        let policy = Policy {
            allow_store_refs: vec!["/nix/store/aaaa".into()],
            ..Policy::default()
        };
        let f = store_refs(&facts, &scan, &policy).unwrap();
        assert_eq!(f.evidence, ["/nix/store/bbbb-openssl-3"]);
        assert!(f.message.contains("keep it in"));
        let policy = Policy {
            allow_store_refs: vec!["/nix/store/".into()],
            ..Policy::default()
        };
        assert!(store_refs(&facts, &scan, &policy).is_none());
    }

    #[test]
    fn build_paths_fire_for_build_paths_and_scratch_paths_that_name_source_or_sit_in_debug_info() {
        let mut facts = program();
        facts.sections = vec![Section {
            name: ".debug_line".into(),
            kind: goblin::elf::section_header::SHT_PROGBITS,
            offset: 0x1000,
            size: 0x1000,
            align: 1,
            flags: 0,
        }];
        let mut scan = ScanResult {
            scratch_paths: vec![hit("/tmp/run.sock", 0x10)],
            ..ScanResult::default()
        };
        assert!(
            build_paths(&facts, &scan).is_empty(),
            "a run-time scratch path"
        );
        scan.build_paths = vec![hit("/home/me/src/main.rs", 0x30)];
        scan.scratch_paths.push(hit("/tmp/x/lib.c", 0x20));
        scan.scratch_paths
            .push(hit("/build/musl-AbCdEf/src/env/x", 0x1010));
        scan.scratch_paths.push(hit("/tmp/cc/obj", 0x1020));
        let f = build_paths(&facts, &scan);
        assert_eq!(codes(&f), [Code::BuildPath, Code::BuildPath]);
        assert_eq!(f[0].evidence, ["/build/musl-AbCdEf/src/env/x"]);
        assert!(f[0].message.contains("the C library's build directory"));
        assert!(f[0].message.contains("(in .debug_line)"));
        assert_eq!(
            f[1].evidence,
            ["/tmp/x/lib.c", "/home/me/src/main.rs", "/tmp/cc/obj"],
            "sorted by offset"
        );
        assert!(f[1].message.starts_with("Embeds 3 absolute build paths"));
    }

    #[test]
    fn packed_fires_on_any_of_upx_s_three_marks() {
        let mut facts = program();
        assert!(packed(&facts, &ScanResult::default()).is_none());
        for scan in [
            with_markers(&[Marker::Upx]),
            with_markers(&[Marker::UpxHeader]),
        ] {
            let f = packed(&facts, &scan).unwrap();
            assert_eq!(
                (f.code, f.severity, f.evidence.len()),
                (Code::Packed, Severity::Error, 1)
            );
        }
        facts.upx_loader_info = Some(0xec);
        let f = packed(&facts, &ScanResult::default()).unwrap();
        assert_eq!(
            f.evidence,
            ["UPX loader info after the program headers (offset 0xec)"]
        );
    }

    #[test]
    fn host_findings_fire_for_static_openssl_host_roots_and_musl_malloc() {
        let facts = program();
        let mut scan = with_markers(&[Marker::OpenSslVersion, Marker::CaBundlePath]);
        scan.texts
            .insert(Marker::OpenSslVersion, "OpenSSL 3.0.17 1 Jul 2025".into());
        let host = host::describe(&facts, &scan, Linkage::Static, Libc::Musl);
        let f = host_findings(&facts, &host);
        assert_eq!(codes(&f), [Code::Tls, Code::TrustRoots, Code::Allocator]);
        assert!(f[0].message.contains("(OpenSSL 3.0.17 1 Jul 2025)"));
        let mut dynamic_program = program();
        dynamic_program.interpreters = vec!["/lib/ld-musl-x86_64.so.1".into()];
        let f = host_findings(&dynamic_program, &host);
        assert_eq!(
            codes(&f),
            [Code::Allocator],
            "a dynamic OpenSSL is the host's to update"
        );
        let host = host::describe(&facts, &ScanResult::default(), Linkage::Static, Libc::Glibc);
        assert!(host_findings(&facts, &host).is_empty());
    }

    #[test]
    fn a_core_dump_gets_no_string_findings() {
        let facts = ElfFacts::synthetic(FileType::Core);
        let mut scan = with_markers(&[Marker::Upx]);
        scan.store_refs = vec![hit("/nix/store/aaaa-x", 1)];
        scan.build_paths = vec![hit("/home/me/x.c", 2)];
        let f = all(&facts, &scan, &Policy::default(), Role::Core, Libc::Unknown);
        assert_eq!(codes(&f), [Code::NotAProgram]);
        let f = all(
            &program(),
            &scan,
            &Policy::default(),
            Role::Executable,
            Libc::Unknown,
        );
        assert_eq!(
            codes(&f),
            [Code::NixStoreRef, Code::BuildPath, Code::Packed]
        );
    }

    #[test]
    fn name_some_names_three_and_counts_the_rest() {
        assert_eq!(name_some(["a"]), "a");
        assert_eq!(name_some(["a", "b", "c"]), "a, b, c");
        assert_eq!(name_some(["a", "b", "c", "d", "e"]), "a, b, c and 2 more");
    }
}
