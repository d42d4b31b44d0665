# Builds with nix/buildStaticPackage.nix for real — Nix 2.8, its sandbox, busybox as the only
# /bin/sh — against stand-ins for what decides the output's references:
#
# - pkgs.pkgsStatic's stdenv: `makeStatic` ends with `propagateBuildInputs`, which moves
#   `buildInputs` into `propagatedBuildInputs` (pkgs/stdenv/adapters.nix), and stdenv's fixupPhase
#   writes them to `$out/nix-support/propagated-build-inputs` before `postFixup`
#   (pkgs/stdenv/generic/setup.sh, `recordPropagatedDependencies`);
# - crane's buildDepsOnly (its output holds the vendored sources' store paths) and buildPackage
#   (unpack, postUnpack, preBuild, a "link" that copies the static libraries into the binary as a
#   real link copies their strings, postInstall, fixup, postFixup);
# - pkgsStatic.openssl (libcrypto.a holds OPENSSLDIR, a path into its `etc` output), a user's C
#   library, and remove-references-to.
#
# Each attribute is a derivation; tests/nix.rs builds them. `craneArgs` on a package is what
# buildStaticPackage gave crane, so a test can rebuild it with one hook taken out.
{
  root,
  system ? builtins.currentSystem,
  # nixpkgs' `lib` can be given instead of the stand-in (the tests use the stand-in).
  lib ? import ./lib.nix,
}:
let

  sh =
    name: script: attrs:
    derivation (
      {
        inherit name system;
        builder = "/bin/sh";
        args = [
          "-c"
          script
        ];
      }
      // attrs
    );

  openssl =
    sh "openssl-standin-3.6.0"
      ''
        mkdir -p $bin/bin $dev/include $out/lib $man $etc/etc/ssl
        echo "OPENSSLDIR: \"$etc/etc/ssl\"" > $out/lib/libcrypto.a
        echo "#define OPENSSL_VERSION_MAJOR 3 /* $out */" > $dev/include/opensslv.h
        touch $bin/bin/openssl $man/openssl.1
      ''
      {
        outputs = [
          "bin"
          "dev"
          "out"
          "man"
          "etc"
        ];
      }
    // {
      version = "3.6.0";
    };

  libdemo =
    sh "libdemo-standin"
      ''
        mkdir -p $out/lib $dev/include
        echo "libdemo data dir: $out/share/demo" > $out/lib/libdemo.a
        echo "/* $out */" > $dev/include/demo.h
      ''
      {
        outputs = [
          "out"
          "dev"
        ];
      };

  # remove-references-to -t PATH FILE…: the store hash of PATH becomes e's, as nixpkgs' does.
  removeReferencesTo = sh "remove-references-to-standin" ''
    mkdir -p $out/bin
    cat > $out/bin/remove-references-to <<'SCRIPT'
    #!/bin/sh
    [ "$1" = -t ] || exit 2
    hash=''${2#/nix/store/}; hash=''${hash%%-*}; shift 2
    for file; do sed -i "s|/nix/store/$hash|/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee|g" "$file"; done
    SCRIPT
    chmod +x $out/bin/remove-references-to
  '' { };

  # pkgsStatic's mkDerivation: `propagateBuildInputs`, then attributes become the environment.
  mkDerivation =
    name: script: args:
    let
      static = args // {
        propagatedBuildInputs = (args.propagatedBuildInputs or [ ]) ++ map (drv: drv.dev or drv) (
          args.buildInputs or [ ]
        );
        buildInputs = [ ];
      };
      env = builtins.removeAttrs static [
        "passthru"
        "meta"
        "cargoArtifacts"
      ];
    in
    sh name script (
      env
      // {
        cargoArtifacts = args.cargoArtifacts.outPath or "";
        # What the cc-wrapper's `-L` flags would name: each input's library output.
        staticLibDirs = map (drv: "${drv.out or drv}/lib") (args.buildInputs or [ ]);
      }
    );

  # unpackPhase: the source is copied into a directory named after its store name.
  unpack = ''
    set -eu
    cd "$NIX_BUILD_TOP"
    sourceRoot=''${src#/nix/store/*-}
    cp -r "$src" "$sourceRoot"
    chmod -R u+w "$sourceRoot"
    eval "''${postUnpack:-}"
    cd "$sourceRoot"
  '';

  craneLib = {
    buildDepsOnly =
      args:
      mkDerivation "demo-deps" ''
        ${unpack}
        mkdir -p $out
        echo "vendored sources: $src" > $out/vendor-config
      '' args
      // {
        craneArgs = args;
      };

    buildPackage =
      args:
      mkDerivation "demo" ''
        ${unpack}
        eval "''${preBuild:-}"
        mkdir -p $out/bin $out/share
        # The "link": every static library's strings end up in the binary.
        for dir in ''${X86_64_UNKNOWN_LINUX_MUSL_OPENSSL_LIB_DIR:-} ''${AARCH64_UNKNOWN_LINUX_MUSL_OPENSSL_LIB_DIR:-}; do
          cat "$dir"/*.a >> $out/bin/demo
        done
        for dir in $staticLibDirs; do
          cat "$dir"/*.a >> $out/bin/demo
        done
        cat main.txt >> $out/bin/demo
        echo "$CARGO_BUILD_RUSTFLAGS" > $out/share/rustflags
        echo "''${RUSTFLAGS:-}" > $out/share/user-rustflags
        pwd > $out/share/build-dir
        eval "''${postInstall:-}"
        # fixupPhase: recordPropagatedDependencies, then postFixup.
        if [ -n "$propagatedBuildInputs" ]; then
          mkdir -p $out/nix-support
          echo $propagatedBuildInputs > $out/nix-support/propagated-build-inputs
        fi
        eval "''${postFixup:-}"
      '' args
      // {
        craneArgs = args;
      };
  };

  pkgsStatic = {
    stdenv.hostPlatform.rust = {
      cargoShortTarget = "${builtins.head (builtins.split "-" system)}-unknown-linux-musl";
      cargoEnvVarTarget = lib.toUpper (
        builtins.replaceStrings [ "-" ] [ "_" ] pkgsStatic.stdenv.hostPlatform.rust.cargoShortTarget
      );
    };
    inherit openssl;
  };

  buildStaticPackage = import (root + "/nix/buildStaticPackage.nix") {
    inherit craneLib lib pkgsStatic removeReferencesTo;
  };

  # A source tree: one file, main.txt, in a directory.
  tree =
    name:
    sh name ''
      mkdir -p $out
      echo 'fn main() {}' > $out/main.txt
    '' { };
in
{
  withOpenssl = buildStaticPackage {
    src = tree "demo-src";
    openssl = true;
  };
  withBuildInputs = buildStaticPackage {
    src = tree "demo-src";
    buildInputs = [ libdemo ];
  };
  # A caller's own (empty) allowedReferences and RUSTFLAGS.
  withUserSettings = buildStaticPackage {
    src = tree "demo-src";
    openssl = true;
    allowedReferences = [ ];
    RUSTFLAGS = "-C target-cpu=generic";
  };
  # Unpacked elsewhere, from a differently named source.
  elsewhere = buildStaticPackage {
    src = tree "renamed-checkout";
    unpackDir = "elsewhere-checkout";
  };

  inherit openssl;
  inherit (craneLib) buildDepsOnly buildPackage;
}
