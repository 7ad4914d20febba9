// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

#include "json_output.hpp"

#include "process.hpp"

#include <iostream>

namespace reprise::manager {

namespace {

nlohmann::json generation_json(const Generation& g) {
    return {{"number", g.number}, {"path", g.path}, {"size", g.size}, {"mtime", g.mtime},
            {"ranks", g.ranks > 0 ? nlohmann::json(g.ranks) : nlohmann::json(nullptr)}};
}

template <class T>
nlohmann::json or_null(bool present, const T& value) {
    return present ? nlohmann::json(value) : nlohmann::json(nullptr);
}

} // namespace

nlohmann::json job_json(const JobSummary& s) {
    const Job& job = *s.job;
    const Run& run = job.run;
    const bool ended = run.state == "ended";
    nlohmann::json generations = nlohmann::json::array();
    for (const Generation& g : s.generations) generations.push_back(generation_json(g));
    nlohmann::json environment = nlohmann::json::object();
    for (const auto& [name, value] : job.environment) environment[name] = value;
    return {
        {"id", job.id},
        {"name", job.name},
        {"host", run.host},
        {"state", s.state},
        {"status", s.status},
        {"restartable", s.restartable},
        {"command", job.command},
        {"cwd", job.cwd},
        {"created", job.created},
        {"started", run.started},
        {"ended", or_null(ended && run.ended > 0, run.ended)},
        {"pid", or_null(s.running && run.pid > 0, run.pid)},
        {"supervisor_pid", or_null(s.running && run.supervisor_pid > 0, run.supervisor_pid)},
        {"exit_status", or_null(ended && run.exit_status >= 0, run.exit_status)},
        {"signal", or_null(ended && run.signal > 0, signal_name(run.signal))},
        {"every", job.every},
        {"restarts", job.restarts},
        {"detached", run.detached},
        {"output", or_null(!s.output.empty(), s.output)},
        {"checkpoint_dir", s.checkpoint_dir},
        {"environment", environment},
        {"mpi", s.launcher.empty() ? nlohmann::json(nullptr)
                                   : nlohmann::json{{"launcher", s.launcher},
                                                    {"ranks", or_null(s.ranks > 0, s.ranks)}}},
        {"generations", generations},
        {"last_checkpoint", s.generations.empty() ? nlohmann::json(nullptr) : generation_json(s.generations.back())},
    };
}

nlohmann::json checkpoint_json(const inspect::Checkpoint& c, std::uint64_t file_size) {
    nlohmann::json out = {{"kind", "checkpoint"}, {"path", c.path}, {"size", file_size}, {"valid", c.valid},
                          {"why", or_null(!c.valid, c.why)}};
    if (!c.valid) return out;
    nlohmann::json variables = nlohmann::json::array();
    for (const auto& v : c.variables)
        variables.push_back({{"name", v.name}, {"type", or_null(!v.type.empty(), v.type)}, {"size", v.size}});
    nlohmann::json parameters = nlohmann::json::array();
    for (const auto& p : c.parameters)
        parameters.push_back({{"name", p.name}, {"kind", p.kind}, {"value", p.value}});
    out.update({{"format_version", c.format_version},
                {"generation", c.generation},
                {"saved_at_ns", c.time_ns},
                {"pid", c.pid},
                {"host", c.host},
                {"job_key", c.job_key},
                {"name", c.name},
                {"scheduler", or_null(!c.scheduler.empty(), c.scheduler)},
                {"payload_offset", c.payload_offset},
                {"payload_size", c.payload_size},
                {"payload_stored", or_null(c.payload_stored != 0, c.payload_stored)},
                {"variables", variables},
                {"parameters", parameters}});
    return out;
}

nlohmann::json commit_json(const inspect::Commit& c) {
    const bool restorable = c.bound();
    std::string why = c.why;
    if (c.valid && !restorable) {
        why = "not every rank's file is the one the record committed";
        for (const auto& f : c.files)
            if (!f.bound) {
                why += ": rank " + std::to_string(f.rank) + ": " + f.why;
                break;
            }
    }
    nlohmann::json out = {{"kind", "commit_record"}, {"path", c.path}, {"size", c.file_size},
                          {"valid", restorable}, {"why", or_null(!restorable, why)}};
    if (!c.valid) return out;
    nlohmann::json files = nlohmann::json::array();
    for (const auto& f : c.files)
        files.push_back({{"rank", f.rank}, {"path", f.path}, {"size", f.size}, {"bound", f.bound},
                         {"why", or_null(!f.bound, f.why)}});
    out.update({{"generation", c.generation},
                {"job_key", c.job_key},
                {"name", c.name},
                {"ranks", c.ranks},
                {"total_size", c.total_size()},
                {"files", files}});
    return out;
}

nlohmann::json document(nlohmann::json fields) {
    nlohmann::json out = {{"schema", kJsonSchema}};
    out.update(fields);
    return out;
}

void print_json(const nlohmann::json& doc) {
    std::cout << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

} // namespace reprise::manager
