//! The Nix flake, proven as far as this machine can: Debian's Nix 2.8 cannot evaluate nixpkgs or
//! crane (they need Nix ≥ 2.31.2), so the flake is built only by the GitHub workflow. Here every
//! `.nix` file is parsed, `flake.lock` is checked against the pinned revisions and against the
//! inputs `flake.nix` declares, `nix flake metadata` reads the lock offline, the flake's wiring and
//! the builder's arguments are evaluated with stand-ins for crane, rust-overlay and nixpkgs
//! (tests/nix/stubs.nix), the builder is built for real in Nix's sandbox against stand-ins for
//! pkgsStatic's stdenv and crane (tests/nix/static-build.nix), the checks' scripts run against real
//! binaries (tests/nix/scripts.nix), the workflows are checked for what they hash and call, and the
//! template and example crates build and pass their tests with plain cargo. Every Nix command runs
//! with the tests' own configuration (`crate::common::nix_command`), never the machine's.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{have_tool, stderr, stdout, tempdir};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `nix-instantiate ARGS`, run in the repository root.
fn nix_instantiate(args: &[&str]) -> Output {
    crate::common::nix_command("nix-instantiate")
        .args(args)
        .current_dir(root())
        .output()
        .expect("cannot run nix-instantiate")
}

/// `nix ARGS` (the tests' configuration enables the flake commands, experimental in Nix 2.8).
fn nix(args: &[&str]) -> Output {
    crate::common::nix_command("nix")
        .args(args)
        .current_dir(root())
        .output()
        .expect("cannot run nix")
}

/// tests/nix/stubs.nix evaluated to JSON: see that file for what it stands in for.
fn stubs() -> Value {
    let out = nix_instantiate(&[
        "--eval",
        "--strict",
        "--json",
        "--expr",
        "import ./tests/nix/stubs.nix { root = ./.; }",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("nix-instantiate printed invalid JSON")
}

fn strings(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| v.as_str().expect("not a string").to_string())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Every `.nix` file in the repository, outside build output.
fn nix_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(name.as_str(), "target" | ".git") && !name.starts_with("result") {
                nix_files(&path, found);
            }
        } else if name.ends_with(".nix") {
            found.push(path);
        }
    }
}

#[test]
fn every_nix_file_parses() {
    if !have_tool("nix-instantiate") {
        return;
    }
    let mut files = Vec::new();
    nix_files(&root(), &mut files);
    let relative: BTreeSet<String> = files
        .iter()
        .map(|f| f.strip_prefix(root()).unwrap().display().to_string())
        .collect();
    for expected in [
        "flake.nix",
        "nix/buildStaticPackage.nix",
        "nix/mkLib.nix",
        "nix/rustToolchain.nix",
        "templates/default/flake.nix",
    ] {
        assert!(
            relative.contains(expected),
            "{expected} missing from {relative:?}"
        );
    }
    for file in &files {
        let out = nix_instantiate(&["--parse", file.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{} does not parse:\n{}",
            file.display(),
            stderr(&out)
        );
    }

    // The parser does reject a broken file, so the loop above can fail.
    let dir = tempdir();
    let broken = dir.path().join("broken.nix");
    std::fs::write(&broken, "{ a = 1; b = ; }\n").unwrap();
    assert!(
        !nix_instantiate(&["--parse", broken.to_str().unwrap()])
            .status
            .success()
    );
}

/// The pinned inputs: the set crane's own test suite locks (crane `test/flake.lock`), with the
/// crane and rust-overlay narHashes recomputed from `git archive` of those revisions.
const PINS: &[(&str, &str, &str, &str, u64, &str)] = &[
    (
        "nixpkgs",
        "NixOS/nixpkgs",
        "104240a772428cc2e20d8fd86c9ddbb886bbaff2",
        "sha256-D740uKsMbgsfK2oaDenJLLPIZfq7W0/g4KN/Fls8eKs=",
        1785747939,
        "nixpkgs-unstable",
    ),
    (
        "crane",
        "ipetkov/crane",
        "b8d87f76ea4e4b6f30f2e6eaf3fbb60ff7d87167",
        "sha256-H++/2dMt+5+tErKU+t5z6c4Xedvj9w+UPQYrpygwIPw=",
        1785631643,
        "",
    ),
    (
        "rust-overlay",
        "oxalica/rust-overlay",
        "292249772330735cb32b90dedf44feddec40e7d0",
        "sha256-DauSP0ACycrq3MEEmDz/Scsxhs9TPBTexwKbTuE8Bw8=",
        1785736145,
        "",
    ),
];

fn lock() -> Value {
    let text = std::fs::read_to_string(root().join("flake.lock")).expect("flake.lock is missing");
    serde_json::from_str(&text).expect("flake.lock is not JSON")
}

#[test]
fn flake_lock_holds_exactly_the_pinned_revisions() {
    let lock = lock();
    assert_eq!(lock["version"], 7);
    assert_eq!(lock["root"], "root");
    let nodes = lock["nodes"].as_object().unwrap();
    let mut expected_nodes = set(&["root"]);
    for (name, repo, rev, nar_hash, last_modified, git_ref) in PINS {
        expected_nodes.insert(name.to_string());
        let node = &nodes[*name];
        let (owner, repo) = repo.split_once('/').unwrap();
        let locked = &node["locked"];
        assert_eq!(locked["type"], "github", "{name}");
        assert_eq!(locked["owner"], owner, "{name}");
        assert_eq!(locked["repo"], repo, "{name}");
        assert_eq!(locked["rev"], *rev, "{name}");
        assert_eq!(locked["narHash"], *nar_hash, "{name}");
        assert_eq!(locked["lastModified"], *last_modified, "{name}");
        assert!(
            locked.get("ref").is_none(),
            "{name}: a locked node has no ref"
        );
        let original = &node["original"];
        assert_eq!(original["type"], "github", "{name}");
        assert_eq!(original["owner"], owner, "{name}");
        assert_eq!(original["repo"], repo, "{name}");
        match *git_ref {
            "" => assert!(original.get("ref").is_none(), "{name}"),
            r => assert_eq!(original["ref"], r, "{name}"),
        }
    }
    let actual_nodes: BTreeSet<String> = nodes.keys().cloned().collect();
    assert_eq!(
        actual_nodes, expected_nodes,
        "unexpected nodes in flake.lock"
    );
    // rust-overlay uses our nixpkgs, so there is exactly one nixpkgs in the closure.
    assert_eq!(
        nodes["rust-overlay"]["inputs"],
        serde_json::json!({ "nixpkgs": ["nixpkgs"] })
    );
    assert!(nodes["crane"].get("inputs").is_none());

    // Against the shared pins file when this checkout sits next to it (the project's working
    // layout; a fresh clone in CI has only the constants above, which were taken from it).
    let candidates = [
        root().join("../shared/flake-pins.json"),
        root().join("../../shared/flake-pins.json"),
    ];
    if let Some(pins) = candidates.iter().find(|p| p.is_file()) {
        eprintln!("comparing flake.lock with {}", pins.display());
        let pins: Value = serde_json::from_str(&std::fs::read_to_string(pins).unwrap()).unwrap();
        for (name, ..) in PINS {
            assert_eq!(nodes[*name]["locked"], pins[*name]["locked"], "{name}");
            assert_eq!(nodes[*name]["original"], pins[*name]["original"], "{name}");
        }
    }
}

/// `github:owner/repo[/ref]` as a lock file's `original` node.
fn original_from_url(url: &str) -> Value {
    let rest = url
        .strip_prefix("github:")
        .expect("only github: inputs are used");
    let parts: Vec<&str> = rest.split('/').collect();
    let mut original = serde_json::json!({ "type": "github", "owner": parts[0], "repo": parts[1] });
    if let Some(r) = parts.get(2) {
        original["ref"] = Value::from(*r);
    }
    original
}

#[test]
fn every_flake_input_is_locked_and_rust_overlay_follows_nixpkgs() {
    if !have_tool("nix-instantiate") {
        return;
    }
    let inputs = stubs()["flake"]["inputs"].clone();
    let lock = lock();
    let nodes = &lock["nodes"];
    let root_inputs = nodes["root"]["inputs"].as_object().unwrap();
    let declared: BTreeSet<String> = inputs.as_object().unwrap().keys().cloned().collect();
    assert_eq!(declared, set(&["crane", "nixpkgs", "rust-overlay"]));
    assert_eq!(
        root_inputs.keys().cloned().collect::<BTreeSet<_>>(),
        declared
    );
    for (name, input) in inputs.as_object().unwrap() {
        let node = &nodes[root_inputs[name].as_str().unwrap()];
        let url = input["url"].as_str().unwrap();
        assert_eq!(node["original"], original_from_url(url), "{name}: {url}");
        for (inner, spec) in input
            .get("inputs")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let follows = spec["follows"].as_str().expect("only `follows` is used");
            let path: Vec<&str> = follows.split('/').collect();
            assert_eq!(
                node["inputs"][inner],
                serde_json::json!(path),
                "{name}.{inner}"
            );
        }
    }
    assert_eq!(
        inputs["rust-overlay"]["inputs"]["nixpkgs"]["follows"],
        "nixpkgs"
    );

    // The template follows repro-check's nixpkgs, so a user's lock has one nixpkgs.
    let template = &stubs()["template"]["inputs"];
    assert_eq!(template["nixpkgs"]["follows"], "repro-check/nixpkgs");
    assert!(
        template["repro-check"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/repro-check")
    );
}

/// A copy of the flake's files in a fresh directory, read by Nix as a `path:` flake (a git
/// worktree is not something Nix 2.8 reads, and only committed files would count).
fn flake_copy() -> tempfile::TempDir {
    let dir = tempdir();
    for file in ["flake.nix", "flake.lock", "rust-toolchain.toml"] {
        std::fs::copy(root().join(file), dir.path().join(file)).unwrap();
    }
    dir
}

fn metadata(dir: &Path) -> Output {
    let url = format!("path:{}", dir.display());
    nix(&[
        "flake",
        "metadata",
        "--offline",
        "--no-update-lock-file",
        "--json",
        &url,
    ])
}

#[test]
fn nix_flake_metadata_reads_the_lock_offline() {
    if !have_tool("nix") {
        return;
    }
    let dir = flake_copy();
    let out = metadata(dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let meta: Value = serde_json::from_slice(&out.stdout).expect("metadata is not JSON");
    assert_eq!(meta["locks"], lock(), "Nix read a different lock");
    assert!(
        meta["description"]
            .as_str()
            .unwrap()
            .starts_with("repro-check")
    );

    // An input that no longer matches its lock entry needs a re-lock: offline Nix cannot fetch
    // the new revision, and online `--no-update-lock-file` forbids writing it. Either way the
    // command fails, so the check above catches drift between flake.nix and flake.lock.
    let flake = std::fs::read_to_string(dir.path().join("flake.nix")).unwrap();
    let drifted = flake.replace("github:ipetkov/crane", "github:ipetkov/crane/v0.20.0");
    assert_ne!(flake, drifted);
    std::fs::write(dir.path().join("flake.nix"), drifted).unwrap();
    let out = metadata(dir.path());
    assert!(
        !out.status.success(),
        "a drifted input was accepted:\n{}",
        stdout(&out)
    );
}

#[test]
fn toolchain_is_read_from_rust_toolchain_toml_with_the_musl_target() {
    if !have_tool("nix-instantiate") {
        return;
    }
    let toml = std::fs::read_to_string(root().join("rust-toolchain.toml")).unwrap();
    let channel = toml
        .lines()
        .find_map(|l| l.trim().strip_prefix("channel = "))
        .expect("rust-toolchain.toml names a channel")
        .trim_matches('"');
    let request = &stubs()["toolchain"];
    assert_eq!(request["channel"], channel);
    assert_eq!(
        request["profile"], "minimal",
        "no rust-src in the toolchain"
    );
    assert_eq!(strings(&request["components"]), set(&["clippy", "rustfmt"]));
    assert_eq!(
        strings(&request["targets"]),
        set(&["x86_64-unknown-linux-musl"])
    );
    // mkLib names its musl target with nixpkgs' `cargoShortTarget` (the stand-in has no
    // `rustcTarget`, which nixpkgs' lib/systems says not to use).
    assert_eq!(stubs()["mkLibToolchain"]["targets"], request["targets"]);
    // The version is not repeated anywhere in the Nix code.
    let mut files = Vec::new();
    nix_files(&root().join("nix"), &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            !text.contains(channel),
            "{} repeats {channel}",
            file.display()
        );
    }
}

#[test]
fn builder_sets_static_openssl_and_reproducibility_and_passes_the_rest_through() {
    if !have_tool("nix-instantiate") {
        return;
    }
    let stubs = stubs();
    let pkg = &stubs["withOpenssl"];
    let deps = &pkg["cargoArtifacts"]["deps"];

    // openssl-sys's target-prefixed variables, pointing at pkgsStatic.openssl's outputs.
    let t = "X86_64_UNKNOWN_LINUX_MUSL";
    assert_eq!(pkg[format!("{t}_OPENSSL_STATIC")], "1");
    assert_eq!(pkg[format!("{t}_OPENSSL_NO_VENDOR")], "1");
    assert!(
        pkg[format!("{t}_OPENSSL_LIB_DIR")]
            .as_str()
            .unwrap()
            .ends_with("-openssl-3/lib")
    );
    assert!(
        pkg[format!("{t}_OPENSSL_INCLUDE_DIR")]
            .as_str()
            .unwrap()
            .ends_with("-openssl-3-dev/include")
    );
    assert!(
        pkg.get("openssl").is_none(),
        "`openssl` must not reach crane"
    );

    // Every OpenSSL output is scrubbed, `etc` (OPENSSLDIR in libcrypto.a) included, after the
    // caller's own postInstall; and Nix rejects any reference left.
    let post_install = pkg["postInstall"].as_str().unwrap();
    assert!(post_install.starts_with("echo caller-postInstall\n"));
    for output in ["bin", "dev", "openssl-3", "man", "etc"] {
        assert!(
            post_install
                .lines()
                .any(|l| l.contains("remove-references-to -t") && l.contains(output)),
            "{output} is not scrubbed:\n{post_install}"
        );
    }
    assert_eq!(pkg["allowedReferences"], serde_json::json!([]));

    // Reproducibility settings.
    assert_eq!(pkg["CARGO_PROFILE_RELEASE_CODEGEN_UNITS"], "1");
    assert_eq!(pkg["CARGO_PROFILE_RELEASE_STRIP"], "symbols");
    assert_eq!(pkg["SOURCE_DATE_EPOCH"], "315532800");
    let pre_build = pkg["preBuild"].as_str().unwrap();
    assert!(pre_build.contains("--remap-path-prefix=$NIX_BUILD_TOP/source=."));
    assert!(pre_build.contains("+crt-static"));
    // After the caller's preBuild, so flags it exports are merged, not replaced.
    assert!(pre_build.starts_with("echo caller-preBuild\n"));
    assert!(pkg["postUnpack"].as_str().unwrap().contains("mv --"));
    // aws-lc-sys builds its vendored AWS-LC, never a detected one; a caller may override it.
    assert_eq!(pkg["AWS_LC_SYS_USE_SYSTEM"], "0");
    assert_eq!(deps["AWS_LC_SYS_USE_SYSTEM"], "0");
    // No `-rpath` from the ld-wrapper, in either build.
    assert_eq!(pkg["NIX_DONT_SET_RPATH"], "1");
    assert_eq!(deps["NIX_DONT_SET_RPATH"], "1");
    // OpenSSL reaches openssl-sys through the variables only: in `buildInputs`, pkgsStatic's
    // stdenv would propagate it into the output's nix-support.
    assert!(pkg.get("buildInputs").is_none(), "{}", pkg["buildInputs"]);
    assert!(
        pkg["postFixup"]
            .as_str()
            .unwrap()
            .contains("rm -f \"$out\"/nix-support/propagated-*")
    );

    // Extra arguments pass through, to the package and to the dependency build.
    assert_eq!(pkg["cargoExtraArgs"], "--locked --package demo");
    assert_eq!(deps["cargoExtraArgs"], "--locked --package demo");

    // The dependency build gets the same flags (or cargo would rebuild everything), but not the
    // output checks nor the caller's install hooks.
    for key in [
        "preBuild",
        "postUnpack",
        "CARGO_PROFILE_RELEASE_CODEGEN_UNITS",
        "SOURCE_DATE_EPOCH",
    ]
    .iter()
    .map(|k| k.to_string())
    .chain([format!("{t}_OPENSSL_LIB_DIR")])
    {
        assert_eq!(pkg[&key], deps[&key], "{key}");
    }
    assert!(deps.get("allowedReferences").is_none());
    assert_eq!(deps["installPhase"], "prepareAndInstallCargoArtifactsDir");
    assert_eq!(pkg["passthru"]["cargoArtifacts"], pkg["cargoArtifacts"]);

    // A caller's output checks go to the package only, its RUSTFLAGS to both builds.
    let user = &stubs["withUserFlags"];
    let cacert = serde_json::json!(["/nix/store/66666666666666666666666666666666-cacert"]);
    assert_eq!(user["allowedReferences"], cacert);
    assert!(
        user["cargoArtifacts"]["deps"]
            .get("allowedReferences")
            .is_none()
    );
    assert_eq!(
        user["cargoArtifacts"]["deps"]["RUSTFLAGS"],
        "-C target-cpu=x86-64-v2"
    );

    // Without `openssl`, nothing about OpenSSL.
    let plain = stubs["plain"].as_object().unwrap();
    assert!(plain.keys().all(|k| !k.contains("OPENSSL")), "{plain:?}");
    assert_eq!(plain["postInstall"], "");
}

#[test]
fn flake_outputs_are_wired() {
    if !have_tool("nix-instantiate") {
        return;
    }
    let flake = stubs()["flake"].clone();
    assert_eq!(
        strings(&flake["outputs"]),
        set(&[
            "apps",
            "checks",
            "devShells",
            "formatter",
            "lib",
            "overlays",
            "packages",
            "templates"
        ])
    );
    assert_eq!(
        strings(&flake["systems"]),
        set(&["aarch64-linux", "x86_64-linux"])
    );
    assert_eq!(
        strings(&flake["packages"]),
        set(&[
            "default",
            "image",
            "static",
            "static-openssl",
            "static-rustls",
            "static-rustls-ring"
        ])
    );
    assert_eq!(strings(&flake["apps"]), set(&["check", "default"]));
    assert_eq!(flake["app"]["type"], "app");
    assert_eq!(
        strings(&flake["app"]["attrs"]),
        set(&["meta", "program", "type"])
    );
    for check in [
        "clippy",
        "fmt",
        "nextest",
        "static",
        "static-openssl",
        "template",
        "reproducible",
        "openssl-example",
        "static-rustls",
        "static-rustls-ring",
        "rustls-example",
        "rustls-ring-example",
        "image",
    ] {
        assert!(
            strings(&flake["checks"]).contains(check),
            "checks.{check} is missing"
        );
    }
    assert_eq!(strings(&flake["devShells"]), set(&["default"]));
    // The overlay takes both from mkLib's scope for the package set it is applied to.
    assert_eq!(
        strings(&flake["overlay"]),
        set(&["buildStaticRustPackage", "repro-check"])
    );
    assert_eq!(strings(&flake["templates"]["names"]), set(&["default"]));
    // `nix flake check` rejects any other attribute on a template.
    assert_eq!(
        strings(&flake["templates"]["attrs"]),
        set(&["description", "path"])
    );
    assert_eq!(flake["templates"]["path"], true);

    // Everything the template and the README call on `mkLib`'s result exists.
    let provided = strings(&flake["mkLib"]);
    let mut used = BTreeSet::new();
    for file in ["templates/default/flake.nix", "README.md"] {
        let text = std::fs::read_to_string(root().join(file)).unwrap();
        for (i, _) in text.match_indices("rc.") {
            let word_start = text[..i]
                .chars()
                .next_back()
                .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
            if !word_start {
                continue;
            }
            let name: String = text[i + 3..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            if !name.is_empty() {
                used.insert(name);
            }
        }
    }
    assert!(used.contains("buildStaticPackage"), "{used:?}");
    for name in &used {
        assert!(
            provided.contains(name),
            "mkLib has no `{name}`: {provided:?}"
        );
    }
}

#[test]
fn mklib_is_a_scope_and_override_scope_swaps_the_checker_and_the_toolchain() {
    if !have_tool("nix-instantiate") {
        return;
    }
    let scope = stubs()["scope"].clone();
    // A nixpkgs scope (lib.makeScope), with every attribute mkLib had before.
    let names = strings(&scope["names"]);
    for name in [
        "buildScratchImage",
        "buildStaticPackage",
        "checkImage",
        "checkReproducible",
        "checkStatic",
        "craneLib",
        "repro-check",
        "rustToolchain",
        "staticCraneLib",
        "callPackage",
        "newScope",
        "overrideScope",
        "imageDefaults",
        "rustToolchainFor",
    ] {
        assert!(names.contains(name), "mkLib has no `{name}`: {names:?}");
    }

    let default = &scope["default"];
    let swapped = &scope["swapped"];
    let built = "/nix/store/99999999999999999999999999999999-crane-build/bin/repro-check ";
    let other = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-other-checker/bin/other-check ";
    assert_eq!(
        default["checker"],
        "/nix/store/99999999999999999999999999999999-crane-build"
    );
    // Every check runs the scope's checker: the built one, or the one overrideScope put in.
    for check in ["static", "reproducible", "imageCheck"] {
        let before = default[check].as_str().unwrap();
        let after = swapped[check].as_str().unwrap();
        assert!(before.contains(built), "{check}:\n{before}");
        assert!(after.contains(other), "{check}:\n{after}");
        assert!(
            !after.contains(built),
            "{check} still runs the old checker:\n{after}"
        );
    }
    assert!(
        swapped["static"]
            .as_str()
            .unwrap()
            .contains(&format!("{other}check --json"))
    );

    // The toolchain: by default the one of rust-toolchain.toml (nix/rustToolchain.nix); swapped,
    // crane for the host and for pkgsStatic and the builder all get the new one.
    assert_eq!(default["toolchain"]["profile"], "minimal");
    assert_eq!(default["staticCraneToolchain"], default["toolchain"]);
    assert_eq!(default["built"]["toolchain"], default["toolchain"]);
    let new = serde_json::json!({ "swapped": true });
    for key in ["toolchain", "craneToolchain", "staticCraneToolchain"] {
        assert_eq!(swapped[key], new, "{key}");
    }
    assert_eq!(swapped["built"]["toolchain"], new);
}

#[test]
fn scratch_image_and_its_check_read_the_same_defaults() {
    if !have_tool("nix-instantiate") {
        return;
    }
    let scope = stubs()["scope"].clone();
    let file = &scope["imageDefaultsFile"];
    assert_eq!(file["user"], "1000:1000");
    assert_eq!(file["created"], "1970-01-01T00:00:01Z");
    for case in ["default", "swapped"] {
        let uses = &scope[case];
        let defaults = &uses["imageDefaults"];
        let image = &uses["image"];
        let check = uses["imageCheck"].as_str().unwrap();
        let user = defaults["user"].as_str().unwrap();
        let created = defaults["created"].as_str().unwrap();
        let bundle = defaults["caBundle"].as_str().unwrap();
        // What buildScratchImage asks dockerTools for…
        assert_eq!(image["config"]["User"], user, "{case}");
        assert_eq!(image["created"], created, "{case}");
        assert_eq!(
            image["config"]["Env"],
            serde_json::json!([format!("SSL_CERT_FILE={bundle}")]),
            "{case}"
        );
        assert!(
            image["extraCommands"]
                .as_str()
                .unwrap()
                .contains(&format!("ca-bundle.crt .{bundle}\n")),
            "{case}"
        );
        // …is what checkImage expects.
        assert!(
            check.contains(&format!("--arg user '{user}'")),
            "{case}:\n{check}"
        );
        assert!(
            check.contains(&format!("--arg created '{created}'")),
            "{case}:\n{check}"
        );
        assert!(check.contains(&format!("SSL_CERT_FILE={bundle}")), "{case}");
        assert!(check.contains(&format!("./bin/demo .{bundle}")), "{case}");
    }
    // The file's defaults by default; overrideScope changed the user for both at once.
    assert_eq!(&scope["default"]["imageDefaults"], file);
    assert_eq!(scope["swapped"]["image"]["config"]["User"], "65534:65534");
    // No other file repeats a default.
    for name in ["buildScratchImage.nix", "checkImage.nix", "mkLib.nix"] {
        let text = std::fs::read_to_string(root().join("nix").join(name)).unwrap();
        for value in ["1000:1000", "1970-01-01", "ca-certificates.crt"] {
            assert!(!text.contains(value), "nix/{name} repeats {value}");
        }
    }
}

#[test]
fn flake_nextest_check_runs_the_host_independent_integration_tests() {
    if !have_tool("nix-instantiate") {
        return;
    }
    let nextest = stubs()["nextest"].clone();
    let modules = std::fs::read_to_string(root().join("tests/tests.rs")).unwrap();
    let common = std::fs::read_to_string(root().join("tests/common/mod.rs")).unwrap();
    for system in ["x86_64-linux", "aarch64-linux"] {
        let check = &nextest[system];
        let args = check["cargoNextestExtraArgs"].as_str().unwrap();
        // The unit tests and the one integration-test binary, filtered.
        assert!(
            args.contains("'--lib' '--bins' '--test' 'integration' '-E' "),
            "{system}: {args}"
        );
        let filter = args.rsplit_once(" '-E' ").unwrap().1.trim_matches('\'');
        let excluded = filter
            .strip_prefix("not (binary(integration) & (test(/^(")
            .and_then(|rest| rest.split_once(")::/)"))
            .unwrap_or_else(|| panic!("{system}: unexpected filter {filter}"));
        // Every excluded module and test exists, so a rename cannot widen the filter unnoticed…
        for module in excluded.0.split('|') {
            assert!(
                modules.contains(&format!("mod {module};")),
                "tests/tests.rs has no module {module}"
            );
        }
        for name in excluded.1.split("test(=").skip(1) {
            let name = name.trim_end_matches(')').trim_end_matches(')');
            let (module, function) = name.split_once("::").unwrap();
            let text = std::fs::read_to_string(root().join(format!("tests/{module}.rs"))).unwrap();
            assert!(
                text.contains(&format!("fn {function}()")),
                "tests/{module}.rs has no test {function}"
            );
        }
        // …and the other modules run.
        for module in ["attest", "compare", "hash", "help", "walk"] {
            assert!(!excluded.0.split('|').any(|m| m == module), "{module}");
        }
        // Absent tools skip (REPRO_CHECK_REQUIRE_TOOLS stays unset), and the skips are printed
        // from nextest's JUnit report, which holds the output of passing tests.
        assert!(check["requireTools"].is_null(), "{system}");
        assert_eq!(check["INSTA_UPDATE"], "no");
        let post = check["postCheck"].as_str().unwrap();
        assert!(post.contains("nextest/default/junit.xml"), "{post}");
        assert!(post.contains("grep -o 'SKIPPED: "), "{post}");
        assert!(common.contains("\"SKIPPED: {test}: {reason}\""));
        assert!(args.contains("'--config-file' '/nix/store/"), "{args}");
    }
    let per_system = std::fs::read_to_string(root().join("nix/perSystem.nix")).unwrap();
    assert!(per_system.contains("path = \"junit.xml\"\n    store-success-output = true"));
}

/// Run `cargo ARGS` in `dir` with its own target directory, offline.
fn cargo(dir: &Path, args: &[&str]) -> Output {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .arg("--offline")
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .output()
        .expect("cannot run cargo")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "target" {
                copy_tree(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn template_crate_builds_and_passes_its_tests_as_nix_flake_init_leaves_it() {
    // `nix flake init -t` copies templates/default into an empty directory: do the same.
    let dir = tempdir();
    let project = dir.path().join("my-project");
    copy_tree(&root().join("templates/default"), &project);
    assert!(
        project.join("Cargo.lock").is_file(),
        "crane needs the template's Cargo.lock"
    );
    assert!(project.join("flake.nix").is_file());

    let out = cargo(&project, &["test", "--locked"]);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let log = format!("{}{}", stdout(&out), stderr(&out));
    assert!(log.contains("greets_by_name ... ok"), "{log}");
    assert!(log.contains("prints_a_greeting ... ok"), "{log}");

    // And it is not part of this workspace (its lock is its own).
    let meta = cargo(&root(), &["metadata", "--format-version", "1", "--no-deps"]);
    assert!(meta.status.success(), "{}", stderr(&meta));
    let meta: Value = serde_json::from_slice(&meta.stdout).unwrap();
    let members: BTreeSet<String> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    assert!(members.contains("static-openssl"), "{members:?}");
    assert!(members.contains("static-rustls"), "{members:?}");
    assert!(!members.contains("hello-static"), "{members:?}");
}

/// Every `uses:` of a workflow: pinned to a 40-hex commit with a `# vX.Y` (or `# COMMIT`) comment.
fn assert_actions_pinned(file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join(file)).unwrap();
    let uses: Vec<String> = text
        .lines()
        .filter_map(|l| l.trim().trim_start_matches("- ").strip_prefix("uses: "))
        .map(str::to_string)
        .collect();
    assert!(!uses.is_empty(), "{file}");
    for line in &uses {
        let (action, comment) = line
            .split_once(" # ")
            .unwrap_or_else(|| panic!("{file}: `{line}` has no version comment"));
        let sha = action.rsplit_once('@').expect("pinned with @").1;
        assert!(
            sha.len() == 40 && sha.chars().all(|c| c.is_ascii_hexdigit()),
            "{file}: {action} is not pinned to a commit"
        );
        assert!(
            comment.starts_with("COMMIT")
                || comment
                    .strip_prefix('v')
                    .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit())),
            "{file}: {line}"
        );
    }
    uses
}

#[test]
fn ci_workflow_runs_flake_check_on_both_architectures_with_pinned_actions() {
    let text = std::fs::read_to_string(root().join(".github/workflows/ci.yml")).unwrap();
    assert!(text.contains("nix flake check -L"));
    assert!(text.contains("ubuntu-24.04-arm") && text.contains("ubuntu-24.04"));
    assert!(text.contains("contents: read"));
    assert!(text.contains("persist-credentials: false"));
    assert!(assert_actions_pinned(".github/workflows/ci.yml").len() >= 2);
}

#[test]
fn reproducibility_workflows_hash_the_store_path_and_the_template_calls_the_reusable_one() {
    for file in [
        ".github/workflows/reproducibility.yml",
        ".github/workflows/reproducible-build.yml",
    ] {
        let text = std::fs::read_to_string(root().join(file)).unwrap();
        assert_actions_pinned(file);
        // `hash --nar result` would hash the symlink, the same bytes on every runner.
        let hashes: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("-- hash --json --nar"))
            .collect();
        assert!(!hashes.is_empty(), "{file}");
        for line in hashes {
            assert!(!line.trim_end().ends_with(" result"), "{file}: {line}");
            assert!(
                line.contains("\"$(readlink -f result)\"") || line.contains("\"$out\""),
                "{file}: {line}"
            );
        }
        assert!(text.contains("readlink -f result"), "{file}");
    }

    // The reusable workflow: callable, two runners, compare, attest, verify, actions/attest.
    let reusable =
        std::fs::read_to_string(root().join(".github/workflows/reproducible-build.yml")).unwrap();
    for needle in [
        "workflow_call:",
        "runner-a:",
        "runner-b:",
        "-- compare \"builds/$NAME-a/manifest.json\"",
        "-- compare \"builds/$NAME-a/output\"",
        "-- attest",
        "-- verify",
        "uses: actions/attest@",
        "--inputs-from .",
        "permissions: {}",
    ] {
        assert!(
            reusable.contains(needle),
            "reproducible-build.yml lacks {needle}"
        );
    }

    // The template's workflow calls it, by the path it has in this repository.
    let uses = assert_actions_pinned("templates/default/.github/workflows/reproducible.yml");
    assert_eq!(uses.len(), 2, "{uses:?}");
    for line in uses {
        let path = line
            .strip_prefix("OWNER/repro-check/")
            .and_then(|rest| rest.split_once('@'))
            .map(|(path, _)| path)
            .unwrap_or_else(|| panic!("{line}"));
        assert!(root().join(path).is_file(), "{path}");
    }
}

/// The script of check `name` (tests/nix/scripts.nix) for these paths.
fn check_script(name: &str, checker: &Path, package: &Path) -> String {
    check_script_with(name, checker, package, &[])
}

/// The same, with more `--argstr NAME VALUE` (`other`: a second build for the reproducibility
/// check; `opensslVersion`: the OpenSSL the example must run).
fn check_script_with(name: &str, checker: &Path, package: &Path, extra: &[(&str, &str)]) -> String {
    let mut args = vec![
        "--eval",
        "--strict",
        "--json",
        "tests/nix/scripts.nix",
        "--arg",
        "root",
        "./.",
        "--argstr",
        "checker",
        checker.to_str().unwrap(),
        "--argstr",
        "package",
        package.to_str().unwrap(),
        "--argstr",
        "machine",
        std::env::consts::ARCH,
        "-A",
        name,
    ];
    for (arg, value) in extra {
        args.extend(["--argstr", arg, value]);
    }
    let out = nix_instantiate(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice::<String>(&out.stdout).expect("not a JSON string")
}

/// Run a check's script the way stdenv runs `runCommand` (bash, `set -euo pipefail`) in a fresh
/// directory; whether it succeeded, and its output.
fn run_check_script(script: &str) -> (bool, String) {
    let work = tempdir();
    let out_path = work.path().join("out");
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .current_dir(work.path())
        .env("out", &out_path)
        .output()
        .expect("cannot run bash");
    let log = format!("{}{}", stdout(&out), stderr(&out));
    // A derivation succeeds only when its script exits 0 *and* creates $out.
    (out.status.success() && out_path.exists(), log)
}

/// A C program that calls strerror, as every Rust program does: musl's message table is the
/// evidence repro-check uses for "musl" (a stripped program without it is "libc unknown").
const MUSL_PROGRAM: &str = "#include <stdio.h>\n#include <string.h>\n\
                            int main(void) { puts(strerror(2)); return 0; }\n";

/// A package-like directory holding `bin/NAME` compiled from `source` by `compiler`.
fn package_with(dir: &Path, compiler: &str, name: &str, source: &str, flags: &[&str]) -> PathBuf {
    let package = dir.join(format!("{name}-package"));
    std::fs::create_dir_all(package.join("bin")).unwrap();
    crate::common::compile_c(compiler, &package.join("bin"), name, source, flags);
    std::fs::remove_file(package.join("bin").join(format!("{name}.c"))).unwrap();
    package
}

/// A package holding `bin/runpath`: a musl static-pie executable (musl's `rcrt1.o`, linked by gcc:
/// Debian's musl-gcc would make `-static-pie` dynamic) with a RUNPATH.
fn musl_static_pie_with_runpath(dir: &Path) -> PathBuf {
    let package = dir.join("runpath-package");
    std::fs::create_dir_all(package.join("bin")).unwrap();
    let source = dir.join("runpath.c");
    std::fs::write(&source, MUSL_PROGRAM).unwrap();
    let object = dir.join("runpath.o");
    let run = |cmd: &mut Command| {
        let out = cmd.output().expect("cannot run the compiler");
        assert!(out.status.success(), "{cmd:?}: {}", stderr(&out));
        stdout(&out)
    };
    run(Command::new("musl-gcc")
        .args(["-fPIE", "-c", "-o"])
        .arg(&object)
        .arg(&source));
    // musl's files sit next to the specs file the musl-gcc script passes to gcc.
    let wrapper = run(Command::new("sh").args(["-c", "cat \"$(command -v musl-gcc)\""]));
    let specs = wrapper
        .split('"')
        .find(|word| word.ends_with("musl-gcc.specs"))
        .unwrap_or_else(|| panic!("no specs file in musl-gcc:\n{wrapper}"));
    let musl = Path::new(specs).parent().unwrap();
    run(Command::new("gcc")
        .args([
            "-static-pie",
            "-nostdlib",
            "-s",
            "-Wl,-rpath,/usr/lib/musl/lib",
            "-o",
        ])
        .arg(package.join("bin/runpath"))
        .args([musl.join("rcrt1.o"), musl.join("crti.o"), object])
        .args([musl.join("libc.a"), musl.join("crtn.o")]));
    package
}

#[test]
fn static_check_script_passes_static_musl_and_fails_the_rest() {
    if !(have_tool("nix-instantiate") && have_tool("musl-gcc") && have_tool("jq")) {
        return;
    }
    let dir = tempdir();
    let checker = crate::common::bin();

    // Stripped, as stdenv strips (Debian's libc.a carries debug info naming its build directory).
    let good = package_with(
        dir.path(),
        "musl-gcc",
        "hello",
        MUSL_PROGRAM,
        &["-static", "-s"],
    );
    let (ok, log) = run_check_script(&check_script("static", &checker, &good));
    assert!(ok, "a static musl binary must pass:\n{log}");

    let dynamic = package_with(dir.path(), "gcc", "dynamic", crate::common::HELLO_C, &[]);
    let (ok, log) = run_check_script(&check_script("static", &checker, &dynamic));
    assert!(!ok, "a dynamic binary must fail:\n{log}");

    // Static and musl, but with a store path inside: denied.
    let store_ref = "#include <stdio.h>\n#include <string.h>\nint main(void) { puts(strerror(2)); \
                     puts(\"/nix/store/0123456789abcdfghijklmnpqrsvwxyz-openssl-3-etc/etc/ssl\"); \
                     return 0; }\n";
    let leaky = package_with(
        dir.path(),
        "musl-gcc",
        "leaky",
        store_ref,
        &["-static", "-s"],
    );
    // A musl static-pie (as rustc links it) with the RUNPATH an ld-wrapper adds when
    // NIX_DONT_SET_RPATH is unset: repro-check only warns, the check denies it.
    let runpath = musl_static_pie_with_runpath(dir.path());
    let (ok, log) = run_check_script(&check_script("static", &checker, &runpath));
    assert!(!ok, "a RUNPATH must fail:\n{log}");
    assert!(log.contains("runpath"), "{log}");

    let (ok, log) = run_check_script(&check_script("static", &checker, &leaky));
    assert!(!ok, "a store reference must fail:\n{log}");
    assert!(log.contains("nix-store-ref"), "{log}");
    assert!(
        log.contains("musl"),
        "only the store reference fails it: {log}"
    );
}

#[test]
fn openssl_example_check_script_passes_with_the_example_binary() {
    if !have_tool("nix-instantiate") {
        return;
    }
    let real = example_binary("static-openssl");
    let dir = tempdir();
    std::fs::create_dir_all(dir.path().join("bin")).unwrap();
    let version = Command::new(&real)
        .output()
        .expect("cannot run the example");
    let version = stdout(&version);
    let major: u32 = version
        .strip_prefix("OpenSSL ")
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse().ok())
        .unwrap_or_else(|| panic!("the example printed no OpenSSL version: {version}"));
    let linked = format!("{major}.0.0");
    let install = |script: &str| install_script(&dir.path().join("bin/static-openssl"), script);
    let run = |version: &str| {
        let script = check_script_with(
            "opensslExample",
            &crate::common::bin(),
            dir.path(),
            &[("opensslVersion", version)],
        );
        run_check_script(&script)
    };

    install(&format!("#!/bin/sh\nexec '{}' \"$@\"\n", real.display()));
    let (ok, log) = run(&linked);
    assert!(ok, "{log}");
    assert!(
        log.contains("TLS handshake with the in-process server: ok"),
        "{log}"
    );
    assert!(log.contains("certificate verify failed"), "{log}");

    // The OpenSSL the flake links has another major version than the binary runs: fail.
    let (ok, log) = run(&format!("{}.0.0", major + 1));
    assert!(
        !ok,
        "a binary running another OpenSSL major must fail:\n{log}"
    );
    assert!(
        log.contains(&format!("does not run OpenSSL {}", major + 1)),
        "{log}"
    );

    // Without the CA, a failure for any other reason than certificate verification is no proof
    // that SSL_CERT_FILE is read: the handshake must fail verification itself.
    install(&format!(
        "#!/bin/sh\ncase \"${{SSL_CERT_FILE:-}}\" in *empty.pem) \
         echo 'static-openssl: cannot read pki/server.pem' >&2; exit 2;; esac\n\
         exec '{}' \"$@\"\n",
        real.display()
    ));
    let (ok, log) = run(&linked);
    assert!(
        !ok,
        "a failure other than certificate verification must fail:\n{log}"
    );
    assert!(
        log.contains("must fail certificate verification (exit 2)"),
        "{log}"
    );

    // The script fails when the binary does not do its job.
    install(&format!("#!/bin/sh\necho OpenSSL {major}.0.0\n"));
    let (ok, log) = run(&linked);
    assert!(!ok, "a binary without a handshake must fail:\n{log}");
}

#[test]
fn readme_nix_examples_parse() {
    if !have_tool("nix-instantiate") {
        return;
    }
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let blocks: Vec<&str> = readme
        .split("```nix\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap())
        .collect();
    assert!(!blocks.is_empty(), "the README shows a flake for users");
    for block in blocks {
        let out = nix_instantiate(&["--parse", "--expr", block]);
        assert!(out.status.success(), "{block}\n{}", stderr(&out));
    }
}

/// A `docker image load` archive laid out as nixpkgs' stream_layered_image.py writes it
/// (manifest.json naming the config and the layer tarballs), holding `files` in one layer, with
/// the config's `User` and `created` (`isoformat()` of the date: `+00:00`, not `Z`).
fn image_archive(dir: &Path, files: &[(&str, &Path)], user: &str, created: &str) -> PathBuf {
    let tree = dir.join("tree");
    for (path, from) in files {
        let to = tree.join(path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    }
    let archive = dir.join("archive");
    std::fs::create_dir_all(archive.join("0123abcd")).unwrap();
    let tar = |args: &[&str], cwd: &Path| {
        let out = Command::new("tar")
            .args(args)
            .current_dir(cwd)
            .output()
            .unwrap();
        assert!(out.status.success(), "tar {args:?}: {}", stderr(&out));
    };
    tar(
        &[
            "--sort=name",
            "-cf",
            archive.join("0123abcd/layer.tar").to_str().unwrap(),
            ".",
        ],
        &tree,
    );
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "created": created,
        "config": {
            "User": user,
            "Entrypoint": ["/bin/hello"],
            "Env": ["SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"],
        },
    });
    std::fs::write(archive.join("config.json"), config.to_string()).unwrap();
    let manifest = serde_json::json!([{
        "Config": "config.json",
        "RepoTags": ["hello:latest"],
        "Layers": ["0123abcd/layer.tar"],
    }]);
    std::fs::write(archive.join("manifest.json"), manifest.to_string()).unwrap();
    let image = dir.join("image.tar.gz");
    tar(&["-czf", image.to_str().unwrap(), "."], &archive);
    image
}

#[test]
fn image_check_script_accepts_exactly_the_binary_and_certificates() {
    if !(have_tool("nix-instantiate") && have_tool("musl-gcc") && have_tool("jq")) {
        return;
    }
    let dir = tempdir();
    let binary = crate::common::compile_c(
        "musl-gcc",
        dir.path(),
        "hello",
        MUSL_PROGRAM,
        &["-static", "-s"],
    );
    let certs = dir.path().join("ca-bundle.crt");
    std::fs::write(&certs, "-----BEGIN CERTIFICATE-----\n").unwrap();
    let expected = [
        ("bin/hello", binary.as_path()),
        ("etc/ssl/certs/ca-certificates.crt", certs.as_path()),
    ];
    let date = "1970-01-01T00:00:01+00:00";
    let run = |name: &str, files: &[(&str, &Path)], user: &str, created: &str| {
        let case = dir.path().join(name);
        let image = image_archive(&case, files, user, created);
        run_check_script(&check_script("image", &crate::common::bin(), &image))
    };

    let (ok, log) = run("good", &expected, "1000:1000", date);
    assert!(ok, "{log}");
    // The same date as written with a `Z` (the default's own spelling) passes too.
    let (ok, log) = run("zulu", &expected, "1000:1000", "1970-01-01T00:00:01Z");
    assert!(ok, "{log}");

    let (ok, log) = run("root-user", &expected, "0:0", date);
    assert!(!ok, "an image running as root must fail:\n{log}");

    let (ok, log) = run(
        "other-date",
        &expected,
        "1000:1000",
        "1970-01-01T00:00:02+00:00",
    );
    assert!(!ok, "an image with another creation date must fail:\n{log}");

    let mut extra = expected.to_vec();
    extra.push(("bin/sh", binary.as_path()));
    let (ok, log) = run("extra-file", &extra, "1000:1000", date);
    assert!(!ok, "a file beyond the two must fail:\n{log}");
    assert!(log.contains("+./bin/sh"), "{log}");
}

#[test]
fn reproducible_check_script_passes_identical_builds_and_fails_different_ones() {
    if !(have_tool("nix-instantiate") && have_tool("gcc")) {
        return;
    }
    let dir = tempdir();
    let first = package_with(dir.path(), "gcc", "app", crate::common::HELLO_C, &["-s"]);
    let second = dir.path().join("second-build");
    copy_tree(&first, &second);
    let script = check_script_with(
        "reproducible",
        &crate::common::bin(),
        &first,
        &[("other", second.to_str().unwrap())],
    );
    let (ok, log) = run_check_script(&script);
    assert!(ok, "identical builds must pass:\n{log}");

    let different = package_with(
        &dir.path().join("other"),
        "gcc",
        "app",
        "int main(void) { return 3; }\n",
        &["-s"],
    );
    let script = check_script_with(
        "reproducible",
        &crate::common::bin(),
        &first,
        &[("other", different.to_str().unwrap())],
    );
    let (ok, log) = run_check_script(&script);
    assert!(!ok, "different builds must fail:\n{log}");
}

/// `nix-build ARGS` in the repository root, with the tests' own Nix configuration.
fn nix_build(args: &[&str]) -> Output {
    crate::common::nix_command("nix-build")
        .arg("--no-out-link")
        .args(args)
        .current_dir(root())
        .output()
        .expect("cannot run nix-build")
}

/// Build `expr` (in scope: `s`, tests/nix/static-build.nix) and return its output path, or the
/// error Nix printed.
fn build_static_standin(expr: &str) -> Result<PathBuf, String> {
    let expr = format!(
        "let s = import ./tests/nix/static-build.nix {{ root = ./.; system = \"{}-linux\"; }}; in {expr}",
        std::env::consts::ARCH
    );
    let out = nix_build(&["--expr", &expr]);
    if out.status.success() {
        Ok(PathBuf::from(stdout(&out).trim()))
    } else {
        Err(stderr(&out))
    }
}

#[test]
fn static_builder_output_holds_no_store_path_after_fixup() {
    if !crate::common::nix_sandbox_works() {
        return;
    }
    // The stand-in reproduces what pkgsStatic does to a build: without the builder's postFixup,
    // the propagated inputs stdenv records after postInstall are rejected by allowedReferences —
    // with OpenSSL in buildInputs (the builder's old way) and with a caller's C library.
    let err = build_static_standin(
        "s.buildPackage (s.withOpenssl.craneArgs // { postFixup = \"\"; buildInputs = [ s.openssl ]; })",
    )
    .expect_err("OpenSSL in buildInputs must leave its dev output in nix-support");
    assert!(err.contains("is not allowed to refer to"), "{err}");
    assert!(err.contains("-openssl-standin-3.6.0-dev"), "{err}");
    let err = build_static_standin(
        "s.buildPackage (s.withBuildInputs.craneArgs // { postFixup = \"\"; })",
    )
    .expect_err("a caller's buildInputs must be propagated by the stand-in");
    assert!(err.contains("-libdemo-standin-dev"), "{err}");
    // A caller's allowedReferences in the dependency build rejects the vendored sources.
    let err = build_static_standin(
        "s.buildDepsOnly (s.withUserSettings.craneArgs.cargoArtifacts.craneArgs // { allowedReferences = [ ]; })",
    )
    .expect_err("the dependency build holds the source's path");
    assert!(err.contains("-demo-src"), "{err}");

    // The builder's own outputs build, with every library path scrubbed and no nix-support.
    for name in ["withOpenssl", "withBuildInputs", "withUserSettings"] {
        let out =
            build_static_standin(&format!("s.{name}")).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!out.join("nix-support").exists(), "{name}");
        let binary = std::fs::read_to_string(out.join("bin/demo")).unwrap();
        assert!(
            binary.contains("/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-"),
            "{name}: {binary}"
        );
    }
    // A caller's RUSTFLAGS keep the builder's flags (cargo would use RUSTFLAGS alone).
    let out = build_static_standin("s.withUserSettings").unwrap();
    let flags = std::fs::read_to_string(out.join("share/user-rustflags")).unwrap();
    assert!(flags.starts_with("-C target-cpu=generic "), "{flags}");
    assert!(
        flags.contains("+crt-static") && flags.contains("--remap-path-prefix=/build/source=."),
        "{flags}"
    );
}

#[test]
fn reproducibility_variant_builds_in_another_directory_and_maps_it() {
    if !crate::common::nix_sandbox_works() {
        return;
    }
    // Two sources named differently: one unpacks into the default directory, the other into
    // `unpackDir`, and each maps its own build directory to `.`.
    let first = build_static_standin("s.withBuildInputs").unwrap();
    let second = build_static_standin("s.elsewhere").unwrap();
    let read = |dir: &Path, file: &str| std::fs::read_to_string(dir.join(file)).unwrap();
    assert_eq!(read(&first, "share/build-dir"), "/build/source\n");
    assert_eq!(
        read(&second, "share/build-dir"),
        "/build/elsewhere-checkout\n"
    );
    assert!(read(&first, "share/rustflags").contains("--remap-path-prefix=/build/source=."));
    assert!(
        read(&second, "share/rustflags")
            .contains("--remap-path-prefix=/build/elsewhere-checkout=.")
    );

    // And the flake's `checks.reproducible` compares two builds that differ in exactly that, and
    // in the environment a second builder differs in.
    let builds = stubs()["reproducible"].as_array().unwrap().clone();
    assert_eq!(builds.len(), 2);
    let unpack = |b: &Value| {
        b["preBuild"]
            .as_str()
            .unwrap()
            .contains("$NIX_BUILD_TOP/source=.")
    };
    assert!(unpack(&builds[0]) && !unpack(&builds[1]), "{builds:#?}");
    assert!(
        builds[1]["preBuild"]
            .as_str()
            .unwrap()
            .contains("$NIX_BUILD_TOP/elsewhere-checkout=.")
    );
    let variant = builds[1]["preConfigure"].as_str().unwrap();
    for setting in ["umask 077", "HOME=", "TMPDIR="] {
        assert!(variant.contains(setting), "{variant}");
    }
    assert_eq!(builds[1]["CARGO_BUILD_JOBS"], "1");
}

/// The tests' Nix ignores the machine's configuration: this test starts the test below in a child
/// process whose system configuration (`NIX_CONF_DIR`, where `/etc/nix` is read otherwise), user
/// configuration and `NIX_CONFIG` all turn the sandbox off.
#[test]
fn nix_in_tests_ignores_the_machines_configuration() {
    if !crate::common::nix_sandbox_works() {
        return;
    }
    let bad = tempdir();
    let conf = bad.path().join("nix.conf");
    std::fs::write(&conf, "sandbox = false\n").unwrap();
    // Not isolated, this configuration is in force: the child can fail.
    let shown = Command::new("nix")
        .args([
            "--extra-experimental-features",
            "nix-command",
            "show-config",
        ])
        .env("NIX_CONF_DIR", bad.path())
        .env("NIX_USER_CONF_FILES", &conf)
        .env("NIX_CONFIG", "sandbox = false")
        .output()
        .expect("cannot run nix");
    assert!(
        stdout(&shown).lines().any(|l| l == "sandbox = false"),
        "{}",
        stdout(&shown)
    );

    // Test names are paths from the crate root of the one integration binary (tests/tests.rs).
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "nix::isolated_nix_builds_in_the_sandbox",
            "--ignored",
            "--nocapture",
        ])
        .env("NIX_CONF_DIR", bad.path())
        .env("NIX_USER_CONF_FILES", &conf)
        .env("NIX_CONFIG", "sandbox = false")
        .output()
        .expect("cannot run the test binary");
    let log = format!("{}{}", stdout(&child), stderr(&child));
    assert!(child.status.success(), "{log}");
    assert!(log.contains("1 passed"), "{log}");
}

#[test]
#[ignore = "run by nix_in_tests_ignores_the_machines_configuration, under a hostile configuration"]
fn isolated_nix_builds_in_the_sandbox() {
    let shown = crate::common::nix_command("nix")
        .arg("show-config")
        .output()
        .expect("cannot run nix");
    assert!(
        stdout(&shown).lines().any(|l| l == "sandbox = true"),
        "{}",
        stdout(&shown)
    );
    // A derivation never built before (a fresh name), which sees only the sandbox's few
    // directories: outside the sandbox, /usr exists.
    let nonce = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let expr = format!(
        "derivation {{ name = \"sandbox-{nonce}\"; system = \"{}-linux\"; builder = \"/bin/sh\"; \
         args = [ \"-c\" \"if [ -e /usr ]; then echo not sandboxed >&2; exit 1; fi; mkdir $out\" ]; }}",
        std::env::consts::ARCH
    );
    let out = nix_build(&["--expr", &expr]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn readmes_state_the_nix_floor_the_image_format_and_the_owner_edit_up_front() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    // crane's floor at the pinned revision, never the older "2.31" alone.
    assert!(readme.contains("Nix ≥ 2.31.2") || readme.contains("Nix (≥ 2.31.2)"));
    assert!(
        !readme.contains("≥ 2.31)") && !readme.contains("≥ 2.31 "),
        "an older Nix floor"
    );
    assert!(readme.contains("docker-archive") && readme.contains("Docker Image Spec"));
    assert!(!readme.contains("OCI image: `/bin/repro-check`"));
    // The OWNER edit is said on the first screen of both READMEs (their first 30 lines).
    let first_screen = |text: &str| text.lines().take(30).collect::<Vec<_>>().join("\n");
    assert!(
        first_screen(&readme).contains("flake init -t"),
        "README first screen"
    );
    let template = std::fs::read_to_string(root().join("templates/default/README.md")).unwrap();
    let top = first_screen(&template);
    assert!(
        top.contains("OWNER") && top.contains("nix build` fails until"),
        "{top}"
    );
}

/// Replace `bin` with an executable shell script.
fn install_script(bin: &Path, script: &str) {
    let _ = std::fs::remove_file(bin);
    std::fs::write(bin, script).unwrap();
    std::fs::set_permissions(bin, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
}

/// Build workspace member `package` into this build's own target directory (cargo's lock and
/// build cache are shared with the test run) and return the debug binary.
fn example_binary(package: &str) -> PathBuf {
    let target_dir = crate::common::bin()
        .parent()
        .and_then(Path::parent)
        .expect("target directory")
        .to_path_buf();
    let build = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--locked", "--offline", "--package", package])
        .current_dir(root())
        .env("CARGO_TARGET_DIR", &target_dir)
        .output()
        .expect("cannot run cargo");
    assert!(build.status.success(), "{}", stderr(&build));
    target_dir.join("debug").join(package)
}

#[test]
fn rustls_example_check_script_passes_with_the_example_binary() {
    if !have_tool("nix-instantiate") {
        return;
    }
    let real = example_binary("static-rustls");
    let dir = tempdir();
    std::fs::create_dir_all(dir.path().join("bin")).unwrap();
    let install = |script: &str| install_script(&dir.path().join("bin/static-rustls"), script);
    let run = |provider: &str| {
        let script = check_script_with(
            "rustlsExample",
            &crate::common::bin(),
            dir.path(),
            &[("rustlsProvider", provider)],
        );
        run_check_script(&script)
    };

    // The workspace builds the default provider, aws-lc-rs.
    install(&format!("#!/bin/sh\nexec '{}' \"$@\"\n", real.display()));
    let (ok, log) = run("aws-lc-rs");
    assert!(ok, "{log}");
    assert!(
        log.contains("TLS handshake with the in-process server: ok (TLSv1"),
        "{log}"
    );
    assert!(log.contains("untrusted server refused: "), "{log}");

    // Built with another provider than the check expects: fail.
    let (ok, log) = run("ring");
    assert!(
        !ok,
        "the ring check must reject an aws-lc-rs binary:\n{log}"
    );
    assert!(log.contains("does not use ring"), "{log}");

    // A binary that completes the handshake but never refuses an untrusted server: fail.
    install(
        "#!/bin/sh\necho 'crypto provider: aws-lc-rs'\n\
         echo 'TLS handshake with the in-process server: ok (TLSv1_3, X)'\n",
    );
    let (ok, log) = run("aws-lc-rs");
    assert!(!ok, "a binary that refuses nothing must fail:\n{log}");
}
