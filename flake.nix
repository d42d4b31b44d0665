{
  description = "repro-check: prove a Linux binary is truly static and reproducible; build static, byte-reproducible musl Rust binaries with crane";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixpkgs-unstable";
    crane.url = "github:ipetkov/crane";
    rust-overlay = {
      url = "github:oxalica/rust-overlay";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  # Wiring only: the builder lives in nix/, one function per file.
  outputs =
    {
      nixpkgs,
      crane,
      rust-overlay,
      ...
    }:
    let
      inherit (nixpkgs) lib;
      # Static musl binaries are a Linux affair; both systems build natively (no emulation).
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      eachSystem = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});

      mkLib = import ./nix/mkLib.nix {
        inherit crane rust-overlay;
        defaultRustToolchainFile = ./rust-toolchain.toml;
      };
      # Evaluated once per system, then split into the standard output attributes.
      perSystem = eachSystem (pkgs: import ./nix/perSystem.nix { inherit pkgs mkLib; root = ./.; });
      select = name: lib.mapAttrs (_system: outputs: outputs.${name}) perSystem;
    in
    {
      # For other flakes: `(repro-check.lib.mkLib { inherit pkgs; }).buildStaticPackage { src = …; }`.
      # mkLib's result is a nixpkgs scope: `.overrideScope` swaps the checker or the toolchain.
      lib = { inherit mkLib; };

      packages = select "packages";
      apps = select "apps";
      checks = select "checks";
      devShells = select "devShells";
      formatter = eachSystem (pkgs: pkgs.nixfmt-tree);

      overlays.default = import ./nix/overlay.nix { inherit mkLib; };

      templates.default = {
        path = ./templates/default;
        description = "A Rust crate built as a static, byte-reproducible musl binary with repro-check's builder";
      };
    };
}
