#!/usr/bin/env bash
# 0604: llmake-slurm on a single-node Slurm cluster that this test starts
# itself (Debian slurm-wlm + munge, as root, no systemd; private config,
# ports, sockets and state under the temp dir; every daemon stopped at exit).
# Sharded stages become array jobs, stages depend on their upstream jobs,
# the run is recorded by the last job; a failing stage cancels its
# dependents.  Every wait is bounded.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/e2e/0600-experiments-fake.inc"
if [ "$(id -u)" != 0 ] || ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
	skip "slurm cluster" "needs root, slurm-wlm and munge (tools/deps/experiments.apt)"
	done_testing; exit
fi
S=$T/slurm
mkdir -p "$S/state" "$S/spool" "$S/munge" "$S/key"
chmod 755 "$S/munge"; chmod 700 "$S/key"
dd if=/dev/urandom of="$S/key/munge.key" bs=1024 count=1 2>/dev/null
chmod 400 "$S/key/munge.key"
stop_cluster() {
	local f
	for f in "$S/slurmd.pid" "$S/slurmctld.pid" "$S/munge/pid"; do
		[ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	sleep 0.5
	for f in "$S/slurmd.pid" "$S/slurmctld.pid" "$S/munge/pid"; do
		[ -s "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	rm -rf "$T"
}
trap stop_cluster EXIT
port=$((17000 + ($$ % 500) * 2))
H=$(hostname -s)
cat >"$S/slurm.conf" <<CONF
ClusterName=llmaketest
SlurmctldHost=$H
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$S/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SwitchType=switch/none
PlugStackConfig=/dev/null
NodeName=$H CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=$H Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$S/slurm.conf
munged -f -S "$S/munge/munge.sock" --key-file="$S/key/munge.key" --log-file="$S/munge/log" \
	--pid-file="$S/munge/pid" --seed-file="$S/munge/seed" 2>"$S/munged.err"
check "munged started"
timeout 20 slurmctld -c >"$S/ctld.err" 2>&1; check "slurmctld started"
timeout 20 slurmd >"$S/d.err" 2>&1; check "slurmd started"
up=0
for _ in $(seq 60); do
	sinfo -h -o %T 2>/dev/null | grep -q idle && { up=1; break; }
	sleep 0.5
done
[ $up = 1 ]; check "the node is idle (cluster up)"
if [ $up != 1 ]; then tail -n 20 "$S/slurmctld.log" "$S/slurmd.log" | sed 's/^/#   /'; done_testing; exit; fi

export FAKE_LOG=$T/fake.log
: >"$FAKE_LOG"
make_project "$T/p"
export PATH="$T/p/fakebin:$PATH"
cd "$T/p" || exit 1
cat >experiments/dist.json <<'JSON'
{"extends": "tiny", "run": {"shards": {"extract": 2, "filter": 3}}}
JSON
ok "dry run prints sbatch commands" llmake-slurm --dry-run dist
out | grep -q "sbatch --parsable --dependency=afterok:DRY" ; check "dry run shows dependencies"
grep -q "^#SBATCH --array=0-1" out/slurm/dist/extract-*.parts.sbatch; check "extract is an array job of 2"
grep -q "^#SBATCH --array=0-2" out/slurm/dist/filter-*.parts.sbatch; check "filter is an array job of 3"

ok "llmake-slurm submits and the run finishes" timeout 150 llmake-slurm --wait 120 dist
[ -s "$(ls out/runs/dist/*.json 2>/dev/null | head -1)" ] || { tail -n 5 out/logs/slurm-*.out "$S/slurmd.log" | sed "s/^/#   /"; squeue; }
ran() { grep -c "^$1 " "$FAKE_LOG"; }
[ "$(ran extract)" = 2 ] && [ "$(ran filter)" = 3 ] && [ "$(ran train)" = 1 ] && [ "$(ran eval)" = 1 ]; check "2 extract + 3 filter shard tasks, train, eval ran"
ext_end=$(awk '$1=="extract"{print $4}' "$FAKE_LOG" | sort -g | tail -1)
fil_start=$(awk '$1=="filter"{print $3}' "$FAKE_LOG" | sort -g | head -1)
awk -v a="$ext_end" -v b="$fil_start" 'BEGIN{exit !(b >= a)}'; check "filter started after every extract shard ended (dependency)"
rec=$(ls out/runs/dist/*.json 2>/dev/null | head -1)
[ -s "$rec" ] && git log --oneline refs/llmake/runs | grep -q dist; check "run recorded by the last job"
fk=$(grep -o 'cache/filter-[0-9a-f]*' out/plans/dist.json | head -1)
[ -s "out/$fk/docs-00002.jsonl" ] && [ -s "out/$fk/stage.json" ]; check "filter shards joined into the cache"

: >"$FAKE_LOG"
ok "second submission" llmake-slurm dist
out | grep -q "submitted 0 jobs"; check "nothing to do the second time"

cat >experiments/distfail.json <<'JSON'
{"extends": "dist", "filter": {"fail": true}}
JSON
fails 1 "a failing stage fails the run" timeout 150 llmake-slurm --wait 60 distfail
ffk=$(grep -o 'cache/filter-[0-9a-f]*' out/plans/distfail.json | head -1)
[ ! -e "out/$ffk" ]; check "the failed stage left nothing that looks done"
[ "$(ran train)" = 0 ]; check "downstream jobs did not run"
scancel --user=root 2>/dev/null
done_testing
