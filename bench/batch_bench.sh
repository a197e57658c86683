#!/usr/bin/env bash
# Batch throughput and memory of `reel render`, measured against the hand-written yardstick.
#
# Usage: bench/batch_bench.sh [ROUNDS]      (default 3; run from the repository root)
# Env:   REEL=path to the reel binary (default: target/release/reel, built if missing)
#        SHARED=the shared reference material (default ../shared)
#        ROWS_BIG=rows streamed through --dry-run for the memory figure (default 100000)
#        JOBS=reel's -j (default: reel's own default)
#
# 1. Throughput: 20 rows of the reference scene (`reference-scene.json`, media from
#    `make_assets.sh`, titles from `names.csv` feeding the merge field NAME). Each round renders
#    the 20 videos with reel (`--force`) and with the best hand-run equivalent measured in the
#    shared bench README: `ref_ffmpeg.sh` two at a time with THREADS=1 FTHREADS=1. The two
#    alternate within a round, so machine drift cancels out; the script prints videos/min and
#    CPU seconds per video for both per round, and the medians of the per-round ratios
#    (wall and CPU; target >= 0.95, above 1 = reel faster). On a shared, loaded machine the
#    wall ratio mostly measures who gets the CPU; the CPU ratio is the robust one.
# 2. Memory: reel's own peak RSS (VmHWM of the reel process; no ffmpeg runs in a dry run)
#    while it streams ROWS_BIG rows through `reel render --dry-run` (target < 50 MB).
set -euo pipefail
ROUNDS=${1:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SHARED:-$ROOT/../shared}
BENCH=$SHARED/bench
ROWS_BIG=${ROWS_BIG:-100000}
REEL=${REEL:-$ROOT/${CARGO_TARGET_DIR:-target}/release/reel}
case $REEL in /*) ;; *) REEL=$ROOT/$REEL ;; esac
if [ ! -x "$REEL" ]; then
  (cd "$ROOT" && cargo build --release --bin reel)
  REEL=${CARGO_TARGET_DIR:-$ROOT/target}/release/reel
fi

WORK=$(mktemp -d /tmp/reel-batch-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cp "$BENCH/reference-scene.json" "$WORK/scene.json"
bash "$BENCH/make_assets.sh" "$WORK/assets" >/dev/null
# names.csv has a header `name`; the scene's merge field is NAME.
{ echo NAME; tail -n +2 "$BENCH/names.csv"; } > "$WORK/names.csv"
N=$(($(wc -l < "$WORK/names.csv") - 1))
JOBS_ARG=()
[ -n "${JOBS:-}" ] && JOBS_ARG=(-j "$JOBS")

now() { date +%s.%N; }
# CPU seconds (user + sys) used so far by this shell's waited-for descendants (ffmpeg
# included), into $CPU. `times` must run in this shell, not in a $(…) subshell.
child_cpu() {
  times > "$WORK/times"
  CPU=$(awk 'NR == 2 {
    n = split($0, f, " "); t = 0
    for (i = 1; i <= n; i++) { split(f[i], ms, "m"); t += ms[1] * 60 + ms[2] }
    print t }' "$WORK/times")
}

run_reel() {
  rm -rf "$WORK/out-reel"
  (cd "$WORK" && "$REEL" render scene.json --data names.csv -o out-reel --force "${JOBS_ARG[@]}" \
    2> "$WORK/reel.log") || { cat "$WORK/reel.log" >&2; echo "reel render failed" >&2; exit 1; }
  local made
  made=$(find "$WORK/out-reel" -name '*.mp4' | wc -l)
  [ "$made" -eq "$N" ] || { echo "reel made $made of $N videos" >&2; exit 1; }
}

run_hand() {
  rm -rf "$WORK/out-hand" && mkdir -p "$WORK/out-hand"
  local i=0 title
  while IFS= read -r title; do
    i=$((i + 1))
    # Two at a time: wait for one to finish before starting a third.
    while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n; done
    (cd "$WORK" && THREADS=1 FTHREADS=1 ASSETS="$WORK/assets" \
      bash "$BENCH/ref_ffmpeg.sh" "$WORK/out-hand/$i.mp4" "$title") &
  done < <(tail -n +2 "$WORK/names.csv")
  wait
}

per_min() { awk -v n="$N" -v s="$1" 'BEGIN { printf "%.1f", n * 60 / s }'; }

echo "throughput: $N videos of the reference scene per side, $ROUNDS rounds (reel ${JOBS:+-j $JOBS}vs 2 x ref_ffmpeg.sh THREADS=1 FTHREADS=1)"
ratios=()
cpu_ratios=()
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then order="reel hand"; else order="hand reel"; fi
  for who in $order; do
    child_cpu; c0=$CPU; t0=$(now)
    "run_$who"
    t1=$(now); child_cpu; c1=$CPU
    eval "t_$who=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
    eval "c_$who=$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')"
  done
  ratio=$(awk -v h="$t_hand" -v r="$t_reel" 'BEGIN { printf "%.3f", h / r }')
  cpu_ratio=$(awk -v h="$c_hand" -v r="$c_reel" 'BEGIN { printf "%.3f", h / r }')
  ratios+=("$ratio")
  cpu_ratios+=("$cpu_ratio")
  echo "  round $r: reel $(per_min "$t_reel") videos/min, hand $(per_min "$t_hand") videos/min," \
    "wall ratio $ratio; CPU s/video reel $(awk -v c="$c_reel" -v n="$N" 'BEGIN { printf "%.2f", c / n }')," \
    "hand $(awk -v c="$c_hand" -v n="$N" 'BEGIN { printf "%.2f", c / n }'), CPU ratio $cpu_ratio"
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo "throughput ratio reel / hand-run, median of $ROUNDS rounds: wall $(median "${ratios[@]}")," \
  "CPU $(median "${cpu_ratios[@]}") (target >= 0.95; >1 = reel faster)"
echo "(wall ratios on a loaded shared machine mostly measure who gets the CPU; the CPU ratio does not)"

echo "memory: --dry-run over $ROWS_BIG rows"
awk -v n="$ROWS_BIG" 'BEGIN { print "NAME"; for (i = 1; i <= n; i++) printf "Customer %d\n", i }' > "$WORK/big.csv"
(cd "$WORK" && exec "$REEL" render scene.json --data big.csv -o out-big --dry-run > /dev/null 2> "$WORK/big.log") &
pid=$!
peak=0
while kill -0 "$pid" 2>/dev/null; do
  kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
  [ -n "$kb" ] && peak=$kb
  sleep 0.05
done
wait "$pid" || { cat "$WORK/big.log" >&2; echo "dry run failed" >&2; exit 1; }
echo "reel peak RSS (VmHWM) over $ROWS_BIG rows: $((peak / 1024)) MB (target < 50 MB)"
