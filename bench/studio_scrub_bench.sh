#!/usr/bin/env bash
# Studio page scrubbing latency: `reel watch --serve` on the 720p template with one video
# (tests/fixtures/watch/bench-video.edit), then N still requests at distinct moments
# (GET /api/still?row=1&t=…, each a frame not asked for before: a real render through the
# `reel still` path with warm probe and layer caches), then the same moments again (cached).
# Prints the first (cold) request and medians.
#
# Usage: bench/studio_scrub_bench.sh   (N=20; REEL=path/to/reel to skip the build)
set -euo pipefail
N=${N:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${REEL:-}" ]; then
  (cd "$root" && cargo build --release --quiet)
  REEL="${CARGO_TARGET_DIR:-$root/target}/release/reel"
fi
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cp "$root/tests/fixtures/watch/bench-video.edit" "$work/bench.edit"
cp "$root/tests/fixtures/watch/bench.csv" "$work/"
cp "$root/examples/media/photo-1.jpg" "$work/photo.jpg"
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=1280x720:rate=30:duration=10" \
  -c:v libx264 -preset veryfast -crf 20 -pix_fmt yuv420p -g 60 "$work/clip.mp4"
cd "$work"
NO_COLOR=1 "$REEL" watch bench.edit -o out --preview --serve --port 0 2> log &
pid=$!
for _ in $(seq 1 600); do grep -q '^\[' log && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*/' log | head -1)
ms() { curl -s -o /dev/null -w '%{time_total}' "$1" | awk '{printf "%d", $1 * 1000}'; }
stats() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "median %d ms (min %d, max %d, n=%d)", m, a[1], a[NR], NR}'; }
echo "first still (cold): $(ms "${url}api/still?row=1&t=0.1&rev=1") ms"
warm=() cached=()
for i in $(seq 1 "$N"); do warm+=("$(ms "${url}api/still?row=1&t=$(awk "BEGIN{print $i*9.5/$N}")&rev=1")"); done
for i in $(seq 1 "$N"); do cached+=("$(ms "${url}api/still?row=1&t=$(awk "BEGIN{print $i*9.5/$N}")&rev=1")"); done
echo "scrub to a new moment (warm): $(stats "${warm[@]}")"
echo "scrub to a moment seen before: $(stats "${cached[@]}")"
