/**
  A check that two or more independent builds of the same package are byte-identical, decided by
  `repro-check compare` inside the sandbox (it names the cause when they differ).

  # Type

  ```
  checkReproducible :: { name, builds } -> drv
  ```

  - `builds`: at least two derivations built from the same source under different conditions
    (see `checks.<system>.reproducible` in nix/perSystem.nix); kept as `passthru.builds`.

  # Scope arguments

  `repro-check` (the checker) from mkLib's scope; `lib`, `runCommand` from the package set.
*/
{
  lib,
  repro-check,
  runCommand,
}:
{
  name,
  builds,
}:
assert lib.assertMsg (builtins.length builds >= 2) "checkReproducible needs at least two builds";
runCommand "reproducible-${name}" { passthru = { inherit builds; }; } ''
  # NAR hashes in the log, comparable with `nix path-info --json` on another machine.
  ${lib.getExe repro-check} hash --nar ${lib.escapeShellArgs builds}
  ${lib.getExe repro-check} compare ${lib.escapeShellArgs builds}
  touch $out
''
