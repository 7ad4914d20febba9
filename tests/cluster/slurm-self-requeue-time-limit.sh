#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Slurm: the recipe of examples/slurm/self-requeue.sbatch as written, with no trap: a job
# whose time limit comes before its end is warned by SIGTERM (--signal=B:TERM, which
# reaches the program: the script exec'ed it), saves, requeues itself
# (REPRISE_ON_STOP=requeue) and finishes in its second run, SLURM_RESTART_COUNT=1, with
# the result of an uninterrupted run. The course and its timing are slurm-time-limit.sh's
# (slurm-lib.sh's walk_across_the_time_limit): only the script, the signal and who
# requeues differ.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/slurm-lib.sh"

walk_across_the_time_limit "$examples/slurm/self-requeue.sbatch" TERM 23 program task hand
passed "no trap: warned by B:TERM, saved at step $resumed, requeued by itself, resumed; same checksum"
