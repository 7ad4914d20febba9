#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Starts a single-node Grid Engine 8.1.9 cluster on this machine for the `sge` tests:
# installs the Debian packages when they are missing (preseeding the cell "default" with
# this host as its master), starts sge_qmaster, configures it for quick root jobs,
# defines the "reprise" checkpoint environment (examples/sge/checkpoint-env.sh) and a
# queue "reprise.q" on this host, starts sge_execd, and waits until the queue takes jobs.
#
#   bash tests/cluster/setup-sge.sh [STATUS_FILE]
#   export SGE_ROOT=/var/lib/gridengine SGE_CELL=default     # then qsub, qstat...
#   bash tests/cluster/stop-sge.sh [STATUS_FILE]
#
# Idempotent: run twice, it reuses the daemons it started and rewrites the same
# configuration. Needs root. Exit status 0: ready, STATUS_FILE says "ready"; 77 (CTest's
# SKIP_RETURN_CODE): not root, the packages cannot be installed, or a Grid Engine that
# these scripts did not start is running, and STATUS_FILE says why; else a failure.
# SCHEDULERS.md (shared notes) holds the observations this configuration follows.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"

status_file=${1:-}
report_skip() {
    [[ -z $status_file ]] || printf 'skipped: %s\n' "$*" >"$status_file"
    skip "$*"
}
[[ -z $status_file ]] || rm -f "$status_file"

[[ $(id -u) -eq 0 ]] ||
    report_skip "the Grid Engine tests need root (they install packages and start daemons)"
command -v dpkg-query >/dev/null 2>&1 ||
    report_skip "not a Debian-like system: no dpkg-query to install gridengine with"

packages=(gridengine-master gridengine-exec gridengine-client)
if ! is_installed "${packages[@]}"; then
    # The packages ask for the cell and the master host: answer before they ask.
    command -v debconf-set-selections >/dev/null 2>&1 ||
        report_skip "no debconf-set-selections to preseed the gridengine packages with"
    debconf-set-selections <<EOF
gridengine-common shared/gridengineconfig boolean true
gridengine-common shared/gridenginecell string default
gridengine-common shared/gridenginemaster string $(hostname)
EOF
    log "installing ${packages[*]}"
    install_packages "${packages[@]}" >&2 ||
        report_skip "cannot install the Debian packages ${packages[*]} (apt-get failed)"
fi
[[ -f $SGE_ROOT/$SGE_CELL/common/bootstrap ]] ||
    die "the packages did not create the cell $SGE_ROOT/$SGE_CELL (was debconf preseeded?)"
spool=$(awk '$1 == "qmaster_spool_dir" {print $2}' "$SGE_ROOT/$SGE_CELL/common/bootstrap")

mkdir -p "$SGE_DIR/holders" "$SGE_DIR/run"
exec 9>"$SGE_DIR/lock"
flock -w 300 9 || die "another setup or stop of the Grid Engine cluster holds $SGE_DIR/lock"

# Clients fail with "commlib error: access denied" when the host name resolves to a
# loopback address, unless Grid Engine is told that it is localhost.
host=$(hostname)
if getent hosts "$host" | awk '{print $1}' | grep -q '^127\.'; then
    aliases=$SGE_ROOT/$SGE_CELL/common/host_aliases
    grep -qx "localhost $host" "$aliases" 2>/dev/null || echo "localhost $host" >>"$aliases"
fi
sge_host=$(/usr/lib/gridengine/gethostname -aname 2>/dev/null || echo "$host")

for daemon in sge_qmaster sge_execd; do
    if ! alive "$SGE_DIR/run/$daemon.pid.ours" && other=$(running_named "$daemon"); then
        report_skip "an $daemon that these scripts did not start is already running" \
                    "(pid $other); stop it to run the Grid Engine tests"
    fi
done

# --- sge_qmaster (it daemonizes and becomes sgeadmin; its pid file is in its spool).
mkdir -p /var/run/gridengine
chown sgeadmin: /var/run/gridengine
if ! alive "$SGE_DIR/run/sge_qmaster.pid.ours"; then
    rm -f "$spool/qmaster.pid"
    /usr/sbin/sge_qmaster 9>&-   # a daemon must not keep our lock
    wait_until 30 "sge_qmaster to write its pid file" test -s "$spool/qmaster.pid" ||
        die "sge_qmaster did not start: $(tail -n 20 "$spool/messages" 2>&1)"
    cp "$spool/qmaster.pid" "$SGE_DIR/run/sge_qmaster.pid.ours"
fi
wait_until 30 "sge_qmaster to answer" eval 'qconf -sh >/dev/null 2>&1' ||
    die "sge_qmaster does not answer: $(qconf -sh 2>&1; tail -n 20 "$spool/messages" 2>&1)"

# --- configuration, rewritten every time (each command replaces what it sets).
conf=$(mktemp -d)
trap 'rm -rf "$conf"' EXIT
# Global: jobs may run as root; execd reports load every 2 s (it reads this only when
# it starts, so before sge_execd starts).
qconf -sconf global | grep -v '^#' |
    sed -e 's/^min_uid .*/min_uid 0/' -e 's/^min_gid .*/min_gid 0/' \
        -e 's/^load_report_time .*/load_report_time 00:00:02/' >"$conf/global"
qconf -Mconf "$conf/global" >/dev/null
# Scheduler: a pass every second, and one right after each submission and each end.
qconf -ssconf |
    sed -e 's/^schedule_interval .*/schedule_interval 0:0:1/' \
        -e 's/^flush_submit_sec .*/flush_submit_sec 1/' \
        -e 's/^flush_finish_sec .*/flush_finish_sec 1/' >"$conf/sconf"
qconf -Msconf "$conf/sconf" >/dev/null
# This host submits jobs (it is the master, hence already an administrative host).
qconf -as "$sge_host" >/dev/null 2>&1 || true
# The checkpoint environment, exactly as the example defines it.
bash "$here/../../examples/sge/checkpoint-env.sh" >/dev/null
# The queue: two slots on this host; no parallel environment (the template's "smp" does
# not exist); no load threshold (a loaded test machine still takes jobs); job scripts
# run by their #! line; -notify warnings 5 s before the SIGKILL or SIGSTOP; jobs may use
# the "reprise" checkpoint environment.
qconf -sq 2>/dev/null |
    sed -e 's/^qname .*/qname reprise.q/' -e "s/^hostlist .*/hostlist $sge_host/" \
        -e 's/^pe_list .*/pe_list NONE/' -e 's/^slots .*/slots 4/' \
        -e 's/^load_thresholds .*/load_thresholds NONE/' \
        -e 's/^shell_start_mode .*/shell_start_mode unix_behavior/' \
        -e 's|^shell .*|shell /bin/bash|' \
        -e 's/^notify .*/notify 00:00:05/' -e 's/^ckpt_list .*/ckpt_list reprise/' \
        >"$conf/reprise.q"
if qconf -sq reprise.q >/dev/null 2>&1; then
    qconf -Mq "$conf/reprise.q" >/dev/null
else
    qconf -Aq "$conf/reprise.q" >/dev/null
fi
# A queue instance left in error (E) or disabled (d) by an earlier run takes jobs again.
qmod -c "reprise.q@$sge_host" >/dev/null 2>&1 || true
qmod -e "reprise.q@$sge_host" >/dev/null 2>&1 || true

# --- sge_execd (it daemonizes; its pid file is in its spool directory).
execd_pid=/var/spool/gridengine/execd/$sge_host/execd.pid
if ! alive "$SGE_DIR/run/sge_execd.pid.ours"; then
    rm -f "$execd_pid"
    /usr/sbin/sge_execd 9>&-
    wait_until 30 "sge_execd to write its pid file" test -s "$execd_pid" ||
        die "sge_execd did not start"
    cp "$execd_pid" "$SGE_DIR/run/sge_execd.pid.ours"
fi

# Ready when the queue instance reports a load and has no state flag (u: unknown,
# a: alarm, E: error, d: disabled...).
queue_ready() {
    qstat -f -q "reprise.q@$sge_host" 2>/dev/null |
        awk -v q="reprise.q@$sge_host" '$1 == q && $4 != "-NA-" && NF == 5 {ok = 1} END {exit !ok}'
}
wait_until 60 "queue reprise.q@$sge_host to take jobs" queue_ready ||
    die "the queue is not ready: $(qstat -f 2>&1)"

holder=$(printf '%s' "${status_file:-manual}" | md5sum | cut -c1-16)
: >"$SGE_DIR/holders/$holder"
[[ -z $status_file ]] || echo ready >"$status_file"
echo "sge: single-node cluster ready (SGE_ROOT=$SGE_ROOT SGE_CELL=$SGE_CELL," \
     "queue reprise.q@$sge_host, checkpoint environment reprise)"
