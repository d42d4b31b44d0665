# Evaluates this repository's Nix functions with Nix 2.8 (no nixpkgs, crane or rust-overlay here):
# their inputs are replaced by small stand-ins that only record what they are given, so
# tests/nix.rs can check the wiring and the arguments our code computes. It proves nothing about
# crane, rust-overlay or nixpkgs themselves: the GitHub workflow builds the real thing.
{
  root,
  # nixpkgs' real `lib` may replace the stand-in (the scope then comes from nixpkgs' makeScope).
  lib ? import ./lib.nix,
}:
let

  # A static OpenSSL whose outputs are plain strings shaped like store paths.
  openssl = {
    outputs = [ "bin" "dev" "out" "man" "etc" ];
    bin = "/nix/store/00000000000000000000000000000000-openssl-3-bin";
    dev = "/nix/store/11111111111111111111111111111111-openssl-3-dev";
    out = "/nix/store/22222222222222222222222222222222-openssl-3";
    man = "/nix/store/33333333333333333333333333333333-openssl-3-man";
    etc = "/nix/store/44444444444444444444444444444444-openssl-3-etc";
    version = "3.6.0";
  };

  pkgsStatic = {
    inherit lib;
    # Only the attributes nixpkgs does not mark "Do not use" (lib/systems/default.nix).
    stdenv.hostPlatform.rust = {
      cargoShortTarget = "x86_64-unknown-linux-musl";
      cargoEnvVarTarget = "X86_64_UNKNOWN_LINUX_MUSL";
    };
    inherit openssl;
    buildPackages.removeReferencesTo = "/nix/store/55555555555555555555555555555555-remove-references-to";
  };

  pkgs = {
    inherit lib pkgsStatic;
    stdenv.hostPlatform.uname.processor = "x86_64";
    # The check's name, attributes and script.
    runCommand = name: attrs: script: attrs // { inherit name script; };
    jq = "/nix/store/77777777777777777777777777777777-jq";
    cacert = "/nix/store/88888888888888888888888888888888-cacert";
    # dockerTools: the image is the arguments it was asked for.
    dockerTools.buildLayeredImage = args: args;
    writeText = name: text: { inherit name text; outPath = "/nix/store/cccccccccccccccccccccccccccccccc-${name}"; };
    # As nixpkgs defines it (pkgs/top-level/splice.nix): the scope's attributes over the set.
    newScope = extra: lib.callPackageWith (pkgs // extra);
  };

  # crane: `buildDepsOnly` and `buildPackage` return their arguments, tagged.
  craneLib = {
    buildDepsOnly = args: { deps = args; };
    buildPackage = args: args;
  };

  # rust-overlay: `fromRustupToolchain` returns the request it got.
  rust-overlay.lib.mkRustBin = _: _pkgs: { fromRustupToolchain = request: request; };

  # crane through mkLib: the toolchain it was given (applied to the package set, as crane's
  # splicing does) is recorded on crane and on every build, and a build is a store path.
  crane.mkLib = cranePkgs: {
    overrideToolchain = toolchain: {
      cleanCargoSource = src: src;
      toolchain = toolchain cranePkgs;
      buildDepsOnly = args: { deps = args; };
      cargoNextest = args: args;
      buildPackage = args: args // {
        type = "derivation";
        outPath = "/nix/store/99999999999999999999999999999999-crane-build";
        toolchain = toolchain cranePkgs;
      };
    };
  };

  buildStaticPackage = import (root + "/nix/buildStaticPackage.nix") {
    inherit craneLib lib pkgsStatic;
    removeReferencesTo = pkgsStatic.buildPackages.removeReferencesTo;
  };

  flake = import (root + "/flake.nix");
  outputs = flake.outputs {
    self = { };
    nixpkgs = {
      inherit lib;
      legacyPackages = lib.genAttrs [ "x86_64-linux" "aarch64-linux" ] (_system: pkgs);
    };
    inherit crane rust-overlay;
  };
  names = builtins.attrNames;
in
{
  # What nix/rustToolchain.nix asks rust-overlay for.
  toolchain = import (root + "/nix/rustToolchain.nix") {
    inherit rust-overlay;
    rustToolchainFile = root + "/rust-toolchain.toml";
    extraTargets = [ "x86_64-unknown-linux-musl" ];
  } pkgs;

  # What nix/buildStaticPackage.nix passes to crane, with and without OpenSSL.
  withOpenssl = buildStaticPackage {
    src = "/src";
    openssl = true;
    cargoExtraArgs = "--locked --package demo";
    postInstall = "echo caller-postInstall\n";
    preBuild = "echo caller-preBuild\n";
  };
  plain = buildStaticPackage { src = "/src"; };

  # A caller's flags and output checks.
  withUserFlags = buildStaticPackage {
    src = "/src";
    RUSTFLAGS = "-C target-cpu=x86-64-v2";
    allowedReferences = [ "/nix/store/66666666666666666666666666666666-cacert" ];
  };

  # The toolchain mkLib asks rust-overlay for (its musl target comes from nixpkgs' lib/systems).
  mkLibToolchain = (outputs.lib.mkLib { inherit pkgs; }).rustToolchain;

  # The two builds `checks.reproducible` compares: the shell hooks that decide where each one
  # unpacks and what it maps to `.`, and the environment they differ in.
  reproducible = map (build: {
    inherit (build) postUnpack preBuild;
    preConfigure = build.preConfigure or "";
    CARGO_BUILD_JOBS = build.CARGO_BUILD_JOBS or null;
  }) outputs.checks.x86_64-linux.reproducible.passthru.builds;

  # The flake's output structure (names only: nothing is built or fetched).
  flake = {
    inputs = flake.inputs;
    outputs = names outputs;
    systems = names outputs.packages;
    packages = names outputs.packages.x86_64-linux;
    apps = names outputs.apps.x86_64-linux;
    app = {
      inherit (outputs.apps.x86_64-linux.check) type;
      attrs = names outputs.apps.x86_64-linux.check;
    };
    checks = names outputs.checks.aarch64-linux;
    devShells = names outputs.devShells.x86_64-linux;
    lib = names outputs.lib;
    mkLib = names (outputs.lib.mkLib { inherit pkgs; });
    templates = {
      names = names outputs.templates;
      attrs = names outputs.templates.default;
      description = outputs.templates.default.description;
      path = builtins.pathExists outputs.templates.default.path;
    };
    overlay = names (outputs.overlays.default pkgs pkgs);
  };

  template.inputs = (import (root + "/templates/default/flake.nix")).inputs;

  # What `checks.nextest` asks crane's cargoNextest for, on both systems.
  nextest = lib.genAttrs [ "x86_64-linux" "aarch64-linux" ] (
    system:
    let
      check = outputs.checks.${system}.nextest;
    in
    {
      inherit (check) cargoNextestExtraArgs postCheck INSTA_UPDATE;
      requireTools = check.REPRO_CHECK_REQUIRE_TOOLS or null;
    }
  );

  # mkLib's scope as built, and after `overrideScope` swapped the checker, the toolchain and a
  # default of the image: what each builder and check then uses.
  scope =
    let
      rc = outputs.lib.mkLib { inherit pkgs; };
      otherChecker = {
        type = "derivation";
        outPath = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-other-checker";
        meta.mainProgram = "other-check";
      };
      swapped = rc.overrideScope (
        final: prev: {
          repro-check = otherChecker;
          rustToolchainFor = _pkgs: { swapped = true; };
          imageDefaults = prev.imageDefaults // { user = "65534:65534"; };
        }
      );
      package = {
        type = "derivation";
        outPath = "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-demo";
        meta.mainProgram = "demo";
      };
      uses = rc: rec {
        static = (rc.checkStatic { inherit package; }).script;
        reproducible = (rc.checkReproducible { name = "demo"; builds = [ package package ]; }).script;
        image = rc.buildScratchImage { inherit package; };
        imageCheck = (rc.checkImage { image = package; exe = "demo"; }).script;
        imageDefaults = rc.imageDefaults;
        checker = "${rc.repro-check}";
        toolchain = rc.rustToolchain;
        craneToolchain = rc.craneLib.toolchain;
        staticCraneToolchain = rc.staticCraneLib.toolchain;
        built = { inherit (rc.buildStaticPackage { src = "/src"; }) toolchain; };
      };
    in
    {
      names = names rc;
      default = uses rc;
      swapped = uses swapped;
      imageDefaultsFile = import (root + "/nix/imageDefaults.nix");
    };
}
