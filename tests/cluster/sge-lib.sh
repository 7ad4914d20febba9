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

# rescheduled_and_resumed JOB OUT RESTARTED STEPS REF: what follows once the first run of
# job JOB (a walk of STEPS steps, output OUT) has saved and stopped: Grid Engine starts it
# again with RESTARTED (1 after a rescheduling, 2 after a migration) within 60 s, that run
# ends within 60 s, the job leaves the queue, and second_run_resumed holds for the last
# generation the first run saved. Sets `saved` and `resumed`.
rescheduled_and_resumed() {
    local job=$1 out=$2 restarted=$3 steps=$4 ref=$5
    saved=$(last_saved_generation "$out")
    [[ -n $saved ]] || die "the first run saved nothing"
    wait_until 60 "the run with RESTARTED=$restarted" \
        contains "$out" "^run RESTARTED=$restarted " ||
        die "job $job was not started again with RESTARTED=$restarted"
    wait_until 60 "the result" contains "$out" '^checksum=' || die "job $job did not finish"
    wait_gone "$job" 30
    second_run_resumed "$out" "sge-$job" "^walk: job sge-$job, RESTARTED=$restarted\$" \
                       "$saved" "$steps" "$ref"
}

# exit99_after_sigterm SEED STOP_LINE [VARIABLE=VALUE...]: the course of
# examples/sge/exit99.sge, shared by sge-exit99.sh and sge-requeue.sh, which differ only
# in the variables they add to -v (REPRISE_ON_STOP=requeue or none: the script's own
# exit:99) and in the stop line the program prints for them. A walk of 150 steps of 0.1 s
# from SEED, beside plant_look_alikes' task, prefix and hand decoys, is sent SIGTERM (as
# from `kill` or a node shutting down) once it walks; within 30 s it
# prints STOP_LINE (an extended regular expression) and exits 99; Grid Engine reschedules
# it and rescheduled_and_resumed holds with RESTARTED=1. Sets `job`, `saved`, `resumed`.
exit99_after_sigterm() {
    local seed=$1 stop_line=$2 steps=150 pace=0.1 ref vars out pid
    shift 2
    vars=$(IFS=,; printf '%s' "REPRISE_DIR=$ckpt${*:+,$*}")
    ref=$(reference $steps "$seed")

    submit -o "$work/job.out" -v "$vars" \
           "$examples/sge/exit99.sge" "$walk" $steps $pace "$seed"
    job=$submitted
    plant_look_alikes "$job" task prefix hand
    qrls "$job" >/dev/null

    out=$work/job.out
    wait_walking "$job" "$out"
    pid=$(program_pid "$out")
    [[ -n $pid && $(cat "/proc/$pid/comm" 2>/dev/null) == walk ]] ||
        die "pid '$pid' from the job's first line is not the walk"
    kill -TERM "$pid"
    wait_until 30 "the save and the exit 99" contains "$out" "$stop_line" ||
        die "job $job did not exit 99"
    rescheduled_and_resumed "$job" "$out" 1 $steps "$ref"
}
