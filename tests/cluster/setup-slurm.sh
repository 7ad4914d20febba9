#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Starts a single-node Slurm 22.05 cluster on this machine for the `slurm` tests:
# installs the Debian packages when they are missing, writes a slurm.conf under
# $REPRISE_CLUSTER_DIR/slurm (default /tmp/reprise-cluster/slurm; /etc/slurm is never
# touched), starts munged, slurmctld and slurmd, and waits until the node takes jobs.
#
#   bash tests/cluster/setup-slurm.sh [STATUS_FILE]
#   export SLURM_CONF=/tmp/reprise-cluster/slurm/slurm.conf   # then sbatch, squeue...
#   bash tests/cluster/stop-slurm.sh [STATUS_FILE]
#
# Idempotent: run twice, it reuses the daemons it started the first time. Needs root
# (the daemons run as root, as do the test jobs). Exit status 0: the cluster is up and
# STATUS_FILE says "ready"; 77 (CTest's SKIP_RETURN_CODE): not root, the packages cannot
# be installed, or another Slurm is already running here, and STATUS_FILE gives the
# reason, which the scenario tests repeat when they skip; anything else: a failure.
# SCHEDULERS.md (shared notes) holds the observations this configuration follows.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"

status_file=${1:-}
# The scenario tests read why they must skip from STATUS_FILE.
report_skip() {
    [[ -z $status_file ]] || printf 'skipped: %s\n' "$*" >"$status_file"
    skip "$*"
}
[[ -z $status_file ]] || rm -f "$status_file"

[[ $(id -u) -eq 0 ]] ||
    report_skip "the Slurm tests need root (they install packages and start daemons)"
command -v dpkg-query >/dev/null 2>&1 ||
    report_skip "not a Debian-like system: no dpkg-query to install slurm-wlm with"

packages=(slurmctld slurmd slurm-client munge)
if ! is_installed "${packages[@]}"; then
    log "installing ${packages[*]}"
    install_packages "${packages[@]}" >&2 ||
        report_skip "cannot install the Debian packages ${packages[*]} (apt-get failed)"
fi

mkdir -p "$SLURM_DIR"/{state,spool,log,run,holders}
# One setup or stop at a time: two test runs starting together share one cluster.
exec 9>"$SLURM_DIR/lock"
flock -w 300 9 || die "another setup or stop of the Slurm cluster holds $SLURM_DIR/lock"

# A Slurm daemon this script did not start (a real cluster, another configuration)
# would fight ours for the ports: leave it alone and skip.
for daemon in slurmctld slurmd; do
    if ! alive "$SLURM_DIR/run/$daemon.pid.ours" && other=$(running_named "$daemon"); then
        report_skip "a $daemon that these scripts did not start is already running" \
                    "(pid $other); stop it to run the Slurm tests"
    fi
done

# --- munge: Slurm's authentication. The package makes the key but starts nothing.
munge_works() { munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; }
if ! munge_works && ! alive "$SLURM_DIR/run/munged.pid.ours"; then
    [[ -s /etc/munge/munge.key ]] || {
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
        chown munge:munge /etc/munge/munge.key
        chmod 0400 /etc/munge/munge.key
    }
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge
    runuser -u munge -- /usr/sbin/munged 9>&-   # a daemon must not keep our lock
    wait_until 20 "munged to write its pid file" test -s /run/munge/munged.pid ||
        die "munged did not start"
    cp /run/munge/munged.pid "$SLURM_DIR/run/munged.pid.ours"
fi
wait_until 20 "munge to issue a credential" munge_works ||
    die "munge does not work"

# --- slurm.conf: the settings SCHEDULERS.md found to work single-node, as root.
cpus=$(nproc)
((cpus >= 2)) || cpus=2
conf_new=$SLURM_DIR/slurm.conf.new
cat >"$conf_new" <<EOF
# Written by tests/cluster/setup-slurm.sh: a single-node test cluster. Do not edit.
ClusterName=reprise
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
# A requeued job may start again cred_expire+1 seconds after it ended: keep it short.
AuthInfo=cred_expire=10
# No cgroups: track processes through /proc, bind nothing.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
# The main scheduling pass every 2 s (default 60): a requeued job starts again as soon
# as it may, cred_expire+1 s after its requeue, not up to a minute later.
SchedulerParameters=bf_interval=1,sched_interval=2
# SIGKILL comes 5 s after the SIGTERM of a cancel, a requeue or a time limit.
KillWait=5
# Jobs may be requeued (scontrol requeue, --requeue).
JobRequeue=1
# A finished job stays visible to squeue/scontrol for two minutes.
MinJobAge=120
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool
SlurmctldPidFile=$SLURM_DIR/run/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/run/slurmd.pid
SlurmctldLogFile=$SLURM_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# The tests' jobs mostly sleep: let a 2-core machine run several at once.
SlurmdParameters=config_overrides
NodeName=localhost CPUs=$((cpus * 2)) State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
if alive "$SLURM_DIR/run/slurmctld.pid.ours" && ! cmp -s "$conf_new" "$SLURM_CONF"; then
    log "the configuration changed: restarting the daemons"
    scontrol shutdown >/dev/null 2>&1 || true
    wait_until 30 "slurmctld and slurmd to stop" eval \
        '! alive "$SLURM_DIR/run/slurmctld.pid.ours" && ! alive "$SLURM_DIR/run/slurmd.pid.ours"' ||
        true
    stop_pid "$SLURM_DIR/run/slurmctld.pid.ours" 10
    stop_pid "$SLURM_DIR/run/slurmd.pid.ours" 10
fi
mv "$conf_new" "$SLURM_CONF"

# --- the daemons. Both daemonize and write their pid files; -c: forget old jobs.
if ! alive "$SLURM_DIR/run/slurmctld.pid.ours"; then
    rm -f "$SLURM_DIR/run/slurmctld.pid"
    /usr/sbin/slurmctld -c -f "$SLURM_CONF" 9>&-
    wait_until 30 "slurmctld to write its pid file" test -s "$SLURM_DIR/run/slurmctld.pid" ||
        die "slurmctld did not start; its log: $(tail -n 20 "$SLURM_DIR/log/slurmctld.log" 2>&1)"
    cp "$SLURM_DIR/run/slurmctld.pid" "$SLURM_DIR/run/slurmctld.pid.ours"
fi
wait_until 30 "slurmctld to answer" eval 'scontrol ping 2>/dev/null | grep -q UP' ||
    die "slurmctld does not answer; its log: $(tail -n 20 "$SLURM_DIR/log/slurmctld.log" 2>&1)"
if ! alive "$SLURM_DIR/run/slurmd.pid.ours"; then
    rm -f "$SLURM_DIR/run/slurmd.pid"
    /usr/sbin/slurmd -N localhost -f "$SLURM_CONF" 9>&-
    wait_until 30 "slurmd to write its pid file" test -s "$SLURM_DIR/run/slurmd.pid" ||
        die "slurmd did not start; its log: $(tail -n 20 "$SLURM_DIR/log/slurmd.log" 2>&1)"
    cp "$SLURM_DIR/run/slurmd.pid" "$SLURM_DIR/run/slurmd.pid.ours"
fi

# A node left down or drained by an earlier run comes back.
node_ready() { [[ $(sinfo -h -n localhost -o %t 2>/dev/null) =~ ^(idle|mix|alloc)$ ]]; }
if ! wait_until 30 "the node to be idle" node_ready; then
    scontrol update NodeName=localhost State=RESUME >/dev/null 2>&1 || true
    wait_until 30 "the node to be idle after RESUME" node_ready ||
        die "node localhost is $(sinfo -h -n localhost -o '%t: %E' 2>&1)"
fi

# This run now uses the cluster: stop-slurm.sh ends the daemons when the last user goes.
holder=$(printf '%s' "${status_file:-manual}" | md5sum | cut -c1-16)
: >"$SLURM_DIR/holders/$holder"
[[ -z $status_file ]] || echo ready >"$status_file"
echo "slurm: single-node cluster ready (SLURM_CONF=$SLURM_CONF, $(sinfo -h -o '%P %D %t %c CPUs'))"
