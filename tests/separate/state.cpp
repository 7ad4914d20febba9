// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// Another file of the separate-compilation test that uses the Checkpointer: it compiles
// track()'s template for Particle and links against the definitions of impl.cpp.

#include "state.hpp"

void track_particle(reprise::Checkpointer& ckpt, Particle& particle) {
    ckpt.track("particle", particle);
    ckpt.parameter("kind", std::string("ions"));
}
