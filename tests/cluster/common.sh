# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Shared by the cluster setup/stop scripts and the scenario tests (sourced, not run).
#
# Everything a single-node test cluster keeps lives under $REPRISE_CLUSTER_DIR
# (default /tmp/reprise-cluster): Slurm's configuration, state, spool and logs, and
# the pids of the daemons our setup started, so that the stop script ends those and
# nothing else. Grid Engine keeps its cell where the Debian packages put it
# (/var/lib/gridengine/default).

REPRISE_CLUSTER_DIR=${REPRISE_CLUSTER_DIR:-/tmp/reprise-cluster}
SLURM_DIR=$REPRISE_CLUSTER_DIR/slurm
SGE_DIR=$REPRISE_CLUSTER_DIR/sge
# Clients find our slurm.conf through SLURM_CONF: /etc/slurm is never touched, so a
# machine that already has a Slurm configuration keeps it.
export SLURM_CONF=$SLURM_DIR/slurm.conf
export SGE_ROOT=/var/lib/gridengine SGE_CELL=default

# CTest's SKIP_RETURN_CODE for every script here.
SKIP=77

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }
skip() { printf 'SKIPPED: %s\n' "$*"; exit "$SKIP"; }

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.5 s until it
# succeeds; returns 1 (after saying what it waited for) when SECONDS pass first.
# The deadline only bounds a hang; the condition is what synchronises.
wait_until() {
    local seconds=$1 what=$2
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@"; do
        if ((SECONDS >= deadline)); then
            log "gave up after ${seconds}s waiting for: $what"
            return 1
        fi
        sleep 0.5
    done
}

# not COMMAND...: succeeds when COMMAND fails (for wait_until).
not() { ! "$@"; }

# is_installed PACKAGE...: every package is installed (dpkg's view).
is_installed() {
    local p
    for p in "$@"; do
        [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == "install ok installed" ]] ||
            return 1
    done
}

# install_packages PACKAGE...: installs what is missing, non-interactively, running
# apt-get update once when the first attempt cannot find a package. Returns non-zero
# when the packages cannot be installed (no network, no such package...). The daemons
# the packages bring are not started: these scripts start their own, configured for a
# test cluster (a policy-rc.d that says "no" while apt-get runs, unless there is one).
# One install at a time, though both clusters' setups may start together.
install_packages() {
    is_installed "$@" && return 0
    command -v apt-get >/dev/null 2>&1 || return 1
    mkdir -p "$REPRISE_CLUSTER_DIR"
    (
        flock -w 900 8 || exit 1
        policy=
        if [[ ! -e /usr/sbin/policy-rc.d ]]; then
            policy=/usr/sbin/policy-rc.d
            printf '#!/bin/sh\n# tests/cluster: no daemon starts while packages install\nexit 101\n' \
                >"$policy"
            chmod 0755 "$policy"
            trap 'rm -f "$policy"' EXIT
        fi
        apt=(apt-get -o DPkg::Lock::Timeout=300 -y -q --no-install-recommends)
        if ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" install "$@" </dev/null; then
            DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -q update \
                </dev/null || exit 1
            DEBIAN_FRONTEND=noninteractive "${apt[@]}" install "$@" </dev/null || exit 1
        fi
    ) 8>"$REPRISE_CLUSTER_DIR/apt.lock" || return 1
    is_installed "$@"
}

# running PID: the process exists and is not a zombie (a daemon's parent, PID 1, may
# be slow to reap it, or not reap at all in a container).
running() {
    local state
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n $state && $state != Z && $state != X ]]
}

# running_named NAME: prints the pid of a running (not zombie) process called NAME.
running_named() {
    local pid
    for pid in $(pgrep -x "$1"); do
        if running "$pid"; then
            echo "$pid"
            return 0
        fi
    done
    return 1
}

# alive PIDFILE: the process named in PIDFILE is running.
alive() { [[ -s $1 ]] && running "$(cat "$1")"; }

# stop_pid PIDFILE SECONDS: TERM to the process in PIDFILE, KILL if it is still there
# after SECONDS; removes PIDFILE.
stop_pid() {
    local file=$1 seconds=$2 pid
    [[ -s $file ]] || return 0
    pid=$(cat "$file")
    if running "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        if ! wait_until "$seconds" "pid $pid ($file) to end" not running "$pid"; then
            kill -KILL "$pid" 2>/dev/null || true
            wait_until 10 "pid $pid to die" not running "$pid" || true
        fi
    fi
    rm -f "$file"
}
