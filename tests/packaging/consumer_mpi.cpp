// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
//
// The MPI program of the packaging tests: code outside reprise, built against the
// installed package with reprise::mpi (find_package_mpi/), run under mpirun -np 2. It
// uses reprise/mpi.hpp as a user's program would: every rank saves its own state in one
// coordinated save, a second Checkpointer restores it on every rank, and finish() removes
// everything.
//
// Usage: mpirun -np N consumer_mpi <checkpoint directory>   exit status 0 when all held

#include <reprise/mpi.hpp>

#include <mpi.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace {

// Files left in `directory` (0 when it does not exist).
std::size_t files_in(const std::string& directory) {
    std::error_code ec;
    std::size_t count = 0;
    for (std::filesystem::directory_iterator it(directory, ec), end; !ec && it != end;
         it.increment(ec))
        ++count;
    return count;
}

// Every rank's verdict, so that all exit alike: "" when all held, else the first failure.
std::string check(int rank, int size, const std::string& directory) {
    reprise::Options options;
    options.directory = directory;
    options.name = "consumer";
    const std::vector<double> saved{1.5 * rank, 2.5, 3.5};
    {  // the first run: computes, saves on every rank, and is "killed" before finishing
        int step = 42 + rank;
        std::vector<double> field = saved;
        options.restore = reprise::RestorePolicy::never;
        reprise::mpi::Checkpointer ckpt(MPI_COMM_WORLD, options);
        ckpt.track("step", step).track("field", field);
        if (ckpt.restore()) return "restore() loaded state on a fresh start";
        ckpt.save();
        if (ckpt.generation() != 1 || ckpt.size() != size || ckpt.rank() != rank)
            return "after save(): generation " + std::to_string(ckpt.generation()) + ", rank " +
                   std::to_string(ckpt.rank()) + " of " + std::to_string(ckpt.size());
        if (!std::filesystem::exists(ckpt.commit_record_path()))
            return "save() wrote no commit record " + ckpt.commit_record_path();
    }
    {  // the restarted run: every rank gets its own state back, completes, cleans up
        int step = 0;
        std::vector<double> field;
        options.restore = reprise::RestorePolicy::always;
        reprise::mpi::Checkpointer ckpt(MPI_COMM_WORLD, options);
        ckpt.track("step", step).track("field", field);
        if (!ckpt.restore()) return "restore() found no checkpoint after save()";
        if (step != 42 + rank || field != saved)
            return "restore() did not give back this rank's saved values";
        ckpt.finish();
    }
    MPI_Barrier(MPI_COMM_WORLD); // every rank's finish() is done before anyone looks
    if (files_in(directory) != 0) return "finish() left files behind";
    return std::string();
}

}  // namespace

int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int status = 0;
    if (argc != 2) {
        if (rank == 0) std::fprintf(stderr, "usage: consumer_mpi <checkpoint directory>\n");
        status = 2;
    } else {
        std::string failure;
        try {
            failure = check(rank, size, argv[1]);
        } catch (const std::exception& e) {
            failure = e.what(); // reprise's collectives throw on every rank alike
        }
        if (!failure.empty()) {
            std::fprintf(stderr, "consumer_mpi: rank %d: FAILED: %s\n", rank, failure.c_str());
            status = 1;
        }
        int worst = status;
        MPI_Allreduce(&status, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        if (rank == 0 && worst == 0)
            std::printf("consumer_mpi: reprise %d.%d.%d saved, restored and finished on %d ranks in %s\n",
                        REPRISE_VERSION_MAJOR, REPRISE_VERSION_MINOR, REPRISE_VERSION_PATCH, size,
                        argv[1]);
        status = worst;
    }
    MPI_Finalize();
    return status;
}
