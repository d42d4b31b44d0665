/**
  The Rust toolchain named by a `rust-toolchain.toml`, from rust-overlay, able to build for the
  static musl target.

  # Type

  ```
  rustToolchain :: { rust-overlay, rustToolchainFile, extraTargets } -> (pkgs -> drv)
  ```

  Returns a *function of a package set* so that crane can splice it: for `pkgs.pkgsStatic` crane
  calls it once per `pkgsBuildHost`, `pkgsHostTarget`, … (crane `lib/default.nix`,
  `spliceToolchain`; `overrideToolchain` warns when a cross build is given a plain toolchain).

  # Arguments

  In mkLib's scope it is `rustToolchainFor`: `rustToolchainFile` comes from the scope, the rest
  is passed by nix/mkLib.nix.

  - `rust-overlay`: the flake input; `rust-overlay.lib.mkRustBin { } pkgs` builds the `rust-bin`
    set for any `pkgs` without an overlay (rust-overlay `flake.nix`), so nothing depends on
    whether overlays reach `pkgsStatic`.
  - `rustToolchainFile`: path to `rust-toolchain.toml`. Only its `[toolchain]` table is read;
    the version lives there and nowhere else.
  - `extraTargets`: rustc target triples whose `rust-std` is added, e.g. the musl triple of
    `pkgs.pkgsStatic`. (rust-overlay already adds the host's and the package set's target
    platform, `lib/rust-bin.nix` `mkProfile`; naming the musl triple makes the host toolchain
    able to build static binaries too.)

  # Result

  `profile` defaults to `minimal`: no `rust-src`, so the toolchain cannot leak into binaries
  through source paths (crane PR #779); `clippy` and `rustfmt` are added for the checks.
*/
{
  rust-overlay,
  rustToolchainFile,
  extraTargets ? [ ],
}:
pkgs:
let
  inherit (pkgs) lib;
  toolchain = (builtins.fromTOML (builtins.readFile rustToolchainFile)).toolchain;
in
# `fromRustupToolchain` takes exactly channel/profile/components/targets (rust-overlay
# `lib/rust-bin.nix`), the fields rustup reads from the same file.
(rust-overlay.lib.mkRustBin { } pkgs).fromRustupToolchain {
  inherit (toolchain) channel;
  profile = toolchain.profile or "minimal";
  components = lib.unique (
    (toolchain.components or [ ])
    ++ [
      "clippy"
      "rustfmt"
    ]
  );
  targets = lib.unique ((toolchain.targets or [ ]) ++ extraTargets);
}
