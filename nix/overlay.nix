/**
  `overlays.default`: adds `repro-check` (built for the host by this flake's pinned toolchain)
  and `buildStaticRustPackage` (nix/buildStaticPackage.nix for that package set) to nixpkgs.

  # Type

  ```
  overlay :: { mkLib } -> final -> prev -> attrset
  ```
*/
{ mkLib }:
final: prev:
let
  rc = mkLib { pkgs = final; };
in
{
  inherit (rc) repro-check;
  buildStaticRustPackage = rc.buildStaticPackage;
}
