/**
  A check that a scratch image (from `buildScratchImage`) holds exactly the executable and the CA
  bundle in one layer, runs as the given user, has the fixed creation date, and that its
  executable passes `repro-check check`.

  # Type

  ```
  checkImage :: { image, exe, user ? "1000:1000", created ? "1970-01-01T00:00:01" } -> drv
  ```
*/
{
  checker,
  jq,
  lib,
  machine,
  runCommand,
}:
{
  image,
  exe,
  user ? "1000:1000",
  created ? "1970-01-01T00:00:01",
}:
runCommand "check-image-${exe}" { nativeBuildInputs = [ jq ]; } ''
  mkdir archive root
  tar -xzf ${image} -C archive
  cd archive
  config=$(jq -r '.[0].Config' manifest.json)
  jq -e --arg user ${lib.escapeShellArg user} '.config.User == $user' "$config"
  # stream_layered_image.py writes the date in ISO form, with or without a zone suffix.
  jq -e --arg created ${lib.escapeShellArg created} '.created | startswith($created)' "$config"
  jq -e '.[0].Layers | length == 1' manifest.json
  for layer in $(jq -r '.[0].Layers[]' manifest.json); do
    tar -xf "$layer" -C ../root
  done
  cd ../root
  find . -mindepth 1 -not -type d | sort > ../found
  printf '%s\n' ./bin/${exe} ./etc/ssl/certs/ca-certificates.crt | sort > ../expected
  diff -u ../expected ../found
  ${lib.getExe checker} check --machine ${machine} --deny nix-store-ref --deny build-path bin/${exe}
  touch $out
''
