/**
  A check that a scratch image (from `buildScratchImage`) holds exactly the executable and the CA
  bundle in one layer, runs as the given user, has the fixed creation date, and that its
  executable passes `repro-check check`.

  # Type

  ```
  checkImage :: { image, exe, user ? imageDefaults.user, created ? imageDefaults.created } -> drv
  ```

  The defaults are the ones `buildScratchImage` writes (nix/imageDefaults.nix, one scope
  attribute), so an image built with defaults passes with defaults.

  # Scope arguments

  `repro-check` (the checker), `imageDefaults` and `machine` from mkLib's scope; `jq`, `lib`,
  `runCommand` from the package set.
*/
{
  imageDefaults,
  jq,
  lib,
  machine,
  repro-check,
  runCommand,
}:
{
  image,
  exe,
  user ? imageDefaults.user,
  created ? imageDefaults.created,
}:
let
  inherit (imageDefaults) caBundle;
in
runCommand "check-image-${exe}" { nativeBuildInputs = [ jq ]; } ''
  mkdir archive root
  tar -xzf ${image} -C archive
  cd archive
  config=$(jq -r '.[0].Config' manifest.json)
  jq -e --arg user ${lib.escapeShellArg user} '.config.User == $user' "$config"
  jq -e --arg cert ${lib.escapeShellArg "SSL_CERT_FILE=${caBundle}"} '.config.Env // [] | any(. == $cert)' "$config"
  # stream_layered_image.py writes `datetime.fromisoformat(created).isoformat()`: a UTC date comes
  # back as `…+00:00` for `…Z`; compare both without the zone suffix.
  jq -e --arg created ${lib.escapeShellArg created} \
    'def utc: sub("(Z|[+-]00:?00)$"; ""); (.created | utc) == ($created | utc)' "$config"
  jq -e '.[0].Layers | length == 1' manifest.json
  for layer in $(jq -r '.[0].Layers[]' manifest.json); do
    tar -xf "$layer" -C ../root
  done
  cd ../root
  find . -mindepth 1 -not -type d | sort > ../found
  printf '%s\n' ./bin/${exe} .${caBundle} | sort > ../expected
  diff -u ../expected ../found
  ${lib.getExe repro-check} check --machine ${machine} --deny nix-store-ref --deny build-path bin/${exe}
  touch $out
''
