#!/usr/bin/env bash
# Benchmark: `repro-check compare` vs `diffoscope` on the same pair of binaries.
#
# The pair is the issue's case: one small Rust program built with `debug = true` in two different
# directories, so the binaries (~4-5 MB, most of it std's debug info) differ only by the build
# directory. Prints wall time, peak memory (RSS) and output lines of each tool, and the ratios.
#
# Needs: cargo, diffoscope (Debian: apt-get install --no-install-recommends diffoscope-minimal),
# GNU time (/usr/bin/time, Debian package `time`). Not part of the test suite: timings are not asserted.
#
# Usage: scripts/bench-compare.sh [RUNS]   (RUNS: repro-check runs, best taken; default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"

for tool in cargo diffoscope /usr/bin/time; do
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

best_wall=""; best_rss=0
for _ in $(seq "$runs"); do
  measure repro "$bin" compare "$a" "$b"
  if [ -z "$best_wall" ] || awk -v x="$wall" -v y="$best_wall" 'BEGIN {exit !(x < y)}'; then best_wall=$wall; fi
  [ "$rss" -gt "$best_rss" ] && best_rss=$rss
  rc_lines=$lines
done
measure diffoscope diffoscope --text - "$a" "$b"
d_wall=$wall; d_rss=$rss; d_lines=$lines

size=$(stat -c %s "$a")
echo "machine:    $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(. /etc/os-release && echo "$PRETTY_NAME")"
echo "pair:       Rust debug=true binary built in two directories, $size bytes"
echo "versions:   $("$bin" --version), $(diffoscope --version)"
printf '%-12s %10s %12s %10s\n' tool "wall (s)" "peak RSS" "lines"
printf '%-12s %10s %9s MiB %10s\n' repro-check "$best_wall" "$((best_rss / 1024))" "$rc_lines"
printf '%-12s %10s %9s MiB %10s\n' diffoscope "$d_wall" "$((d_rss / 1024))" "$d_lines"
awk -v r="$best_wall" -v d="$d_wall" -v rm="$best_rss" -v dm="$d_rss" \
  'BEGIN {printf "ratio:      %.0fx faster, %.0fx less memory (repro-check best of '"$runs"' runs; diffoscope 1 run)\n", d / (r > 0.001 ? r : 0.001), dm / rm}'
echo "repro-check output:"
sed 's/^/  | /' "$work/repro.out"
