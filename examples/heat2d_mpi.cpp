// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// Heat diffusion on a square plate, distributed over MPI ranks and made restartable with
// reprise/mpi.hpp: coordinated checkpoints, every rank saving its own rows.
//
// The plate of heat2d.cpp (a 5-point stencil, edges held at top 100, bottom 0, left 75,
// right 25), its rows split across the ranks; before each step every rank exchanges its
// first and last rows with its neighbours (MPI_Sendrecv) into two ghost rows. Each rank
// tracks the step number and its own rows. A signal that reaches any rank (or mpirun)
// makes every rank save the same step. At the end rank 0 gathers the grid and prints
// FNV-1a of its doubles: a run stopped and resumed, with any number of interruptions,
// prints the bits of an uninterrupted one.
//
// Output: on stderr, two lines per rank, "heat2d_mpi: rank <r> pid <p>" (flushed, so a
// test can signal one rank) and, after the restore, "heat2d_mpi: rank <r> at step=<k>";
// on stdout (rank 0), "fresh start" or "resumed at step=<k>",
// "progress step=<k>" every --progress steps, then "checksum=<16 hex digits>" and
// "steps=<n>". --save-every N saves collectively (ckpt.save()) every N steps; --pace S
// sleeps S seconds per step, for a run of a known length (the Slurm test's job).

#include <reprise/mpi.hpp>

#include <mpi.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

constexpr double diffusion_number = 0.2; // alpha * dt / dx^2, stable up to 1/4
constexpr double t_top = 100.0, t_bottom = 0.0, t_left = 75.0, t_right = 25.0;

struct Settings {
    std::uint64_t steps = 20000;
    std::uint64_t save_every = 0;
    std::uint64_t progress = 1000;
    std::size_t n = 256; // the plate is n x n
    double pace = 0;     // seconds of sleep per step: a run of a known length (job scripts)
};

bool parse_number(const char* text, std::uint64_t& value) {
    if (!text || *text == '\0') return false;
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || *text == '-') return false;
    value = v;
    return true;
}

bool parse(int argc, char** argv, Settings& s) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        std::uint64_t v = 0;
        if ((a == "--save-every" || a == "--progress" || a == "--size") && i + 1 < argc) {
            if (!parse_number(argv[++i], v)) return false;
            if (a == "--save-every") s.save_every = v;
            else if (a == "--progress") s.progress = v;
            else s.n = static_cast<std::size_t>(v);
        } else if (a == "--pace" && i + 1 < argc) {
            char* end = nullptr;
            s.pace = std::strtod(argv[++i], &end);
            if (*end != '\0' || !(s.pace >= 0) || s.pace > 3600) return false;
        } else if (a[0] != '-' && parse_number(argv[i], v)) {
            s.steps = v;
        } else {
            return false;
        }
    }
    return s.n >= 3 && s.progress > 0;
}

// FNV-1a, 64 bits, over the bytes of the doubles: equal only for bit-identical grids.
std::uint64_t fnv1a(const std::vector<double>& g) {
    std::uint64_t h = 14695981039346656037ULL;
    for (double v : g) {
        unsigned char bytes[sizeof v];
        std::memcpy(bytes, &v, sizeof v);
        for (unsigned char b : bytes) {
            h ^= b;
            h *= 1099511628211ULL;
        }
    }
    return h;
}

// The rows [first, first + count) of the plate belong to `rank`.
void rows_of(int rank, int size, std::size_t n, std::size_t& first, std::size_t& count) {
    const std::size_t base = n / static_cast<std::size_t>(size);
    const std::size_t extra = n % static_cast<std::size_t>(size);
    const auto r = static_cast<std::size_t>(rank);
    count = base + (r < extra ? 1 : 0);
    first = r * base + (r < extra ? r : extra);
}

int run(int argc, char** argv, int rank, int size) {
    Settings s;
    if (!parse(argc, argv, s)) {
        if (rank == 0)
            std::fprintf(stderr, "usage: %s [STEPS] [--save-every N] [--progress N] [--size N] [--pace SECONDS]\n",
                         argc > 0 ? argv[0] : "heat2d_mpi");
        return 2;
    }
    std::size_t first = 0, count = 0;
    rows_of(rank, size, s.n, first, count);
    if (count == 0) {
        if (rank == 0) std::fprintf(stderr, "heat2d_mpi: more ranks than rows\n");
        return 2;
    }
    const std::size_t n = s.n;
    // Local rows 1..count are ours; 0 and count + 1 are the neighbours' (ghosts).
    std::vector<double> local((count + 2) * n, 0.0);
    auto cell = [&](std::size_t y, std::size_t x) -> double& { return local[y * n + x]; };
    for (std::size_t y = 1; y <= count; ++y) {
        const std::size_t gy = first + y - 1;
        for (std::size_t x = 0; x < n; ++x) {
            double v = 0.0;
            if (gy == 0) v = t_top;
            else if (gy == n - 1) v = t_bottom;
            else if (x == 0) v = t_left;
            else if (x == n - 1) v = t_right;
            cell(y, x) = v;
        }
    }
    std::vector<double> next = local;
    std::uint64_t step = 0;

    reprise::mpi::Checkpointer ckpt(MPI_COMM_WORLD);
    ckpt.track("step", step);
    ckpt.track("rows", local);
    std::fprintf(stderr, "heat2d_mpi: rank %d pid %ld\n", rank, static_cast<long>(::getpid()));
    std::fflush(stderr);
    const bool resumed = ckpt.restore();
    if (local.size() != (count + 2) * n) {
        std::fprintf(stderr, "heat2d_mpi: rank %d: the checkpoint holds %zu cells, not %zu\n",
                     rank, local.size(), (count + 2) * n);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    next = local;
    std::fprintf(stderr, "heat2d_mpi: rank %d at step=%llu\n", rank,
                 static_cast<unsigned long long>(step));
    std::fflush(stderr);
    if (rank == 0) {
        if (resumed) std::printf("resumed at step=%llu\n", static_cast<unsigned long long>(step));
        else std::printf("fresh start\n");
        std::fflush(stdout);
    }

    const int up = rank > 0 ? rank - 1 : MPI_PROC_NULL;
    const int down = rank + 1 < size ? rank + 1 : MPI_PROC_NULL;
    const int row = static_cast<int>(n);
    while (step < s.steps) {
        // Halo exchange: our first row up, the upper neighbour's last into ghost 0; then
        // our last row down, the lower neighbour's first into ghost count + 1.
        MPI_Sendrecv(&cell(1, 0), row, MPI_DOUBLE, up, 0, &cell(count + 1, 0), row, MPI_DOUBLE,
                     down, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Sendrecv(&cell(count, 0), row, MPI_DOUBLE, down, 1, &cell(0, 0), row, MPI_DOUBLE, up,
                     1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        for (std::size_t y = 1; y <= count; ++y) {
            const std::size_t gy = first + y - 1;
            if (gy == 0 || gy == n - 1) continue; // fixed edges
            const double* above = &local[(y - 1) * n];
            const double* mid = &local[y * n];
            const double* below = &local[(y + 1) * n];
            double* out = &next[y * n];
            for (std::size_t x = 1; x + 1 < n; ++x) {
                const double laplacian = above[x] + below[x] + mid[x - 1] + mid[x + 1] - 4.0 * mid[x];
                out[x] = mid[x] + diffusion_number * laplacian;
            }
        }
        local.swap(next); // `local` stays the tracked variable; only the buffers trade places
        ++step;
        if (rank == 0 && step % s.progress == 0) {
            std::printf("progress step=%llu\n", static_cast<unsigned long long>(step));
            std::fflush(stdout);
        }
        if (s.pace > 0) ::usleep(static_cast<useconds_t>(s.pace * 1e6));
        if (s.save_every && step % s.save_every == 0) ckpt.save();
        else ckpt.maybe_save();
    }

    // The plate, gathered on rank 0 (owned rows only, in order).
    std::vector<int> counts(static_cast<std::size_t>(size)), displs(static_cast<std::size_t>(size));
    for (int r = 0; r < size; ++r) {
        std::size_t f = 0, c = 0;
        rows_of(r, size, n, f, c);
        counts[static_cast<std::size_t>(r)] = static_cast<int>(c * n);
        displs[static_cast<std::size_t>(r)] = static_cast<int>(f * n);
    }
    std::vector<double> grid(rank == 0 ? n * n : 0);
    MPI_Gatherv(&cell(1, 0), static_cast<int>(count * n), MPI_DOUBLE, grid.data(), counts.data(),
                displs.data(), MPI_DOUBLE, 0, MPI_COMM_WORLD);
    if (rank == 0) {
        std::printf("checksum=%016llx\nsteps=%llu\n", static_cast<unsigned long long>(fnv1a(grid)),
                    static_cast<unsigned long long>(step));
        std::fflush(stdout);
    }
    ckpt.finish();
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int status = 0;
    try {
        status = run(argc, argv, rank, size);
    } catch (const std::exception& e) {
        // reprise's collectives throw on every rank alike, so every rank gets here.
        std::fprintf(stderr, "%s\n", e.what());
        status = 1;
    }
    MPI_Finalize();
    return status;
}

// Build and run (from the repository root; needs MPI, e.g. Debian's libopenmpi-dev):
//
//   cmake -S . -B build -DREPRISE_BUILD_EXAMPLES=ON && cmake --build build --target example_heat2d_mpi
//   export REPRISE_DIR=/tmp/heat-mpi
//   mpirun -np 4 build/examples/heat2d_mpi 20000 &     # "fresh start", progress lines...
//   kill -TERM <the pid of any one rank>                # every rank saves step k, then stops
//   mpirun -np 4 build/examples/heat2d_mpi 20000       # "resumed at step=k"
//
// (As root, OpenMPI wants --allow-run-as-root; with more ranks than cores, --oversubscribe.)
// The checksum= line equals that of an uninterrupted run with any number of ranks; a
// restart must use as many ranks as the run that saved.
