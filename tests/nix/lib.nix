# The few nixpkgs `lib` functions this repository's Nix code calls, with nixpkgs' meaning, for the
# stand-in evaluations under Nix 2.8 (tests/nix/stubs.nix, tests/nix/static-build.nix). The scope
# functions follow nixpkgs lib/customisation.nix (`makeScope`, `callPackageWith`,
# `makeOverridable`) and lib/fixed-points.nix (`extends`) without their error messages and
# `overrideDerivation`; tests/nix/stubs.nix takes nixpkgs' real `lib` in their place too.
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

  getExe = drv: "${drv}/bin/${drv.meta.mainProgram}";
  escapeShellArg = arg: "'${builtins.replaceStrings [ "'" ] [ "'\\''" ] (toString arg)}'";
  escapeShellArgs = args: builtins.concatStringsSep " " (map escapeShellArg args);
  concatMapStringsSep = sep: f: list: builtins.concatStringsSep sep (map f list);

  isFunction = f: builtins.isFunction f || (f ? __functor && isFunction (f.__functor f));
  functionArgs = f: if f ? __functor then f.__functionArgs or (functionArgs (f.__functor f)) else builtins.functionArgs f;
  setFunctionArgs = f: args: { __functor = _self: f; __functionArgs = args; };
  extends = overlay: f: final: let prev = f final; in prev // overlay final prev;

  # A function result becomes a functor with `override`; an attribute set gets `override`.
  makeOverridable = f: origArgs:
    let
      result = f origArgs;
      override = newArgs: makeOverridable f (origArgs // (if isFunction newArgs then newArgs origArgs else newArgs));
    in
    if builtins.isAttrs result then result // { inherit override; }
    else if isFunction result then setFunctionArgs result (functionArgs result) // { inherit override; }
    else result;

  callPackageWith = autoArgs: fn: args:
    let
      f = if isFunction fn then fn else import fn;
      fargs = functionArgs f;
      allArgs = builtins.intersectAttrs fargs autoArgs // args;
      missing = builtins.filter (name: !fargs.${name}) (builtins.attrNames (builtins.removeAttrs fargs (builtins.attrNames allArgs)));
    in
    if missing == [ ] then makeOverridable f allArgs
    else builtins.throw "callPackageWith: function called without required argument \"${builtins.head missing}\"";

  makeScope = newScope: f:
    let
      self = { callPackage = self.newScope { }; } // f self // {
        newScope = scope: newScope (self // scope);
        overrideScope = g: makeScope newScope (extends g f);
        packages = f;
      };
    in
    self;
}
