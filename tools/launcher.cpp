// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

#include "launcher.hpp"

#include "process.hpp"

#include "reprise/detail/parse.hpp"
#include "reprise/inspect.hpp"

#include <boost/filesystem.hpp>

#include <algorithm>
#include <csignal>
#include <cstring>

namespace reprise::manager {

namespace {

// Options that take a value, of OpenMPI's mpirun (4.1, `mpirun --help all`), MPICH's
// mpiexec (Hydra) and Slurm's srun (short forms; srun's long options take theirs after
// "="). A value written after "=" needs no entry.
const char* const kOneValue[] = {
    // OpenMPI
    "-np", "--np", "-n", "--n", "-c", "-N", "-npernode", "--npernode", "-npersocket", "--npersocket",
    "--map-by", "-map-by", "--rank-by", "-rank-by", "--bind-to", "-bind-to", "-H", "-host", "--host",
    "-hostfile", "--hostfile", "-machinefile", "--machinefile", "--default-hostfile",
    "-default-hostfile", "-x", "-wdir", "--wdir", "-wd", "--wd", "-path", "--path", "-prefix",
    "--prefix", "-output-filename", "--output-filename", "-tune", "--tune", "-am", "--am",
    "-cpu-set", "--cpu-set", "-cpus-per-proc", "--cpus-per-proc", "-cpus-per-rank",
    "--cpus-per-rank", "-timeout", "--timeout", "--preload-files", "-preload-files",
    "--personality", "--launch-agent", "-launch-agent", "--stdin", "-stdin", "--report-bindings-file",
    "--mca-param-file", "-tmpdir", "--tmpdir", "--ompi-server", "-ompi-server", "--output",
    // MPICH (Hydra)
    "-f", "-hosts", "-ppn", "-wdir", "-envlist", "-genvlist", "-configfile", "-launcher",
    "-bootstrap", "-iface", "-rmk", "-demux", "-errfile-pattern", "-outfile-pattern",
    // srun
    "-A", "-b", "-D", "-d", "-e", "-i", "-J", "-L", "-m", "-o", "-p", "-q", "-t", "-w", "-x",
    "-C", "-G", "--mpi", "--ntasks", "--nodes", "--partition", "--time", "--job-name",
    "--cpus-per-task", "--nodelist", "--exclude", "--chdir", "--output", "--error", "--input",
    "--account", "--qos", "--constraint", "--gres", "--mem", "--distribution",
};
// Options that take two values (a name and a value).
const char* const kTwoValues[] = {"-mca", "--mca", "-gmca", "--gmca", "-env", "-genv"};
// Options that give the number of ranks.
const char* const kRankCount[] = {"-np", "--np", "-n", "--n", "-c", "--ntasks"};

bool among(const std::string& arg, const char* const* first, const char* const* last) {
    return std::any_of(first, last, [&](const char* o) { return arg == o; });
}

bool is_launcher_name(const std::string& name) {
    for (const char* known : {"mpirun", "mpiexec", "orterun", "prterun", "srun"})
        if (name == known) return true;
    for (const char* flavoured : {"mpirun.", "mpiexec."})
        if (name.size() > std::strlen(flavoured) && name.rfind(flavoured, 0) == 0) return true;
    return false;
}

unsigned rank_count(const std::string& text) {
    const std::optional<std::uint64_t> n = detail::decimal(text);
    return n && *n > 0 && *n <= 1u << 22 ? static_cast<unsigned>(*n) : 0;
}

} // namespace

std::optional<LauncherCommand> launcher_of(const std::vector<std::string>& command) {
    if (command.empty()) return std::nullopt;
    const std::string name = boost::filesystem::path(command.front()).filename().string();
    if (!is_launcher_name(name)) return std::nullopt;
    LauncherCommand out;
    out.launcher = name;
    unsigned ranks = 0;
    for (std::size_t i = 1; i < command.size(); ++i) {
        const std::string& arg = command[i];
        if (arg == ":") return out; // MPMD: one program per part; the name must be given
        if (arg == "--") {
            if (i + 1 < command.size()) out.program = command[i + 1];
            break;
        }
        if (arg.size() > 1 && arg[0] == '-') {
            const auto equals = arg.find('=');
            const std::string option = arg.substr(0, equals);
            if (equals != std::string::npos) {
                if (option == "--ntasks" || option == "--np") ranks = rank_count(arg.substr(equals + 1));
                continue;
            }
            if (among(arg, std::begin(kTwoValues), std::end(kTwoValues))) {
                i += 2;
            } else if (among(arg, std::begin(kOneValue), std::end(kOneValue)) && i + 1 < command.size()) {
                // srun's -c is --cpus-per-task; OpenMPI's, the number of ranks.
                if (among(arg, std::begin(kRankCount), std::end(kRankCount)) && !(name == "srun" && arg == "-c"))
                    ranks = rank_count(command[i + 1]);
                ++i;
            }
            continue;
        }
        // The value of an option that the lists above do not know is not an executable.
        if (is_executable(arg)) {
            out.program = arg;
            break;
        }
    }
    out.ranks = out.program.empty() ? 0 : ranks;
    return out;
}

bool is_mpi_job(const Job& job) { return launcher_of(job.command).has_value(); }

int stop_signal(const Job& job) { return is_mpi_job(job) ? SIGUSR2 : SIGTERM; }

int launcher_stop_signal(const Job& job, int exit_status) {
    if (!is_mpi_job(job)) return 0;
    for (int sig : {SIGTERM, SIGINT, SIGUSR2})
        if (exit_status == 128 + sig) return sig;
    return 0;
}

std::string rank_lock(const Registry& registry, const Job& job, int rank) {
    return inspect::lock_path(checkpoint_directory(registry, job), inspect::rank_name(job.name, rank), job.job_key);
}

unsigned job_ranks(const Registry& registry, const Job& job) {
    const std::vector<Generation> committed = generations(registry, job);
    if (!committed.empty()) return committed.back().ranks;
    const std::optional<LauncherCommand> launcher = launcher_of(job.command);
    return launcher ? launcher->ranks : 0;
}

bool ranks_ready(const Registry& registry, const Job& job, std::string& waiting_for) {
    const unsigned ranks = std::max(job_ranks(registry, job), 1u);
    for (unsigned r = 0; r < ranks; ++r) {
        const std::string lock = rank_lock(registry, job, static_cast<int>(r));
        if (!inspect::read_lock_file(lock).held()) {
            waiting_for = lock;
            return false;
        }
    }
    return true;
}

} // namespace reprise::manager
