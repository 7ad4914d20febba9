// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_TOOLS_LAUNCHER_HPP
#define REPRISE_TOOLS_LAUNCHER_HPP

// MPI jobs for the job manager: `reprise start -- mpirun -np 2 ./heat2d_mpi` runs a
// launcher whose ranks each hold a reprise::mpi::Checkpointer. Such a job is recognised
// by its command (the launcher's file name, every time it is looked at: nothing more is
// recorded), and differs from a single program in four things (docs/manager.md, "MPI jobs"):
//
//  - its checkpoint name is the program's that the launcher runs, not the launcher's;
//  - its files are the ranks' (`<name>.rank<r>.<key>...`) and its generations those
//    that a commit record binds (reprise::inspect::committed_generations);
//  - it is ready for a signal when every rank holds its lock;
//  - it is stopped by SIGUSR2, which mpirun and srun pass on to every rank at once
//    (OpenMPI's mpirun turns SIGTERM into SIGTERM for the ranks a second later and
//    SIGKILL a second after that: too little for a save on a loaded machine), and the
//    launcher then exits 128+N for a rank that its stop signal N ended.

#include "registry.hpp"

#include <optional>
#include <string>
#include <vector>

namespace reprise::manager {

/// What a launcher's command says.
struct LauncherCommand {
    std::string launcher;     ///< its file name: "mpirun", "mpiexec", "orterun", "prterun", "srun"
    std::string program;      ///< the program the ranks run, as typed; "" when it cannot be told
    unsigned ranks = 0;       ///< -np, -n, -c, --ntasks when given (one program); 0: not known
};

/// The launcher in `command`, when command[0]'s file name is a known one ("mpirun",
/// "mpiexec", "orterun", "prterun", "srun", or one of the first two followed by a dot and a
/// flavour, as "mpirun.openmpi", "mpiexec.hydra"). The program is the first argument that
/// is neither an option nor the value of one that takes a value (OpenMPI's, MPICH's and
/// Slurm's), and that names an executable file (as execvp finds it): so the value of an
/// option this list does not know is passed over as well. Never throws but std::bad_alloc.
std::optional<LauncherCommand> launcher_of(const std::vector<std::string>& command);

/// True when the job's command starts with a launcher (launcher_of).
bool is_mpi_job(const Job& job);

/// The signal that makes the job save and stop: SIGUSR2 for an MPI job (its launcher
/// passes it on to every rank at once), SIGTERM for a program.
int stop_signal(const Job& job);

/// The stop signal N whose 128+N is the exit status of the job's launcher after a rank
/// that N stopped ended (reprise re-raises the stop signal); 0 when `exit_status` is not
/// so, or the job is not an MPI job.
int launcher_stop_signal(const Job& job, int exit_status);

/// The lock file of rank `rank` of the MPI job.
std::string rank_lock(const Registry& registry, const Job& job, int rank);

/// How many ranks the MPI job has: those of its newest committed generation, else those
/// its command gives, else 0 (not known before its first commit).
unsigned job_ranks(const Registry& registry, const Job& job);

/// True when every rank of the running MPI job holds its lock (its Checkpointer exists,
/// so its signal handlers are installed); the ranks counted as job_ranks() says, or rank 0
/// alone when that is not known. Else false, with the first lock not held in `waiting_for`.
bool ranks_ready(const Registry& registry, const Job& job, std::string& waiting_for);

} // namespace reprise::manager

#endif
