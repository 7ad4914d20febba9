// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_JOB_HPP
#define REPRISE_DETAIL_JOB_HPP

// Which job this process is, and whether the scheduler says it is a restart.

#include "reprise/detail/naming.hpp"
#include "reprise/detail/parse.hpp"

#include <climits>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include <unistd.h>

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
    // "local" by hand (naming.hpp, job_key()). Not yet escaped: see file_safe().
    std::string key() const { return job_key(scheduler, id, task, named); }
};

// Every variable through which a scheduler tells job_from_environment() which job this is
// and whether it is a restart, in the order it reads them. The one list: a test clears
// them to run as by hand, the job manager clears them so that only REPRISE_JOB names the
// job of the program it runs.
inline constexpr const char* kSchedulerVariables[] = {
    "SLURM_JOB_ID", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID", "SLURM_RESTART_COUNT",
    "JOB_ID", "SGE_TASK_ID", "RESTARTED",
    "PBS_JOBID", "PBS_ARRAYID", "PBS_ARRAY_INDEX",
    "LSB_JOBID", "LSB_JOBINDEX", "LSB_RESTART"};

// This host's name, as lock files, checkpoint headers and the job manager's records give
// it: "unknown-host" when the system has none to give.
inline std::string host_name() {
    char buffer[HOST_NAME_MAX + 1] = {0};
    if (::gethostname(buffer, sizeof buffer - 1) != 0 || buffer[0] == '\0') return "unknown-host";
    return buffer;
}

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
        job.scheduler = std::string(kSlurm);
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
        job.scheduler = std::string(kGridEngine);
        job.id = sge;
        if (const auto task = environment_value("SGE_TASK_ID"); task && *task != "undefined")
            job.task = job_number("SGE_TASK_ID");
        // 0 in a first run, 1 after a rescheduling (qmod -rj, exit 99), 2 after a migration.
        job.restart_known = true;
        job.restart_reason = "RESTARTED unset";
        read_restart_count(job, "RESTARTED");
    } else if (const auto pbs = environment_value("PBS_JOBID")) {
        job.scheduler = std::string(kPbs);
        job.id = check_identifier("PBS_JOBID", *pbs); // "9.server", "9[2].server"
        job.task = job_number("PBS_ARRAYID"); // Torque
        if (job.task.empty()) job.task = job_number("PBS_ARRAY_INDEX"); // PBS Pro
        job.restart_reason = "PBS sets no restart flag";
    } else if (const std::string lsf = job_number("LSB_JOBID"); !lsf.empty()) {
        job.scheduler = std::string(kLsf);
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

} // namespace reprise::detail

#endif
