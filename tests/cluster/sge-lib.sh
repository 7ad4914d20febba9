# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Sourced by the Grid Engine scenarios: common.sh, scenario.sh, and Grid Engine's side.

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

scheduler_diagnostics() {
    local j
    for j in "${jobs_to_cancel[@]}"; do
        echo "---- qstat -j $j"
        qstat -j "$j" 2>&1 | grep -v '^ *$' || true
    done
    echo "---- qstat -f"
    qstat -f 2>&1 || true
    echo "---- qmaster messages (last lines)"
    tail -n 20 /var/spool/gridengine/qmaster/messages 2>&1 || true
    echo "---- execd messages (last lines)"
    tail -n 20 /var/spool/gridengine/execd/*/messages 2>&1 || true
}

cancel_job() { qdel -f "$1"; }

# look_alike_identity KIND JOB: sets `identity` to the variables of plant_look_alikes'
# decoy KIND for Grid Engine job JOB: "task" is task 1 of an array job JOB, "other" is
# Slurm's job JOB.
look_alike_identity() {
    case $1 in
    task) identity=(JOB_ID="$2" SGE_TASK_ID=1) ;;
    prefix) identity=(JOB_ID="${2}0") ;;
    other) identity=(SLURM_JOB_ID="$2") ;;
    esac
}

source "$(dirname "${BASH_SOURCE[0]}")/scenario.sh"

command -v qsub >/dev/null || die "no qsub although the setup said ready"
qconf -sq reprise.q >/dev/null 2>&1 || die "sge_qmaster does not answer, or has no reprise.q"

# submit QSUB_ARGS... SCRIPT ARGS...: submits held (the decoys go in before it may run)
# from $work, to the test queue; sets $submitted to the job id (deleted at exit if still
# there).
submit() {
    submitted=$(cd "$work" && qsub -terse -h -q reprise.q "$@") || die "qsub $* failed"
    submitted=${submitted%%.*} # an array prints "17.1-2:1"
    jobs_to_cancel+=("$submitted")
}

# job_state JOB[.TASK]: the state column of qstat ("r", "Rr", "qw", "hqw", "s"...), or
# nothing once the job has left the queue.
job_state() {
    local id=${1%%.*} task=
    [[ $1 == *.* ]] && task=${1#*.}
    qstat -u '*' 2>/dev/null | awk -v id="$id" -v task="$task" '
        $1 == id && (task == "" || $NF == task || $NF ~ "(^|,)" task "(-|,|$)") {print $5; exit}'
}
gone() { ! qstat -j "$1" >/dev/null 2>&1; }

# wait_gone JOB SECONDS: waits until the job has left the queue (finished or deleted).
wait_gone() {
    wait_until "$2" "job $1 to leave the queue" gone "$1" || die "job $1 is still $(job_state "$1")"
}

# program_pid FILE: the pid the job script printed ("... pid N"); after its exec, the
# program's own.
program_pid() { sed -n 's/.* pid \([0-9][0-9]*\)$/\1/p' "$1" | tail -n 1; }
