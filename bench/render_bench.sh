#!/usr/bin/env bash
# Render-speed benchmark: reel vs the hand-written ffmpeg command of the reference scene.
#
# Usage: bench/render_bench.sh [ROUNDS]   (default 5)
# Env:   SHARED=path to the shared bench material (default ../shared/bench beside the repo)
#        WORK=scratch dir (default a temp dir)   REEL=reel binary (default target/release/reel)
#        MODE=cli  -> time `reel render reference-scene.json -o DIR` (needs the wired CLI)
#        CARGO_ARGS=extra cargo arguments for building that test
#        MODE=e2e  -> time ffmpeg with the plan reel makes of reference-scene.json through its
#                     real pipeline (resolve, text rasterised by `raster`, compile), written by
#                     the ignored test `compile_reference_scene_end_to_end_args` (default)
#        MODE=plan -> same, but the Timeline is built by hand in Rust with the reference's own
#                     drawtext title PNG (`compile_reference_scene_args`): like-for-like pixels
#        (e2e and plan run the ffmpeg command alone, which cannot draw the Ken Burns frames reel
#        feeds it: their plans use the old `perspective` camera, REEL_ZOOM=perspective; MODE=cli
#        measures reel as it renders)
#
# Each round runs ref_ffmpeg.sh and reel once, alternating which goes first, and records wall
# and CPU (user+sys of the children) times. Prints per-round figures and the MEDIAN OF THE
# PER-ROUND RATIOS (reel / ref), as bench/README.md asks: machines drift, ratios do not.
set -euo pipefail
ROUNDS=${1:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SHARED:-$ROOT/../shared/bench}
WORK=${WORK:-$(mktemp -d /tmp/reel-bench.XXXXXX)}
MODE=${MODE:-e2e}
mkdir -p "$WORK"
[ -d "$WORK/assets" ] || "$SHARED/make_assets.sh" "$WORK/assets" >/dev/null

if [ "$MODE" = cli ]; then
  REEL=${REEL:-$ROOT/target/release/reel}
  ARGS=()
  cp "$SHARED/reference-scene.json" "$WORK/"
  run_reel() { "$REEL" render "$WORK/reference-scene.json" -o "$WORK/out" --force >/dev/null 2>&1; }
elif [ "$MODE" = e2e ]; then
  (cd "$ROOT" && REEL_ZOOM=perspective REEL_BENCH_DIR=$WORK cargo test ${CARGO_ARGS:-} --quiet --test it \
    compile_reference_scene_end_to_end_args -- --ignored >/dev/null 2>&1)
  mapfile -t ARGS < "$WORK/reel_args.txt"
  REEL=
  run_reel() { ffmpeg -loglevel error "${ARGS[@]}"; }
else
  # The title layer as the rasteriser would make it (800x112, black@0.6, white 64 px text).
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i "color=c=black@0.6:s=800x112,format=rgba" \
    -vf "drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf:text='Hello, Jane!':fontsize=64:fontcolor=white:x=(w-text_w)/2:y=(h-text_h)/2" \
    -frames:v 1 -update 1 "$WORK/title.png"
  (cd "$ROOT" && REEL_ZOOM=perspective REEL_BENCH_DIR=$WORK cargo test ${CARGO_ARGS:-} --quiet --test it compile_reference_scene_args \
    -- --ignored >/dev/null 2>&1)
  mapfile -t ARGS < "$WORK/reel_args.txt"
  REEL=
  run_reel() { ffmpeg -loglevel error "${ARGS[@]}"; }
fi
run_ref() { ASSETS=$WORK/assets "$SHARED/ref_ffmpeg.sh" "$WORK/ref.mp4"; }

# time_it CMD...: prints "wall cpu" seconds of CMD (cpu = user + sys of it and its children).
time_it() {
  local f; f=$(mktemp)
  /usr/bin/time -f "%e %U %S" -o "$f" bash -c "$(declare -f run_ref run_reel); $(declare -p ARGS WORK SHARED REEL 2>/dev/null || true); $*"
  awk '{ printf "%s %s\n", $1, $2 + $3 }' "$f"; rm -f "$f"
}

median() { sort -g | awk '{ v[NR]=$1 } END { if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2 }'; }

: > "$WORK/ratios"
printf '%-6s %9s %9s %9s %9s %7s %7s\n' round ref_wall reel_wall ref_cpu reel_cpu r_wall r_cpu
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then
    read -r rw rc < <(time_it run_ref); read -r nw nc < <(time_it run_reel)
  else
    read -r nw nc < <(time_it run_reel); read -r rw rc < <(time_it run_ref)
  fi
  qw=$(echo "$nw / $rw" | bc -l); qc=$(echo "$nc / $rc" | bc -l)
  echo "$qw $qc" >> "$WORK/ratios"
  printf '%-6s %9.3f %9.3f %9.3f %9.3f %7.3f %7.3f\n' "$r" "$rw" "$nw" "$rc" "$nc" "$qw" "$qc"
done
printf 'median ratio reel/ref: wall %.3f  cpu %.3f  (%s rounds, mode %s)\n' \
  "$(cut -d' ' -f1 "$WORK/ratios" | median)" "$(cut -d' ' -f2 "$WORK/ratios" | median)" "$ROUNDS" "$MODE"
