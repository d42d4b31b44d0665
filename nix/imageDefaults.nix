/**
  The settings `buildScratchImage` writes and `checkImage` expects, in one place so the two cannot
  disagree. A scope attribute of `mkLib` (`imageDefaults`): change it with `overrideScope` and
  both follow.

  # Type

  ```
  imageDefaults :: { created, user, caBundle }
  ```

  - `created`: the image's creation date. A fixed date keeps the image reproducible; any ISO 8601
    UTC form (`…Z` or `…+00:00`), as nixpkgs' `stream_layered_image.py` parses it with
    `datetime.fromisoformat` and writes it back with `isoformat()`.
  - `user`: `uid:gid` the image runs as: never root.
  - `caBundle`: where the CA certificate bundle lands in the image and what `SSL_CERT_FILE`
    names; the path OpenSSL, Go and rustls-native-certs look at on Debian-like systems.
*/
{
  created = "1970-01-01T00:00:01Z";
  user = "1000:1000";
  caBundle = "/etc/ssl/certs/ca-certificates.crt";
}
