#!/usr/bin/env bash
# Runs `render.sbatch` on a real single-node Slurm cluster on this machine and checks the result.
#
#   examples/slurm/test-local.sh                      # builds reel with `cargo build --release`
#   REEL=target/debug/reel examples/slurm/test-local.sh
#
# What it does, for real (run as root on Debian; CI runs it after the tests):
#  1. installs `slurm-wlm`, `munge` and `jq` from Debian when they are missing;
#  2. starts munged (unless one is already answering) and its own slurmctld and slurmd on
#     localhost, configured in $REEL_SLURM_DIR (default /tmp/reel-slurm-test): no accounting,
#     no cgroups (`ProctrackType=proctrack/linuxproc`, `TaskPlugin=task/none`);
#  3. submits `render.sbatch` as a 4-task array (`sbatch --array=0-3`): task K renders
#     `cards.edit` × `cards.csv` (20 rows) with `--shard K/4` into one shared `out/`;
#  4. waits for the array (at most $REEL_SLURM_TIMEOUT seconds, default 240), runs
#     `reel summary out`, and checks that every row rendered exactly once: 20 videos, each
#     probed by ffprobe, every row in exactly one shard summary (the shard that owns it), the
#     merged summary and the manifests naming the same files;
#  5. stops the daemons it started (also on failure or Ctrl-C).
# Exit status 0 only when every check passed. The work directory is kept on failure.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
state=${REEL_SLURM_DIR:-/tmp/reel-slurm-test}
timeout=${REEL_SLURM_TIMEOUT:-240}
rows=20
tasks=4

say() { echo "test-local: $*"; }
fail() {
  echo "test-local: FAILED: $*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || fail "run as root: it starts munged, slurmctld and slurmd"

# 1. Packages.
need=()
command -v slurmctld >/dev/null 2>&1 || need+=(slurmctld)
command -v slurmd >/dev/null 2>&1 || need+=(slurmd)
command -v sbatch >/dev/null 2>&1 || need+=(slurm-client)
command -v munged >/dev/null 2>&1 || need+=(munge)
command -v jq >/dev/null 2>&1 || need+=(jq)
command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq slurm-wlm munge jq ffmpeg >/dev/null
fi

# The reel binary the tasks run.
if [ -z "${REEL:-}" ]; then
  say "building reel (cargo build --release)"
  (cd "$repo" && cargo build --release --locked --bin reel)
  REEL=${CARGO_TARGET_DIR:-$repo/target}/release/reel
fi
REEL=$(realpath "$REEL")
[ -x "$REEL" ] || fail "no reel binary at $REEL"
say "reel: $REEL ($("$REEL" --version))"

# 2. Daemons. Only those started here are stopped on exit.
started=()
cleanup() {
  local code=$?
  for pidfile in "${started[@]}"; do
    [ -s "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  [ ${#started[@]} -eq 0 ] || say "stopped the daemons it started"
  if [ "$code" -eq 0 ] && [ -n "${work:-}" ]; then rm -rf "$work"; fi
  if [ "$code" -ne 0 ] && [ -n "${work:-}" ]; then echo "test-local: kept $work" >&2; fi
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Daemons of an earlier run that was killed before it could stop them.
for pidfile in "$state/slurmctld.pid" "$state/slurmd.pid"; do
  if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    say "stopping $(basename "$pidfile" .pid) left by an earlier run (pid $(cat "$pidfile"))"
    kill "$(cat "$pidfile")"
    for _ in $(seq 50); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.1; done
  fi
done
for daemon in slurmctld slurmd; do
  if pid=$(pgrep -x "$daemon"); then
    fail "a $daemon is already running (pid ${pid//$'\n'/ }) that this script did not start; stop it first"
  fi
done

if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  say "munged already running"
else
  if [ ! -s /etc/munge/munge.key ]; then
    say "creating /etc/munge/munge.key"
    mkdir -p /etc/munge
    if command -v mungekey >/dev/null 2>&1; then
      mungekey --create --keyfile=/etc/munge/munge.key
    else
      dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
  fi
  for d in /run/munge /var/lib/munge /var/log/munge; do
    mkdir -p "$d" && chown munge:munge "$d"
  done
  # What the service would run: munged as the munge user (it refuses a key owned by another).
  runuser -u munge -- /usr/sbin/munged
  started+=(/run/munge/munged.pid)
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n | unmunge >/dev/null || fail "munged does not answer"
  say "started munged (pid $(cat /run/munge/munged.pid))"
fi

rm -rf "$state"
mkdir -p "$state/state" "$state/spool" "$state/log"
node=$(hostname -s)
# This machine as `slurmd -C` sees it (CPUs, sockets, cores, memory).
hardware=$(slurmd -C | head -n 1 | sed -e 's/^NodeName=[^ ]* //')
export SLURM_CONF=$state/slurm.conf
cat >"$SLURM_CONF" <<EOF
ClusterName=reel-test
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$state/state
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
NodeName=$node NodeAddr=127.0.0.1 $hardware State=UNKNOWN
PartitionName=reel Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -f "$SLURM_CONF"
started+=("$state/slurmctld.pid")
slurmd -f "$SLURM_CONF"
started+=("$state/slurmd.pid")
ready=
for _ in $(seq 60); do
  if sinfo -h -N -o '%T' 2>/dev/null | grep -qx idle; then ready=1; break; fi
  sleep 0.5
done
[ -n "$ready" ] || { tail -n 20 "$state"/log/*.log >&2; fail "the node never became idle"; }
say "slurm $(sinfo -V | awk '{print $2}'): node $node idle ($hardware)"

# 3. The batch: the example's template and data in a fresh directory, as a user would have it.
work=$(mktemp -d "${TMPDIR:-/tmp}/reel-slurm-work.XXXXXX")
cp "$here/cards.edit" "$here/cards.csv" "$here/render.sbatch" "$work/"
mkdir -p "$work/logs"
cd "$work"
# The machine has few CPUs: one per task (the script's 4 would not fit) and little memory.
jobid=$(REEL=$REEL TEMPLATE=cards.edit DATA=cards.csv OUT=out \
  sbatch --parsable --array=0-$((tasks - 1)) --cpus-per-task=1 --mem=500M --time=00:10:00 \
  render.sbatch)
jobid=${jobid%%;*}
say "sbatch job id: $jobid"

# 4. Wait, bounded.
start=$SECONDS
while [ -n "$(squeue -h -j "$jobid" -o %i 2>/dev/null)" ]; do
  if [ $((SECONDS - start)) -gt "$timeout" ]; then
    scancel "$jobid" || true
    fail "job $jobid still running after ${timeout}s (logs in $work/logs)"
  fi
  sleep 1
done
say "array job $jobid done in $((SECONDS - start)) s"
for log in logs/*.log; do sed -e "s|^|  $(basename "$log"): |" "$log" | tail -n 3; done

# Every task ran and succeeded (scontrol keeps finished jobs for MinJobAge, 300 s by default).
states=$(scontrol -o show job "$jobid" | tr ' ' '\n' | grep -E '^(ArrayTaskId|JobState|ExitCode)=' | paste -d' ' - - -)
echo "$states" | sed -e 's/^/  /'
[ "$(echo "$states" | grep -c 'JobState=COMPLETED ExitCode=0:0')" -eq "$tasks" ] ||
  fail "not every array task completed with exit code 0"

"$REEL" summary out || fail "reel summary out exited with $?"

# Exactly once: each shard summary lists the rows it owns, all rendered.
for k in $(seq 0 $((tasks - 1))); do
  file=out/summary-$k-of-$tasks.json
  [ -s "$file" ] || fail "no $file"
  [ "$(jq -r .shard "$file")" = "$k/$tasks" ] || fail "$file: shard is not $k/$tasks"
  want=$(seq 1 "$rows" | awk -v k="$k" -v n="$tasks" '($1 - 1) % n == k' | paste -sd' ')
  got=$(jq -r '[.rows[] | select(.status == "rendered") | .row] | map(tostring) | join(" ")' "$file")
  [ "$got" = "$want" ] || fail "$file: rendered rows '$got', expected '$want'"
done
merged=out/summary.json
[ "$(jq -r '.rows | length' "$merged")" -eq "$rows" ] || fail "$merged: not $rows rows"
[ "$(jq -r '[.rows[].row] | unique | length' "$merged")" -eq "$rows" ] || fail "$merged: a row twice"
[ "$(jq -r .counts.rendered "$merged")" -eq "$rows" ] || fail "$merged: counts: $(jq -c .counts "$merged")"
[ "$(jq -r '[.rows[] | select(.status != "rendered")] | length' "$merged")" -eq 0 ] ||
  fail "$merged: rows not rendered"

# The videos: one per row, named as the summary says, each a real 160x90 H.264 video.
from_summary=$(jq -r '.rows[].output' "$merged" | sort)
on_disk=$(cd out && find . -maxdepth 1 -type f -name '*.mp4' -printf '%f\n' | sort)
[ "$from_summary" = "$on_disk" ] || fail "the files in out/ are not the summary's outputs"
[ "$(echo "$on_disk" | wc -l)" -eq "$rows" ] || fail "not $rows videos in out/"
! find out -name '*.part*' | grep -q . || fail "partial files left in out/"
for f in $on_disk; do
  probe=$(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name,width,height \
    -show_entries format=duration -of csv=p=0:s=x "out/$f" | paste -sd' ')
  case "$probe" in
    "h264x160x90 1."*) ;;
    *) fail "out/$f is not a 1 s 160x90 h264 video: $probe" ;;
  esac
done
# The manifests (one per shard) record every output with its row.
recorded=$(jq -r '.entries | to_entries[] | "\(.key) \(.value.row + 1)"' out/.reel-manifest-*-of-$tasks.json | sort -u)
expected=$(jq -r '.rows[] | "\(.output) \(.row)"' "$merged" | sort)
[ "$recorded" = "$expected" ] || fail "the manifests do not record every output once with its row"

say "ok: job $jobid rendered $rows rows as $tasks array tasks, each row exactly once"
