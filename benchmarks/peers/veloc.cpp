// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// VeloC (github.com/ECP-VeloC/VELOC, veloc-1.8) in the side-by-side benchmark: the same
// doubles registered with VELOC_Mem_protect and checkpointed C times in sync mode (the
// client does the work before VELOC_Checkpoint returns; no backend process).
//   --variant durable   scratch file, then copied by AXL (AXL_XFER_SYNC) to persistent
//   --variant fast      scratch file only: persistent storage configured, but with a
//                       persistent_interval of a year, so that no checkpoint of the run
//                       is copied there (with no persistent storage at all, veloc-1.8's
//                       VELOC_Restart fails: every module ignores the RESTART command)
// The restoring run (a new process) calls VELOC_Restart_test and VELOC_Restart; VeloC
// reads the scratch copy when it exists, as on a restart on the same node.
// Run with mpirun -np 1 by run.sh; see driver.hpp.

#include "driver.hpp"

#include <mpi.h>
#include <veloc.h>

#include <sys/stat.h>

#include <fstream>
#include <memory>

namespace {

void write_config(const std::string& path, const std::string& dir, bool durable) {
    ::mkdir((dir + "/scratch").c_str(), 0755);
    std::ofstream f(path);
    ::mkdir((dir + "/persistent").c_str(), 0755);
    f << "scratch = " << dir << "/scratch\nmode = sync\nscratch_versions = 2\nec_interval = -1\n"
      << "persistent = " << dir << "/persistent\naxl_type = AXL_XFER_SYNC\n"
      << (durable ? "max_versions = 2\n" : "persistent_interval = 31536000\n");
    if (!f.flush()) {
        std::fprintf(stderr, "veloc driver: cannot write %s\n", path.c_str());
        std::exit(1);
    }
}

} // namespace

int main(int argc, char** argv) {
    const peers::Args a = peers::parse(argc, argv);
    if (a.variant != "durable" && a.variant != "fast") peers::usage(argv[0], "--variant durable|fast");
    MPI_Init(&argc, &argv);
    const std::string config = a.dir + "/veloc.cfg";
    std::unique_ptr<double[]> data(new double[a.count]);
    if (a.save) {
        write_config(config, a.dir, a.variant == "durable");
        if (VELOC_Init(MPI_COMM_WORLD, config.c_str()) != VELOC_SUCCESS) return std::fprintf(stderr, "VELOC_Init failed\n"), 1;
        VELOC_Mem_protect(0, data.get(), a.count, sizeof(double));
        for (int k = 1; k <= a.checkpoints; ++k) {
            peers::fill(data.get(), a.count, k, a.seed);
            const double t0 = peers::now();
            if (VELOC_Checkpoint("peers", k) != VELOC_SUCCESS) return std::fprintf(stderr, "VELOC_Checkpoint failed\n"), 1;
            peers::report_save(k, peers::now() - t0);
        }
        VELOC_Finalize(0); // keep the checkpoints for the restore
        MPI_Finalize();
        return 0;
    }
    const double t0 = peers::now();
    if (VELOC_Init(MPI_COMM_WORLD, config.c_str()) != VELOC_SUCCESS) return std::fprintf(stderr, "VELOC_Init failed\n"), 1;
    VELOC_Mem_protect(0, data.get(), a.count, sizeof(double));
    const int version = VELOC_Restart_test("peers", 0);
    const bool recovered = version == a.checkpoints && VELOC_Restart("peers", version) == VELOC_SUCCESS;
    const double seconds = peers::now() - t0;
    peers::report_restore(seconds, recovered && peers::check(data.get(), a.count, a.checkpoints, a.seed));
    VELOC_Finalize(1);
    MPI_Finalize();
    return 0;
}
