# Evaluates this repository's Nix functions with Nix 2.8 (no nixpkgs, crane or rust-overlay here):
# their inputs are replaced by small stand-ins that only record what they are given, so
# tests/nix.rs can check the wiring and the arguments our code computes. It proves nothing about
# crane, rust-overlay or nixpkgs themselves: the GitHub workflow builds the real thing.
{ root }:
let
  lower = [ "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z" ];
  upper = [ "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O" "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z" ];

  # The few nixpkgs `lib` functions the code under test calls, with nixpkgs' meaning.
  lib = {
    toUpper = builtins.replaceStrings lower upper;
    optional = cond: x: if cond then [ x ] else [ ];
    optionalAttrs = cond: attrs: if cond then attrs else { };
    unique = builtins.foldl' (acc: x: if builtins.elem x acc then acc else acc ++ [ x ]) [ ];
    concatMap = f: list: builtins.concatLists (map f list);
    concatMapStrings = f: list: builtins.concatStringsSep "" (map f list);
    getLib = drv: drv.out;
    getDev = drv: drv.dev;
    mapAttrs = builtins.mapAttrs;
    genAttrs = names: f: builtins.listToAttrs (map (name: { inherit name; value = f name; }) names);
  };

  # A static OpenSSL whose outputs are plain strings shaped like store paths.
  openssl = {
    outputs = [ "bin" "dev" "out" "man" "etc" ];
    bin = "/nix/store/00000000000000000000000000000000-openssl-3-bin";
    dev = "/nix/store/11111111111111111111111111111111-openssl-3-dev";
    out = "/nix/store/22222222222222222222222222222222-openssl-3";
    man = "/nix/store/33333333333333333333333333333333-openssl-3-man";
    etc = "/nix/store/44444444444444444444444444444444-openssl-3-etc";
  };

  pkgsStatic = {
    stdenv.hostPlatform.rust = {
      rustcTarget = "x86_64-unknown-linux-musl";
      cargoEnvVarTarget = "X86_64_UNKNOWN_LINUX_MUSL";
    };
    inherit openssl;
    buildPackages.removeReferencesTo = "/nix/store/55555555555555555555555555555555-remove-references-to";
  };

  pkgs = {
    inherit lib pkgsStatic;
    stdenv.hostPlatform.uname.processor = "x86_64";
  };

  # crane: `buildDepsOnly` and `buildPackage` return their arguments, tagged.
  craneLib = {
    buildDepsOnly = args: { deps = args; };
    buildPackage = args: args;
  };

  # rust-overlay: `fromRustupToolchain` returns the request it got.
  rust-overlay.lib.mkRustBin = _: _pkgs: { fromRustupToolchain = request: request; };

  crane.mkLib = _pkgs: { overrideToolchain = _toolchain: craneLib; };

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
}
