#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Grid Engine: a job run with REPRISE_ON_STOP=requeue (examples/sge/exit99.sge with
# -v REPRISE_ON_STOP=requeue), the setting that requeues a job under Slurm, is sent a
# stop signal (SIGTERM); it saves and exits with status 99, Grid Engine's own requeue;
# the next run sees RESTARTED=1, resumes from that checkpoint and ends with the result of
# an uninterrupted run. One job setting, both schedulers. The course is sge-exit99.sh's
# (sge-lib.sh's exit99_after_sigterm): only the setting and the stop line differ.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/sge-lib.sh"

# exit99.sge keeps a REPRISE_ON_STOP given with -v; the stop line names the requeue.
exit99_after_sigterm 24 \
    '^reprise: stopping on SIGTERM, exit status 99 \(Grid Engine requeues the job\)$' \
    REPRISE_ON_STOP=requeue
passed "REPRISE_ON_STOP=requeue, SIGTERM: saved at step $resumed, exit 99, rescheduled, resumed with RESTARTED=1; same checksum"
