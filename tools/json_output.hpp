// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_TOOLS_JSON_OUTPUT_HPP
#define REPRISE_TOOLS_JSON_OUTPUT_HPP

// `--json` of `list`, `info` and `inspect`: the documents scripts read. Their schema is
// docs/manager.md, "Scripting"; kJsonSchema is its version, in every document. A field is
// never renamed nor its type changed without a new schema number; new fields may appear.

#include "registry.hpp"

#include "reprise/inspect.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace reprise::manager {

/// The version of the documents `--json` prints ("schema": 1).
inline constexpr int kJsonSchema = 1;

/// What commands.cpp observed of one job, as `info` shows it.
struct JobSummary {
    const Job* job = nullptr;
    std::string state;                   ///< running, stopped, finished, failed, dead, unknown
    std::string status;                  ///< as `list` shows it
    bool restartable = false;
    bool running = false;                ///< pids are shown only then
    std::vector<Generation> generations; ///< oldest first
    std::string checkpoint_dir;
    std::string output;                  ///< the log of a detached run; "" for the terminal
    std::string launcher;                ///< an MPI job's launcher ("mpirun", "srun"); "" otherwise
    unsigned ranks = 0;                  ///< an MPI job's ranks, when known (launcher.hpp)
};

/// A job object of the schema.
nlohmann::json job_json(const JobSummary& summary);

/// A checkpoint object of the schema: `c` as read_checkpoint() found the file.
nlohmann::json checkpoint_json(const inspect::Checkpoint& c, std::uint64_t file_size);

/// A commit record object of the schema: `c` as read_commit() found the file. "valid" is
/// true when the record is intact and binds every rank's file (the generation restores).
nlohmann::json commit_json(const inspect::Commit& c);

/// A document: {"schema": kJsonSchema} and `fields`.
nlohmann::json document(nlohmann::json fields);

/// Prints `document` on stdout, indented, one trailing newline. Bytes that are not UTF-8
/// (a host name in a foreign checkpoint, say) are replaced by U+FFFD, never an error.
void print_json(const nlohmann::json& document);

} // namespace reprise::manager

#endif
