// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

#include "job_environment.hpp"

#include "exit_status.hpp"

#include "reprise/detail/job.hpp"
#include "reprise/detail/log.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <iterator>

extern char** environ;

namespace reprise::manager {

namespace {

// What steers a computation: reprise itself, OpenMP (and the Intel and GNU runtimes), the
// MPI libraries (Open MPI, PMIx, Intel MPI, MPICH, MVAPICH) and their transports (UCX,
// libfabric).
constexpr const char* kRecordedPrefixes[] = {"REPRISE_", "OMP_",   "KMP_",  "GOMP_",  "OMPI_", "PMIX_",
                                             "I_MPI_",   "MPICH_", "MV2_",  "UCX_",   "FI_"};

// Set by the manager for each run (commands.cpp, job_environment()) or naming the registry.
constexpr const char* kManagerVariables[] = {"REPRISE_DIR",      "REPRISE_NAME",    "REPRISE_JOB",
                                             "REPRISE_INTERVAL", "REPRISE_RESTORE", "REPRISE_HOME"};

bool is_utf8(const std::string& text) {
    try {
        (void)nlohmann::json(text).dump();
        return true;
    } catch (const nlohmann::json::exception&) {
        return false;
    }
}

void set(Environment& env, const std::string& name, const std::string& value) {
    const auto it = std::find_if(env.begin(), env.end(), [&](const auto& e) { return e.first == name; });
    if (it != env.end())
        it->second = value;
    else
        env.emplace_back(name, value);
}

} // namespace

bool is_environment_name(std::string_view name) {
    if (name.empty() || name.size() > 255 || (name[0] >= '0' && name[0] <= '9')) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

bool is_manager_variable(std::string_view name) {
    for (const char* v : kManagerVariables)
        if (name == v) return true;
    for (const char* v : detail::kSchedulerVariables)
        if (name == v) return true;
    return false;
}

bool is_allow_listed(std::string_view name) {
    for (const char* prefix : kRecordedPrefixes)
        if (name.substr(0, std::string_view(prefix).size()) == prefix) return true;
    return false;
}

std::string allow_list_text() {
    std::string out;
    for (const char* prefix : kRecordedPrefixes) out += (out.empty() ? "" : ", ") + std::string(prefix) + "*";
    return out;
}

Environment environment_to_record(const std::vector<std::string>& specs) {
    Environment env;
    for (char** e = environ; *e; ++e) {
        const std::string entry(*e);
        const auto equals = entry.find('=');
        if (equals == std::string::npos) continue;
        const std::string name = entry.substr(0, equals);
        if (!is_allow_listed(name) || is_manager_variable(name) || !is_environment_name(name)) continue;
        const std::string value = entry.substr(equals + 1);
        if (!is_utf8(value)) {
            detail::log_line("reprise start: warning: " + name + " is not recorded: its value is not UTF-8 "
                             "(a JSON record cannot hold it); a restart runs with the value it then finds");
            continue;
        }
        set(env, name, value);
    }
    for (const std::string& spec : specs) {
        const auto equals = spec.find('=');
        const std::string name = spec.substr(0, equals);
        if (!is_environment_name(name))
            throw CommandError(ExitStatus::usage,
                               "reprise: start: --env='" + spec + "': expected NAME or NAME=VALUE, NAME a "
                               "variable name (letters, digits, '_', not first a digit)");
        if (is_manager_variable(name))
            throw CommandError(ExitStatus::usage,
                               "reprise: start: --env='" + spec + "': " + name +
                                   " is the manager's to set for each run (see --dir for REPRISE_DIR)");
        std::string value;
        if (equals == std::string::npos) {
            const char* here = std::getenv(name.c_str());
            if (!here)
                throw CommandError(ExitStatus::usage, "reprise: start: --env='" + spec + "': " + name +
                                                          " is not set here; give --env " + name + "=VALUE");
            value = here;
        } else {
            value = spec.substr(equals + 1);
        }
        if (!is_utf8(value))
            throw CommandError(ExitStatus::usage,
                               "reprise: start: --env " + name + ": its value is not UTF-8 (a JSON record cannot hold it)");
        set(env, name, value);
    }
    return env;
}

std::vector<std::string> overlay(std::vector<std::string> base, const Environment& recorded) {
    base.erase(std::remove_if(base.begin(), base.end(),
                              [&](const std::string& entry) {
                                  const std::string name = entry.substr(0, entry.find('='));
                                  return std::any_of(recorded.begin(), recorded.end(),
                                                     [&](const auto& r) { return r.first == name; });
                              }),
               base.end());
    for (const auto& [name, value] : recorded) base.push_back(name + "=" + value);
    return base;
}

} // namespace reprise::manager
