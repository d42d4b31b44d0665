{
  description = "hello-static: a Rust program built as a static, byte-reproducible musl binary";

  inputs = {
    # Replace OWNER with the account that hosts repro-check (the one you ran `nix flake init -t` from).
    repro-check.url = "github:OWNER/repro-check";
    # The nixpkgs repro-check is tested with, so the static toolchain and OpenSSL are shared.
    nixpkgs.follows = "repro-check/nixpkgs";
  };

  outputs =
    {
      self,
      nixpkgs,
      repro-check,
    }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      # `rc` is repro-check's library for this system (repro-check's nix/mkLib.nix). Pass
      # `rustToolchainFile = ./rust-toolchain.toml;` next to `pkgs` to pin your own Rust.
      eachSystem =
        f:
        nixpkgs.lib.genAttrs systems (
          system: f system (repro-check.lib.mkLib { pkgs = nixpkgs.legacyPackages.${system}; })
        );
    in
    {
      packages = eachSystem (
        _system: rc: rec {
          # Any crane `buildPackage` argument works here too; `openssl = true;` links OpenSSL statically.
          default = rc.buildStaticPackage { src = rc.staticCraneLib.cleanCargoSource ./.; };
          # `docker image load < result`: the binary and CA certificates, nothing else.
          image = rc.buildScratchImage { package = default; };
        }
      );

      checks = eachSystem (
        system: rc: {
          # Static, musl, no /nix/store reference, no build path: decided by repro-check.
          static = rc.checkStatic { package = self.packages.${system}.default; };
        }
      );
    };
}
