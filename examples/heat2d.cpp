// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// Heat diffusion on a square plate, made restartable with reprise.
//
// An explicit 5-point stencil on a 256 x 256 grid whose edges are held at fixed
// temperatures (top 100, bottom 0, left 75, right 25; the plate starts at 0). The state
// that must survive a restart is the grid, a std::vector<double>, and a user type,
// SimulationClock, that cereal serializes through its serialize() member. The scratch
// buffer is not tracked: every step rewrites all of its interior.
//
// The computation is deterministic, so a run that was stopped by SIGTERM and resumed
// by running it again ends with exactly the bits of an uninterrupted run: the final
// "checksum=" line (FNV-1a over the bytes of the grid) proves it.
//
// Output on stdout: "fresh start" or "resumed at step=<k>", "progress step=<k>" every
// 1000 steps (flushed), then "checksum=<16 hex digits>" and "steps=<n>".

#include <reprise/reprise.hpp>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <utility>
#include <vector>

namespace {

constexpr std::size_t nx = 256;
constexpr std::size_t ny = 256;
constexpr std::uint64_t default_steps = 20000;
constexpr std::uint64_t progress_every = 1000;

// alpha * dt / dx^2; the explicit scheme is stable for values up to 1/4.
constexpr double diffusion_number = 0.2;
constexpr double dt = 1e-3;

constexpr double t_top = 100.0, t_bottom = 0.0, t_left = 75.0, t_right = 25.0;

/// Where the simulation is in time; a user type that reprise saves through cereal.
struct SimulationClock {
    std::uint64_t step = 0;
    double time = 0.0;

    void advance() {
        ++step;
        time += dt;
    }

    template <class Archive>
    void serialize(Archive& ar) {
        ar(step, time);
    }
};

std::size_t at(std::size_t x, std::size_t y) { return y * nx + x; }

// The initial plate: 0 inside, the fixed temperatures on the edges (corners: top and bottom).
std::vector<double> initial_grid() {
    std::vector<double> g(nx * ny, 0.0);
    for (std::size_t y = 0; y < ny; ++y) {
        g[at(0, y)] = t_left;
        g[at(nx - 1, y)] = t_right;
    }
    for (std::size_t x = 0; x < nx; ++x) {
        g[at(x, 0)] = t_top;
        g[at(x, ny - 1)] = t_bottom;
    }
    return g;
}

// One explicit step: the interior of `next` from `cur`; the edges of `next` stay as they are.
void step(const std::vector<double>& cur, std::vector<double>& next) {
    for (std::size_t y = 1; y + 1 < ny; ++y) {
        const double* up = &cur[at(0, y - 1)];
        const double* row = &cur[at(0, y)];
        const double* down = &cur[at(0, y + 1)];
        double* out = &next[at(0, y)];
        for (std::size_t x = 1; x + 1 < nx; ++x) {
            const double laplacian = up[x] + down[x] + row[x - 1] + row[x + 1] - 4.0 * row[x];
            out[x] = row[x] + diffusion_number * laplacian;
        }
    }
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

bool parse_steps(const char* text, std::uint64_t& value) {
    if (*text == '\0') return false;
    std::uint64_t v = 0;
    for (const char* p = text; *p != '\0'; ++p) {
        if (*p < '0' || *p > '9') return false;
        const auto digit = static_cast<std::uint64_t>(*p - '0');
        if (v > (UINT64_MAX - digit) / 10) return false;
        v = v * 10 + digit;
    }
    value = v;
    return true;
}

} // namespace

int main(int argc, char** argv) {
    std::uint64_t steps = default_steps;
    if (argc > 2 || (argc == 2 && !parse_steps(argv[1], steps))) {
        std::fprintf(stderr,
                     "usage: %s [STEPS]\n"
                     "  diffuses heat on a %zu x %zu plate for STEPS steps (default %llu)\n",
                     argc > 0 ? argv[0] : "heat2d", nx, ny,
                     static_cast<unsigned long long>(default_steps));
        return 2;
    }

    try {
        std::vector<double> grid = initial_grid();
        std::vector<double> next = grid; // same edges; the interior is rewritten each step
        SimulationClock clock;

        reprise::Checkpointer ckpt;
        ckpt.track("grid", grid);
        ckpt.track("clock", clock);
        if (ckpt.restore()) {
            if (grid.size() != nx * ny) {
                std::fprintf(stderr, "heat2d: the checkpoint holds a grid of %zu cells, not %zu\n",
                             grid.size(), nx * ny);
                return 1;
            }
            std::printf("resumed at step=%llu\n", static_cast<unsigned long long>(clock.step));
        } else {
            std::printf("fresh start\n");
        }
        std::fflush(stdout);

        while (clock.step < steps) {
            step(grid, next);
            grid.swap(next); // `grid` stays the tracked variable; only the buffers trade places
            clock.advance();
            if (clock.step % progress_every == 0) {
                std::printf("progress step=%llu\n", static_cast<unsigned long long>(clock.step));
                std::fflush(stdout);
            }
            ckpt.maybe_save();
        }

        std::printf("checksum=%016llx\nsteps=%llu\n", static_cast<unsigned long long>(fnv1a(grid)),
                    static_cast<unsigned long long>(clock.step));
        std::printf("center=%.6f time=%.3f\n", grid[at(nx / 2, ny / 2)], clock.time);
        std::fflush(stdout);
        ckpt.finish();
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}

// Build and run (from the repository root):
//
//   cmake -S . -B build -DREPRISE_BUILD_EXAMPLES=ON && cmake --build build --target example_heat2d
//   REPRISE_DIR=/tmp/heat-ckpt build/examples/heat2d 20000 &   # "fresh start", progress...
//   kill -TERM $!                                               # saves, then stops
//   REPRISE_DIR=/tmp/heat-ckpt build/examples/heat2d 20000     # "resumed at step=..."
//
// The checksum= line equals that of an uninterrupted run:
//   bash examples/check-resume.sh build/examples/heat2d 5000
