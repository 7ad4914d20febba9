// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_ENVIRONMENT_HPP
#define REPRISE_DETAIL_ENVIRONMENT_HPP

// REPRISE_* variables override the fields of Options: a job script steers a program
// without recompiling it. A value that cannot be understood is an error, not a guess.

#include "reprise/detail/job.hpp"
#include "reprise/error.hpp"
#include "reprise/options.hpp"

#include <cmath>
#include <cstdlib>
#include <string>

namespace reprise::detail {

[[noreturn]] inline void bad_variable(const char* name, const std::string& value,
                                      const char* expected) {
    throw Error("reprise: " + std::string(name) + "='" + value + "': expected " + expected);
}

inline void apply_environment(Options& o) {
    if (std::string v = getenv_string("REPRISE_DIR"); !v.empty()) o.directory = v;
    if (std::string v = getenv_string("REPRISE_NAME"); !v.empty()) o.name = v;
    if (std::string v = getenv_string("REPRISE_INTERVAL"); !v.empty()) {
        char* end = nullptr;
        const double seconds = std::strtod(v.c_str(), &end);
        if (end == v.c_str() || *end != '\0' || !std::isfinite(seconds) || seconds < 0)
            bad_variable("REPRISE_INTERVAL", v, "a number of seconds, 0 for none");
        o.interval = seconds;
    }
    if (std::string v = getenv_string("REPRISE_RESTORE"); !v.empty()) {
        if (v == "auto")
            o.restore = RestorePolicy::automatic;
        else if (v == "always")
            o.restore = RestorePolicy::always;
        else if (v == "never")
            o.restore = RestorePolicy::never;
        else
            bad_variable("REPRISE_RESTORE", v, "auto, always or never");
    }
    if (std::string v = getenv_string("REPRISE_ON_STOP"); !v.empty()) {
        if (v == "reraise") {
            o.on_stop = StopAction::reraise;
        } else if (v == "return") {
            o.on_stop = StopAction::return_to_caller;
        } else if (v == "exit") {
            o.on_stop = StopAction::exit;
        } else if (v.rfind("exit:", 0) == 0) {
            const long long status = parse_count(v.substr(5));
            if (status < 0 || status > 255)
                bad_variable("REPRISE_ON_STOP", v, "reraise, return, exit or exit:N (0-255)");
            o.on_stop = StopAction::exit;
            o.exit_status = static_cast<int>(status);
        } else {
            bad_variable("REPRISE_ON_STOP", v, "reraise, return, exit or exit:N (0-255)");
        }
    }
    if (std::string v = getenv_string("REPRISE_MODE"); !v.empty()) {
        if (v == "sync")
            o.mode = SaveMode::sync;
        else if (v == "background")
            o.mode = SaveMode::background;
        else
            bad_variable("REPRISE_MODE", v, "sync or background");
    }
    if (std::string v = getenv_string("REPRISE_LOG"); !v.empty()) {
        if (v == "quiet")
            o.quiet = true;
        else if (v == "normal")
            o.quiet = false;
        else
            bad_variable("REPRISE_LOG", v, "quiet or normal");
    }
    if (std::string v = getenv_string("REPRISE_SIGNALS"); !v.empty()) {
        if (v == "1")
            o.handle_signals = true;
        else if (v == "0")
            o.handle_signals = false;
        else
            bad_variable("REPRISE_SIGNALS", v, "1 or 0");
    }
}

} // namespace reprise::detail

#endif
