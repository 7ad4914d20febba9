#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Grid Engine: a job run with REPRISE_ON_STOP=exit:99 (examples/sge/exit99.sge) that is
# sent a stop signal (SIGTERM, as from `kill` or a node shutting down) saves and exits
# with status 99; Grid Engine reschedules it, and the next run sees RESTARTED=1, resumes
# from that checkpoint and ends with the result of an uninterrupted run. The course is
# sge-lib.sh's exit99_after_sigterm, shared with sge-requeue.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/sge-lib.sh"

# The script's own REPRISE_ON_STOP=exit:99: the stop line says the status, nothing more.
exit99_after_sigterm 13 '^reprise: stopping on SIGTERM, exit status 99$'
passed "SIGTERM: saved at step $resumed, exit 99, rescheduled, resumed with RESTARTED=1; same checksum"
