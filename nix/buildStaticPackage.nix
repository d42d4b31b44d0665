/**
  Build a cargo package as a static musl executable that is byte-for-byte reproducible and holds
  no `/nix/store` reference.

  # Type

  ```
  buildStaticPackage :: set -> drv
  ```

  Built with `craneLib` = `crane.mkLib pkgs.pkgsStatic` (a cross package set whose host platform
  is `<arch>-unknown-linux-musl`, pkgs/top-level/stage.nix `pkgsStatic`), so crane sets
  `CARGO_BUILD_TARGET`, the musl linker and `TARGET_CC`/`HOST_CC` itself (crane
  `lib/mkCrossToolchainEnv.nix`), and `pkgsStatic` C libraries are static archives.

  In mkLib's scope, `craneLib` is the scope's `staticCraneLib` (so `overrideScope` on
  `rustToolchainFor` changes the toolchain it builds with); `lib`, `pkgsStatic` come from the
  package set and `removeReferencesTo` from `pkgsStatic.buildPackages`.

  # Required attributes

  - `src`: the cargo workspace, e.g. `craneLib.cleanCargoSource ./.`.

  # Optional attributes

  - `openssl` (default `false`): link `pkgsStatic.openssl` statically, through openssl-sys's
    target-prefixed variables `<TARGET>_OPENSSL_STATIC`, `_NO_VENDOR`, `_LIB_DIR`,
    `_INCLUDE_DIR` (openssl-sys `build/main.rs` `env()` reads `<TARGET upper, - → _>_<NAME>`
    first; with both directories set it never consults pkg-config). OpenSSL is *not* added to
    `buildInputs`: pkgsStatic's stdenv would propagate it (below) and the variables suffice.
    CA certificates are found at run time through `SSL_CERT_FILE`, else
    `/etc/ssl/certs/ca-certificates.crt` (nixpkgs' `use-etc-ssl-certs.patch`).
  - `buildInputs`: C libraries from `pkgsStatic`. They are linked statically, so every
    reference to any of their outputs left in the binary is a stray string (OpenSSL compiles its
    OPENSSLDIR, the `etc` output, into `libcrypto.a`: pkgs/development/libraries/openssl) and is
    rewritten to `/nix/store/eeee…` like crane does for the vendor directory and the toolchain.
    pkgsStatic's stdenv moves `buildInputs` into `propagatedBuildInputs` (`makeStatic` ends with
    `propagateBuildInputs`, pkgs/stdenv/adapters.nix), and stdenv's `fixupPhase` then records them
    in `$out/nix-support/propagated-build-inputs` (pkgs/stdenv/generic/setup.sh,
    `recordPropagatedDependencies`, before `postFixup`; nixpkgs issue #83667): `postFixup` removes
    those files, as Nix's own static packaging does, or `allowedReferences` would reject the output.
  - `unpackDir` (default `"source"`): the directory under `$NIX_BUILD_TOP` the source is unpacked
    into, whatever its store name. The build path is then mapped to `.`, so a second build with
    another `unpackDir` must give the same bytes (`checks.reproducible` does that).
  - `SOURCE_DATE_EPOCH` (default `"315532800"`, stdenv's own default).
  - `RUSTFLAGS`, `CARGO_ENCODED_RUSTFLAGS`, `CARGO_TARGET_<T>_RUSTFLAGS` (attributes, or exported in
    `preBuild`): merged, not replaced. Cargo uses only the first of these it finds, then
    `build.rustflags` (cargo reference, "build.rustflags": CARGO_ENCODED_RUSTFLAGS, RUSTFLAGS,
    target rustflags, build.rustflags), so the builder's flags are appended to each one that is set
    and to `CARGO_BUILD_RUSTFLAGS`.
  - `allowedReferences` (default `[ ]`), `allowedRequisites`, `disallowedReferences`,
    `disallowedRequisites`: apply to the package only, never to the dependency build (whose
    output holds the vendored sources' paths by design).
  - Any other attribute is passed to crane's `buildDepsOnly` and `buildPackage` unchanged
    (`cargoExtraArgs`, `pname`, `doCheck`, `nativeBuildInputs`, `meta`, hooks, …). A
    `cargoArtifacts` attribute replaces the dependency build.

  # Removed attributes

  - `openssl`, `unpackDir`

  # Linking: no RUNPATH

  rustc links `<arch>-unknown-linux-musl` as static-pie, but pkgsStatic's stdenv appends
  `-static` to `NIX_CFLAGS_LINK` (`makeStaticBinaries`, pkgs/stdenv/adapters.nix), so the
  ld-wrapper classifies the link as `static`, not `static-pie`, and adds `-rpath` for every `-L`
  directory holding a `.so` it links (pkgs/build-support/bintools-wrapper/ld-wrapper.sh, "Add all
  used dynamic libraries to the rpath": `$wrapper_NIX_DONT_SET_RPATH != 1 && $linkType !=
  static-pie`) — nixpkgs' musl builds `libc.so` even under pkgsStatic. Only patchelf's
  `--shrink-rpath` in fixup would remove it. `NIX_DONT_SET_RPATH = "1"` stops it at the source, and
  `checkStatic` denies `runpath`/`rpath`.

  # C code in `*-sys` crates: aws-lc-sys (rustls' default provider, aws-lc-rs) and ring

  Nothing to add for either. Read at the versions examples/static-rustls locks (aws-lc-sys 0.47.0,
  ring 0.17.14): aws-lc-sys picks its cc-rs builder, not CMake, whenever pre-generated bindings
  exist for the target — they do for `x86_64-` and `aarch64-unknown-linux-musl` (aws-lc-sys
  `builder/main.rs`, `get_builder` and `is_bindgen_required`; `src/*_unknown_linux_musl_crypto.rs`)
  — so neither `cmake` nor clang/bindgen is needed. cc-rs compiles with the *target* C compiler
  from `TARGET_CC`, which crane sets to pkgsStatic's musl `cc` (crane lib/mkCrossToolchainEnv.nix),
  whose wrapper links `-lc` against the static musl; the "cannot find -lc" failures (crane issue
  #838, fenix issue #244) come from plain `pkgs` plus a musl target, where cc-rs falls back to the
  glibc `cc`. The build is a cross build (HOST ≠ TARGET), so aws-lc-sys skips its run-time memcmp
  probe (`builder/cc_builder.rs`, `memcmp_check`), and in release builds it maps its own source
  directory away with `-ffile-prefix-map` (`cc_builder.rs`, `collect_universal_build_options`).
  One default is set: `AWS_LC_SYS_USE_SYSTEM = "0"`, so aws-lc-sys never links an AWS-LC it detects among the inputs
  (`get_builder`, `system_detect`) but always builds its vendored one — the same on every builder.
  A crate forcing `AWS_LC_SYS_CMAKE_BUILDER=1` or the `fips` feature needs CMake (and Go) in
  `nativeBuildInputs` — note crane's warning about native inputs above. ring's build script uses
  cc-rs the same way.

  # Reproducibility

  Dependencies are built once (`buildDepsOnly`, exposed as `passthru.cargoArtifacts`) with the
  same flags as the package, so cargo reuses them. Both builds unpack into
  `$NIX_BUILD_TOP/<unpackDir>` whatever the source is called, and map that directory to `.` for
  rustc (`--remap-path-prefix`) and C compilers (`-ffile-prefix-map`); the profile gets
  `codegen-units = 1` (rust-lang/rust#128675) and `strip = "symbols"`; the stdenv strips again.
  A `[target.<triple>] rustflags` in the crate's `.cargo/config.toml` takes precedence over
  `CARGO_BUILD_RUSTFLAGS` (cargo's order: `CARGO_ENCODED_RUSTFLAGS`, `RUSTFLAGS`, target
  rustflags, `build.rustflags`) and is not an environment variable the builder sees: a crate with
  one must repeat `--remap-path-prefix` there, or set `RUSTFLAGS`. crane's hooks that replace the vendor directory and toolchain store hashes stay on.
  `allowedReferences = [ ]` makes Nix reject the output if any store path survives.
*/
{
  craneLib,
  lib,
  pkgsStatic,
  removeReferencesTo,
}:
{
  src,
  openssl ? false,
  unpackDir ? "source",
  ...
}@args:
# A plain directory name: it is spliced into shell words and into a `--remap-path-prefix` flag.
assert lib.assertMsg (
  builtins.match "[A-Za-z0-9._+-]+" unpackDir != null && unpackDir != "." && unpackDir != ".."
) "buildStaticPackage: unpackDir must be a plain directory name, not \"${unpackDir}\"";
let
  # `cargoEnvVarTarget` is the triple upper-cased with `-` → `_` (nixpkgs lib/systems/default.nix
  # line 550), the same spelling openssl-sys and cargo use for target-prefixed variables.
  envTarget = pkgsStatic.stdenv.hostPlatform.rust.cargoEnvVarTarget;
  profile = lib.toUpper (builtins.replaceStrings [ "-" ] [ "_" ] (args.CARGO_PROFILE or "release"));
  opensslPkg = pkgsStatic.openssl;

  # Every output of every statically linked library (`openssl.etc`, `.out`, `.dev`, …).
  scrubbed = lib.unique (
    lib.concatMap (drv: map (output: drv.${output}) (drv.outputs or [ "out" ])) (
      (args.buildInputs or [ ]) ++ lib.optional openssl opensslPkg
    )
  );

  # Output checks are the package's: the dependency build holds the vendored sources' paths.
  outputChecks = [
    "allowedReferences"
    "allowedRequisites"
    "disallowedReferences"
    "disallowedRequisites"
  ];

  commonArgs =
    {
      strictDeps = true;
      SOURCE_DATE_EPOCH = "315532800";
      # aws-lc-sys builds its own AWS-LC, never one it detects (see "C code in `*-sys` crates").
      AWS_LC_SYS_USE_SYSTEM = "0";
    }
    // builtins.removeAttrs args ([ "openssl" "unpackDir" ] ++ outputChecks)
    // {
      "CARGO_PROFILE_${profile}_CODEGEN_UNITS" = "1";
      "CARGO_PROFILE_${profile}_STRIP" = "symbols";

      # No `-rpath` from the ld-wrapper (see "Linking" above; ld-wrapper.sh reads
      # `NIX_DONT_SET_RPATH` through the role-mangled `wrapper_NIX_DONT_SET_RPATH`).
      NIX_DONT_SET_RPATH = "1";

      # NB: unpack into a fixed directory name so that neither the source's store name nor a
      # renamed checkout reaches the compiler (crane keeps the dummy source's name equal to the
      # real one for the same reason: lib/mkDummySrc.nix, `sourceName`).
      postUnpack = ''
        _reproTop="''${sourceRoot%%/*}"
        if [ "$_reproTop" != ${unpackDir} ]; then
          mv -- "$_reproTop" ${unpackDir}
          sourceRoot=${unpackDir}"''${sourceRoot#"$_reproTop"}"
        fi
      ''
      + (args.postUnpack or "");

      # NB: identical in buildDepsOnly and buildPackage, or cargo rebuilds every dependency
      # (RUSTFLAGS are part of its fingerprint). crane's own remapPathPrefixHook maps to `$src`,
      # which would add a run-time reference to the source (crane docs/API.md), so it stays off.
      # Only target artifacts get these flags (`--target` is set), never build scripts. After the
      # caller's preBuild, so flags it exports are merged too.
      preBuild =
        (args.preBuild or "")
        + ''
          _reproFlags="-C target-feature=+crt-static --remap-path-prefix=$NIX_BUILD_TOP/${unpackDir}=."
          export CARGO_BUILD_RUSTFLAGS="''${CARGO_BUILD_RUSTFLAGS:-} $_reproFlags"
          for _reproVar in RUSTFLAGS CARGO_TARGET_${envTarget}_RUSTFLAGS; do
            eval "_reproValue=\"\''${$_reproVar:-}\""
            if [ -n "$_reproValue" ]; then
              export "$_reproVar=$_reproValue $_reproFlags"
            fi
          done
          if [ -n "''${CARGO_ENCODED_RUSTFLAGS:-}" ]; then
            export CARGO_ENCODED_RUSTFLAGS="$CARGO_ENCODED_RUSTFLAGS"$'\x1f'"''${_reproFlags// /$'\x1f'}"
          fi
          export TARGET_CFLAGS="''${TARGET_CFLAGS:-} -ffile-prefix-map=$NIX_BUILD_TOP/${unpackDir}=."
        '';
    }
    // lib.optionalAttrs openssl {
      "${envTarget}_OPENSSL_STATIC" = "1";
      "${envTarget}_OPENSSL_NO_VENDOR" = "1";
      "${envTarget}_OPENSSL_LIB_DIR" = "${lib.getLib opensslPkg}/lib";
      "${envTarget}_OPENSSL_INCLUDE_DIR" = "${lib.getDev opensslPkg}/include";
    };

  cargoArtifacts =
    args.cargoArtifacts or (craneLib.buildDepsOnly (
      commonArgs
      // {
        # As crane's buildPackage does (lib/buildPackage.nix): the caller's install hooks would
        # run against the dummy sources, so only the artifacts are installed.
        installPhase = "prepareAndInstallCargoArtifactsDir";
      }
    ));
in
craneLib.buildPackage (
  commonArgs
  // {
    inherit cargoArtifacts;

    # NB: called by path, not added to nativeBuildInputs: crane warns that extra native inputs
    # change PKG_CONFIG_PATH between the two builds and rebuild `*-sys` crates (lib/buildPackage.nix).
    postInstall =
      (args.postInstall or "")
      + lib.concatMapStrings (path: ''
        find "$out" -type f -exec ${removeReferencesTo}/bin/remove-references-to -t ${path} '{}' +
      '') scrubbed;

    # fixupPhase has just written the propagated inputs (see `buildInputs` above).
    postFixup =
      (args.postFixup or "")
      + ''
        rm -f "$out"/nix-support/propagated-*
        if [ -d "$out/nix-support" ]; then rmdir --ignore-fail-on-non-empty "$out/nix-support"; fi
      '';
  }
  // lib.genAttrs (builtins.filter (name: args ? ${name}) outputChecks) (name: args.${name})
  // {
    allowedReferences = args.allowedReferences or [ ];

    passthru = (args.passthru or { }) // {
      inherit cargoArtifacts;
    };
  }
)
