// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// Must not compile: <reprise/impl.hpp> in a program that did not define
// REPRISE_SEPARATE_COMPILATION would define reprise's functions a second time beside the
// inline ones; impl.hpp stops the build with a message saying so
// (separate_compilation_needs_the_macro, WILL_FAIL).

#include <reprise/impl.hpp>
