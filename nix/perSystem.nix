/**
  This flake's own outputs for one system: repro-check built for the host and statically, the
  OpenSSL example, the scratch image, apps, checks and the development shell.

  # Type

  ```
  perSystem :: { pkgs, mkLib, root } -> { packages, apps, checks, devShells }
  ```
*/
{
  pkgs,
  mkLib,
  root,
}:
let
  inherit (pkgs) lib;
  rc = mkLib { inherit pkgs; };
  inherit (rc) craneLib staticCraneLib repro-check;

  # --- static builds (nix/buildStaticPackage.nix) ---

  staticSrc = staticCraneLib.cleanCargoSource root;
  staticArgs = {
    src = staticSrc;
    cargoExtraArgs = "--locked --package repro-check";
    # Tests run once, in `checks.nextest` (unit tests and the host-independent integration
    # tests); all of them, with Debian's compilers, in `.ci/run`.
    doCheck = false;
    meta = {
      inherit (repro-check.meta)
        description
        license
        mainProgram
        platforms
        ;
    };
  };
  static = rc.buildStaticPackage staticArgs;

  # The same build under other conditions, for `checks.reproducible`. The deps build differs
  # too, so nothing is shared with `static` but the toolchain and the vendored sources.
  staticVariant = rc.buildStaticPackage (
    staticArgs
    // {
      # A differently named source, unpacked into another directory: the build path differs,
      # so `--remap-path-prefix` / `-ffile-prefix-map` must hide it (nix/buildStaticPackage.nix).
      src = lib.cleanSourceWith {
        src = staticSrc;
        name = "renamed-checkout";
      };
      unpackDir = "elsewhere-checkout";
      # …one job instead of all cores, another time zone and locale, a strict umask, and HOME and
      # TMPDIR somewhere else (what a second builder's environment differs in).
      CARGO_BUILD_JOBS = "1";
      TZ = "XST-14";
      LC_ALL = "C.UTF-8";
      preConfigure = ''
        umask 077
        export HOME="$NIX_BUILD_TOP/other-home"
        export TMPDIR="$NIX_BUILD_TOP/other-tmp"
        mkdir -p "$HOME" "$TMPDIR"
      '';
    }
  );

  staticOpenssl = rc.buildStaticPackage {
    src = staticSrc;
    inherit
      (staticCraneLib.crateNameFromCargoToml {
        cargoToml = root + "/examples/static-openssl/Cargo.toml";
      })
      pname
      version
      ;
    cargoExtraArgs = "--locked --package static-openssl";
    openssl = true;
    # Its tests (TLS over loopback, SSL_CERT_FILE) run against the static binary in the sandbox.
    meta.mainProgram = "static-openssl";
  };

  # examples/static-rustls, once per rustls crypto provider: aws-lc-rs (the default; C and assembly
  # built by aws-lc-sys, see nix/buildStaticPackage.nix "C code in *-sys crates") and ring.
  rustlsName = staticCraneLib.crateNameFromCargoToml {
    cargoToml = root + "/examples/static-rustls/Cargo.toml";
  };
  staticRustls =
    provider: features:
    rc.buildStaticPackage {
      src = staticSrc;
      pname = "${rustlsName.pname}-${provider}";
      inherit (rustlsName) version;
      cargoExtraArgs = "--locked --package static-rustls ${features}";
      # Its test (a handshake over loopback) runs against the static binary in the sandbox.
      meta.mainProgram = "static-rustls";
    };
  staticRustlsAwsLc = staticRustls "aws-lc-rs" "";
  staticRustlsRing = staticRustls "ring" "--no-default-features --features ring";

  # The template's crate, built the way a user's flake builds it.
  template = rc.buildStaticPackage {
    src = staticCraneLib.cleanCargoSource (root + "/templates/default");
  };

  image = rc.buildScratchImage { package = static; };

  # --- host checks: clippy, rustfmt, unit tests ---

  hostArgs = {
    src = lib.cleanSource root;
    strictDeps = true;
    # No LTO or release profile for lints and tests.
    CARGO_PROFILE = "dev";
    cargoExtraArgs = "--locked --workspace";
    # openssl-sys finds the host OpenSSL through pkg-config (the example is a workspace member).
    nativeBuildInputs = [ pkgs.pkg-config ];
    buildInputs = [ pkgs.openssl ];
  };
  hostArtifacts = craneLib.buildDepsOnly hostArgs;

  # The nextest filterset of `checks.nextest` (nextest's filterset DSL: `binary()`, `test()`).
  hostIndependent =
    "not (binary(integration) & (test(/^(check|corruption|nix)::/)"
    + " | test(=rebuild::cargo_home_variation_catches_dependency_paths_and_the_remap_fixes_them)))";
  nextestConfig = pkgs.writeText "nextest.toml" ''
    [profile.default.junit]
    path = "junit.xml"
    store-success-output = true
  '';

  checker = {
    type = "app";
    program = lib.getExe repro-check;
    meta.description = "Check that binaries are truly static; hash and compare builds";
  };
in
{
  packages = {
    default = repro-check;
    inherit static image;
    static-openssl = staticOpenssl;
    static-rustls = staticRustlsAwsLc;
    static-rustls-ring = staticRustlsRing;
  };

  apps = {
    check = checker;
    default = checker;
  };

  checks = {
    clippy = craneLib.cargoClippy (
      hostArgs
      // {
        cargoArtifacts = hostArtifacts;
        cargoClippyExtraArgs = "--all-targets -- --deny warnings";
      }
    );

    fmt = craneLib.cargoFmt {
      src = staticSrc;
      cargoExtraArgs = "--all";
    };

    # Unit tests of every workspace member, and repro-check's integration tests (one binary,
    # `--test integration`) except the modules that assume a Debian x86_64 host: `check` and
    # `corruption` assert Debian's loader paths and use musl-gcc and cross compilers, `nix`
    # needs Nix, and one `rebuild` test needs the cargo home that built the tests (the sandbox
    # has crane's vendored one). The rest run on both systems; a test whose tool the sandbox
    # lacks (python3, git, nix, openssl, ...) skips (REPRO_CHECK_REQUIRE_TOOLS is unset here),
    # and its "SKIPPED:" line, captured by nextest for a passing test, is printed from the JUnit
    # report (nextest config reference: `junit.store-success-output`). crane runs
    # `cargo nextest run --cargo-profile $CARGO_PROFILE <cargoExtraArgs> <cargoNextestExtraArgs>`
    # (crane lib/cargoNextest.nix, `checkPhaseCargoCommand`).
    nextest = craneLib.cargoNextest (
      hostArgs
      // {
        cargoArtifacts = hostArtifacts;
        cargoNextestExtraArgs = lib.escapeShellArgs [
          "--config-file"
          nextestConfig
          "--lib"
          "--bins"
          "--test"
          "integration"
          "-E"
          hostIndependent
        ];
        INSTA_UPDATE = "no";
        postCheck = ''
          junit="''${CARGO_TARGET_DIR:-target}/nextest/default/junit.xml"
          test -f "$junit"
          echo "tests that skipped for a missing tool:"
          { grep -o 'SKIPPED: [^<]*' "$junit" || echo "none"; } | sort -u
        '';
      }
    );

    static = rc.checkStatic { package = static; };
    static-openssl = rc.checkStatic { package = staticOpenssl; };
    static-rustls = rc.checkStatic { package = staticRustlsAwsLc; };
    static-rustls-ring = rc.checkStatic { package = staticRustlsRing; };
    template = rc.checkStatic { package = template; };

    reproducible = rc.checkReproducible {
      name = "repro-check";
      builds = [
        static
        staticVariant
      ];
    };

    # This flake's own checks, called in mkLib's scope like its builders (nix/mkLib.nix).
    openssl-example = rc.callPackage ./checkOpensslExample.nix { } {
      package = staticOpenssl;
      # The OpenSSL the builder links (nix/buildStaticPackage.nix, `openssl = true`).
      opensslVersion = pkgs.pkgsStatic.openssl.version;
    };

    rustls-example = rc.callPackage ./checkRustlsExample.nix { } {
      package = staticRustlsAwsLc;
      provider = "aws-lc-rs";
    };
    rustls-ring-example = rc.callPackage ./checkRustlsExample.nix { } {
      package = staticRustlsRing;
      provider = "ring";
    };

    image = rc.checkImage {
      inherit image;
      exe = "repro-check";
    };
  };

  devShells.default = craneLib.devShell {
    packages = [
      pkgs.cargo-insta
      pkgs.cargo-nextest
      pkgs.nixfmt-tree
      pkgs.openssl
      pkgs.pkg-config
    ];
  };
}
