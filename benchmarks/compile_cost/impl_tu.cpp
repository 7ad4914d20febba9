// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// Compile-cost probe (benchmarks/compile_cost.sh): the one source file of a program built
// with REPRISE_SEPARATE_COMPILATION that compiles reprise's definitions, once per program.

#include <reprise/impl.hpp>
