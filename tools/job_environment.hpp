// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_TOOLS_JOB_ENVIRONMENT_HPP
#define REPRISE_TOOLS_JOB_ENVIRONMENT_HPP

// The environment a job's record keeps: what `start` records and `restart` replays. Only
// an allow-list is recorded without being asked for (variables that steer the computation:
// reprise's, OpenMP's, the MPI libraries' and their transports'), plus the variables the
// user names with `--env`, so that no secret of the caller's environment lands in a record
// unless the user put it there.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace reprise::manager {

using Environment = std::vector<std::pair<std::string, std::string>>;

/// A POSIX variable name: letters, digits and '_', not first a digit, at most 255 bytes.
bool is_environment_name(std::string_view name);

/// Variables the manager sets for the program itself (REPRISE_DIR, REPRISE_JOB, ...), the
/// registry's location (REPRISE_HOME) and the schedulers' identities, which it removes:
/// never recorded, refused by `--env`.
bool is_manager_variable(std::string_view name);

/// Recorded by default: the name starts with one of kRecordedPrefixes.
bool is_allow_listed(std::string_view name);

/// The prefixes recorded by default, for messages and help: "REPRISE_*, OMP_*, ...".
std::string allow_list_text();

/// What `start` records: the allow-listed variables of this process's environment, then
/// each `--env` spec: NAME (its value here; an error when unset) or NAME=VALUE (that value,
/// which also replaces NAME's value here for the program). A later spec of a name wins.
/// Values that are not UTF-8 cannot be stored in JSON: an allow-listed one is left out with
/// a warning on stderr, an `--env` one is an error.
/// @throws CommandError(usage) naming the spec.
Environment environment_to_record(const std::vector<std::string>& specs);

/// `base` ("NAME=value" entries) with every recorded variable set to its recorded value:
/// a recorded variable wins over the same name in `base`.
std::vector<std::string> overlay(std::vector<std::string> base, const Environment& recorded);

} // namespace reprise::manager

#endif
