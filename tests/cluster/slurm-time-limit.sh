#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Slurm: a job whose time limit comes before its end is warned (--signal=B:USR1), saves,
# requeues itself (examples/slurm/time-limit.sbatch) and finishes in its second run,
# which sees SLURM_RESTART_COUNT=1, with the result of an uninterrupted run. The course
# and its timing (a limit of 2 minutes, a walk of 90 s) are slurm-lib.sh's
# walk_across_the_time_limit and warned_before_the_limit, shared with
# slurm-self-requeue-time-limit.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/slurm-lib.sh"

walk_across_the_time_limit "$examples/slurm/time-limit.sbatch" USR1 3 trap \
                           task prefix other hand
# The trap passed the warning on to the program as SIGTERM.
contains "$out" '^reprise: stopping on SIGTERM$' || die "the first run did not stop on SIGTERM"
passed "warned, saved at step $resumed, requeued, resumed with SLURM_RESTART_COUNT=1, same checksum"
