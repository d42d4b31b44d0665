#!/usr/bin/env bash
# Benchmark: `repro-check compare` vs `diffoscope` on the same pairs.
#
# Pairs: one small Rust program built with `debug = true` in two different directories (the
# binaries, ~4-5 MB, differ only by the build directory); then archives built twice with one
# variation each: a .tar.gz of a source tree (member mtimes), a .deb (data.tar.xz member contents),
# a wheel-like zip (entry times) and an OCI image archive (config `created`). Prints wall time,
# peak memory (RSS) and output lines of each tool per pair, and the ratio of wall times.
#
# Needs: cargo, python3, tar, gzip, xz, dpkg-deb, diffoscope (Debian: apt-get install
# --no-install-recommends diffoscope-minimal), GNU time (/usr/bin/time, Debian package `time`).
# Not part of the test suite: timings are not asserted.
#
# Usage: scripts/bench-compare.sh [RUNS]   (RUNS: repro-check runs, best taken; default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"

for tool in cargo python3 tar gzip xz dpkg-deb diffoscope /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench-compare: $tool is not installed" >&2; exit 2; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/bench-compare.XXXXXX")"
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet --locked
bin="$PWD/target/release/repro-check"

for side in first second; do
  mkdir -p "$work/$side/src"
  printf '[package]\nname = "demo"\nversion = "0.1.0"\nedition = "2021"\n\n[profile.release]\ndebug = true\n' \
    >"$work/$side/Cargo.toml"
  printf 'fn main() {\n    let n: usize = std::env::args().map(|a| a.len()).sum();\n    println!("{n}");\n}\n' \
    >"$work/$side/src/main.rs"
  (cd "$work/$side" && env -u RUSTFLAGS -u CARGO_TARGET_DIR cargo build --release --quiet --offline)
done
a="$work/first/target/release/demo"
b="$work/second/target/release/demo"

# measure NAME CMD...: run once under GNU time; sets wall (seconds, from bash's microsecond clock,
# as GNU time rounds to 10 ms), rss (peak resident set, KiB), lines (of output).
measure() {
  local name="$1"; shift
  local start="$EPOCHREALTIME"
  /usr/bin/time -v -o "$work/$name.time" "$@" >"$work/$name.out" 2>/dev/null || true
  wall=$(awk -v s="$start" -v e="$EPOCHREALTIME" 'BEGIN {printf "%.3f", e - s}')
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/$name.time")
  lines=$(wc -l <"$work/$name.out")
}

# Archive pairs, each built twice with one variation.
(
  cd "$work"
  export LC_ALL=C TZ=UTC
  # A source tree: the Rust std sources' size class, ~2000 files of text.
  mkdir -p tree
  for d in $(seq 1 40); do
    mkdir -p "tree/dir$d"
    for f in $(seq 1 50); do seq "$f" $((f * 40)) >"tree/dir$d/file$f.txt"; done
  done
  touch -d @1600000000 tree -r tree; find tree -exec touch -d @1600000000 {} +
  tar --sort=name --owner=0 --group=0 --numeric-owner -cf - tree | gzip -n >src-a.tar.gz
  touch -d @1700000000 tree/dir7/file3.txt
  tar --sort=name --owner=0 --group=0 --numeric-owner -cf - tree | gzip -n >src-b.tar.gz
  # A .deb whose payload holds the Rust binary above: one member's contents differ.
  for side in a b; do
    mkdir -p "deb-$side/DEBIAN" "deb-$side/usr/bin"
    printf 'Package: demo\nVersion: 1\nArchitecture: amd64\nMaintainer: t <t@e>\nDescription: d\n' >"deb-$side/DEBIAN/control"
  done
  cp "$work/first/target/release/demo" deb-a/usr/bin/demo
  cp "$work/second/target/release/demo" deb-b/usr/bin/demo
  SOURCE_DATE_EPOCH=1600000000 dpkg-deb --root-owner-group -Zxz --build deb-a demo-a.deb >/dev/null
  SOURCE_DATE_EPOCH=1600000000 dpkg-deb --root-owner-group -Zxz --build deb-b demo-b.deb >/dev/null
  # A wheel-like zip of the tree at two times, and an OCI archive with two `created` times.
  python3 - <<'PY'
import hashlib, io, json, os, tarfile, gzip, zipfile
def wheel(path, when):
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
        for root, dirs, files in sorted(os.walk('tree')):
            dirs.sort()
            for f in sorted(files):
                p = os.path.join(root, f)
                i = zipfile.ZipInfo(p, date_time=when); i.external_attr = 0o644 << 16
                z.writestr(i, open(p, 'rb').read(), zipfile.ZIP_DEFLATED)
wheel('pkg-a.whl', (2020, 1, 1, 0, 0, 0)); wheel('pkg-b.whl', (2024, 1, 1, 0, 0, 0))
def oci(out, created):
    files = {}
    def blob(data):
        h = hashlib.sha256(data).hexdigest(); files['blobs/sha256/' + h] = data
        return {'digest': 'sha256:' + h, 'size': len(data)}
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode='w', format=tarfile.GNU_FORMAT) as t:
        t.add('tree', filter=lambda i: (setattr(i, 'uid', 0), setattr(i, 'gid', 0), setattr(i, 'uname', ''), setattr(i, 'gname', ''), i)[-1])
    layer = blob(gzip.compress(raw.getvalue(), mtime=0))
    config = blob(json.dumps({'created': created, 'architecture': 'amd64', 'os': 'linux',
        'rootfs': {'type': 'layers', 'diff_ids': ['sha256:' + hashlib.sha256(raw.getvalue()).hexdigest()]},
        'history': [{'created': created, 'created_by': 'bench'}]}).encode())
    manifest = blob(json.dumps({'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.manifest.v1+json',
        'config': dict(config, mediaType='application/vnd.oci.image.config.v1+json'),
        'layers': [dict(layer, mediaType='application/vnd.oci.image.layer.v1.tar+gzip')]}).encode())
    files['index.json'] = json.dumps({'schemaVersion': 2, 'manifests': [dict(manifest, mediaType='application/vnd.oci.image.manifest.v1+json')]}).encode()
    files['oci-layout'] = b'{"imageLayoutVersion": "1.0.0"}'
    with tarfile.open(out, 'w', format=tarfile.GNU_FORMAT) as t:
        for name in sorted(files):
            i = tarfile.TarInfo(name); i.size = len(files[name])
            t.addfile(i, io.BytesIO(files[name]))
oci('image-a.tar', '2020-01-01T00:00:00Z'); oci('image-b.tar', '2024-01-01T00:00:00Z')
PY
)

echo "machine:    $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(. /etc/os-release && echo "$PRETTY_NAME")"
echo "versions:   $("$bin" --version), $(diffoscope --version)"
printf '%-34s %-12s %10s %12s %8s\n' pair tool "wall (s)" "peak RSS" lines

# bench LABEL A B: repro-check (best of $runs) and diffoscope (one run) on one pair.
bench() {
  local label="$1" a="$2" b="$3" best_wall="" best_rss=0 rc_lines=0
  for _ in $(seq "$runs"); do
    measure repro "$bin" compare "$a" "$b"
    if [ -z "$best_wall" ] || awk -v x="$wall" -v y="$best_wall" 'BEGIN {exit !(x < y)}'; then best_wall=$wall; fi
    [ "$rss" -gt "$best_rss" ] && best_rss=$rss
    rc_lines=$lines
  done
  cp "$work/repro.out" "$work/bench-$(printf %s "$label" | tr -c 'A-Za-z0-9' _).out"
  measure diffoscope diffoscope --text - "$a" "$b"
  printf '%-34s %-12s %10s %9s MiB %8s\n' "$label" repro-check "$best_wall" "$((best_rss / 1024))" "$rc_lines"
  printf '%-34s %-12s %10s %9s MiB %8s   (%sx faster)\n' "" diffoscope "$wall" "$((rss / 1024))" "$lines" \
    "$(awk -v r="$best_wall" -v d="$wall" 'BEGIN {printf "%.0f", d / (r > 0.001 ? r : 0.001)}')"
}

size=$(stat -c %s "$a")
bench "ELF, build path ($((size / 1048576)) MB)" "$a" "$b"
bench "tar.gz, one mtime (2000 files)" "$work/src-a.tar.gz" "$work/src-b.tar.gz"
bench ".deb, build path in data.tar.xz" "$work/demo-a.deb" "$work/demo-b.deb"
bench "zip/wheel, entry times" "$work/pkg-a.whl" "$work/pkg-b.whl"
bench "OCI archive, config created" "$work/image-a.tar" "$work/image-b.tar"
echo "repro-check output, .deb pair:"
sed 's/^/  | /' "$work/bench-$(printf %s ".deb, build path in data.tar.xz" | tr -c 'A-Za-z0-9' _).out"
