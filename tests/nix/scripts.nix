# The shell scripts of this flake's check derivations (nix/check*.nix), rendered with Nix 2.8 for
# given paths so that tests/nix.rs can run them with bash against real binaries. `runCommand` is
# replaced by a stand-in that returns the script, and `lib` by the few functions they call.
{
  root,
  checker,
  package,
  machine,
  # A second build, for the reproducibility check.
  other ? package,
  # The OpenSSL version the OpenSSL example is expected to link.
  opensslVersion ? "3.0.0",
  # The crypto provider the rustls example is expected to use.
  rustlsProvider ? "aws-lc-rs",
}:
let
  lib = {
    getExe = drv: drv;
    concatMapStringsSep = sep: f: list: builtins.concatStringsSep sep (map f list);
    escapeShellArg = arg: "'${builtins.replaceStrings [ "'" ] [ "'\\''" ] (toString arg)}'";
    escapeShellArgs = args: builtins.concatStringsSep " " (map lib.escapeShellArg args);
    assertMsg = cond: _msg: cond;
  };
  runCommand = _name: _attrs: script: script;
in
{
  static = import (root + "/nix/checkStatic.nix") {
    inherit lib machine runCommand;
    repro-check = checker;
    jq = "jq";
  } { inherit package; name = "test"; };

  opensslExample = import (root + "/nix/checkOpensslExample.nix") { inherit runCommand; } {
    inherit package opensslVersion;
  };

  rustlsExample = import (root + "/nix/checkRustlsExample.nix") { inherit runCommand; } {
    inherit package;
    provider = rustlsProvider;
  };

  reproducible = import (root + "/nix/checkReproducible.nix") {
    inherit lib runCommand;
    repro-check = checker;
  } {
    name = "test";
    builds = [
      package
      other
    ];
  };

  # Here `package` is the path of an image archive whose executable is `bin/hello`; the image
  # settings are the defaults buildScratchImage writes.
  image = import (root + "/nix/checkImage.nix") {
    inherit lib machine runCommand;
    repro-check = checker;
    imageDefaults = import (root + "/nix/imageDefaults.nix");
    jq = "jq";
  } {
    image = package;
    exe = "hello";
  };
}
