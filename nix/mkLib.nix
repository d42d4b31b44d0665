/**
  repro-check's Nix library for one package set, as a nixpkgs scope: the toolchain, crane set up
  for static musl builds, the builder, the scratch image and the checks. One function per file
  (crane's style); each is called with `self.callPackage`, so it gets its arguments from this
  scope first and then from `pkgs`.

  # Type

  ```
  mkLib :: { pkgs, rustToolchainFile ? <repro-check's rust-toolchain.toml> } -> scope
  scope = {
    buildStaticPackage, buildScratchImage, checkStatic, checkReproducible, checkImage,
    repro-check, rustToolchain, rustToolchainFor, rustToolchainFile, craneLib, staticCraneLib,
    imageDefaults, muslTarget, machine,
    callPackage, newScope, overrideScope, packages   # added by lib.makeScope
  }
  ```

  # Example

  ```nix
  let rc = repro-check.lib.mkLib { inherit pkgs; rustToolchainFile = ./rust-toolchain.toml; };
  in rc.buildStaticPackage { src = rc.staticCraneLib.cleanCargoSource ./.; }
  ```

  Swap a part with `overrideScope`; everything in the scope that uses it follows:

  ```nix
  rc.overrideScope (final: prev: {
    repro-check = myChecker;                      # the checker every check* runs
    rustToolchainFor = p: myToolchainFor p;       # the toolchain crane builds with
    imageDefaults = prev.imageDefaults // { user = "65534:65534"; };
  })
  ```

  # Arguments

  - `pkgs`: `nixpkgs.legacyPackages.<system>` for a Linux system.
  - `rustToolchainFile`: the `rust-toolchain.toml` whose channel builds the user's crates.
    repro-check itself (`repro-check`, used by the checks) is always built with its own pin.

  # Scope attributes (besides the builders, documented in their files)

  - `rustToolchainFor :: pkgs -> drv`: the toolchain as a function of a package set, what crane's
    `overrideToolchain` splices (nix/rustToolchain.nix); `rustToolchain` is it applied to `pkgs`.
  - `repro-check`: the checker `checkStatic`, `checkReproducible` and `checkImage` run.
  - `imageDefaults`: what `buildScratchImage` writes and `checkImage` expects
    (nix/imageDefaults.nix).
  - `muslTarget`, `machine`: this system's musl triple and `uname -m` name.
*/
{
  crane,
  rust-overlay,
  defaultRustToolchainFile,
}:
{
  pkgs,
  rustToolchainFile ? defaultRustToolchainFile,
}:
let
  inherit (pkgs) lib pkgsStatic;

  # repro-check's own toolchain: the checker is built with the pin it is tested with, whatever
  # the scope's toolchain is.
  pinnedToolchainFor = import ./rustToolchain.nix {
    inherit rust-overlay;
    rustToolchainFile = defaultRustToolchainFile;
    extraTargets = [ pkgsStatic.stdenv.hostPlatform.rust.cargoShortTarget ];
  };
in
# `makeScope newScope f` (nixpkgs lib/customisation.nix, `makeScope`: line 623 in the
# nix-community/nixpkgs.lib snapshot de42d44, later than the pinned nixpkgs) gives
# `self.callPackage = self.newScope { }`, and `newScope` layers the scope over `pkgs`
# (`pkgs.newScope = extra: lib.callPackageWith (pkgs // extra)`, pkgs/top-level/splice.nix),
# so a file's arguments come from the scope first, then from the package set. `callPackageWith`
# (same file, line 266) passes only the arguments the file's function names (`functionArgs`) and
# wraps the result with `makeOverridable` (line 151): a function result (every builder here)
# becomes a functor that still takes the builder's own arguments. `overrideScope g` (line 632)
# rebuilds the scope with `extends g f`, so every attribute below sees the overridden ones.
lib.makeScope pkgs.newScope (self: {
  inherit rustToolchainFile;

  # The musl triple of this system, e.g. `x86_64-unknown-linux-musl`. Not `rustcTarget`: nixpkgs
  # lib/systems/default.nix line 534 says "Do not use rustcTarget. Use rustcTargetSpec or
  # cargoShortTarget."; `cargoShortTarget` (line 543) is the target's name, never a JSON spec path.
  muslTarget = pkgsStatic.stdenv.hostPlatform.rust.cargoShortTarget;

  # Named as `uname -m` names it (nixpkgs lib/systems: `uname.processor`), like `--machine`.
  machine = pkgs.stdenv.hostPlatform.uname.processor;

  # A function of a package set (nix/rustToolchain.nix says why); `callPackage` keeps it callable.
  rustToolchainFor = self.callPackage ./rustToolchain.nix {
    inherit rust-overlay;
    extraTargets = [ self.muslTarget ];
  };
  rustToolchain = self.rustToolchainFor pkgs;

  craneLib = (crane.mkLib pkgs).overrideToolchain self.rustToolchainFor;
  staticCraneLib = (crane.mkLib pkgsStatic).overrideToolchain self.rustToolchainFor;

  # The checker used by the checks, built for the host with repro-check's own toolchain pin.
  repro-check = self.callPackage ./reproCheckPackage.nix {
    craneLib = (crane.mkLib pkgs).overrideToolchain pinnedToolchainFor;
    root = ../.;
  };

  imageDefaults = import ./imageDefaults.nix;

  buildStaticPackage = self.callPackage ./buildStaticPackage.nix {
    craneLib = self.staticCraneLib;
    # A build tool, so from the build platform (pkgs/top-level/stage.nix: buildPackages).
    inherit (pkgsStatic.buildPackages) removeReferencesTo;
  };

  buildScratchImage = self.callPackage ./buildScratchImage.nix { };
  checkStatic = self.callPackage ./checkStatic.nix { };
  checkReproducible = self.callPackage ./checkReproducible.nix { };
  checkImage = self.callPackage ./checkImage.nix { };
})
