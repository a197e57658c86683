#!/usr/bin/env bash
# Times `reel build T --data 10k.csv --jsonl > /dev/null` and prints wall time and peak RSS,
# against DESIGN §7's bars: 10,000 rows in under 0.5 s, reel's own memory under 50 MB.
#
# usage: bench/build_bench.sh [TEMPLATE] [ROWS]
#   TEMPLATE  a .edit or Shotstack .json template using the merge field NAME
#             (default: shared/bench/reference-scene.json, copied with stand-in asset files)
#   ROWS      number of data rows (default 10000)
# env: REEL=path/to/reel skips the release build; ROUNDS=N runs N times (default 5) and reports
#      the median wall time and the largest peak RSS.
#
# The CSV is generated in a temp dir from shared/bench/names.csv (accents and apostrophes
# included), with a few more columns so rows are not trivially small.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
rows=${2:-10000}
rounds=${ROUNDS:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [[ -z "${REEL:-}" ]]; then
    (cd "$here" && cargo build --release --quiet --bin reel)
    REEL="${CARGO_TARGET_DIR:-$here/target}/release/reel"
fi

# The template: the reference scene by default. `reel build` validates that local files exist
# (it does not probe them without --resolve), so empty stand-ins are enough.
if [[ $# -ge 1 ]]; then
    template=$(realpath "$1")
else
    template="$tmp/reference-scene.json"
    cp "$here/../shared/bench/reference-scene.json" "$template"
    mkdir -p "$tmp/assets"
    for f in music.mp3 logo.png photo.png clipA.mp4 clipB.mp4; do : > "$tmp/assets/$f"; done
fi

# 10,000 rows: NAME cycles through the shared names; the other columns vary per row.
names="$here/../shared/bench/names.csv"
awk -v rows="$rows" 'NR > 1 { n[c++] = $0 }
    END {
        print "NAME,city,price,notes"
        for (i = 0; i < rows; i++)
            printf "%s,City %d,%d.%02d,\"note %d, with a comma\"\n", n[i % c], i % 97, i, i % 100, i
    }' "$names" > "$tmp/data.csv"

# Runs one build; prints "<wall s> <CPU s (user + sys)> <peak RSS KiB> <exit code> <lines out>".
run_once() {
    local out="$tmp/out.jsonl" stats="$tmp/time.txt" code=0
    (cd "$tmp" && /usr/bin/time -v -o "$stats" "$REEL" build "$template" --data data.csv --jsonl \
        > "$out" 2> "$tmp/stderr.txt") || code=$?
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0
        for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$stats")
    rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$stats")
    cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$stats")
    echo "$wall $cpu $rss $code $(wc -l < "$out")"
}

if [[ ! -x /usr/bin/time ]]; then
    echo "needs /usr/bin/time (apt-get install time)" >&2
    exit 2
fi

walls=()
cpus=()
max_rss=0
for ((r = 1; r <= rounds; r++)); do
    read -r wall cpu rss code lines < <(run_once)
    if [[ "$code" != 0 ]]; then
        echo "reel build failed (exit $code); its stderr:" >&2
        head -40 "$tmp/stderr.txt" >&2
        exit 1
    fi
    if [[ "$lines" != "$rows" ]]; then
        echo "expected $rows JSON lines, got $lines" >&2
        exit 1
    fi
    walls+=("$wall")
    cpus+=("$cpu")
    (( rss > max_rss )) && max_rss=$rss
done

median_of() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
median=$(median_of "${walls[@]}")
median_cpu=$(median_of "${cpus[@]}")
mb=$(awk -v k="$max_rss" 'BEGIN { printf "%.1f", k / 1024 }')
echo "reel build: $rows rows, $(basename "$template"), $rounds rounds"
echo "  wall time (median): ${median} s   (bar: < 0.5 s)"
echo "  CPU time (median):  ${median_cpu} s   (user + sys; wall exceeds it when the machine is busy)"
echo "  peak RSS (max):     ${mb} MB   (bar: < 50 MB)"
echo "  load average:       $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
awk -v w="$median" -v m="$mb" 'BEGIN { exit !(w < 0.5 && m < 50) }' \
    && echo "  within both bars" || echo "  OVER a bar"
