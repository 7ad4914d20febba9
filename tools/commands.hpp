// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_TOOLS_COMMANDS_HPP
#define REPRISE_TOOLS_COMMANDS_HPP

// The subcommands of `reprise`. Each returns the process's exit status and throws
// reprise::Error (message "reprise: <command> ...: why") for anything that went wrong;
// main() prints it and exits with the status of its kind (exit_status.hpp: a
// CommandError's, 3 for NoSuchJob, else 1).

#include <string>
#include <vector>

namespace reprise::manager {

/// `reprise start`.
struct StartRequest {
    std::vector<std::string> command; ///< program and arguments
    std::string name;                 ///< checkpoint name; empty: the program's file name
    double every = 0;                 ///< seconds between automatic checkpoints; 0: none
    bool detach = false;
    std::vector<std::string> env;     ///< --env specs: NAME or NAME=VALUE (job_environment.hpp)
    std::string dir;                  ///< --dir: the checkpoint directory; empty: REPRISE_DIR if
                                      ///< set, else the entry's checkpoints/
};

/// Starts a new job: id, record, then the program, attached or detached.
/// @returns attached: the program's exit status (128+N for a signal; a SIGINT is passed
///          on to the caller); detached: 0 once the program runs.
int start_job(const StartRequest& request);

/// One line per job, or with `json` one document (docs/manager.md, "Scripting").
/// @returns 1 when an entry could not be read (after listing the rest).
int list_jobs(bool json = false);

/// Everything about one job; with `json`, as a document.
int show_info(long id, bool json = false);

/// SIGUSR1, then waits until a generation saved after it is on disk, verified and durable.
int checkpoint_job(long id, double timeout);

/// `stop --force [--grace D]`: SIGTERM at once, SIGKILL to the program and its descendants
/// when the job has not ended `grace` seconds later.
struct ForceStop {
    bool force = false;
    double grace = 30;
};

/// SIGTERM (save and stop), then waits until the job has ended.
int stop_job(long id, double timeout, const ForceStop& force = {});

/// Runs a job that is not running again, from its newest checkpoint (REPRISE_JOB names the
/// job, so the library restores whenever one of it exists).
int restart_job(long id, bool detach);

/// Removes a job that is not running: its record, checkpoints and log.
int remove_job(long id);

/// Removes several jobs, all or nothing: every id is checked (and its run lock taken)
/// first; when one cannot be removed, none is, each problem is reported on stderr and the
/// exit status is the first problem's (exit_status.hpp).
int remove_jobs(const std::vector<long>& ids);

/// `reprise prune`.
struct PruneRequest {
    double older_than = 0;    ///< seconds: a job whose run ended at least this long ago
    bool dry_run = false;     ///< say what would be removed, remove nothing
    bool restartable = false; ///< take restartable jobs too (else kept: they can resume)
};

/// Removes the jobs that are not running whose last run ended at least `older_than` ago:
/// finished, failed or dead ones; a restartable one (stopped, or failed or dead with a
/// checkpoint) only when asked; never a running job, nor one whose state is unknown.
int prune_jobs(const PruneRequest& request);

/// The header, variables and validity of a checkpoint file, or of every generation of a job;
/// with `json`, as a document. @returns 1 when a file is not a valid checkpoint.
int inspect(const std::string& target, bool json = false);

} // namespace reprise::manager

#endif
