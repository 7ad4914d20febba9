// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_TOOLS_EXIT_STATUS_HPP
#define REPRISE_TOOLS_EXIT_STATUS_HPP

// The exit statuses of `reprise`, one per kind of failure a script may want to tell apart
// (`reprise --help` and docs/manager.md, "Exit statuses", show the same table). A command
// that fails for one of these reasons throws a CommandError of that kind; main() turns
// the kind into the exit status. Anything else that goes wrong is status 1.

#include "registry.hpp"

#include "reprise/error.hpp"

#include <exception>
#include <string>

namespace reprise::manager {

/// The exit statuses. The numbers are part of the tool's interface: never renumber.
enum class ExitStatus : int {
    ok = 0,
    failure = 1,        ///< anything not below: I/O error, corrupt or unsafe entry, invalid checkpoint
    usage = 2,          ///< bad command line or value
    no_such_job = 3,    ///< the id is not in the registry
    busy = 4,           ///< the job runs (here or on another host): rm, restart refuse it;
                        ///< or it runs on another host, where signals cannot reach it
    not_running = 5,    ///< checkpoint, stop: the job is not running
    not_restartable = 6,///< restart: the job finished (nothing to resume)
    timeout = 7,        ///< checkpoint, stop: the time given ran out
    save_failed = 8,    ///< checkpoint: the job ended before saving, or its new file is invalid
};

/// A failure of a known kind. Message as every Error: "reprise: COMMAND ID: why".
class CommandError : public Error {
public:
    CommandError(ExitStatus status, const std::string& message) : Error(message), status_(status) {}
    ExitStatus status() const noexcept { return status_; }

private:
    ExitStatus status_;
};

/// The exit status for an exception a command threw: its kind's for a CommandError, 3 for
/// NoSuchJob, 1 for anything else.
inline int exit_status_for(const std::exception& e) {
    if (const auto* known = dynamic_cast<const CommandError*>(&e)) return static_cast<int>(known->status());
    if (dynamic_cast<const NoSuchJob*>(&e)) return static_cast<int>(ExitStatus::no_such_job);
    return static_cast<int>(ExitStatus::failure);
}

/// The table as `reprise --help` prints it.
inline const char* exit_status_help() {
    return "Exit statuses:\n"
           "  0  done\n"
           "  1  any other error (I/O, corrupt or unsafe registry entry, invalid checkpoint)\n"
           "  2  usage error\n"
           "  3  no such job\n"
           "  4  the job is running (rm, restart refuse it), or runs on another host\n"
           "  5  the job is not running (checkpoint, stop)\n"
           "  6  not restartable: it finished (restart)\n"
           "  7  timeout (checkpoint, stop)\n"
           "  8  the checkpoint failed: the job ended before saving, or the new file is invalid\n"
           "An attached start or restart exits as its program did, once the program runs.";
}

} // namespace reprise::manager

#endif
