//! What a hardened host needs to know about a program: its TLS stack, where its trust roots come
//! from, its allocator, and its hardening (as checksec reports it, and for static programs too).
//! Each fact comes with the evidence it rests on.

use serde::Serialize;

use super::{Libc, Linkage};
use crate::elf::{DF_1_PIE, ElfFacts};
use crate::scan::{Marker, ScanResult};

/// One fact and why.
#[derive(Debug, Clone, Serialize)]
pub struct Fact {
    /// The answer, lower-case (`openssl`, `embedded`, `musl`…).
    pub value: &'static str,
    /// More about it: OpenSSL's version, rustls's crypto provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// What the answer rests on.
    pub evidence: Vec<String>,
}

impl Fact {
    fn new(value: &'static str, evidence: Vec<String>) -> Self {
        Fact {
            value,
            detail: None,
            evidence,
        }
    }
}

/// Hardening, as checksec names it.
#[derive(Debug, Clone, Serialize)]
pub struct Hardening {
    /// A `PT_GNU_STACK` without execute permission.
    pub nx_stack: bool,
    /// `full` (`PT_GNU_RELRO` and bind-now), `partial` (`PT_GNU_RELRO`), or `none`.
    pub relro: &'static str,
    /// Position-independent, so the kernel can randomise where it loads (PIE or static-pie).
    pub pie: bool,
    /// `yes`, `no`, or `unknown`: from the dynamic symbols, or a static program's symbol table
    /// (`main` calls `__stack_chk_fail`: yes; none linked: no; stripped or in between: unknown).
    pub stack_protector: &'static str,
    /// `yes`, `no`, or `unknown`: fortified (`__*_chk`) functions, from `_FORTIFY_SOURCE`.
    pub fortify: &'static str,
    /// x86 CET indirect-branch tracking (`IBT` in the GNU property note); absent off x86.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ibt: Option<bool>,
    /// x86 CET shadow stack (`SHSTK`); absent off x86.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shstk: Option<bool>,
    /// aarch64 branch target identification; absent off aarch64.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bti: Option<bool>,
    /// aarch64 pointer authentication; absent off aarch64.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pac: Option<bool>,
    /// What the answers rest on.
    pub evidence: Vec<String>,
}

/// Everything a hardened host needs to know.
#[derive(Debug, Clone, Serialize)]
pub struct HostFacts {
    /// `openssl`, `rustls`, `native-tls` or `none`.
    pub tls: Fact,
    /// `embedded`, `host`, or `none` (no TLS).
    pub trust_roots: Fact,
    /// `musl`, `glibc`, `jemalloc`, `mimalloc`, or `unknown`.
    pub allocator: Fact,
    /// NX stack, RELRO, PIE, stack protector, FORTIFY, CET, BTI/PAC.
    pub hardening: Hardening,
}

/// The facts of one file.
pub fn describe(facts: &ElfFacts, scan: &ScanResult, linkage: Linkage, libc: Libc) -> HostFacts {
    let at = |m: Marker| scan.markers.get(&m).copied();
    let seen = |m: Marker, what: &str| at(m).map(|off| format!("{what} (offset {off:#x})"));
    let needed = facts
        .dynamic
        .as_ref()
        .map(|d| d.needed.as_slice())
        .unwrap_or_default();
    let needs = |prefix: &str| needed.iter().find(|n| n.starts_with(prefix)).cloned();

    let tls = if let Some(lib) = needs("libssl.so") {
        let mut f = Fact::new("openssl", vec![format!("needs {lib}")]);
        f.detail = Some("shared: the host's version".into());
        f
    } else if let Some(version) = scan.texts.get(&Marker::OpenSslVersion) {
        let mut f = Fact::new(
            "openssl",
            seen(Marker::OpenSslVersion, version).into_iter().collect(),
        );
        f.detail = Some(version.clone());
        f
    } else if at(Marker::Rustls).is_some() {
        let mut f = Fact::new(
            "rustls",
            seen(Marker::Rustls, "rustls sources").into_iter().collect(),
        );
        let aws = seen(Marker::AwsLc, "aws-lc sources");
        let ring = seen(Marker::Ring, "ring sources");
        f.detail = match (&aws, &ring) {
            (Some(_), _) => Some("aws-lc-rs".into()),
            (None, Some(_)) => Some("ring".into()),
            _ => None,
        };
        f.evidence.extend(aws.into_iter().chain(ring));
        f
    } else if at(Marker::NativeTls).is_some() {
        Fact::new(
            "native-tls",
            seen(Marker::NativeTls, "native-tls sources")
                .into_iter()
                .collect(),
        )
    } else {
        Fact::new("none", Vec::new())
    };

    let trust_roots = if tls.value == "none" {
        Fact::new("none", Vec::new())
    } else if let Some(e) = seen(Marker::WebpkiRoots, "webpki-roots sources") {
        Fact::new("embedded", vec![e])
    } else if let (Some(isrg), Some(digicert)) = (
        seen(Marker::IsrgRoot, "root CA subject \"ISRG Root X1\""),
        seen(
            Marker::DigiCertRoot,
            "root CA subject \"DigiCert Global Root G2\"",
        ),
    ) {
        Fact::new("embedded", vec![isrg, digicert])
    } else {
        let evidence: Vec<String> = [
            seen(Marker::CaBundlePath, "a CA bundle path under /etc"),
            seen(Marker::SslCertFile, "SSL_CERT_FILE"),
            seen(
                Marker::NativeCerts,
                "rustls-native-certs / platform-verifier sources",
            ),
        ]
        .into_iter()
        .flatten()
        .collect();
        // OpenSSL reads the host's bundle (OPENSSLDIR, SSL_CERT_FILE) unless told otherwise.
        if evidence.is_empty() && tls.value != "openssl" {
            Fact::new("unknown", evidence)
        } else {
            Fact::new("host", evidence)
        }
    };

    // Linked in, the allocator's own messages are in the program; linked against its shared
    // library, only DT_NEEDED names it.
    let allocator = if let Some(e) = seen(Marker::Mimalloc, "mimalloc's messages") {
        Fact::new("mimalloc", vec![e])
    } else if let Some(lib) = needs("libmimalloc.so") {
        Fact::new("mimalloc", vec![format!("needs {lib}")])
    } else if let Some(e) = seen(Marker::Jemalloc, "jemalloc's messages") {
        Fact::new("jemalloc", vec![e])
    } else if let Some(lib) = needs("libjemalloc.so") {
        Fact::new("jemalloc", vec![format!("needs {lib}")])
    } else {
        match libc {
            Libc::Musl => Fact::new(
                "musl",
                vec!["musl's malloc, no other allocator found".into()],
            ),
            Libc::Glibc => Fact::new(
                "glibc",
                vec!["glibc's malloc, no other allocator found".into()],
            ),
            _ => Fact::new("unknown", Vec::new()),
        }
    };

    HostFacts {
        tls,
        trust_roots,
        allocator,
        hardening: hardening(facts, linkage, libc),
    }
}

fn hardening(facts: &ElfFacts, linkage: Linkage, libc: Libc) -> Hardening {
    let mut evidence = Vec::new();
    let nx_stack = facts.gnu_stack && !facts.exec_stack;
    evidence.push(match (facts.gnu_stack, facts.exec_stack) {
        (false, _) => "no PT_GNU_STACK".to_string(),
        (true, true) => "PT_GNU_STACK is executable".to_string(),
        (true, false) => "PT_GNU_STACK not executable".to_string(),
    });
    let dynamic = facts.dynamic.as_ref();
    let bind_now = dynamic.is_some_and(|d| d.flags & 0x8 != 0 || d.flags_1 & 0x1 != 0);
    // A program without PT_DYNAMIC relocates nothing after start-up: its RELRO is all there is.
    let relro = match (facts.relro, bind_now || dynamic.is_none()) {
        (true, true) => "full",
        (true, false) => "partial",
        (false, _) => "none",
    };
    if facts.relro {
        evidence.push(format!(
            "PT_GNU_RELRO{}",
            if bind_now { ", BIND_NOW" } else { "" }
        ));
    }
    let pie = super::is_pie(facts);
    if dynamic.is_some_and(|d| d.flags_1 & DF_1_PIE != 0) {
        evidence.push("DF_1_PIE".into());
    }
    let (stack_protector, fortify) = match dynamic {
        Some(d) if linkage == Linkage::Dynamic => {
            if d.stack_chk {
                evidence.push("dynamic symbol __stack_chk_fail".into());
            }
            if !d.fortified.is_empty() {
                evidence.push(format!("fortified functions {}", d.fortified.join(", ")));
            }
            (yes_no(d.stack_chk), yes_no(!d.fortified.is_empty()))
        }
        // A static program carries its C library, whose own code is often built with the stack
        // protector (Debian's glibc and musl are): `__stack_chk_fail` is then linked in whether or
        // not the program's code checks its stack. The symbol table still tells two cases apart:
        // `main` calling it is the program's own code, and no `__stack_chk_fail` at all means no
        // code in the file can check its stack. In between (linked, `main` does not call it) the
        // callers cannot be told apart from the C library's without debug information: `unknown`.
        // FORTIFY can be told from the symbol table: static glibc links a `__*_chk` function only
        // when some object calls it, and glibc's own code calls none (measured on Debian 12: plain,
        // NSS, locale, iconv and threads programs hold none; `-D_FORTIFY_SOURCE=2 -O2` brings
        // `__printf_chk`…). musl has no `__*_chk` at all: FORTIFY on musl (fortify-headers) is
        // inline, so their absence proves nothing there.
        _ if matches!(linkage, Linkage::Static | Linkage::StaticPie) => {
            let stack_protector = match facts.symtab_stack_chk {
                Some(s) if s.main_calls => {
                    evidence.push("symbol table: main calls __stack_chk_fail".into());
                    "yes"
                }
                Some(s) if !s.linked => {
                    evidence.push(
                        "symbol table: no __stack_chk_fail, so no code checks its stack".into(),
                    );
                    "no"
                }
                Some(_) => {
                    evidence.push(
                        "symbol table: __stack_chk_fail is linked but main does not call it (its callers may all be the C library's)"
                            .into(),
                    );
                    "unknown"
                }
                None => "unknown",
            };
            let fortify = match &facts.symtab_fortified {
                Some(names) if !names.is_empty() => {
                    evidence.push(format!(
                        "symbol table: fortified functions {}",
                        names.join(", ")
                    ));
                    "yes"
                }
                Some(_) if libc == Libc::Glibc => {
                    evidence.push("symbol table: no fortified function (static glibc)".into());
                    "no"
                }
                _ => "unknown",
            };
            (stack_protector, fortify)
        }
        _ => ("unknown", "unknown"),
    };
    let bit = |features: Option<u32>, mask: u32| Some(features.unwrap_or(0) & mask != 0);
    let (mut ibt, mut shstk, mut bti, mut pac) = (None, None, None, None);
    match facts.machine.as_str() {
        "x86_64" | "i686" | "x32" => {
            ibt = bit(facts.x86_features, 1);
            shstk = bit(facts.x86_features, 2);
            if let Some(f) = facts.x86_features {
                evidence.push(format!("GNU property x86 feature bits {f:#x}"));
            }
        }
        "aarch64" => {
            bti = bit(facts.aarch64_features, 1);
            pac = bit(facts.aarch64_features, 2);
            if let Some(f) = facts.aarch64_features {
                evidence.push(format!("GNU property aarch64 feature bits {f:#x}"));
            }
        }
        _ => {}
    }
    Hardening {
        nx_stack,
        relro,
        pie,
        stack_protector,
        fortify,
        ibt,
        shstk,
        bti,
        pac,
        evidence,
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::{DynamicFacts, FileType, StackChk};

    fn program() -> ElfFacts {
        ElfFacts::synthetic(FileType::Executable)
    }

    fn with_markers(markers: &[Marker]) -> ScanResult {
        let mut scan = ScanResult::default();
        for (i, m) in markers.iter().enumerate() {
            scan.markers.insert(*m, 0x10 * (i as u64 + 1));
        }
        scan
    }

    fn needing(libs: &[&str]) -> ElfFacts {
        let mut facts = program();
        facts.interpreters = vec!["/lib64/ld-linux-x86-64.so.2".into()];
        facts.dynamic = Some(DynamicFacts {
            needed: libs.iter().map(|s| s.to_string()).collect(),
            needed_count: libs.len(),
            ..DynamicFacts::default()
        });
        facts
    }

    fn static_facts(facts: &ElfFacts, scan: &ScanResult, libc: Libc) -> HostFacts {
        describe(facts, scan, Linkage::Static, libc)
    }

    #[test]
    fn openssl_shared_or_static_with_its_version() {
        let host = describe(
            &needing(&["libssl.so.3"]),
            &ScanResult::default(),
            Linkage::Dynamic,
            Libc::Glibc,
        );
        assert_eq!(host.tls.value, "openssl");
        assert_eq!(host.tls.evidence, ["needs libssl.so.3"]);
        assert_eq!(
            host.trust_roots.value, "host",
            "OpenSSL reads the host's bundle"
        );

        let mut scan = with_markers(&[Marker::OpenSslVersion]);
        scan.texts
            .insert(Marker::OpenSslVersion, "OpenSSL 3.0.17 1 Jul 2025".into());
        let host = static_facts(&program(), &scan, Libc::Musl);
        assert_eq!(host.tls.value, "openssl");
        assert_eq!(
            host.tls.detail.as_deref(),
            Some("OpenSSL 3.0.17 1 Jul 2025")
        );
        assert_eq!(
            host.tls.evidence,
            ["OpenSSL 3.0.17 1 Jul 2025 (offset 0x10)"]
        );
    }

    #[test]
    fn rustls_names_its_crypto_provider_aws_lc_first() {
        let host = static_facts(
            &program(),
            &with_markers(&[Marker::Rustls, Marker::Ring]),
            Libc::Musl,
        );
        assert_eq!(
            (host.tls.value, host.tls.detail.as_deref()),
            ("rustls", Some("ring"))
        );
        let scan = with_markers(&[Marker::Rustls, Marker::Ring, Marker::AwsLc]);
        let host = static_facts(&program(), &scan, Libc::Musl);
        assert_eq!(host.tls.detail.as_deref(), Some("aws-lc-rs"));
        assert_eq!(host.tls.evidence.len(), 3);
        let host = static_facts(&program(), &with_markers(&[Marker::Rustls]), Libc::Musl);
        assert_eq!(host.tls.detail, None);
    }

    #[test]
    fn trust_roots_embedded_host_unknown_or_none() {
        let facts = program();
        let roots = |markers: &[Marker]| {
            static_facts(&facts, &with_markers(markers), Libc::Musl)
                .trust_roots
                .value
        };
        assert_eq!(roots(&[]), "none", "no TLS, no roots");
        assert_eq!(
            roots(&[Marker::WebpkiRoots, Marker::CaBundlePath]),
            "none",
            "no TLS stack seen"
        );
        assert_eq!(roots(&[Marker::Rustls, Marker::WebpkiRoots]), "embedded");
        assert_eq!(
            roots(&[Marker::Rustls, Marker::IsrgRoot, Marker::DigiCertRoot]),
            "embedded"
        );
        assert_eq!(
            roots(&[Marker::Rustls, Marker::IsrgRoot]),
            "unknown",
            "one root name is not a list"
        );
        assert_eq!(roots(&[Marker::Rustls, Marker::NativeCerts]), "host");
        assert_eq!(roots(&[Marker::NativeTls, Marker::SslCertFile]), "host");
        assert_eq!(roots(&[Marker::NativeTls]), "unknown");
    }

    #[test]
    fn the_allocator_linked_in_outranks_the_c_library_s() {
        let facts = program();
        let alloc = |scan: &ScanResult, libc| static_facts(&facts, scan, libc).allocator.value;
        let none = ScanResult::default();
        assert_eq!(alloc(&none, Libc::Musl), "musl");
        assert_eq!(alloc(&none, Libc::Glibc), "glibc");
        assert_eq!(alloc(&none, Libc::None), "unknown");
        assert_eq!(
            alloc(&with_markers(&[Marker::Jemalloc]), Libc::Musl),
            "jemalloc"
        );
        assert_eq!(
            alloc(
                &with_markers(&[Marker::Jemalloc, Marker::Mimalloc]),
                Libc::Musl
            ),
            "mimalloc"
        );
        let host = describe(
            &needing(&["libc.so.6", "libjemalloc.so.2"]),
            &none,
            Linkage::Dynamic,
            Libc::Glibc,
        );
        assert_eq!(host.allocator.value, "jemalloc");
        assert_eq!(host.allocator.evidence, ["needs libjemalloc.so.2"]);
    }

    #[test]
    fn relro_is_full_partial_or_none() {
        let mut facts = needing(&["libc.so.6"]);
        let relro = |facts: &ElfFacts| hardening(facts, Linkage::Dynamic, Libc::Glibc).relro;
        assert_eq!(relro(&facts), "none");
        facts.relro = true;
        assert_eq!(relro(&facts), "partial");
        facts.dynamic.as_mut().unwrap().flags = 0x8; // DF_BIND_NOW
        assert_eq!(relro(&facts), "full");
        facts.dynamic.as_mut().unwrap().flags = 0;
        facts.dynamic.as_mut().unwrap().flags_1 = 0x1; // DF_1_NOW
        assert_eq!(relro(&facts), "full");
        let mut static_program = program();
        static_program.relro = true;
        assert_eq!(
            hardening(&static_program, Linkage::Static, Libc::Musl).relro,
            "full",
            "nothing is bound later"
        );
    }

    #[test]
    fn nx_stack_needs_a_non_executable_gnu_stack() {
        let mut facts = program();
        assert!(hardening(&facts, Linkage::Static, Libc::Musl).nx_stack);
        facts.exec_stack = true;
        assert!(!hardening(&facts, Linkage::Static, Libc::Musl).nx_stack);
        facts.gnu_stack = false;
        facts.exec_stack = false;
        let h = hardening(&facts, Linkage::Static, Libc::Musl);
        assert!(!h.nx_stack);
        assert_eq!(h.evidence[0], "no PT_GNU_STACK");
    }

    #[test]
    fn pie_for_pie_programs_and_static_pie() {
        assert!(!hardening(&program(), Linkage::Static, Libc::Musl).pie);
        let pie = ElfFacts::synthetic(FileType::SharedObject);
        assert!(hardening(&pie, Linkage::StaticPie, Libc::Musl).pie);
    }

    #[test]
    fn a_dynamic_program_s_stack_protector_and_fortify_come_from_its_dynamic_symbols() {
        let mut facts = needing(&["libc.so.6"]);
        let h = hardening(&facts, Linkage::Dynamic, Libc::Glibc);
        assert_eq!((h.stack_protector, h.fortify), ("no", "no"));
        let d = facts.dynamic.as_mut().unwrap();
        d.stack_chk = true;
        d.fortified = vec!["__printf_chk".into()];
        let h = hardening(&facts, Linkage::Dynamic, Libc::Glibc);
        assert_eq!((h.stack_protector, h.fortify), ("yes", "yes"));
        assert!(
            h.evidence
                .contains(&"fortified functions __printf_chk".to_string())
        );
    }

    #[test]
    fn a_static_program_s_fortify_comes_from_its_symbol_table() {
        let mut facts = program();
        let fortify = |facts: &ElfFacts, libc| hardening(facts, Linkage::Static, libc).fortify;
        assert_eq!(fortify(&facts, Libc::Glibc), "unknown", "stripped");
        facts.symtab_fortified = Some(Vec::new());
        assert_eq!(fortify(&facts, Libc::Glibc), "no");
        assert_eq!(
            fortify(&facts, Libc::Musl),
            "unknown",
            "musl's FORTIFY is inline"
        );
        facts.symtab_fortified = Some(vec!["__memcpy_chk".into()]);
        assert_eq!(fortify(&facts, Libc::Musl), "yes");
    }

    #[test]
    fn a_static_program_s_stack_protector_comes_from_main_s_calls() {
        let mut facts = program();
        let ssp = |facts: &ElfFacts| hardening(facts, Linkage::Static, Libc::Glibc).stack_protector;
        assert_eq!(ssp(&facts), "unknown", "stripped");
        facts.symtab_stack_chk = Some(StackChk::default());
        assert_eq!(ssp(&facts), "no", "nothing to call on a failed check");
        facts.symtab_stack_chk = Some(StackChk {
            linked: true,
            main_calls: false,
        });
        assert_eq!(
            ssp(&facts),
            "unknown",
            "the C library's code may be the only caller"
        );
        facts.symtab_stack_chk = Some(StackChk {
            linked: true,
            main_calls: true,
        });
        assert_eq!(ssp(&facts), "yes");
        let h = hardening(&facts, Linkage::StaticPie, Libc::Musl);
        assert!(
            h.evidence
                .contains(&"symbol table: main calls __stack_chk_fail".to_string())
        );
    }

    #[test]
    fn cet_and_bti_pac_bits_per_machine() {
        let mut facts = program();
        let h = hardening(&facts, Linkage::Static, Libc::Musl);
        assert_eq!(
            (h.ibt, h.shstk, h.bti, h.pac),
            (Some(false), Some(false), None, None)
        );
        facts.x86_features = Some(0x3);
        let h = hardening(&facts, Linkage::Static, Libc::Musl);
        assert_eq!((h.ibt, h.shstk), (Some(true), Some(true)));
        assert!(
            h.evidence
                .contains(&"GNU property x86 feature bits 0x3".to_string())
        );
        facts.machine = "aarch64".into();
        facts.x86_features = None;
        facts.aarch64_features = Some(0x2);
        let h = hardening(&facts, Linkage::Static, Libc::Musl);
        assert_eq!(
            (h.ibt, h.shstk, h.bti, h.pac),
            (None, None, Some(false), Some(true))
        );
        facts.machine = "riscv64".into();
        let h = hardening(&facts, Linkage::Static, Libc::Musl);
        assert_eq!((h.ibt, h.bti), (None, None));
    }
}
