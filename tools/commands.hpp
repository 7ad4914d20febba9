// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_TOOLS_COMMANDS_HPP
#define REPRISE_TOOLS_COMMANDS_HPP

// The subcommands of `reprise`. Each returns the process's exit status and throws
// reprise::Error (message "reprise: <command> ...: why") for anything that went wrong;
// main() prints it and exits 1.

#include <string>
#include <vector>

namespace reprise::manager {

/// `reprise start`.
struct StartRequest {
    std::vector<std::string> command; ///< program and arguments
    std::string name;                 ///< checkpoint name; empty: the program's file name
    double every = 0;                 ///< seconds between automatic checkpoints; 0: none
    bool detach = false;
};

/// Starts a new job: id, record, then the program, attached or detached.
/// @returns attached: the program's exit status (128+N for a signal; a SIGINT is passed
///          on to the caller); detached: 0 once the program runs.
int start_job(const StartRequest& request);

/// One line per job. @returns 1 when an entry could not be read (after listing the rest).
int list_jobs();

/// Everything about one job.
int show_info(long id);

/// SIGUSR1, then waits until a generation saved after it is on disk, verified and durable.
int checkpoint_job(long id, double timeout);

/// SIGTERM (save and stop), then waits until the job has ended.
int stop_job(long id, double timeout);

/// Runs a job that is not running again, from its newest checkpoint (REPRISE_JOB names the
/// job, so the library restores whenever one of it exists).
int restart_job(long id, bool detach);

/// Removes a job that is not running: its record, checkpoints and log.
int remove_job(long id);

/// The header, variables and validity of a checkpoint file, or of every generation of a job.
/// @returns 1 when a file is not a valid checkpoint.
int inspect(const std::string& target);

} // namespace reprise::manager

#endif
