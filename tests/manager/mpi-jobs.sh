# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# An MPI job under the manager: `reprise start -d -- mpirun -np N heat2d_mpi ...` is
# checkpointed twice, stopped, restarted detached, checkpointed and stopped again, then
# restarted in the foreground to its end, which must print the checksum of an
# uninterrupted run, bit for bit. Every command is the manager's own: the checkpoint
# name comes from the program mpirun runs, `checkpoint` waits for the commit record of
# every rank, `stop` stops every rank through mpirun (SIGUSR2), the job is then
# "stopped ..., restartable", and `restart` resumes every rank at the same step.
#
# Between the commands the ranks are held with SIGSTOP and continued only while a command
# talks to the job (as in restart-elsewhere.sh), and the job sleeps a little every step
# (--pace; the result does not depend on it), so that it cannot reach its end before the
# last `stop`, however fast the build or slow the machine.
#
# usage: mpi-jobs.sh REPRISE HEAT2D_MPI RANKS JSON_CHECK

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ranks=$1
json_check=$2

if ! command -v mpirun >/dev/null 2>&1; then
    echo "SKIPPED: mpirun not found (Debian: apt-get install openmpi-bin)"
    exit 77
fi
# OpenMPI refuses root without these; more ranks than cores needs oversubscription.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1

steps=6000
program=(--size 128)
# The reference, uninterrupted and unpaced, meanwhile, in a directory of its own.
REPRISE_DIR=$work/reference timeout -k 5 200 mpirun -np "$ranks" "$heat2d" "$steps" "${program[@]}" \
    >"$work/reference.out" 2>"$work/reference.err" &
reference_pid=$!
cleanup_hooks+=("kill -KILL $reference_pid 2>/dev/null")

log=$REPRISE_HOME/jobs/1/output.log
# The pids of the ranks of the job's run number $1 (1: the start), from its log.
rank_pids() {
    grep '^heat2d_mpi: rank [0-9]* pid ' "$log" | tail -n +$((($1 - 1) * ranks + 1)) | head -n "$ranks" |
        sed 's/.* pid //'
}
ranks_started() { [[ $(grep -c '^heat2d_mpi: rank [0-9]* pid ' "$log" 2>/dev/null) -ge $(($1 * ranks)) ]]; }
pids=()
hold() {
    wait_for 120 "the $ranks ranks of run $1 in $log" ranks_started "$1"
    mapfile -t pids < <(rank_pids "$1")
    [[ ${#pids[@]} -eq $ranks ]] || fail "run $1: ${#pids[@]} rank pids in $log, not $ranks"
    cleanup_hooks+=("kill -KILL ${pids[*]} 2>/dev/null")
    held=("${pids[@]}")
    kill -STOP "${pids[@]}"
}
checkpoint() {
    local out
    out=$(with_job_running "$reprise" checkpoint "$id") || fail "reprise checkpoint $id failed: $out"
    note "$out" >&2 # stdout is the generation
    grep -q "committed by $ranks ranks (.*, checksums valid)" <<<"$out" ||
        fail "checkpoint does not report a generation committed by $ranks ranks: $out"
    generation_of "$out"
}
stop() {
    local out
    kill -CONT "${pids[@]}"
    out=$("$reprise" stop "$id") || fail "reprise stop $id failed: $out"
    note "$out"
    grep -q "stopped by SIGUSR2 (mpirun exit status 140), restartable" <<<"$out" ||
        fail "stop does not report the MPI job stopped and restartable: $out"
    list_says "$id" "stopped by SIGUSR2 (mpirun exit status 140), restartable" ||
        fail "list does not show the job stopped and restartable"
    for pid in "${pids[@]}"; do gone "$pid" || fail "rank pid $pid still runs after stop"; done
}
# Every rank of run $1 resumed at one step, which rank 0 printed: echoes it.
resumed_step() {
    local steps_seen
    steps_seen=$(grep '^heat2d_mpi: rank [0-9]* at step=' "$2" | tail -n "$ranks" | sed 's/.*step=//' | sort -u)
    [[ $(wc -l <<<"$steps_seen") -eq 1 && $steps_seen -gt 0 ]] ||
        fail "run $1: the ranks did not resume at one saved step: $steps_seen"
    grep -q "^resumed at step=$steps_seen\$" "$2" || fail "run $1: rank 0 did not say it resumed at $steps_seen"
    echo "$steps_seen"
}

# A launcher whose program cannot be told needs --name (nothing is started).
expect_error "cannot tell which program mpirun runs .*--name" "$reprise" start -d -- mpirun -np "$ranks" --mca btl self
[[ ! -e $REPRISE_HOME/jobs/1 ]] || fail "a refused start left a job"

# ---- start, two checkpoints, stop ----------------------------------------------------------
id=$(start_detached -- mpirun -np "$ranks" "$heat2d" "$steps" "${program[@]}" --pace 0.0005)
[[ $id == 1 ]] || fail "the first job of a fresh registry is not job 1: '$id'"
hold 1
[[ $(job_field "$id" Name) == heat2d_mpi ]] ||
    fail "the checkpoint name is '$(job_field "$id" Name)', not the program's (heat2d_mpi)"
[[ $(job_field "$id" 'MPI ranks') == "$ranks (launcher mpirun)" ]] ||
    fail "info shows MPI ranks '$(job_field "$id" 'MPI ranks')', not $ranks"
list_says "$id" running || fail "the MPI job just started is not listed as running"

first=$(checkpoint)
second=$(checkpoint)
[[ -n $first && -n $second && $second -gt $first ]] || fail "the generations do not grow: '$first' then '$second'"
ckpt=$REPRISE_HOME/jobs/$id/checkpoints
record=$ckpt/heat2d_mpi.sge-$id.$(printf %010d "$second").commit
[[ -f $record ]] || fail "no commit record $record"
for r in $(seq 0 $((ranks - 1))); do
    [[ -f $ckpt/heat2d_mpi.rank$r.sge-$id.$(printf %010d "$second").ckpt ]] || fail "rank $r has no file of generation $second"
done
job_field "$id" 'Last checkpoint' | grep -q "^generation $second .*, $ranks ranks)" ||
    fail "info does not show generation $second of $ranks ranks: $(job_field "$id" 'Last checkpoint')"
list_line "$id" | grep -q "gen $second ($ranks ranks)" || fail "list does not show generation $second of $ranks ranks"
"$reprise" inspect "$record" >"$work/inspect.out" || fail "inspect of the commit record failed: $(cat "$work/inspect.out")"
grep -q "^Valid       : yes" "$work/inspect.out" && grep -q "^Ranks       : $ranks," "$work/inspect.out" &&
    grep -q "^Generation  : $second\$" "$work/inspect.out" || fail "inspect of $record: $(cat "$work/inspect.out")"
"$reprise" inspect "$id" >"$work/inspect-job.out" || fail "inspect $id failed"
[[ $(grep -c '^Kind        : MPI commit record$' "$work/inspect-job.out") -eq 2 ]] ||
    fail "inspect $id does not show two commit records: $(cat "$work/inspect-job.out")"
# The same for scripts: --json, checked against docs/manager.md's schema by a parser.
values=$("$reprise" inspect --json "$id" |
    "$json_check" inspect checkpoints.0.kind checkpoints.0.valid checkpoints.0.generation checkpoints.0.ranks) ||
    fail "inspect --json $id is not of the documented schema"
[[ $values == $'commit_record\ntrue\n'"$second"$'\n'"$ranks" ]] || fail "inspect --json $id: $values"
values=$("$reprise" info --json "$id" | "$json_check" info job.mpi.launcher job.mpi.ranks job.last_checkpoint.ranks) ||
    fail "info --json $id is not of the documented schema"
[[ $values == $'mpirun\n'"$ranks"$'\n'"$ranks" ]] || fail "info --json $id: $values"
"$reprise" list --json | "$json_check" list >/dev/null || fail "list --json with an MPI job is not of the documented schema"
stop

# ---- restart detached, checkpoint, stop ----------------------------------------------------
"$reprise" restart --detach "$id" >"$work/restart1.out" 2>"$work/restart1.err" || fail "restart --detach failed"
grep -q 'from the beginning' "$work/restart1.err" && fail "restart says it starts from the beginning"
hold 2
third=$(checkpoint)
[[ $third -gt $second ]] || fail "generation $third after a restart from a later one"
stop
resumed1=$(resumed_step 2 "$log")

# ---- restart in the foreground, to the end -------------------------------------------------
"$reprise" restart "$id" >"$work/restart2.out" 2>"$work/restart2.err" || fail "the last restart failed"
grep -q 'from the beginning' "$work/restart2.err" && fail "restart says it starts from the beginning"
grep -q "job id $id (heat2d_mpi) on .*, from generation " "$work/restart2.err" ||
    fail "the restart does not say which generation it resumes"
cat "$work/restart2.out" "$work/restart2.err" >"$work/restart2.all"
resumed2=$(resumed_step 3 "$work/restart2.all")
[[ $resumed2 -gt $resumed1 ]] || fail "the second restart resumed at $resumed2, not after $resumed1"

same_checksum_as_reference "$reference_pid" "$work/reference.out" "$work/restart2.out" "stopped and restarted twice"
list_line "$id" | grep -q "^$id  *[^ ]*  *finished " || fail "list does not show job $id finished"
[[ $(job_field "$id" Restarts) == 2 ]] || fail "info does not count two restarts"
[[ -z $(find "$ckpt" -name '*.ckpt' -o -name '*.commit') ]] || fail "the finished job left checkpoints behind"
note "OK: $ranks ranks, generations $first $second $third, resumed at $resumed1 and $resumed2: $actual"
