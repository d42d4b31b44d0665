# The few nixpkgs `lib` functions this repository's Nix code calls, with nixpkgs' meaning, for the
# stand-in evaluations under Nix 2.8 (tests/nix/stubs.nix, tests/nix/static-build.nix).
let
  lower = [ "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z" ];
  upper = [ "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O" "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z" ];
in
rec {
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
  assertMsg = cond: msg: if cond then true else builtins.throw msg;
  cleanSourceWith = { src, name ? "source", ... }: builtins.path { path = src; inherit name; };
}
