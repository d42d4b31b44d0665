/**
  A check that runs `repro-check check` on every executable of a package inside the sandbox and
  fails unless each one is static (or static-pie), built for this machine, linked with musl, and
  free of store references and build paths.

  # Type

  ```
  checkStatic :: { package, name ? package.name, deny ? [ "nix-store-ref" "build-path" "runpath" "rpath" ] } -> drv
  ```

  `deny` lists finding codes that fail the check even where repro-check reports them only as
  warnings. `runpath`/`rpath` are denied because the ld-wrapper adds `-rpath` to a static-pie
  link unless `NIX_DONT_SET_RPATH` is set (see nix/buildStaticPackage.nix, "Linking").

  # Scope arguments

  `repro-check` (the checker) and `machine` from mkLib's scope; `jq`, `lib`, `runCommand` from
  the package set.
*/
{
  jq,
  lib,
  machine,
  repro-check,
  runCommand,
}:
{
  package,
  name ? package.name,
  deny ? [
    "nix-store-ref"
    "build-path"
    "runpath"
    "rpath"
  ],
}:
runCommand "repro-check-static-${name}" { nativeBuildInputs = [ jq ]; } ''
  flags=(--machine ${machine} ${lib.concatMapStringsSep " " (code: "--deny ${code}") deny})
  # The readable report goes to the log; the JSON one decides.
  ${lib.getExe repro-check} check "''${flags[@]}" ${package}/bin
  ${lib.getExe repro-check} check --json "''${flags[@]}" ${package}/bin > report.json
  jq -e '(.files | length > 0) and all(.files[]; .static == true and .libc == "musl")' report.json \
    || { echo "not every file in ${package}/bin is a static musl binary" >&2; exit 1; }
  touch $out
''
