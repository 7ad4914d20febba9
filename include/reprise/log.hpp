// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_LOG_HPP
#define REPRISE_LOG_HPP

/// The lines reprise prints, for a program that routes them into its own logger
/// (`Options::log`). Every line kind, with examples: docs/logging.md.

#include <functional>
#include <string_view>

namespace reprise {

/// What a line of reprise's is about.
enum class LogKind {
    /// A save still running after about a second: what asked for it and how many bytes.
    saving,
    /// A slow save's progress, at most every few seconds until it ends.
    progress,
    /// A save is durable (under MPI: a generation committed on every rank).
    saved,
    /// A checkpoint was loaded.
    restored,
    /// `finish()` removed the job's checkpoints.
    finished,
    /// The process stops on a signal, after its save.
    stopping,
    /// Worth knowing, nothing wrong: a restart with nothing to restore, a mode not
    /// available under MPI.
    note,
    /// Something unexpected that reprise handled: an older generation restored, a file
    /// ignored, an earlier run's generations superseded.
    warning,
    /// A failure that no exception carries to the program: a save by `maybe_save()` that
    /// failed (the computation goes on), a file that could not be removed.
    error,
};

/// The name of a kind as docs/logging.md spells it: "saving", "progress", "saved", ...
inline const char* to_string(LogKind kind) noexcept {
    switch (kind) {
    case LogKind::saving: return "saving";
    case LogKind::progress: return "progress";
    case LogKind::saved: return "saved";
    case LogKind::restored: return "restored";
    case LogKind::finished: return "finished";
    case LogKind::stopping: return "stopping";
    case LogKind::note: return "note";
    case LogKind::warning: return "warning";
    case LogKind::error: return "error";
    }
    return "unknown";
}

/// One line of reprise's, as `Options::log` receives it.
struct LogLine {
    /// What it is about.
    LogKind kind;
    /// The text as it would appear on stderr, without the final newline: it begins with
    /// "reprise: " and may hold further lines (a list of rejected files), separated by
    /// '\n'. Valid only during the call: copy it to keep it.
    std::string_view text;
    /// The MPI rank that printed it (reprise/mpi.hpp); -1 outside MPI.
    int rank;
};

/// Receives every line reprise prints instead of stderr (`Options::log`). Called on the
/// thread that produced the line: the compute thread, or, in the background mode, the
/// writer thread (saving, progress, saved and a failed save's cleanup), or, with a
/// persistent tier (`Options::persist_directory`), its copier thread (a copy's saved line,
/// a failed copy's error, the cleanup of its older generation); never two calls
/// at once (reprise serializes them), never from a signal handler. It must not call into
/// the Checkpointer. An exception it throws is caught: that line goes to stderr, followed
/// by a warning naming the exception, and the computation goes on.
using LogCallback = std::function<void(const LogLine&)>;

} // namespace reprise

#endif
