#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Stops the single-node Grid Engine cluster that setup-sge.sh started: sge_execd and
# sge_qmaster, each only when setup-sge.sh started it (its pid is in a *.pid.ours file).
# When another test run set the cluster up too and still uses it (a fresh file in
# $REPRISE_CLUSTER_DIR/sge/holders), the daemons stay up for it; the last one out stops
# them, after deleting the jobs left in the queue.
#
#   bash tests/cluster/stop-sge.sh [STATUS_FILE]      (the file setup-sge.sh was given)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"

status_file=${1:-}
if [[ -n $status_file && -f $status_file ]] && grep -q '^skipped' "$status_file"; then
    skip "$(sed 's/^skipped: //' "$status_file")"
fi
[[ $(id -u) -eq 0 ]] || skip "not root: nothing was started"
[[ -d $SGE_DIR ]] || { echo "sge: nothing to stop"; exit 0; }

exec 9>"$SGE_DIR/lock"
flock -w 300 9 || die "another setup or stop of the Grid Engine cluster holds $SGE_DIR/lock"

holder=$(printf '%s' "${status_file:-manual}" | md5sum | cut -c1-16)
rm -f "$SGE_DIR/holders/$holder"
[[ -z $status_file ]] || rm -f "$status_file"
find "$SGE_DIR/holders" -type f -mmin +180 -delete 2>/dev/null || true
if [[ -n $(find "$SGE_DIR/holders" -type f 2>/dev/null) ]]; then
    echo "sge: another test run still uses the cluster; leaving it up"
    exit 0
fi

sge_host=$(/usr/lib/gridengine/gethostname -aname 2>/dev/null || hostname)
if alive "$SGE_DIR/run/sge_qmaster.pid.ours"; then
    qdel -f -u root '*' >/dev/null 2>&1 || true
    # -kej: the execution daemon ends, and the jobs still running on it with it.
    if alive "$SGE_DIR/run/sge_execd.pid.ours"; then
        qconf -kej "$sge_host" >/dev/null 2>&1 || true
    fi
    wait_until 30 "sge_execd to stop" not alive "$SGE_DIR/run/sge_execd.pid.ours" || true
    qconf -km >/dev/null 2>&1 || true
fi
wait_until 30 "sge_qmaster to stop" not alive "$SGE_DIR/run/sge_qmaster.pid.ours" || true
# Whatever did not go by itself is ended by its pid: ours, and only ours.
stop_pid "$SGE_DIR/run/sge_execd.pid.ours" 10
stop_pid "$SGE_DIR/run/sge_qmaster.pid.ours" 10
echo "sge: stopped"
