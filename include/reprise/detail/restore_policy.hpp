// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_RESTORE_POLICY_HPP
#define REPRISE_DETAIL_RESTORE_POLICY_HPP

// Whether a run restores its job's checkpoint (docs/schedulers.md, "The restore policy"),
// and how messages tell a person to do otherwise. One rule for every layer: the
// MPI layer asks the same question (on rank 0).

#include "reprise/detail/job.hpp"
#include "reprise/options.hpp"

#include <string>

namespace reprise::detail {

// The restore policy's answer, `exists` saying whether a checkpoint of this job exists:
// a scheduler's restart flag decides where there is one; without one (by hand, PBS, a
// job named by REPRISE_JOB) the existence of a checkpoint does.
inline bool restore_wanted(RestorePolicy policy, const JobIdentity& job, bool exists) noexcept {
    switch (policy) {
    case RestorePolicy::never: return false;
    case RestorePolicy::always: return true;
    case RestorePolicy::automatic: break;
    }
    return job.restart_known ? job.restart : exists;
}

// Run by hand: no scheduler, no REPRISE_JOB.
inline bool run_by_hand(const JobIdentity& job) noexcept {
    return job.scheduler.empty() && !job.named;
}

// How a person resumes the checkpoints a fresh start found, for its messages.
inline std::string how_to_resume(RestorePolicy policy, const JobIdentity& job) {
    if (policy == RestorePolicy::never) return "without REPRISE_RESTORE=never a rerun resumes them";
    if (run_by_hand(job)) return "a rerun without RESTARTED=0 resumes them";
    return "REPRISE_RESTORE=always resumes them; REPRISE_JOB names a chain of jobs";
}

// How a person starts afresh instead of the restore that the policy chose without a
// restart flag ("" when a flag decided), for the restore's line.
inline std::string how_to_start_afresh(RestorePolicy policy, const JobIdentity& job) {
    if (job.restart_known || policy != RestorePolicy::automatic) return std::string();
    return run_by_hand(job) ? "; RESTARTED=0 starts afresh" : "; REPRISE_RESTORE=never starts afresh";
}

// Why a run starts fresh although checkpoints of its job exist, for the warning.
inline std::string why_fresh(RestorePolicy policy, const JobIdentity& job) {
    return policy == RestorePolicy::never ? std::string("REPRISE_RESTORE=never") : job.restart_reason;
}

} // namespace reprise::detail

#endif
