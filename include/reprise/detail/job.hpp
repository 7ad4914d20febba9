// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_JOB_HPP
#define REPRISE_DETAIL_JOB_HPP

// Which job this process is, and whether the scheduler says it is a restart.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace reprise::detail {

struct JobIdentity {
    std::string scheduler;  // "slurm", "sge", "pbs", "lsf"; empty: run by hand
    std::string id;         // the scheduler's job id
    std::string task;       // array task index; empty outside arrays
    bool restart = false;   // the scheduler (or RESTARTED=1 by hand) says: a restart
    bool restart_known = true; // false under PBS, which has no restart flag
    std::string restart_reason; // e.g. "RESTARTED=1", for messages

    // "slurm-123_4", "sge-77.3", "pbs-9.server", "lsf-5.2"... or "local" by hand.
    // Not yet escaped: see file_safe().
    std::string key() const {
        if (scheduler.empty()) return "local";
        std::string k = scheduler + "-" + id;
        if (!task.empty()) k += (scheduler == "slurm" ? "_" : ".") + task;
        return k;
    }
};

inline std::string getenv_string(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

// A non-negative decimal integer, or -1.
inline long long parse_count(const std::string& s) {
    if (s.empty() || s.size() > 18) return -1;
    long long v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return -1;
        v = v * 10 + (c - '0');
    }
    return v;
}

// The first scheduler, in the order Slurm, Grid Engine, PBS, LSF, whose job-id variable
// is set names the job (README.md, "Job identity").
inline JobIdentity job_from_environment() {
    JobIdentity job;
    if (const std::string slurm = getenv_string("SLURM_JOB_ID"); !slurm.empty()) {
        job.scheduler = "slurm";
        const std::string array_job = getenv_string("SLURM_ARRAY_JOB_ID");
        const std::string array_task = getenv_string("SLURM_ARRAY_TASK_ID");
        if (!array_job.empty() && !array_task.empty()) {
            job.id = array_job;
            job.task = array_task;
        } else {
            job.id = slurm;
        }
        const std::string count = getenv_string("SLURM_RESTART_COUNT");
        job.restart = parse_count(count) > 0;
        job.restart_reason = "SLURM_RESTART_COUNT=" + count;
    } else if (const std::string sge = getenv_string("JOB_ID"); !sge.empty()) {
        job.scheduler = "sge";
        job.id = sge;
        const std::string task = getenv_string("SGE_TASK_ID");
        if (task != "undefined") job.task = task;
        // 1 after a rescheduling (qmod -rj, exit 99), 2 after a checkpoint migration.
        const std::string restarted = getenv_string("RESTARTED");
        job.restart = parse_count(restarted) > 0;
        job.restart_reason = "RESTARTED=" + restarted;
    } else if (const std::string pbs = getenv_string("PBS_JOBID"); !pbs.empty()) {
        job.scheduler = "pbs";
        job.id = pbs;
        job.task = getenv_string("PBS_ARRAYID"); // Torque
        if (job.task.empty()) job.task = getenv_string("PBS_ARRAY_INDEX"); // PBS Pro
        job.restart_known = false;
    } else if (const std::string lsf = getenv_string("LSB_JOBID"); !lsf.empty()) {
        job.scheduler = "lsf";
        job.id = lsf;
        const std::string index = getenv_string("LSB_JOBINDEX");
        if (!index.empty() && index != "0") job.task = index;
        const std::string restart = getenv_string("LSB_RESTART");
        job.restart = restart == "Y";
        job.restart_reason = "LSB_RESTART=" + restart;
    } else {
        const std::string restarted = getenv_string("RESTARTED");
        job.restart = parse_count(restarted) > 0;
        job.restart_reason = "RESTARTED=" + restarted;
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

// "<stem>.<generation, 10 digits><suffix>": how checkpoint files (".ckpt") and MPI commit
// records (".commit") are numbered, so that names sort as generations do.
inline std::string numbered_name(const std::string& stem, std::uint64_t generation,
                                 const std::string& suffix) {
    char digits[32];
    std::snprintf(digits, sizeof digits, "%010llu", static_cast<unsigned long long>(generation));
    return stem + "." + digits + suffix;
}

// The generation in "<stem>.<digits><suffix>" (numbered_name), or 0 for any other name.
inline std::uint64_t generation_in_name(const std::string& name, const std::string& stem,
                                        const std::string& suffix) {
    if (name.size() <= stem.size() + 1 + suffix.size() || name.compare(0, stem.size(), stem) != 0 ||
        name[stem.size()] != '.' ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
        return 0;
    const long long g =
        parse_count(name.substr(stem.size() + 1, name.size() - stem.size() - 1 - suffix.size()));
    return g > 0 ? static_cast<std::uint64_t>(g) : 0;
}

} // namespace reprise::detail

#endif
