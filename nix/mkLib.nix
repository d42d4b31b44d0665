/**
  repro-check's Nix library for one package set: the toolchain, crane set up for static musl
  builds, the builder, the scratch image and the checks.

  # Type

  ```
  mkLib :: { pkgs, rustToolchainFile ? <repro-check's rust-toolchain.toml> } -> {
    rustToolchain, craneLib, staticCraneLib, buildStaticPackage, buildScratchImage,
    checkStatic, checkReproducible, checkImage, repro-check
  }
  ```

  # Example

  ```nix
  let rc = repro-check.lib.mkLib { inherit pkgs; rustToolchainFile = ./rust-toolchain.toml; };
  in rc.buildStaticPackage { src = rc.staticCraneLib.cleanCargoSource ./.; }
  ```

  # Arguments

  - `pkgs`: `nixpkgs.legacyPackages.<system>` for a Linux system.
  - `rustToolchainFile`: the `rust-toolchain.toml` whose channel builds the user's crates.
    repro-check itself (`repro-check`, used by the checks) is always built with its own pin.
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

  # The musl triple of this system, e.g. `x86_64-unknown-linux-musl`. Not `rustcTarget`: nixpkgs
  # lib/systems/default.nix line 534 says "Do not use rustcTarget. Use rustcTargetSpec or
  # cargoShortTarget."; `cargoShortTarget` (line 543) is the target's name, never a JSON spec path.
  muslTarget = pkgsStatic.stdenv.hostPlatform.rust.cargoShortTarget;
  toolchainFrom =
    file:
    import ./rustToolchain.nix {
      inherit rust-overlay;
      rustToolchainFile = file;
      extraTargets = [ muslTarget ];
    };
  toolchainFor = toolchainFrom rustToolchainFile;

  craneLib = (crane.mkLib pkgs).overrideToolchain toolchainFor;
  staticCraneLib = (crane.mkLib pkgsStatic).overrideToolchain toolchainFor;

  # The checker used by the checks, built for the host with repro-check's own toolchain pin.
  repro-check = import ./reproCheckPackage.nix {
    inherit lib;
    craneLib = (crane.mkLib pkgs).overrideToolchain (toolchainFrom defaultRustToolchainFile);
    root = ../.;
  };
in
{
  inherit craneLib staticCraneLib repro-check;
  rustToolchain = toolchainFor pkgs;

  buildStaticPackage = import ./buildStaticPackage.nix {
    inherit lib pkgsStatic;
    craneLib = staticCraneLib;
    # A build tool, so from the build platform (pkgs/top-level/stage.nix: buildPackages).
    inherit (pkgsStatic.buildPackages) removeReferencesTo;
  };

  buildScratchImage = import ./buildScratchImage.nix {
    inherit (pkgs) cacert dockerTools lib;
  };

  checkStatic = import ./checkStatic.nix {
    inherit (pkgs) jq lib runCommand;
    checker = repro-check;
    # Named as `uname -m` names it (nixpkgs lib/systems: `uname.processor`), like `--machine`.
    machine = pkgs.stdenv.hostPlatform.uname.processor;
  };

  checkReproducible = import ./checkReproducible.nix {
    inherit (pkgs) lib runCommand;
    checker = repro-check;
  };

  checkImage = import ./checkImage.nix {
    inherit (pkgs) jq lib runCommand;
    checker = repro-check;
    machine = pkgs.stdenv.hostPlatform.uname.processor;
  };
}
