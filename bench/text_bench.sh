#!/usr/bin/env bash
# Text-layer throughput: 1,000 rows of distinct names rendered to PNG stills (one text layer
# each, no video), with one or two reel binaries, alternating, several rounds.
#
# Usage: bench/text_bench.sh [ROUNDS]          (default 3; run from anywhere)
# Env:   REEL=the reel binary to measure (default: $CARGO_TARGET_DIR/debug/reel or target/)
#        BASE=a second binary (e.g. one built from main) measured in the same rounds
#        ROWS=rows (default 1000)   JOBS=reel's -j (default reel's own)
#        FLAGS=extra flags for `reel render` (e.g. --ignore-system-fonts)
# Prints rows/s per round and binary, then the medians.
set -euo pipefail
ROUNDS=${1:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REEL=${REEL:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/reel}
ROWS=${ROWS:-1000}
WORK=$(mktemp -d /tmp/reel-text-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cat > "$WORK/card.json" <<'JSON'
{
  "timeline": {
    "background": "#203040",
    "tracks": [{ "clips": [{
      "asset": { "type": "text", "text": "{{ NAME }}", "width": 900, "height": 120,
                 "font": { "family": "Open Sans", "size": 56, "color": "#ffffff" } },
      "start": 0, "length": 1 }] }]
  },
  "output": { "format": "png", "size": { "width": 960, "height": 540 } }
}
JSON
# Distinct names: Latin first names and surnames with a row number.
awk -v n="$ROWS" 'BEGIN {
  split("Jane Ahmed Zoë Sean Mia Lukas Ana Omar Eva Noah", f, " ");
  split("Smith Khan Müller Silva Rossi Novak Moreau Jensen Costa Weber", s, " ");
  print "NAME";
  for (i = 0; i < n; i++) printf "%s %s %d\n", f[i % 10 + 1], s[int(i / 10) % 10 + 1], i;
}' > "$WORK/names.csv"
JOBS_ARG=()
[ -n "${JOBS:-}" ] && JOBS_ARG=(-j "$JOBS")

run() { # BIN → rows/s
  local bin=$1 out=$WORK/out start end
  rm -rf "$out"
  start=$(date +%s.%N)
  "$bin" render "$WORK/card.json" -d "$WORK/names.csv" -o "$out" --force "${JOBS_ARG[@]}" \
    ${FLAGS:-} >/dev/null 2>&1
  end=$(date +%s.%N)
  local made; made=$(find "$out" -name '*.png' | wc -l)
  [ "$made" -eq "$ROWS" ] || { echo "only $made of $ROWS PNGs from $bin" >&2; exit 1; }
  awk -v r="$ROWS" -v a="$start" -v b="$end" 'BEGIN { printf "%.1f\n", r / (b - a) }'
}
median() { sort -g | awk '{ v[NR]=$1 } END { if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2 }'; }

: > "$WORK/new"; : > "$WORK/base"
for r in $(seq "$ROUNDS"); do
  if [ -n "${BASE:-}" ]; then
    b=$(run "$BASE"); echo "$b" >> "$WORK/base"
  fi
  n=$(run "$REEL"); echo "$n" >> "$WORK/new"
  echo "round $r: reel $n rows/s${BASE:+, base $b rows/s}"
done
echo "median: reel $(median < "$WORK/new") rows/s${BASE:+, base $(median < "$WORK/base") rows/s}"
