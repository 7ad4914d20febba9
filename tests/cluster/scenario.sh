# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# What every scenario test shares (sourced after common.sh): skip or start, a work
# directory, the uninterrupted reference, decoy checkpoints of other jobs, and the
# checks that end every scenario.
#
# A scenario script is called as
#   SCENARIO.sh WALK EXAMPLES_DIR STATUS_FILE
# WALK: the examples/walk program; EXAMPLES_DIR: the source examples/ directory (its
# slurm/ and sge/ job scripts are the ones submitted); STATUS_FILE: what the cluster
# setup wrote ("ready", or "skipped: why").
#
# The decoys: before its job may run, each scenario plants, in the job's own
# checkpoint directory, checkpoints of the same program under job keys that a careless
# job identity could confuse with the job's (an array task with the same number, the
# same number under another scheduler, a longer number with the same prefix, the
# program run by hand), each from another seed, so that restoring one would change the
# result. At the end: the job's result equals the reference, every "restored" line
# names the job's own file, and every decoy file is still there, byte for byte.

walk=${1:?usage: SCENARIO.sh WALK EXAMPLES_DIR STATUS_FILE}
examples=${2:?usage: SCENARIO.sh WALK EXAMPLES_DIR STATUS_FILE}
status_file=${3:?usage: SCENARIO.sh WALK EXAMPLES_DIR STATUS_FILE}
scenario=${0##*/}
scenario=${scenario%.sh}

[[ $(id -u) -eq 0 ]] || skip "the cluster tests need root"
if [[ ! -f $status_file ]]; then
    skip "no cluster: $status_file is missing (ctest starts the cluster through its fixture)"
elif grep -q '^skipped' "$status_file"; then
    skip "$(sed 's/^skipped: //' "$status_file")"
fi
[[ -x $walk ]] || die "no program at $walk"
# The jobs run in the work directory: absolute paths only.
walk=$(realpath "$walk")
examples=$(realpath "$examples")

# Nothing of the caller's may steer the jobs, which inherit this environment (sbatch
# exports it; qsub -V is not used, but the by-hand runs here see it).
unset SLURM_JOB_ID SLURM_ARRAY_JOB_ID SLURM_ARRAY_TASK_ID SLURM_RESTART_COUNT \
      JOB_ID SGE_TASK_ID RESTARTED PBS_JOBID PBS_ARRAYID PBS_ARRAY_INDEX \
      LSB_JOBID LSB_JOBINDEX LSB_RESTART \
      REPRISE_DIR REPRISE_NAME REPRISE_INTERVAL REPRISE_RESTORE REPRISE_LOG \
      REPRISE_MODE REPRISE_ON_STOP REPRISE_SIGNALS

mkdir -p "$REPRISE_CLUSTER_DIR/scenarios"
work=$(mktemp -d "$REPRISE_CLUSTER_DIR/scenarios/$scenario.XXXXXX")
chmod 0755 "$work"
ckpt=$work/checkpoints
mkdir -p "$ckpt"
started=$SECONDS
jobs_to_cancel=()
decoy_pid=

# On failure: what the job printed (without its progress lines), the scheduler's view
# and its log; the work directory stays for a closer look. On success it goes.
on_exit() {
    local rc=$?
    if [[ -n $decoy_pid ]]; then
        kill -KILL "$decoy_pid" 2>/dev/null || true
    fi
    if ((rc != 0 && rc != SKIP)); then
        local f
        for f in "$work"/*.out; do
            [[ -e $f ]] || continue
            echo "---- $f (progress lines left out)" >&2
            grep -v '^progress ' "$f" >&2 || true
        done
        echo "---- $ckpt" >&2
        ls -la "$ckpt" >&2 || true
        scheduler_diagnostics >&2 || true
        echo "(work directory kept: $work)" >&2
    fi
    local j
    for j in "${jobs_to_cancel[@]}"; do
        cancel_job "$j" >/dev/null 2>&1 || true
    done
    if ((rc == 0)); then
        rm -rf "$work"
    fi
}
trap on_exit EXIT

# The result lines of a walk run's output.
results() { grep -E '^(checksum|steps|seed)=' "$1" || true; }

# reference STEPS SEED: the uninterrupted result, computed by hand without pause.
reference() {
    local dir
    dir=$(mktemp -d "$work/reference.XXXXXX")
    REPRISE_DIR=$dir "$walk" "$1" 0 "$2" >"$dir/out" 2>"$dir/err" ||
        die "the reference run failed: $(cat "$dir/err")"
    results "$dir/out"
}

# plant_decoy STEPS SEED [VAR=VALUE...]: leaves in $ckpt a checkpoint of the walk run by
# hand with the given variables (another job's identity), stopped by SIGTERM after its
# first step: a FIFO carries its stdout, so no sleep decides when.
plant_decoy() {
    local steps=$1 seed=$2
    shift 2
    local fifo=$work/decoy.fifo line status=0
    rm -f "$fifo"
    mkfifo "$fifo"
    env "$@" REPRISE_DIR="$ckpt" REPRISE_LOG=quiet "$walk" "$steps" 0.05 "$seed" \
        >"$fifo" 2>>"$work/decoys.err" &
    decoy_pid=$!
    exec 8<"$fifo"
    while IFS= read -r -t 60 line <&8; do
        [[ $line == progress* ]] && break
    done
    kill -TERM "$decoy_pid" 2>/dev/null || true
    cat <&8 >/dev/null
    exec 8<&-
    wait "$decoy_pid" || status=$?
    decoy_pid=
    rm -f "$fifo"
    ((status == 143)) || die "the decoy run ($*) ended with status $status, not 143"
}

# plant_look_alikes JOB KIND...: the decoys of a one-job scenario, planted for job JOB and
# then remembered (snapshot_decoys). Each KIND is a job identity that a careless reading
# could take for JOB's, with its own seed: "task" (a task 1 whose array shares JOB's
# number), "prefix" (job JOB0: the same digits and one more), "other" (job JOB under the
# other scheduler), "hand" (the program run by hand, no job at all). look_alike_identity,
# the scheduler's side, spells each one in its variables.
plant_look_alikes() {
    local job=$1 kind seed identity
    shift
    for kind in "$@"; do
        case $kind in
        task) seed=7 ;;
        prefix) seed=8 ;;
        other) seed=9 ;;
        hand) seed=10 ;;
        *) die "plant_look_alikes: no decoy kind '$kind'" ;;
        esac
        identity=()
        [[ $kind == hand ]] || look_alike_identity "$kind" "$job"
        plant_decoy 1000 "$seed" "${identity[@]}"
    done
    snapshot_decoys
}

# snapshot_decoys: remembers every file in $ckpt (the decoys, before the job runs).
snapshot_decoys() {
    (cd "$ckpt" && sha256sum -- *) >"$work/decoys.sha256"
    [[ -s $work/decoys.sha256 ]] || die "no decoy was planted"
}

# check_decoys: every decoy file is still there, unchanged.
check_decoys() {
    (cd "$ckpt" && sha256sum --quiet -c "$work/decoys.sha256") >&2 ||
        die "a decoy checkpoint of another job was changed or removed"
}

# own_file_re KEY: an extended regular expression for the path of a generation of job
# KEY in $ckpt ("walk.sge-12.0000000004.ckpt", not the task's "walk.sge-12.1.0000000004.ckpt").
own_file_re() {
    local escaped
    escaped=$(printf '%s' "$ckpt/walk.$1." | sed 's/[][\.*^$+?(){}|]/\\&/g')
    printf '%s[0-9]{10}\\.ckpt' "$escaped"
}

# check_own_restores FILE KEY [COUNT]: every "restored" line in FILE names a file of job
# KEY in $ckpt, and there are COUNT of them (default 1); no fallback to another file. A
# restore that no restart flag asked for (a job named by REPRISE_JOB, a run by hand) ends
# its line saying how to start afresh instead: that ending, and no other, may follow.
check_own_restores() {
    local file=$1 key=$2 count=${3:-1} n bad
    n=$(grep -c '^reprise: restored generation' "$file" || true)
    ((n == count)) || die "$file: $n restores, expected $count"
    bad=$(grep '^reprise: restored generation' "$file" |
          grep -Ev " from $(own_file_re "$key")(; (REPRISE_RESTORE=never|RESTARTED=0) starts afresh)?\$" || true)
    [[ -z $bad ]] || die "$file: restored something that is not job $key's: $bad"
    if grep -q 'rejected:\|restoring the older generation' "$file"; then
        die "$file: a checkpoint was rejected: $(grep -A3 rejected "$file")"
    fi
}

# check_own_saves FILE KEY: every "saved" line in FILE names a file of job KEY.
check_own_saves() {
    local bad
    bad=$(grep '^reprise: saved generation' "$1" | grep -Ev " to $(own_file_re "$2")\$" || true)
    [[ -z $bad ]] || die "$1: saved into files that are not job $2's: $bad"
}

# check_result FILE REFERENCE: FILE ends with the reference's result lines.
check_result() {
    local got
    got=$(results "$1")
    [[ -n $got ]] || die "$1: no result line"
    [[ $got == "$2" ]] || die "$1: result [$got] differs from the uninterrupted run [$2]"
}

# check_finished KEY: the job's finish() removed all of its files: generations,
# temporary file and lock (another job's, "walk.KEY.1.*" of a task, may stay).
check_finished() {
    local f name left=
    for f in "$ckpt"/walk."$1".*; do
        [[ -e $f ]] || continue
        name=${f##*/}
        name=${name#"walk.$1."}
        [[ $name =~ ^([0-9]{10}\.ckpt(\.tmp)?|lock)$ ]] && left+=" ${f##*/}"
    done
    [[ -z $left ]] || die "job $1's files are still in $ckpt after it finished:$left"
}

# resumed_step FILE: the k of the last "resumed at step=k" line, or nothing.
resumed_step() { sed -n 's/^resumed at step=\([0-9][0-9]*\)$/\1/p' "$1" | tail -n 1; }

# last_saved_generation FILE: the generation of the last "saved generation" line.
last_saved_generation() {
    sed -n 's/^reprise: saved generation \([0-9][0-9]*\) .*/\1/p' "$1" | tail -n 1
}
restored_generation() {
    sed -n 's/^reprise: restored generation \([0-9][0-9]*\) .*/\1/p' "$1" | tail -n 1
}

# contains FILE PATTERN: an extended regular expression matches a line of FILE.
contains() { grep -Eq -- "$2" "$1" 2>/dev/null; }

# wait_walking JOB OUT: the job's program has printed its first progress line to OUT
# within 60 s (a minute covers the scheduler's next pass and the program's start).
wait_walking() {
    wait_until 60 "job $1 to start walking" contains "$2" '^progress step=' ||
        die "job $1 did not start"
}

# second_run_resumed OUT KEY WALK_LINE SAVED STEPS REF: the checks that end a scenario
# whose job of STEPS steps was stopped once and run again, read from its output OUT: the
# second run is the one WALK_LINE (an extended regular expression) says, its one restore
# is of job KEY's own files and of generation SAVED, the last the first run saved; it
# resumed mid-walk; its result is REF; finish() removed the job's files; every decoy is
# untouched. Sets `resumed` to the step resumed at, for the scenario's last word.
second_run_resumed() {
    local out=$1 key=$2 walk_line=$3 saved=$4 steps=$5 ref=$6
    contains "$out" "$walk_line" || die "no line of the second run matches [$walk_line]"
    check_own_restores "$out" "$key"
    [[ $(restored_generation "$out") == "$saved" ]] ||
        die "restored generation $(restored_generation "$out"), but the last one saved was $saved"
    resumed=$(resumed_step "$out")
    [[ -n $resumed && $resumed -gt 0 && $resumed -lt $steps ]] ||
        die "the second run did not resume mid-walk (resumed at '${resumed}')"
    check_result "$out" "$ref"
    check_finished "$key"
    check_decoys
}

passed() {
    echo "$scenario: OK in $((SECONDS - started)) s: $*"
}

# chain_link_began K OUT WALK_LINE: link K of a chain of jobs named $name (REPRISE_JOB), of
# $steps steps, whose output is OUT, began as it should: its walk's first line matches
# WALK_LINE; link 1 started fresh without a word about checkpoints of its job; every later
# link restored exactly the generation the previous link saved last (${saved[K-2]}) and
# resumed past the step where the previous link began (${began[K-2]}; it sets
# ${began[K-1]}); and every save and restore was of the chain's own files.
chain_link_began() {
    local k=$1 out=$2 walk_line=$3
    contains "$out" "$walk_line" || die "link $k does not run as job $name"
    if ((k == 1)); then
        contains "$out" '^fresh start$' || die "link 1 did not start fresh"
        ! contains "$out" 'starting fresh' || die "link 1 found checkpoints of its own job"
        check_own_restores "$out" "$name" 0
    else
        check_own_restores "$out" "$name"
        contains "$out" '^reprise: restored generation .*; REPRISE_RESTORE=never starts afresh$' ||
            die "link $k's restore line does not say how to start afresh instead"
        [[ $(restored_generation "$out") == "${saved[k - 2]}" ]] ||
            die "link $k restored generation $(restored_generation "$out"), but link $((k - 1)) last saved ${saved[k - 2]}"
        began[k - 1]=$(resumed_step "$out")
        [[ -n ${began[k - 1]} && ${began[k - 1]} -gt ${began[k - 2]} && ${began[k - 1]} -lt $steps ]] ||
            die "link $k resumed at step '${began[k - 1]}', not past where link $((k - 1)) began (${began[k - 2]})"
    fi
    check_own_saves "$out" "$name"
}

# at_least_two_saves FILE: the job whose output FILE is has saved two generations.
at_least_two_saves() { (($(grep -c '^reprise: saved generation' "$1" || true) >= 2)); }
