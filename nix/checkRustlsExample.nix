/**
  A check that runs the static rustls example in the sandbox: the crypto provider it was built
  with, a verified TLS handshake over loopback (the sandbox has its own `lo`), and a client that
  trusts another CA refused with rustls' certificate error.

  # Type

  ```
  checkRustlsExample :: { runCommand } -> { package, provider } -> drv
  ```

  - `provider`: `"aws-lc-rs"` or `"ring"`, the cargo feature the package was built with.
*/
{ runCommand }:
{
  package,
  provider,
}:
runCommand "static-rustls-${provider}-runs" { } ''
  ${package}/bin/static-rustls | tee out
  grep -qx 'crypto provider: ${provider}' out \
    || { echo "the binary does not use ${provider}" >&2; exit 1; }
  grep -q '^TLS handshake with the in-process server: ok (TLSv1' out
  grep -q '^untrusted server refused: .*invalid peer certificate' out
  touch $out
''
