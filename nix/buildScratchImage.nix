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
  - `created` (default `"1970-01-01T00:00:01Z"`): a fixed date keeps the image reproducible.
  - `user` (default `"1000:1000"`): the image never runs as root.
  - `config`: merged into the image configuration.

  # How

  `dockerTools.buildLayeredImage` with `includeStorePaths = false`, so no store path becomes a
  layer, and `extraCommands` *copying* the two files into the customisation layer, which is
  tarred with a fixed mtime and numeric owner 0 (pkgs/build-support/docker/default.nix,
  `streamLayeredImage`). The bundle comes from `cacert` (`etc/ssl/certs/ca-bundle.crt`) and lands
  where OpenSSL, Go and rustls-native-certs look on Debian-like systems.
*/
{
  cacert,
  dockerTools,
  lib,
}:
{
  package,
  exe ? package.meta.mainProgram or (lib.getName package),
  name ? exe,
  tag ? "latest",
  created ? "1970-01-01T00:00:01Z",
  user ? "1000:1000",
  config ? { },
}:
dockerTools.buildLayeredImage {
  inherit name tag created;
  contents = [ ];
  includeStorePaths = false;
  extraCommands = ''
    mkdir -p bin etc/ssl/certs
    cp ${package}/bin/${exe} bin/${exe}
    cp ${cacert}/etc/ssl/certs/ca-bundle.crt etc/ssl/certs/ca-certificates.crt
  '';
  config = {
    Entrypoint = [ "/bin/${exe}" ];
    User = user;
    Env = [ "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" ];
  }
  // config;
}
