#!/usr/bin/env bash
# Speed and memory of `repro-check`, measured side by side with the tools people use for the same
# questions, in one run on this machine. Not a test and not run in CI: timings depend on the machine.
#
#   scripts/bench.sh [DIR] [RUNS]      # DIR defaults to /usr/bin, RUNS (per tool) to 5
#
# Environment: REPRO_CHECK=path/to/binary skips the release build; BENCH_BIG=0 skips the 2 GB
# memory test; BENCH_TMP picks where the 2 GB sparse file goes (default: $TMPDIR or /tmp);
# BENCH_STATIC=0 skips building the static binary; BENCH_COMPARE=0 skips compare vs diffoscope
# (scripts/bench-compare.sh, run when diffoscope is installed).
# Needs: openssl, sha256sum, file, scanelf (pax-utils), ldd, GNU time (/usr/bin/time).
#
# What is timed, over the same list of regular files (symlinks excluded), with a warm page cache:
#   repro-check check DIR          text check: ELF facts and string scan of every byte (no digest)
#   repro-check check --json DIR   the same plus SHA-256 of every byte (-v and --json print it)
#   repro-check hash DIR           SHA-256 of every file (sha256sum format)
#   openssl dgst -sha256 FILES     hashing only (the anchor: ratios are against it)
#   sha256sum FILES, file FILES, scanelf FILES, and an `ldd` loop over the ELF files
# Each tool runs RUNS times, interleaved round-robin so load from other processes hits all of them
# alike; the median wall time and the median CPU time (user + sys) are printed.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${1:-/usr/bin}
runs=${2:-5}
tmp=$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/repro-check-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if [[ -z ${REPRO_CHECK:-} ]]; then
  cargo build --release --locked --quiet
  REPRO_CHECK=target/release/repro-check
fi
bin=$(realpath "$REPRO_CHECK")

need() { command -v "$1" >/dev/null 2>&1 || { echo "bench: $1 is not installed" >&2; exit 2; }; }
for t in openssl sha256sum file scanelf ldd xargs /usr/bin/time; do need "$t"; done

# The file set: every regular file under DIR (what `check` reads; it skips symlinks in a tree).
find "$dir" -type f -print0 | sort -z >"$tmp/files"
nfiles=$(tr -cd '\0' <"$tmp/files" | wc -c)
bytes=$(xargs -0 stat -c %s <"$tmp/files" | awk '{s += $1} END {print s}')
# ELF files only, for the ldd loop.
xargs -0 file -N --mime-type <"$tmp/files" | awk -F': ' '$2 ~ /x-(pie-)?executable|x-sharedlib/ {print $1}' >"$tmp/elf"
xargs -0 cat <"$tmp/files" >/dev/null # warm the page cache

# Commands, by label. Each reads every file in the set (ldd: every ELF file).
labels=(check check-json hash openssl sha256sum file scanelf ldd)
declare -A cmd=(
  [check]="\"$bin\" check \"$dir\""
  [check-json]="\"$bin\" check --json \"$dir\""
  [hash]="\"$bin\" hash \"$dir\""
  [openssl]="xargs -0 openssl dgst -sha256 <\"$tmp/files\""
  [sha256sum]="xargs -0 sha256sum <\"$tmp/files\""
  [file]="xargs -0 file <\"$tmp/files\""
  [scanelf]="xargs -0 scanelf -q -F '%F %i %n' <\"$tmp/files\""
  [ldd]="while IFS= read -r f; do ldd \"\$f\" || true; done <\"$tmp/elf\""
)

# time_one LABEL: run once, append "wall cpu" (seconds) to $tmp/LABEL.t
time_one() {
  /usr/bin/time -f '%e %U %S' -o "$tmp/$1.one" bash -c "${cmd[$1]}" >/dev/null 2>&1 || true
  # The last line: time(1) first writes "Command exited with non-zero status N" when it does.
  tail -n 1 "$tmp/$1.one" | awk '{printf "%s %.2f\n", $1, $2 + $3}' >>"$tmp/$1.t"
}
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

for ((i = 0; i < runs; i++)); do
  for l in "${labels[@]}"; do
    # The ldd loop takes seconds per run; once is enough for its ratio.
    [[ $l == ldd && $i -gt 0 ]] && continue
    time_one "$l"
  done
done

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(uname -sr)"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "files: $nfiles regular files under $dir, $((bytes / 1048576)) MiB; $(wc -l <"$tmp/elf") ELF; warm cache; median of $runs runs"
echo
printf '%-12s %9s %9s %8s %13s\n' tool wall_s cpu_s cores "wall/openssl"
base=$(cut -d' ' -f1 "$tmp/openssl.t" | median)
for l in "${labels[@]}"; do
  wall=$(cut -d' ' -f1 "$tmp/$l.t" | median)
  cpu=$(cut -d' ' -f2 "$tmp/$l.t" | median)
  awk -v l="$l" -v w="$wall" -v c="$cpu" -v b="$base" \
    'BEGIN {printf "%-12s %9.3f %9.3f %8.2f %12.2fx\n", l, w, c, (w > 0 ? c / w : 0), (b > 0 ? w / b : 0)}'
done
echo
echo "check throughput: $(awk -v b="$bytes" -v w="$(cut -d' ' -f1 "$tmp/check.t" | median)" 'BEGIN {printf "%.0f MiB/s", b / 1048576 / w}')"

# Peak memory on a 2 GB file: a real ELF program padded to 2 GiB with a sparse tail (no disk
# space used), so `check` parses its headers and then streams, hashes and scans all 2 GiB.
if [[ ${BENCH_BIG:-1} != 0 ]]; then
  big="$tmp/big-elf"
  cp "$(type -P true)" "$big"
  truncate -s 2G "$big"
  cat "$big" >/dev/null # into the page cache, like the directory above
  peak() { # LABEL CMD...: print wall time and peak resident memory
    local label=$1
    shift
    /usr/bin/time -f '%e %M' -o "$tmp/peak" "$@" >/dev/null 2>&1 || true
    read -r wall kb < <(tail -n 1 "$tmp/peak")
    printf '%-34s %8.2f s %9.1f MiB\n' "$label" "$wall" "$(awk -v k="$kb" 'BEGIN {print k / 1024}')"
  }
  echo
  echo "peak memory on a 2 GiB file ($(du -h "$big" | cut -f1) on disk; sparse):"
  peak "repro-check check" "$bin" check "$big"
  if "$bin" --help | grep -qE '^ +hash '; then
    peak "repro-check hash" "$bin" hash "$big"
  fi
  peak "sha256sum" sha256sum "$big"
  peak "openssl dgst -sha256" openssl dgst -sha256 "$big"
  rm -f "$big"
fi

# The release binary: profile settings and size. A fully static build uses glibc's static-pie
# here (no musl Rust target installed); the Nix flake builds the musl one.
echo
panic=$(cargo rustc --release --quiet --bin repro-check -- --print cfg 2>/dev/null | grep '^panic=' || echo 'panic=?')
echo "release profile: strip, lto, codegen-units 1, $panic (check wraps each file in catch_unwind)"
printf 'release binary (dynamic glibc):    %s bytes\n' "$(stat -c %s "$bin")"
if [[ ${BENCH_STATIC:-1} != 0 ]]; then
  RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --locked --quiet \
    --target x86_64-unknown-linux-gnu --target-dir target/bench-static
  static=target/bench-static/x86_64-unknown-linux-gnu/release/repro-check
  printf 'release binary (static-pie glibc): %s bytes (%s)\n' "$(stat -c %s "$static")" \
    "$("$static" check --json "$static" | grep -o '"linkage": *"[a-z-]*"' | head -1)"
fi

if [[ ${BENCH_COMPARE:-1} != 0 ]] && command -v diffoscope >/dev/null 2>&1; then
  echo
  echo "compare vs diffoscope (scripts/bench-compare.sh 5):"
  bash scripts/bench-compare.sh 5
fi
