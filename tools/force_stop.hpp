// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_TOOLS_FORCE_STOP_HPP
#define REPRISE_TOOLS_FORCE_STOP_HPP

// `reprise stop --force`: what ends a job whose program does not end on SIGTERM (it never
// made a Checkpointer and ignores the signal, or hangs). The program's process group is not
// the unit to kill: an attached program shares its group with the manager that waits for
// it (and the terminal's shell job), a detached one its session with its supervisor, and
// both must live to record the end. So the unit is the program and its descendants.

#include <sys/types.h>

#include <cstddef>

namespace reprise::manager {

/// SIGKILLs `pid` and every process descended from it (by parent pid, read from /proc),
/// each stopped first (SIGSTOP) so that none forks a child that escapes the walk; repeated
/// until no new descendant appears. A descendant that left the tree (daemonized: its
/// parent is init) is not reached.
/// @returns how many processes were sent SIGKILL. Never throws.
std::size_t kill_process_tree(pid_t pid) noexcept;

} // namespace reprise::manager

#endif
