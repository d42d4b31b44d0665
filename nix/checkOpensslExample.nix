/**
  A check that runs the static OpenSSL example in the sandbox: OpenSSL's version, a verified TLS
  handshake over loopback (the sandbox has its own `lo`), and CA lookup through `SSL_CERT_FILE`,
  both accepting the right CA and rejecting a bundle without it.

  # Type

  ```
  checkOpensslExample :: { runCommand } -> drv -> drv
  ```
*/
{ runCommand }:
package:
runCommand "static-openssl-runs" { } ''
  # stdenv points NIX_SSL_CERT_FILE at /no-cert-file.crt, and nixpkgs' OpenSSL prefers it to
  # SSL_CERT_FILE (pkgs/development/libraries/openssl/3.0/nix-ssl-cert-file.patch).
  unset NIX_SSL_CERT_FILE SSL_CERT_DIR
  bin=${package}/bin/static-openssl

  "$bin" | tee out
  grep -q '^OpenSSL 3' out
  grep -q '^TLS handshake with the in-process server: ok (TLSv1' out

  "$bin" write-pki pki
  SSL_CERT_FILE=$PWD/pki/ca.pem "$bin" system-trust pki/server.pem pki/server.key
  touch empty.pem
  if SSL_CERT_FILE=$PWD/empty.pem "$bin" system-trust pki/server.pem pki/server.key; then
    echo "the handshake must fail when SSL_CERT_FILE lacks the CA" >&2
    exit 1
  fi
  touch $out
''
