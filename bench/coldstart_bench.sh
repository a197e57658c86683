#!/usr/bin/env bash
# Cold-start benchmark: time from launching `reel render` with an EMPTY cache to the moment the
# first ffmpeg process starts (issue 16: < 60 ms), and how many ffprobe processes ran before it.
#
# Usage: bench/coldstart_bench.sh [ROUNDS]   (default 7)
# Env:   REEL=reel binary (default target/release/reel; build it with `cargo build --release`)
#        WORK=scratch dir (default a temp dir)
#        FULL=1 lets ffmpeg render (default: the first ffmpeg is stopped at once, so a round
#               costs only the cold start; reel then reports the failed render, ignored here)
#
# ffmpeg and ffprobe are found on PATH by reel; this script puts wrappers first on PATH that
# write the time and the tool's name to a log and exec the real tool (so the figure includes
# the exec of the wrapper: a slight over-estimate). Each round gets a fresh
# REEL_CACHE_DIR (no probe results, no rasterised layers, no memoised hashes). Prints each
# round and the MEDIAN in milliseconds.
set -euo pipefail
ROUNDS=${1:-7}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REEL=${REEL:-${CARGO_TARGET_DIR:-$ROOT/target}/release/reel}
WORK=${WORK:-$(mktemp -d /tmp/reel-coldstart.XXXXXX)}
mkdir -p "$WORK"
[ -x "$REEL" ] || { echo "no reel binary at $REEL (cargo build --release)" >&2; exit 2; }
[ -d "$WORK/assets" ] || "$ROOT/tests/fixtures/bench/make_assets.sh" "$WORK/assets" >/dev/null
cp "$ROOT/tests/fixtures/bench/reference-scene.json" "$WORK/"

WRAP=$WORK/wrap
mkdir -p "$WRAP"
# The wrappers stamp the time first thing. In C when a compiler is present (a bash wrapper's own
# start, reading its locale files, costs 2 ms idle and tens of ms on a loaded machine).
cat >"$WRAP/stamp.c" <<'EOF_C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  const char *log = getenv("COLDSTART_LOG");
  FILE *f = log ? fopen(log, "a") : NULL;
  if (f) { fprintf(f, "%ld.%06ld %s\n", (long)t.tv_sec, t.tv_nsec / 1000, TOOL); fclose(f); }
  const char *full = getenv("FULL");
  if (!strcmp(TOOL, "ffmpeg") && !(full && !strcmp(full, "1"))) return 1;
  (void)argc;
  execv(REAL, argv);
  return 127;
}
EOF_C
for tool in ffmpeg ffprobe; do
  real=$(command -v "$tool")
  if command -v cc >/dev/null; then
    cc -O2 -DTOOL="\"$tool\"" -DREAL="\"$real\"" -o "$WRAP/$tool" "$WRAP/stamp.c"
  else
    cat >"$WRAP/$tool" <<EOF
#!/usr/bin/env bash
echo "\$EPOCHREALTIME $tool" >> "\$COLDSTART_LOG"
if [ "$tool" = ffmpeg ] && [ "\${FULL:-0}" != 1 ]; then exit 1; fi
exec "$real" "\$@"
EOF
    chmod +x "$WRAP/$tool"
  fi
done

median() { sort -g | awk '{ v[NR]=$1 } END { if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2 }'; }

: >"$WORK/ms"
for r in $(seq 1 "$ROUNDS"); do
  cache=$(mktemp -d "$WORK/cache.XXXXXX")
  log=$WORK/log.$r
  : >"$log"
  t0=$EPOCHREALTIME
  COLDSTART_LOG=$log REEL_CACHE_DIR=$cache PATH="$WRAP:$PATH" \
    "$REEL" render "$WORK/reference-scene.json" -o "$WORK/out" --force >/dev/null 2>&1 || true
  first=$(awk '$2 == "ffmpeg" { print $1; exit }' "$log")
  probes=$(awk -v f="$first" '$2 == "ffprobe" && (f == "" || $1 < f)' "$log" | wc -l)
  [ -n "$first" ] || { echo "round $r: ffmpeg never started" >&2; exit 1; }
  ms=$(awk -v a="$t0" -v b="$first" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
  echo "round $r: ${ms} ms before ffmpeg, $probes ffprobe process(es) before it"
  echo "$ms" >>"$WORK/ms"
  rm -rf "$cache"
done
echo "MEDIAN cold start before ffmpeg: $(median <"$WORK/ms") ms over $ROUNDS rounds"
