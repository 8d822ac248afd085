#!/usr/bin/env bash
# A private single-node Slurm cluster for tests: Debian's slurm-wlm and munge, every file (config,
# key, sockets, state, logs, PIDs) inside one folder, free ports chosen at start, so it never
# touches /etc/slurm, a system munged or another copy of itself.
#
#   bash scripts/slurm-cluster.sh start DIR   installs slurm-wlm/munge if missing (root only), starts
#                                             munged (as the munge user), slurmctld -D and slurmd -D
#                                             (as root) and waits until the node is idle; prints
#                                             `export SLURM_CONF=DIR/slurm.conf`
#   bash scripts/slurm-cluster.sh stop DIR    stops exactly the daemons started there, by PID
#
# Exit status 0 when the cluster is up; otherwise a message naming what failed and the log to read.
set -euo pipefail

action="${1:-}"
dir="${2:-}"
if [ -z "$action" ] || [ -z "$dir" ]; then
    echo "usage: $0 start|stop DIR" >&2
    exit 2
fi
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

fail() {
    echo "slurm-cluster: $*" >&2
    exit 1
}

# Stops one daemon recorded in DIR/NAME.pid (SIGTERM, then SIGKILL after 10 s).
stop_daemon() {
    local name="$1" file="$dir/$1.pid"
    [ -f "$file" ] || return 0
    local pid
    pid="$(cat "$file")"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "slurm-cluster: $name (pid $pid) did not stop on SIGTERM; sending SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$file"
}

if [ "$action" = stop ]; then
    stop_daemon slurmd
    stop_daemon slurmctld
    stop_daemon munged
    echo "slurm-cluster: stopped the daemons of $dir"
    exit 0
fi
[ "$action" = start ] || fail "unknown action '$action' (use start or stop)"

[ "$(id -u)" -eq 0 ] || fail "starting a test cluster needs root (slurmd runs jobs as root here)"

# 1. Packages.
missing=()
for package in slurm-wlm munge; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "slurm-cluster: installing ${missing[*]} …"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || fail "apt-get update failed"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$dir/apt.log" 2>&1 || fail "apt-get install ${missing[*]} failed; see $dir/apt.log"
fi
for binary in munged slurmctld slurmd sbatch scontrol sinfo; do
    command -v "$binary" >/dev/null || [ -x "/usr/sbin/$binary" ] || fail "$binary is missing after installing slurm-wlm and munge"
done
PATH="/usr/sbin:$PATH"

# A restart stops what an earlier start left behind in this folder.
stop_daemon slurmd
stop_daemon slurmctld
stop_daemon munged

# 2. munged, as the munge user, with its own key and socket.
mkdir -p "$dir/munge"
chown munge:munge "$dir/munge"
chmod 0700 "$dir/munge"
if [ ! -s "$dir/munge/munge.key" ]; then
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
fi
chown munge:munge "$dir/munge/munge.key"
chmod 0400 "$dir/munge/munge.key"
socket="$dir/munge/munge.socket"
setpriv --reuid=munge --regid=munge --init-groups \
    munged --foreground --force --key-file="$dir/munge/munge.key" --socket="$socket" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" \
    >"$dir/munged.out" 2>&1 &
echo $! >"$dir/munged.pid"
for _ in $(seq 1 50); do
    [ -S "$socket" ] && break
    kill -0 "$(cat "$dir/munged.pid")" 2>/dev/null || break
    sleep 0.1
done
if ! munge --socket="$socket" -n 2>/dev/null | unmunge --socket="$socket" >/dev/null 2>&1; then
    fail "munged did not come up (socket $socket); see $dir/munged.out and $dir/munge/munged.log"
fi

# 3. slurm.conf: this host as the one node, two free TCP ports.
host="$(hostname -s)"
port_is_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
    local port
    for _ in $(seq 1 200); do
        port=$((20000 + RANDOM % 40000))
        if port_is_free "$port" && [ "$port" != "${1:-}" ]; then echo "$port"; return 0; fi
    done
    fail "no free TCP port found"
}
controller_port="$(pick_port)"
node_port="$(pick_port "$controller_port")"
detected_memory="$(slurmd -C 2>/dev/null | sed -nE 's/.*RealMemory=([0-9]+).*/\1/p' | head -n 1)"
[ -n "$detected_memory" ] || fail "slurmd -C did not report RealMemory"
memory=$((detected_memory * 95 / 100))
mkdir -p "$dir/state" "$dir/spool" "$dir/jobs"
cat >"$dir/slurm.conf" <<EOF
# Written by scripts/slurm-cluster.sh: a private single-node test cluster.
ClusterName=tandem-test
SlurmctldHost=$host
SlurmctldPort=$controller_port
SlurmdPort=$node_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.daemon.pid
SlurmdPidFile=$dir/slurmd.daemon.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmdDebug=info
SlurmctldDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
MinJobAge=600
MaxArraySize=10001
DefMemPerCPU=512
NodeName=$host CPUs=2 RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
touch "$dir/cgroup.conf"

# 4. The daemons, in the foreground of background jobs, so their PIDs are ours.
export SLURM_CONF="$dir/slurm.conf"
slurmctld -D -f "$dir/slurm.conf" >"$dir/slurmctld.out" 2>&1 &
echo $! >"$dir/slurmctld.pid"
slurmd -D -f "$dir/slurm.conf" -N "$host" >"$dir/slurmd.out" 2>&1 &
echo $! >"$dir/slurmd.pid"

state=""
for _ in $(seq 1 300); do
    for daemon in slurmctld slurmd; do
        if ! kill -0 "$(cat "$dir/$daemon.pid")" 2>/dev/null; then
            echo "slurm-cluster: $daemon exited at start; the end of $dir/$daemon.out and $dir/$daemon.log:" >&2
            tail -n 15 "$dir/$daemon.out" "$dir/$daemon.log" >&2 2>/dev/null || true
            bash "$0" stop "$dir" >/dev/null
            exit 1
        fi
    done
    state="$(sinfo -h -N -o '%T' 2>/dev/null | head -n 1 || true)"
    case "$state" in idle|idle\*) [ "$state" = idle ] && break ;; esac
    sleep 0.2
done
if [ "$state" != idle ]; then
    echo "slurm-cluster: the node did not become idle within 60 s (state '${state:-unknown}'); the end of the logs:" >&2
    tail -n 15 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 2>/dev/null || true
    bash "$0" stop "$dir" >/dev/null
    exit 1
fi
echo "slurm-cluster: node $host idle (slurmctld pid $(cat "$dir/slurmctld.pid"), slurmd pid $(cat "$dir/slurmd.pid"), munged pid $(cat "$dir/munged.pid"))"
echo "export SLURM_CONF=$dir/slurm.conf"
