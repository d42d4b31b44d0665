/**
  A check that runs the static OpenSSL example in the sandbox: the version of the OpenSSL it
  links, a verified TLS handshake over loopback (the sandbox has its own `lo`), and CA lookup
  through `SSL_CERT_FILE`, both accepting the right CA and rejecting a bundle without it — with
  OpenSSL's own certificate-verification error, not any failure.

  # Type

  ```
  checkOpensslExample :: { runCommand } -> { package, opensslVersion } -> drv
  ```

  - `opensslVersion`: the version of the OpenSSL the package links (`pkgsStatic.openssl.version`);
    the binary must report the same major version (`OpenSSL 3…`, later `OpenSSL 4…`).
*/
{ runCommand }:
{
  package,
  opensslVersion,
}:
let
  major = builtins.head (builtins.match "([0-9]+).*" opensslVersion);
in
runCommand "static-openssl-runs" { } ''
  # stdenv points NIX_SSL_CERT_FILE at /no-cert-file.crt, and nixpkgs' OpenSSL prefers it to
  # SSL_CERT_FILE (pkgs/development/libraries/openssl/3.0/nix-ssl-cert-file.patch).
  unset NIX_SSL_CERT_FILE SSL_CERT_DIR
  bin=${package}/bin/static-openssl

  "$bin" | tee out
  grep -q '^OpenSSL ${major}\.' out \
    || { echo "the binary does not run OpenSSL ${major} (it links ${opensslVersion})" >&2; exit 1; }
  grep -q '^TLS handshake with the in-process server: ok (TLSv1' out

  "$bin" write-pki pki
  SSL_CERT_FILE=$PWD/pki/ca.pem "$bin" system-trust pki/server.pem pki/server.key
  touch empty.pem
  # Without the CA the handshake must fail (exit 1) because OpenSSL cannot verify the chain.
  status=0
  SSL_CERT_FILE=$PWD/empty.pem "$bin" system-trust pki/server.pem pki/server.key 2> err || status=$?
  cat err >&2
  if [ "$status" != 1 ] || ! grep -q 'certificate verify failed' err; then
    echo "without the CA in SSL_CERT_FILE the handshake must fail certificate verification (exit $status)" >&2
    exit 1
  fi
  touch $out
''
