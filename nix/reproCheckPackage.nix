/**
  repro-check itself, built for the host (glibc) by crane: `packages.default`, and the checker
  that every check runs.

  # Type

  ```
  reproCheckPackage :: { craneLib, lib, root } -> drv
  ```

  - `craneLib`: crane for the host package set with repro-check's toolchain.
  - `root`: the repository (a cargo workspace: the root package plus `examples/static-openssl`).

  In mkLib's scope it is `repro-check`, called with repro-check's pinned toolchain; replace it
  with `overrideScope` to run the checks with another checker.

  Tests are not run here: they run in `checks.<system>.nextest`.
*/
{
  craneLib,
  lib,
  root,
}:
let
  args = {
    src = craneLib.cleanCargoSource root;
    strictDeps = true;
    cargoExtraArgs = "--locked --package repro-check";
    doCheck = false;
  };
in
craneLib.buildPackage (
  args
  // {
    cargoArtifacts = craneLib.buildDepsOnly args;
    meta = {
      description = "Prove a Linux binary is truly static and reproducible";
      mainProgram = "repro-check";
      license = with lib.licenses; [
        mit
        asl20
      ];
      platforms = lib.platforms.linux;
    };
  }
)
