/**
  A container image built `FROM scratch`: the package's one static executable and the CA
  certificate bundle, nothing else — no shell, no libc, no `/nix/store`.

  # Type

  ```
  buildScratchImage :: set -> drv   # a gzipped `docker image load` archive
  ```

  The format is dockerTools' docker-archive (`manifest.json`, the image config, layer tarballs:
  the `docker save` format of the Docker Image Specification v1.2), not an OCI image layout
  (`skopeo copy docker-archive:… oci:…` converts it). Its config's `history` names the
  customisation layer's store path as a comment (pkgs/build-support/docker/stream_layered_image.py
  writes `"comment": f"store paths: {layer.paths}"` per layer); no file in the image holds it.

  # Required attributes

  - `package`: a derivation with a static executable in `bin/` (from `buildStaticPackage`).

  # Optional attributes

  - `exe` (default `package.meta.mainProgram`, else the package name): the file in `bin/`.
  - `name` (default `exe`), `tag` (default `"latest"`).
  - `created`, `user` (defaults from the scope's `imageDefaults`, nix/imageDefaults.nix): a fixed
    date keeps the image reproducible; the image never runs as root. `checkImage` expects the
    same defaults.
  - `config`: merged into the image configuration.

  # How

  `dockerTools.buildLayeredImage` with `includeStorePaths = false`, so no store path becomes a
  layer, and `extraCommands` *copying* the two files into the customisation layer, which is
  tarred with a fixed mtime and numeric owner 0 (pkgs/build-support/docker/default.nix,
  `streamLayeredImage`). The bundle comes from `cacert` (`etc/ssl/certs/ca-bundle.crt`) and lands
  at `imageDefaults.caBundle`, where OpenSSL, Go and rustls-native-certs look on Debian-like
  systems.

  # Scope arguments

  `cacert`, `dockerTools`, `lib` from the package set; `imageDefaults` from mkLib's scope.
*/
{
  cacert,
  dockerTools,
  imageDefaults,
  lib,
}:
{
  package,
  exe ? package.meta.mainProgram or (lib.getName package),
  name ? exe,
  tag ? "latest",
  created ? imageDefaults.created,
  user ? imageDefaults.user,
  config ? { },
}:
let
  inherit (imageDefaults) caBundle;
in
dockerTools.buildLayeredImage {
  inherit name tag created;
  contents = [ ];
  includeStorePaths = false;
  extraCommands = ''
    mkdir -p bin .${dirOf caBundle}
    cp ${package}/bin/${exe} bin/${exe}
    cp ${cacert}/etc/ssl/certs/ca-bundle.crt .${caBundle}
  '';
  config = {
    Entrypoint = [ "/bin/${exe}" ];
    User = user;
    Env = [ "SSL_CERT_FILE=${caBundle}" ];
  }
  // config;
}
