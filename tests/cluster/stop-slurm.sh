#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Stops the single-node Slurm cluster that setup-slurm.sh started: slurmctld, slurmd and
# munged, each only when setup-slurm.sh started it (its pid is in a *.pid.ours file).
# When another test run set the cluster up too and is still using it (a fresh file in
# $REPRISE_CLUSTER_DIR/slurm/holders), the daemons stay up for it; the last one out
# stops them. Jobs still in the queue are cancelled first.
#
#   bash tests/cluster/stop-slurm.sh [STATUS_FILE]      (the file setup-slurm.sh was given)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"

status_file=${1:-}
if [[ -n $status_file && -f $status_file ]] && grep -q '^skipped' "$status_file"; then
    skip "$(sed 's/^skipped: //' "$status_file")"
fi
[[ $(id -u) -eq 0 ]] || skip "not root: nothing was started"
[[ -d $SLURM_DIR ]] || { echo "slurm: nothing to stop"; exit 0; }

exec 9>"$SLURM_DIR/lock"
flock -w 300 9 || die "another setup or stop of the Slurm cluster holds $SLURM_DIR/lock"

holder=$(printf '%s' "${status_file:-manual}" | md5sum | cut -c1-16)
rm -f "$SLURM_DIR/holders/$holder"
[[ -z $status_file ]] || rm -f "$status_file"
# A holder older than three hours belongs to a run that died without stopping.
find "$SLURM_DIR/holders" -type f -mmin +180 -delete 2>/dev/null || true
if [[ -n $(find "$SLURM_DIR/holders" -type f 2>/dev/null) ]]; then
    echo "slurm: another test run still uses the cluster; leaving it up"
    exit 0
fi

if alive "$SLURM_DIR/run/slurmctld.pid.ours"; then
    scancel --full --quiet --user=root >/dev/null 2>&1 || true
    # Asks both daemons to save their state and exit.
    scontrol shutdown >/dev/null 2>&1 || true
fi
# Whatever did not go by itself is ended by its pid: ours, and only ours.
wait_until 30 "slurmctld and slurmd to stop" eval \
    '! alive "$SLURM_DIR/run/slurmctld.pid.ours" && ! alive "$SLURM_DIR/run/slurmd.pid.ours"' ||
    true
stop_pid "$SLURM_DIR/run/slurmctld.pid.ours" 10
stop_pid "$SLURM_DIR/run/slurmd.pid.ours" 10
stop_pid "$SLURM_DIR/run/munged.pid.ours" 10
for daemon in slurmctld slurmd; do
    ! alive "$SLURM_DIR/run/$daemon.pid.ours" || die "$daemon is still running"
done
echo "slurm: stopped"
