// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_TOOLS_PROCESS_HPP
#define REPRISE_TOOLS_PROCESS_HPP

// Processes for the job manager: who and where we are, whether a recorded process is
// still the same live process, starting a program, and waiting for it while passing on
// the signals meant for it.

#include "reprise/detail/job.hpp"

#include <csignal>
#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

namespace reprise::manager {

/// This host's name, as the library writes it in lock files and headers.
using detail::host_name;

/// This boot's id (/proc/sys/kernel/random/boot_id); "" when unreadable.
std::string boot_id();

/// The start time of process `pid` in clock ticks since boot (/proc/PID/stat, field 22),
/// or 0 when no such live process exists (a zombie counts as gone).
std::uint64_t process_start(long pid);

/// True when `pid` is alive and is the process that started at `start` (not a later
/// process that was given the same pid).
bool is_alive(long pid, std::uint64_t start);

/// "SIGTERM", "SIGKILL", ... or "signal N".
std::string signal_name(int sig);

/// Sleeps for `seconds` (a poll interval, never a synchronisation).
void pause_for(double seconds);

/// Blocks the signals a supervisor waits for (CHLD, TERM, INT, HUP, QUIT, USR1, USR2)
/// while alive, so that none is lost between fork and the wait; launch() unblocks them
/// in the program.
class SignalBlock {
public:
    SignalBlock();
    ~SignalBlock();
    SignalBlock(const SignalBlock&) = delete;
    SignalBlock& operator=(const SignalBlock&) = delete;

    /// The blocked set.
    const sigset_t& set() const noexcept { return set_; }

private:
    sigset_t set_{};
    sigset_t previous_{};
};

/// What launch() starts.
struct Launch {
    std::vector<std::string> argv;  ///< argv[0] is searched in PATH as execvp does
    std::vector<std::string> env;   ///< "NAME=value", the program's whole environment
    std::string cwd;                ///< changed to before exec
    int stdin_fd = -1;              ///< -1: inherited
    int stdout_fd = -1;             ///< -1: inherited
    int stderr_fd = -1;             ///< -1: inherited
    bool ignore_hangup = false;     ///< SIGHUP ignored in the program: the supervisor turns
                                    ///< a hangup into SIGTERM, which the library saves on
};

/// Starts the program (fork, chdir, exec) with an empty signal mask and the caller's
/// signal dispositions (an ignored SIGINT stays ignored, as a shell's background job
/// expects). A failed chdir or exec is reported by the child through a close-on-exec pipe.
/// @returns the program's pid. @throws Error naming the program or directory and errno.
pid_t launch(const Launch& spec);

/// Waits for `child` to end and returns its wait status. Meanwhile TERM and HUP are passed
/// on as `stop` (save and stop: SIGTERM for a program, SIGUSR2 for an MPI launcher), USR1
/// and USR2 as they are; INT and QUIT are passed on only when `attached` is false (a
/// terminal sends them to the program itself). Needs a live SignalBlock.
int wait_forwarding(pid_t child, const SignalBlock& block, bool attached, int stop = SIGTERM);

/// True when `path` names an executable, or a name found in PATH as execvp would find it.
bool is_executable(const std::string& program);

} // namespace reprise::manager

#endif
