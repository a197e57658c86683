#!/usr/bin/env bash
# `reel still` latency on the reference scene (tests/fixtures/bench/reference-scene.json) at
# t=5 s, the way a user feels it: the whole command, wall clock.
#   cold: an empty reel cache (no probe results, no drawn layers) for every run
#   warm: the cache kept from the run before
# Also checks the picture: PSNR of the still against frame 125 of a full `reel render`.
# Prints medians (and min / max) in seconds.
#
# Usage: bench/still_bench.sh [RUNS]   (default 9)
# Env:   REEL=reel binary (default: $CARGO_TARGET_DIR/debug/reel, built with `cargo build`)
#        WORK=scratch dir (default a temp dir; assets are kept there between runs)
#        AT=seconds (default 5)
set -euo pipefail
RUNS=${1:-9}
AT=${AT:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${REEL:-}" ]; then
  (cd "$ROOT" && cargo build --quiet)
  REEL="${CARGO_TARGET_DIR:-$ROOT/target}/debug/reel"
fi
WORK=${WORK:-$(mktemp -d /tmp/reel-still.XXXXXX)}
mkdir -p "$WORK"
[ -d "$WORK/assets" ] || "$ROOT/tests/fixtures/bench/make_assets.sh" "$WORK/assets" >/dev/null
cp "$ROOT/tests/fixtures/bench/reference-scene.json" "$WORK/scene.json"
cd "$WORK"

median() { sort -g | awk '{ v[NR]=$1 } END { if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2 }'; }
stats() { local f=$1; printf "median %.3f s  (min %.3f, max %.3f, n=%d)\n" \
  "$(median < "$f")" "$(sort -g "$f" | head -1)" "$(sort -g "$f" | tail -1)" "$(wc -l < "$f")"; }
# still NAME: one run; appends its wall time to NAME and its CPU time (user + sys, reel and
# ffmpeg) to NAME.cpu: on a shared machine the CPU time shows what an idle one would take.
still() {
  /usr/bin/time -f "%e %U %S" -o t.txt "$REEL" still scene.json --set NAME=Jane --at "$AT" \
    -o still.png >/dev/null 2>&1
  awk '{ print $1 }' t.txt >> "$1"; awk '{ print $2 + $3 }' t.txt >> "$1.cpu"
}

: > cold; : > warm; : > cold.cpu; : > warm.cpu
for _ in $(seq 1 "$RUNS"); do
  export REEL_CACHE_DIR=$WORK/cache-cold
  rm -rf "$REEL_CACHE_DIR"
  still cold
  still warm
done
echo "reel still --at $AT (reference scene, 1280x720), load average $(cut -d' ' -f1 /proc/loadavg):"
echo "  cold: wall $(stats cold)"
echo "        cpu  $(stats cold.cpu)"
echo "  warm: wall $(stats warm)"
echo "        cpu  $(stats warm.cpu)"

# The same frame of a full render.
REEL_CACHE_DIR=$WORK/cache-cold "$REEL" render scene.json --set NAME=Jane -o out --force >/dev/null 2>&1
video=$(ls out/*.mp4 | head -1)
frame=$(awk -v t="$AT" 'BEGIN { k = t * 25; f = int(k); if (k - f > 1e-6) f++; print f }')
ffmpeg -hide_banner -loglevel error -y -i "$video" -vf "select=eq(n\,$frame)" -frames:v 1 render.png
psnr=$(ffmpeg -hide_banner -i still.png -i render.png -lavfi "[0]format=rgb24[a];[1]format=rgb24[b];[a][b]psnr" \
  -f null - 2>&1 | sed -n 's/.*average:\([0-9.inf]*\).*/\1/p')
echo "  PSNR against frame $frame of reel render: $psnr dB"
