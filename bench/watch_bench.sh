#!/usr/bin/env bash
# Watch-mode latency, measured the way a user feels it: a 10-second 16:9 template
# (tests/fixtures/watch/bench.edit) under `reel watch --preview`, saved N times (an editor-style
# atomic save that changes the title). For each save it records
#   save → first ffmpeg process start   (an ffmpeg shim first on PATH logs its start time)
#   save → reel calls the renderer      (REEL_WATCH_TRACE=1 "render start" line)
#   save → render finished              (REEL_WATCH_TRACE=1 "build finished" line)
# and prints medians (and min / max).
#
# Usage: bench/watch_bench.sh            (N=20 saves; REEL=path/to/reel to skip the build;
#        ARGS="--poll" to add reel watch options; TEMPLATE=bench-video.edit for the 720p
#        template with one video, e.g. with ARGS="--frame 5": save → new still; PREVIEW= for
#        full quality instead of --preview)
set -euo pipefail
N=${N:-20}
TEMPLATE=${TEMPLATE:-bench.edit}
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${REEL:-}" ]; then
  (cd "$root" && cargo build --release --quiet)
  REEL="${CARGO_TARGET_DIR:-$root/target}/release/reel"
fi
real_ffmpeg=$(command -v ffmpeg) || { echo "ffmpeg not found" >&2; exit 1; }

work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cp "$root/tests/fixtures/watch/$TEMPLATE" "$work/bench.edit"
cp "$root/tests/fixtures/watch/bench.csv" "$work/"
cp "$root/examples/media/photo-1.jpg" "$work/photo.jpg"
# A 10 s 1280x720 30 fps clip for bench-video.edit.
"$real_ffmpeg" -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=1280x720:rate=30:duration=10" \
  -c:v libx264 -preset veryfast -crf 20 -pix_fmt yuv420p -g 60 "$work/clip.mp4"
mkdir "$work/shim"
cat > "$work/shim/ffmpeg" <<SHIM
#!/bin/sh
date +%s%N >> "$work/ffmpeg-starts"
exec "$real_ffmpeg" "\$@"
SHIM
chmod +x "$work/shim/ffmpeg"
: > "$work/ffmpeg-starts"

now_ns() { date +%s%N; }
# Waits until FILE has more than N lines matching PATTERN; prints the (N+1)th match.
wait_line() {
  local file=$1 pattern=$2 n=$3 deadline=$((SECONDS + 60))
  while [ $SECONDS -lt $deadline ]; do
    local m
    m=$(grep -E "$pattern" "$file" | sed -n "$((n + 1))p" || true)
    if [ -n "$m" ]; then echo "$m"; return 0; fi
    sleep 0.005
  done
  echo "timed out waiting for /$pattern/ in $file" >&2; tail -20 "$file" >&2; return 1
}

cd "$work"
PATH="$work/shim:$PATH" REEL_WATCH_TRACE=1 NO_COLOR=1 \
  "$REEL" watch bench.edit -o out ${PREVIEW---preview} ${ARGS:-} 2> log &
pid=$!
wait_line log '^\[' 0 > /dev/null   # the first build
first=$(grep -E '^\[' log | head -1)
echo "first build: $first"

to_ffmpeg=() to_render=() to_done=()
for i in $(seq 1 "$N"); do
  sleep 0.5
  starts=$(wc -l < ffmpeg-starts)
  renders=$(grep -c 'render start' log || true)
  builds=$(grep -c 'build finished' log || true)
  sed "s/Save [0-9]*/Save $i/" bench.edit > .bench.edit.tmp
  t0=$(now_ns)
  mv .bench.edit.tmp bench.edit
  t1=$(wait_line ffmpeg-starts '.' "$starts")
  t2=$(wait_line log 'render start' "$renders" | awk '{print $2}')
  t3=$(wait_line log 'build finished' "$builds" | awk '{print $2}')
  to_ffmpeg+=($(( (t1 - t0) / 1000000 )))
  to_render+=($(( t2 - t0 / 1000000 )))
  to_done+=($(( t3 - t0 / 1000000 )))
done

stats() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "median %d ms (min %d, max %d, n=%d)", m, a[1], a[NR], NR}'; }
echo "save -> first ffmpeg start:   $(stats "${to_ffmpeg[@]}")"
echo "save -> render call:          $(stats "${to_render[@]}")"
echo "save -> render finished:      $(stats "${to_done[@]}")"
grep -E '^\[' log | tail -3
