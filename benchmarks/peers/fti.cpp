// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// FTI (github.com/leobago/fti, v1.6) in the side-by-side benchmark: the same doubles
// protected with FTI_Protect and written as L1 checkpoints (the node-local level, POSIX
// I/O), C times. The saving run ends without FTI_Finalize, as a crash would, so that FTI
// keeps the last checkpoint and marks the configuration for recovery; the restoring run
// (a new process) calls FTI_Init, FTI_Protect and FTI_Recover, then FTI_Finalize, which
// removes the checkpoints. Run with mpirun -np 1 by run.sh; see driver.hpp.

#include "driver.hpp"

#include <fti.h>
#include <mpi.h>

#include <fstream>
#include <memory>

namespace {

// One rank, one node, L1 only, POSIX I/O (ckpt_io = 1), no head process, quiet. FTI
// rewrites [restart] itself: failure = 1 and exec_id after a run that did not finalize.
void write_config(const std::string& path, const std::string& dir) {
    std::ofstream f(path);
    f << "[basic]\nhead = 0\nnode_size = 1\n"
      << "ckpt_dir = " << dir << "/local\nglbl_dir = " << dir << "/global\nmeta_dir = " << dir << "/meta\n"
      << "ckpt_l1 = 1\nckpt_l2 = 0\nckpt_l3 = 0\nckpt_l4 = 0\n"
      << "inline_l2 = 1\ninline_l3 = 1\ninline_l4 = 1\nkeep_last_ckpt = 0\ngroup_size = 1\n"
      << "max_sync_intv = 0\nckpt_io = 1\nverbosity = 3\nenable_dcp = 0\ndcp_mode = 0\n"
      << "dcp_block_size = 4096\ndcp_stack_size = 10\n\n"
      << "[restart]\nfailure = 0\nexec_id = 2026-01-01_00-00-00\n\n"
      << "[injection]\nrank = 0\nnumber = 0\nposition = 0\nfrequency = 0\n\n"
      << "[advanced]\nblock_size = 1024\ntransfer_size = 16\nmpi_tag = 2612\nlocal_test = 1\n";
    if (!f.flush()) {
        std::fprintf(stderr, "fti driver: cannot write %s\n", path.c_str());
        std::exit(1);
    }
}

} // namespace

int main(int argc, char** argv) {
    const peers::Args a = peers::parse(argc, argv);
    if (a.count > 0x7fffffff) peers::usage(argv[0], "FTI_Protect counts elements in an int32_t");
    MPI_Init(&argc, &argv);
    const std::string config = a.dir + "/fti.cfg";
    std::unique_ptr<double[]> data(new double[a.count]);
    const auto count = static_cast<int32_t>(a.count);
    if (a.save) {
        write_config(config, a.dir);
        if (FTI_Init(config.c_str(), MPI_COMM_WORLD) != FTI_SCES) return std::fprintf(stderr, "FTI_Init failed\n"), 1;
        FTI_Protect(0, data.get(), count, FTI_DBLE);
        for (int k = 1; k <= a.checkpoints; ++k) {
            peers::fill(data.get(), a.count, k, a.seed);
            const double t0 = peers::now();
            if (FTI_Checkpoint(k, 1) != FTI_DONE) return std::fprintf(stderr, "FTI_Checkpoint failed\n"), 1;
            peers::report_save(k, peers::now() - t0);
        }
        MPI_Finalize(); // no FTI_Finalize: the checkpoint stays, as after a failure
        return 0;
    }
    const double t0 = peers::now();
    if (FTI_Init(config.c_str(), MPI_COMM_WORLD) != FTI_SCES) return std::fprintf(stderr, "FTI_Init failed\n"), 1;
    FTI_Protect(0, data.get(), count, FTI_DBLE);
    const bool recovered = FTI_Status() != 0 && FTI_Recover() == FTI_SCES;
    const double seconds = peers::now() - t0;
    peers::report_restore(seconds, recovered && peers::check(data.get(), a.count, a.checkpoints, a.seed));
    FTI_Finalize();
    MPI_Finalize();
    return 0;
}
