// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_JOB_HPP
#define REPRISE_DETAIL_JOB_HPP

// Which job this process is, and whether the scheduler says it is a restart.

#include "reprise/detail/parse.hpp"

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace reprise::detail {

struct JobIdentity {
    std::string scheduler;  // "slurm", "sge", "pbs", "lsf"; empty: run by hand or named
    std::string id;         // the scheduler's job id, or the REPRISE_JOB name
    std::string task;       // array task index; empty outside arrays
    bool named = false;     // REPRISE_JOB (or Options::job) names the job
    // Whether the environment says this run is a restart. restart_known false: no flag to
    // read (by hand without RESTARTED, PBS) or a named job (REPRISE_JOB): the restore
    // policy then goes by whether a checkpoint of the job exists.
    bool restart = false;
    bool restart_known = false;
    std::string restart_reason; // e.g. "RESTARTED=1", for messages

    // "slurm-123_4", "sge-77.3", "pbs-9.server", "lsf-5.2", the REPRISE_JOB name, or
    // "local" by hand. Not yet escaped: see file_safe().
    // Under an array, a named job keeps the task index: each task its own chain.
    std::string key() const {
        if (scheduler.empty() && !named) return "local";
        std::string k = named ? id : scheduler + "-" + id;
        if (!task.empty()) k += (scheduler == "slurm" ? "_" : ".") + task;
        return k;
    }
};

inline std::string getenv_string(const char* name) {
    return environment_value(name).value_or(std::string());
}

// A job or array task number from the environment: digits only. Empty when unset.
inline std::string job_number(const char* name) {
    const std::optional<std::string> v = environment_value(name);
    if (!v) return std::string();
    parse_unsigned(name, *v);
    return *v;
}

// A restart counter (RESTARTED, SLURM_RESTART_COUNT): > 0 is a restart, 0 a first run.
inline void read_restart_count(JobIdentity& job, const char* name) {
    const std::optional<std::string> v = environment_value(name);
    if (!v) return;
    job.restart = parse_unsigned(name, *v, 0, 1000000) > 0;
    job.restart_known = true;
    job.restart_reason = std::string(name) + "=" + *v;
}

// The first scheduler, in the order Slurm, Grid Engine, PBS, LSF, whose job-id variable
// is set names the job (docs/schedulers.md, "The restore policy"), unless
// `named` (REPRISE_JOB, Options::job) does. Every variable read is parsed strictly: a
// value not understood is an Error naming it, never a guess.
inline JobIdentity job_from_environment(const std::string& named = std::string()) {
    JobIdentity job;
    if (const std::string slurm = job_number("SLURM_JOB_ID"); !slurm.empty()) {
        job.scheduler = "slurm";
        const std::string array_job = job_number("SLURM_ARRAY_JOB_ID");
        const std::string array_task = job_number("SLURM_ARRAY_TASK_ID");
        if (!array_job.empty() && !array_task.empty()) {
            job.id = array_job;
            job.task = array_task;
        } else {
            job.id = slurm;
        }
        job.restart_known = true; // Slurm sets no count in a first run
        job.restart_reason = "SLURM_RESTART_COUNT unset";
        read_restart_count(job, "SLURM_RESTART_COUNT");
    } else if (const std::string sge = job_number("JOB_ID"); !sge.empty()) {
        job.scheduler = "sge";
        job.id = sge;
        if (const auto task = environment_value("SGE_TASK_ID"); task && *task != "undefined")
            job.task = job_number("SGE_TASK_ID");
        // 0 in a first run, 1 after a rescheduling (qmod -rj, exit 99), 2 after a migration.
        job.restart_known = true;
        job.restart_reason = "RESTARTED unset";
        read_restart_count(job, "RESTARTED");
    } else if (const auto pbs = environment_value("PBS_JOBID")) {
        job.scheduler = "pbs";
        job.id = check_identifier("PBS_JOBID", *pbs); // "9.server", "9[2].server"
        job.task = job_number("PBS_ARRAYID"); // Torque
        if (job.task.empty()) job.task = job_number("PBS_ARRAY_INDEX"); // PBS Pro
        job.restart_reason = "PBS sets no restart flag";
    } else if (const std::string lsf = job_number("LSB_JOBID"); !lsf.empty()) {
        job.scheduler = "lsf";
        job.id = lsf;
        const std::string index = job_number("LSB_JOBINDEX");
        if (!index.empty() && index != "0") job.task = index;
        job.restart_known = true;
        job.restart_reason = "LSB_RESTART unset";
        if (const auto restart = environment_value("LSB_RESTART")) {
            job.restart = parse_choice<bool>("LSB_RESTART", *restart, {{"Y", true}, {"N", false}},
                                             "Y or N");
            job.restart_reason = "LSB_RESTART=" + *restart;
        }
    } else {
        job.restart_reason = "run by hand";
        read_restart_count(job, "RESTARTED");
    }
    if (!named.empty()) {
        // A chain of jobs (each with its own scheduler id) shares one checkpoint: the
        // scheduler's restart flag says nothing about the chain, the files on disk do.
        job.named = true;
        job.id = check_identifier("REPRISE_JOB", named);
        job.restart = false;
        job.restart_known = false;
        job.restart_reason = "REPRISE_JOB=" + named;
    }
    return job;
}

// Escapes every byte outside [A-Za-z0-9._-] as %XX, so that no name or job id, however
// hostile ("../../x", "a/b", a newline), can leave the checkpoint directory or hide a file.
inline std::string file_safe(const std::string& s) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (const char byte : s) {
        const auto c = static_cast<unsigned char>(byte);
        const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (plain) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    // "." and ".." are plain characters but name directories: escape the first dot.
    if (out == "." || out == "..") out.replace(0, 1, "%2E");
    return out;
}

// Generations are numbered 1 to kMaxGeneration and written with exactly 10 digits, so
// that names sort as generations do. The writer and the reader share this one rule: a
// name is a generation of ours only when numbered_name() gives it back character for
// character, so a stray "<stem>.000000000000000001.ckpt" is nobody's generation and can
// never push the numbering past what the directory scan sees.
inline constexpr std::uint64_t kMaxGeneration = 9999999999ull;

// "<stem>.<generation, 10 digits><suffix>": how checkpoint files (".ckpt") and MPI commit
// records (".commit") are numbered.
// @throws Error for a generation outside [1, kMaxGeneration].
inline std::string numbered_name(const std::string& stem, std::uint64_t generation,
                                 const std::string& suffix) {
    if (generation == 0 || generation > kMaxGeneration)
        throw Error("reprise: generation " + std::to_string(generation) + " of " + stem +
                    " is out of range (1 to " + std::to_string(kMaxGeneration) + ")");
    char digits[32];
    std::snprintf(digits, sizeof digits, "%010llu", static_cast<unsigned long long>(generation));
    return stem + "." + digits + suffix;
}

// The generation in "<stem>.<10 digits><suffix>" (numbered_name), or 0 for any other name.
inline std::uint64_t generation_in_name(const std::string& name, const std::string& stem,
                                        const std::string& suffix) {
    constexpr std::size_t kDigits = 10;
    if (name.size() != stem.size() + 1 + kDigits + suffix.size() ||
        name.compare(0, stem.size(), stem) != 0 || name[stem.size()] != '.' ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
        return 0;
    const std::optional<std::uint64_t> g =
        decimal(std::string_view(name).substr(stem.size() + 1, kDigits));
    return g && *g >= 1 && *g <= kMaxGeneration ? *g : 0;
}

} // namespace reprise::detail

#endif
