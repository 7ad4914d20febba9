#!/bin/bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# The Grid Engine checkpoint environment for reprise programs (run once, as a Grid
# Engine manager): when the job is to be checkpointed or migrated, Grid Engine runs a
# command that sends the program SIGUSR2; reprise saves and the program stops; Grid
# Engine then reschedules the job, and the next run (RESTARTED=2 after a migration)
# resumes from the checkpoint.
#
#   bash examples/sge/checkpoint-env.sh [QUEUE...]     # defines "reprise", adds it to the queues
#   qsub examples/sge/ckpt.sge PROGRAM ARGS...  # its "#$ -ckpt reprise" line
#   qmod -sj JOBID      # suspend = migrate: USR2, save, stop, rescheduled, resumed
#
# Used by tests/cluster/setup-sge.sh; tested by tests/cluster/sge-checkpoint-env.sh.
set -euo pipefail

definition=$(mktemp)
trap 'rm -f "$definition"' EXIT
cat >"$definition" <<'DEFINITION'
ckpt_name          reprise
interface          application-level
ckpt_command       /bin/kill -USR2 $job_pid
migr_command       /bin/kill -USR2 $job_pid
restart_command    none
clean_command      none
ckpt_dir           /tmp
signal             none
when               xs
DEFINITION
# Line by line:
#   interface application-level   the program checkpoints itself (reprise); Grid Engine
#                                 only tells it when. (A "userdefined" interface with
#                                 "signal USR2" never sends the signal.)
#   ckpt_command, migr_command    what telling it is: SIGUSR2 to the job ($job_pid), which
#                                 reprise takes as "save, then stop"
#   restart_command none          the restart is the job script run again, RESTARTED=2
#   ckpt_dir /tmp                 unused by reprise (REPRISE_DIR says where checkpoints go)
#   when xs                       checkpoint and migrate when the execution daemon shuts
#                                 down (x) and when the job is suspended (s)

if qconf -sckpt reprise >/dev/null 2>&1; then
    qconf -Mckpt "$definition"        # already defined: bring it up to date
else
    qconf -Ackpt "$definition"        # define it
fi

# A job may use a checkpoint environment only in a queue whose ckpt_list names it:
# add it to each queue given (-aattr adds to the list; -mattr would replace it).
for queue in "$@"; do
    qconf -aattr queue ckpt_list reprise "$queue"
done
