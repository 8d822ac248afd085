#!/usr/bin/env bash
# Runs a command with a private single-node Slurm cluster up (scripts/slurm-cluster.sh), exporting
# SLURM_CONF and TANDEM_SLURM_TEST=required so the Slurm test must run, and stops the daemons by PID
# afterwards, whatever the command's outcome. Exits with the command's status.
#
#   bash scripts/with-slurm.sh swift test …
#
# As another user than root the cluster cannot be started: the command runs without it and the
# Slurm test skips itself, saying so.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if [ "$(id -u)" -ne 0 ]; then
    echo "with-slurm: not root, so no test cluster; the Slurm test will be skipped" >&2
    exec "$@"
fi

# A short path: munged's socket path must stay under the 108-byte limit of Unix sockets.
dir="$(mktemp -d /tmp/tandem-slurm.XXXXXX)"
chmod 0755 "$dir"
stop() {
    bash "$here/slurm-cluster.sh" stop "$dir" || true
    rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export TANDEM_SLURM_TEST=required
start_time=$(date +%s.%N)
if bash "$here/slurm-cluster.sh" start "$dir" 2>"$dir/start.err"; then
    awk -v start="$start_time" -v now="$(date +%s.%N)" 'BEGIN { printf "with-slurm: cluster up in %.1f s\n", now - start }'
    export SLURM_CONF="$dir/slurm.conf"
else
    # Run the tests anyway: the Slurm test then fails, quoting why the cluster did not come up.
    cat "$dir/start.err" >&2
    echo "with-slurm: the Slurm test cluster did not come up (above); the Slurm test will fail" >&2
    export TANDEM_SLURM_START_FAILURE="$(tail -c 2000 "$dir/start.err")"
    unset SLURM_CONF
fi
"$@"
