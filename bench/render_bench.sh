#!/usr/bin/env bash
# Render-speed benchmark: reel vs the hand-written ffmpeg command of the reference scene.
#
# Usage: bench/render_bench.sh [ROUNDS]   (default 5)
# Env:   SHARED=path to the shared bench material (default ../shared/bench beside the repo)
#        WORK=scratch dir (default a temp dir)   REEL=reel binary (default target/release/reel)
#        MODE=cli  -> time `reel render reference-scene.json -o DIR` (needs the wired CLI)
#        MODE=plan -> time ffmpeg with reel's compiled plan (default; works without the CLI:
#                     the args come from the ignored test `compile_reference_scene_args`)
#
# Each round runs ref_ffmpeg.sh and reel once, alternating which goes first, and records wall
# and CPU (user+sys of the children) times. Prints per-round figures and the MEDIAN OF THE
# PER-ROUND RATIOS (reel / ref), as bench/README.md asks: machines drift, ratios do not.
set -euo pipefail
ROUNDS=${1:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SHARED:-$ROOT/../shared/bench}
WORK=${WORK:-$(mktemp -d /tmp/reel-bench.XXXXXX)}
MODE=${MODE:-plan}
mkdir -p "$WORK"
[ -d "$WORK/assets" ] || "$SHARED/make_assets.sh" "$WORK/assets" >/dev/null

if [ "$MODE" = cli ]; then
  REEL=${REEL:-$ROOT/target/release/reel}
  cp "$SHARED/reference-scene.json" "$WORK/"
  run_reel() { "$REEL" render "$WORK/reference-scene.json" -o "$WORK/out" --force >/dev/null 2>&1; }
else
  # The title layer as the rasteriser would make it (800x112, black@0.6, white 64 px text).
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i "color=c=black@0.6:s=800x112,format=rgba" \
    -vf "drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf:text='Hello, Jane!':fontsize=64:fontcolor=white:x=(w-text_w)/2:y=(h-text_h)/2" \
    -frames:v 1 -update 1 "$WORK/title.png"
  (cd "$ROOT" && REEL_BENCH_DIR=$WORK cargo test --quiet --test it compile_reference_scene_args \
    -- --ignored >/dev/null 2>&1)
  mapfile -t ARGS < "$WORK/reel_args.txt"
  run_reel() { ffmpeg -loglevel error "${ARGS[@]}"; }
fi
run_ref() { ASSETS=$WORK/assets "$SHARED/ref_ffmpeg.sh" "$WORK/ref.mp4"; }

# time_it VAR CMD: wall and CPU seconds of CMD (children's user+sys from /proc-free `times`).
time_it() {
  local t0 t1 c0 c1
  c0=$(cpu_children); t0=$(date +%s.%N)
  "$@"
  t1=$(date +%s.%N); c1=$(cpu_children)
  echo "$(echo "$t1 - $t0" | bc -l) $(echo "$c1 - $c0" | bc -l)"
}
# CPU seconds used so far by finished children of this shell (user + sys).
cpu_children() {
  local line
  line=$(times | tail -1)            # "XmY.YYYs XmY.YYYs" (children user, sys)
  echo "$line" | awk '{ n=0; for (i=1;i<=2;i++) { split($i,a,"m"); sub("s","",a[2]); n += a[1]*60 + a[2] } print n }'
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
