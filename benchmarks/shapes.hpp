// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_BENCHMARKS_SHAPES_HPP
#define REPRISE_BENCHMARKS_SHAPES_HPP

// The three state shapes of issue 3, each built from a deterministic generator so that a
// restored state is checked against the generator element by element: the saved state
// need not be kept in memory while it is restored.
//
//   vector  one std::vector<double>: the best case, one contiguous array
//   struct  a std::vector of a 12-field struct: per-field overhead in the archive
//   many    std::map<std::string, std::vector<double>> of 100-element vectors: many small
//           variables (10 000 of them at 8 MiB, the example; scaled with the size)
//
// A shape's size is the size of its elements in memory (the doubles; the struct array,
// padding included); the checkpoint file's size is reported beside each measurement.

#include <cstdint>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace bench {

// A particle of a simulation code: 6 doubles, 3 int64, 2 int32, 1 float, 84 bytes of
// data in 88 of memory, serialized field by field.
struct Particle {
    double x, y, z, vx, vy, vz;
    std::int64_t id, step, cell;
    std::int32_t species, rank;
    float weight;

    template <class Archive>
    void serialize(Archive& ar) {
        ar(x, y, z, vx, vy, vz, id, step, cell, species, rank, weight);
    }
};

using VectorState = std::vector<double>;
using StructState = std::vector<Particle>;
using ManyState = std::map<std::string, std::vector<double>>;

enum class Shape { vector, structs, many };

inline const char* shape_name(Shape s) {
    switch (s) {
    case Shape::vector: return "vector";
    case Shape::structs: return "struct";
    case Shape::many: return "many";
    }
    return "?";
}

template <class State>
struct ShapeOf;

template <>
struct ShapeOf<VectorState> {
    static VectorState build(std::uint64_t bytes) {
        VectorState v(bytes / sizeof(double));
        for (std::size_t k = 0; k < v.size(); ++k) v[k] = value(k);
        return v;
    }
    static void verify(const VectorState& v, std::uint64_t bytes) {
        if (v.size() != bytes / sizeof(double))
            throw std::runtime_error("restored vector has " + std::to_string(v.size()) +
                                     " elements");
        for (std::size_t k = 0; k < v.size(); ++k)
            if (v[k] != value(k))
                throw std::runtime_error("restored vector differs at " + std::to_string(k));
    }
    static double value(std::size_t k) { return static_cast<double>(k) * 0.5 + 0.25; }
    // One step of a code that rewrites its whole state: every element multiplied by
    // `one`, which the caller makes 1 where the compiler cannot see it.
    static void rewrite(VectorState& v, double one) {
        for (double& x : v) x *= one;
    }
};

template <>
struct ShapeOf<StructState> {
    static StructState build(std::uint64_t bytes) {
        StructState v(bytes / sizeof(Particle));
        for (std::size_t k = 0; k < v.size(); ++k) v[k] = value(k);
        return v;
    }
    static void verify(const StructState& v, std::uint64_t bytes) {
        if (v.size() != bytes / sizeof(Particle))
            throw std::runtime_error("restored struct vector has " + std::to_string(v.size()) +
                                     " elements");
        for (std::size_t k = 0; k < v.size(); ++k) {
            const Particle e = value(k);
            const Particle& p = v[k];
            if (p.x != e.x || p.y != e.y || p.z != e.z || p.vx != e.vx || p.vy != e.vy ||
                p.vz != e.vz || p.id != e.id || p.step != e.step || p.cell != e.cell ||
                p.species != e.species || p.rank != e.rank || p.weight != e.weight)
                throw std::runtime_error("restored struct vector differs at " + std::to_string(k));
        }
    }
    static Particle value(std::size_t k) {
        const double d = static_cast<double>(k);
        const auto i = static_cast<std::int64_t>(k);
        Particle p;
        p.x = d + 0.125;
        p.y = d + 0.25;
        p.z = d + 0.375;
        p.vx = -d;
        p.vy = d * 0.5;
        p.vz = d * 0.25;
        p.id = i;
        p.step = 2 * i;
        p.cell = -i;
        p.species = static_cast<std::int32_t>(k % 7);
        p.rank = static_cast<std::int32_t>(k % 1024);
        p.weight = static_cast<float>(k % 4096) * 0.5f;
        return p;
    }
    static void rewrite(StructState& v, double one) {
        for (Particle& p : v) {
            p.x *= one;
            p.vx *= one;
        }
    }
};

template <>
struct ShapeOf<ManyState> {
    static constexpr std::size_t kLength = 100;

    static ManyState build(std::uint64_t bytes) {
        ManyState m;
        const std::size_t count = bytes / (kLength * sizeof(double));
        for (std::size_t k = 0; k < count; ++k) {
            std::vector<double> values(kLength);
            for (std::size_t j = 0; j < kLength; ++j) values[j] = value(k, j);
            m.emplace_hint(m.end(), key(k), std::move(values)); // keys come in order
        }
        return m;
    }
    static void verify(const ManyState& m, std::uint64_t bytes) {
        const std::size_t count = bytes / (kLength * sizeof(double));
        if (m.size() != count)
            throw std::runtime_error("restored map has " + std::to_string(m.size()) + " entries");
        std::size_t k = 0;
        for (const auto& [name, values] : m) {
            bool same = name == key(k) && values.size() == kLength;
            for (std::size_t j = 0; same && j < kLength; ++j) same = values[j] == value(k, j);
            if (!same)
                throw std::runtime_error("restored map differs at entry " + std::to_string(k));
            ++k;
        }
    }
    static std::string key(std::size_t k) {
        char name[24];
        std::snprintf(name, sizeof name, "v%010zu", k); // within std::string's small buffer
        return name;
    }
    static double value(std::size_t k, std::size_t j) {
        return static_cast<double>(k * kLength + j) + 0.5;
    }
    static void rewrite(ManyState& m, double one) {
        for (auto& entry : m)
            for (double& x : entry.second) x *= one;
    }
};

} // namespace bench

#endif
