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

  # Required attributes

  - `src`: the cargo workspace, e.g. `craneLib.cleanCargoSource ./.`.

  # Optional attributes

  - `openssl` (default `false`): link `pkgsStatic.openssl` statically, through openssl-sys's
    target-prefixed variables `<TARGET>_OPENSSL_STATIC`, `_NO_VENDOR`, `_LIB_DIR`,
    `_INCLUDE_DIR` (openssl-sys `build/main.rs` `env()` reads `<TARGET upper, - → _>_<NAME>`
    first; with both directories set it never consults pkg-config). CA certificates are then
    found at run time through `SSL_CERT_FILE`, else `/etc/ssl/certs/ca-certificates.crt`
    (nixpkgs' `use-etc-ssl-certs.patch`).
  - `buildInputs`: C libraries from `pkgsStatic`. They are linked statically, so every
    reference to any of their outputs left in the binary is a stray string (OpenSSL compiles its
    OPENSSLDIR, the `etc` output, into `libcrypto.a`: pkgs/development/libraries/openssl) and is
    rewritten to `/nix/store/eeee…` like crane does for the vendor directory and the toolchain.
  - `SOURCE_DATE_EPOCH` (default `"315532800"`, stdenv's own default).
  - Any other attribute is passed to crane's `buildDepsOnly` and `buildPackage` unchanged
    (`cargoExtraArgs`, `pname`, `doCheck`, `nativeBuildInputs`, `meta`, hooks, …). A
    `cargoArtifacts` attribute replaces the dependency build.

  # Removed attributes

  - `openssl`

  # Reproducibility

  Dependencies are built once (`buildDepsOnly`, exposed as `passthru.cargoArtifacts`) with the
  same flags as the package, so cargo reuses them. Both builds unpack into `$NIX_BUILD_TOP/source`
  whatever the source is called, and map that directory to `.` for rustc (`--remap-path-prefix`)
  and C compilers (`-ffile-prefix-map`); the profile gets `codegen-units = 1` (rust-lang/rust#128675)
  and `strip = "symbols"`; the stdenv strips again. The rustc flags go in `CARGO_BUILD_RUSTFLAGS`,
  which a `[target.<triple>] rustflags` in the crate's `.cargo/config.toml` overrides (cargo's
  precedence): a crate with one must repeat `--remap-path-prefix` there. crane's hooks that replace the vendor directory
  and toolchain store hashes stay on. `allowedReferences = [ ]` makes Nix reject the output if any
  store path survives.
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
  ...
}@args:
let
  # `cargoEnvVarTarget` is the triple upper-cased with `-` → `_` (nixpkgs lib/systems/default.nix),
  # the same spelling openssl-sys uses for its prefixed variables.
  envTarget = pkgsStatic.stdenv.hostPlatform.rust.cargoEnvVarTarget;
  profile = lib.toUpper (builtins.replaceStrings [ "-" ] [ "_" ] (args.CARGO_PROFILE or "release"));
  opensslPkg = pkgsStatic.openssl;

  staticInputs = (args.buildInputs or [ ]) ++ lib.optional openssl opensslPkg;
  # Every output of every statically linked library (`openssl.etc`, `.out`, `.dev`, …).
  scrubbed = lib.unique (
    lib.concatMap (drv: map (output: drv.${output}) (drv.outputs or [ "out" ])) staticInputs
  );

  commonArgs =
    {
      strictDeps = true;
      SOURCE_DATE_EPOCH = "315532800";
    }
    // builtins.removeAttrs args [ "openssl" ]
    // {
      buildInputs = staticInputs;

      "CARGO_PROFILE_${profile}_CODEGEN_UNITS" = "1";
      "CARGO_PROFILE_${profile}_STRIP" = "symbols";

      # NB: unpack into a fixed directory name so that neither the source's store name nor a
      # renamed checkout reaches the compiler (crane keeps the dummy source's name equal to the
      # real one for the same reason: lib/mkDummySrc.nix, `sourceName`).
      postUnpack = ''
        _reproTop="''${sourceRoot%%/*}"
        if [ "$_reproTop" != source ]; then
          mv -- "$_reproTop" source
          sourceRoot="source''${sourceRoot#"$_reproTop"}"
        fi
      ''
      + (args.postUnpack or "");

      # NB: identical in buildDepsOnly and buildPackage, or cargo rebuilds every dependency
      # (RUSTFLAGS are part of its fingerprint). crane's own remapPathPrefixHook maps to `$src`,
      # which would add a run-time reference to the source (crane docs/API.md), so it stays off.
      # Only target artifacts get these flags (`--target` is set), never build scripts.
      preBuild = ''
        export CARGO_BUILD_RUSTFLAGS="''${CARGO_BUILD_RUSTFLAGS:-} -C target-feature=+crt-static --remap-path-prefix=$NIX_BUILD_TOP/source=."
        export TARGET_CFLAGS="''${TARGET_CFLAGS:-} -ffile-prefix-map=$NIX_BUILD_TOP/source=."
      ''
      + (args.preBuild or "");
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

    allowedReferences = args.allowedReferences or [ ];

    passthru = (args.passthru or { }) // {
      inherit cargoArtifacts;
    };
  }
)
