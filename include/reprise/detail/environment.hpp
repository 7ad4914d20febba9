// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_ENVIRONMENT_HPP
#define REPRISE_DETAIL_ENVIRONMENT_HPP

// REPRISE_* variables override the fields of Options: a job script steers a program
// without recompiling it. A value that cannot be understood is an error, not a guess.

#include "reprise/detail/compress.hpp"
#include "reprise/detail/job.hpp"
#include "reprise/detail/parse.hpp"
#include "reprise/error.hpp"
#include "reprise/options.hpp"

#include <cstdint>
#include <string>

namespace reprise::detail {

// The largest REPRISE_PERSIST_EVERY: a million saves between two copies is already no
// second tier at all; a larger number is a typo.
inline constexpr std::uint64_t kMaxPersistEvery = 1000000;

inline void apply_environment(Options& o) {
    if (auto v = environment_value("REPRISE_COMPRESS")) {
        parse_compression("REPRISE_COMPRESS", *v); // an error names the variable
        o.compress = *v;
    }
    if (auto v = environment_value("REPRISE_PERSIST_DIR")) o.persist_directory = *v;
    if (auto v = environment_value("REPRISE_PERSIST_EVERY"))
        o.persist_every = static_cast<unsigned>(
            parse_unsigned("REPRISE_PERSIST_EVERY", *v, 1, kMaxPersistEvery));
    if (auto v = environment_value("REPRISE_DIR")) o.directory = *v;
    if (auto v = environment_value("REPRISE_NAME")) o.name = check_identifier("REPRISE_NAME", *v);
    if (auto v = environment_value("REPRISE_JOB")) o.job = check_identifier("REPRISE_JOB", *v);
    if (auto v = environment_value("REPRISE_INTERVAL"))
        o.interval = parse_duration("REPRISE_INTERVAL", *v);
    if (auto v = environment_value("REPRISE_RESTORE"))
        o.restore = parse_choice<RestorePolicy>("REPRISE_RESTORE", *v,
                                                {{"auto", RestorePolicy::automatic},
                                                 {"always", RestorePolicy::always},
                                                 {"never", RestorePolicy::never}},
                                                "auto, always or never");
    if (auto v = environment_value("REPRISE_ON_STOP")) {
        constexpr const char* expected =
            "reraise, return, exit, exit:N (N from 0 to 255) or requeue";
        if (v->rfind("exit:", 0) == 0) {
            const std::optional<std::uint64_t> status = decimal(std::string_view(*v).substr(5));
            if (!status || *status > 255) bad_value("REPRISE_ON_STOP", *v, expected);
            o.on_stop = StopAction::exit;
            o.exit_status = static_cast<int>(*status);
        } else {
            o.on_stop = parse_choice<StopAction>("REPRISE_ON_STOP", *v,
                                                 {{"reraise", StopAction::reraise},
                                                  {"return", StopAction::return_to_caller},
                                                  {"exit", StopAction::exit},
                                                  {"requeue", StopAction::requeue}},
                                                 expected);
        }
    }
    if (auto v = environment_value("REPRISE_MODE"))
        o.mode = parse_choice<SaveMode>("REPRISE_MODE", *v,
                                        {{"sync", SaveMode::sync},
                                         {"background", SaveMode::background}},
                                        "sync or background");
    if (auto v = environment_value("REPRISE_LOG")) {
        enum class Level { quiet, normal, all };
        const Level level = parse_choice<Level>(
            "REPRISE_LOG", *v, {{"quiet", Level::quiet}, {"normal", Level::normal}, {"all", Level::all}},
            "quiet, normal or all");
        o.quiet = level == Level::quiet;
        o.log_every_rank = level == Level::all;
    }
    if (auto v = environment_value("REPRISE_SIGNALS"))
        o.handle_signals =
            parse_choice<bool>("REPRISE_SIGNALS", *v, {{"1", true}, {"0", false}}, "1 or 0");
}

// The fields a program set itself are held to the same ranges as the environment's.
inline void check_options(const Options& o) {
    if (!(o.interval >= 0 && o.interval <= kMaxDurationSeconds))
        throw Error("reprise: Options::interval=" + std::to_string(o.interval) +
                    ": expected seconds from 0 to " + std::to_string(kMaxDurationSeconds) +
                    " (0: no automatic saves)", ErrorKind::configuration);
    if (o.exit_status < 0 || o.exit_status > 255)
        throw Error("reprise: Options::exit_status=" + std::to_string(o.exit_status) +
                    ": expected 0 to 255", ErrorKind::configuration);
    if (o.directory.empty()) throw Error("reprise: Options::directory is empty",
                                         ErrorKind::configuration);
    if (o.persist_every < 1 || o.persist_every > kMaxPersistEvery)
        throw Error("reprise: Options::persist_every=" + std::to_string(o.persist_every) +
                    ": expected 1 to " + std::to_string(kMaxPersistEvery) +
                    " (1: every save is copied to the persistent tier)",
                    ErrorKind::configuration);
    parse_compression("Options::compress", o.compress);
    if (!o.name.empty()) check_identifier("Options::name", o.name);
    if (!o.job.empty()) check_identifier("Options::job", o.job);
}

} // namespace reprise::detail

#endif
