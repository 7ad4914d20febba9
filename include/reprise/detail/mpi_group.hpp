// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_MPI_GROUP_HPP
#define REPRISE_DETAIL_MPI_GROUP_HPP

// The ranks of a communicator acting as one (reprise/mpi.hpp): a step that may fail on
// some ranks is agreed upon, so that it fails on every rank with the first failing rank's
// message and Error kind, and no rank throws while the others wait in a collective.

#include "reprise/error.hpp"

#include <mpi.h>

#include <exception>
#include <string>

namespace reprise::detail {

class RankGroup {
public:
    RankGroup() = default;
    RankGroup(const RankGroup&) = delete;
    RankGroup& operator=(const RankGroup&) = delete;

    // Collective over `comm`: works on a duplicate, so that reprise's messages never meet
    // the program's.
    void open(MPI_Comm comm) {
        MPI_Comm_dup(comm, &comm_);
        MPI_Comm_rank(comm_, &rank_);
        MPI_Comm_size(comm_, &size_);
    }

    // Frees the duplicate (MPI must not be finalized yet).
    void close() noexcept {
        if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
    }

    MPI_Comm comm() const noexcept { return comm_; }
    int rank() const noexcept { return rank_; }
    int size() const noexcept { return size_; }

    // This rank's failure, for the next agree_on_failure() to send: its kind (an Error's
    // own; anything else, bad_alloc or an exception of MPI or the standard library, is io).
    void note(const std::exception& e) const noexcept {
        const auto* error = dynamic_cast<const Error*>(&e);
        mine_ = error ? error->kind() : ErrorKind::io;
    }
    void note(ErrorKind kind) const noexcept { mine_ = kind; }

    // Collective: every rank learns whether all succeeded and, when not, the message of
    // the first rank that failed (its kind in failure_kind()), with that rank named for
    // the others. "" when all succeeded.
    std::string agree_on_failure(bool ok, const std::string& mine) const {
        int first = ok ? size_ : rank_;
        MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, comm_);
        if (first == size_) return std::string();
        std::string message = rank_ == first ? mine : std::string();
        broadcast(message, first);
        int kind = static_cast<int>(mine_);
        MPI_Bcast(&kind, 1, MPI_INT, first, comm_);
        agreed_ = static_cast<ErrorKind>(kind);
        if (message.empty()) message = "reprise: a failure";
        if (rank_ != first)
            message += " (on rank " + std::to_string(first) + " of " + std::to_string(size_) + ")";
        return message;
    }

    // The kind of the failure the ranks last agreed on.
    ErrorKind failure_kind() const noexcept { return agreed_; }

    // Collective: `s` as rank `root` has it, on every rank.
    void broadcast(std::string& s, int root) const {
        unsigned long long n = s.size();
        MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, root, comm_);
        s.resize(static_cast<std::size_t>(n));
        if (n) MPI_Bcast(&s[0], static_cast<int>(n), MPI_CHAR, root, comm_);
    }

private:
    MPI_Comm comm_ = MPI_COMM_NULL;
    int rank_ = 0;
    int size_ = 1;
    // Bookkeeping of the agreement, not state: the const collectives note and agree.
    mutable ErrorKind mine_ = ErrorKind::usage;
    mutable ErrorKind agreed_ = ErrorKind::usage;
};

} // namespace reprise::detail

#endif
