// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_ERROR_HPP
#define REPRISE_ERROR_HPP

#include <stdexcept>
#include <string>

namespace reprise {

/// What went wrong, for a caller that handles some failures and not others. The message
/// (`what()`) says it in words; the kind is for code.
enum class ErrorKind {
    /// The program used the API as it may not (a duplicate name, `track()` after
    /// `restore()`, a second live Checkpointer, `save()` after `finish()` or in a child
    /// made by fork()).
    usage,
    /// A value from the environment, the options or the command line that is not
    /// understood or out of range, or names that make file names too long.
    configuration,
    /// A system call failed (creating, writing, syncing, renaming, reading a file).
    io,
    /// Another live process holds this job (its lock), or its lock file was replaced.
    lock_held,
    /// The checkpoints on disk cannot be used: none is valid, or a stray file claims the
    /// last generation number.
    corrupt,
    /// A valid checkpoint of another computation: its variables, their types or its run
    /// parameters differ from the program's (MPI: another number of ranks, or ranks that
    /// disagree on their name, directory or job).
    mismatch,
};

/// The one exception reprise throws. Messages start with `reprise:` and name the
/// operation, the path and the system error where there is one.
class Error : public std::runtime_error {
public:
    /// `what` is prefixed with `reprise: ` unless it already starts with it.
    explicit Error(const std::string& what, ErrorKind kind = ErrorKind::usage)
        : std::runtime_error(what.rfind("reprise:", 0) == 0 ? what : "reprise: " + what),
          kind_(kind) {}

    /// What went wrong, for code: `catch (const reprise::Error& e) { if (e.kind() ==
    /// reprise::ErrorKind::lock_held) ... }`.
    ErrorKind kind() const noexcept { return kind_; }

private:
    ErrorKind kind_;
};

/// The kind's name, as in `ErrorKind` ("lock_held"), for logs and tools.
inline const char* to_string(ErrorKind kind) noexcept {
    switch (kind) {
    case ErrorKind::usage: return "usage";
    case ErrorKind::configuration: return "configuration";
    case ErrorKind::io: return "io";
    case ErrorKind::lock_held: return "lock_held";
    case ErrorKind::corrupt: return "corrupt";
    case ErrorKind::mismatch: return "mismatch";
    }
    return "unknown";
}

} // namespace reprise

#endif
