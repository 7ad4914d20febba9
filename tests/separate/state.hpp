// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_TESTS_SEPARATE_STATE_HPP
#define REPRISE_TESTS_SEPARATE_STATE_HPP

// A user type of the separate-compilation test, tracked from another file (state.cpp).

#include <reprise/reprise.hpp>

#include <string>

struct Particle {
    int id = 0;
    double mass = 0;
    std::string kind;
    template <class Archive>
    void serialize(Archive& ar) {
        ar(id, mass, kind);
    }
    bool operator==(const Particle& o) const { return id == o.id && mass == o.mass && kind == o.kind; }
};

void track_particle(reprise::Checkpointer& ckpt, Particle& particle);

#endif
