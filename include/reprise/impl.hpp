// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_IMPL_HPP
#define REPRISE_IMPL_HPP

/// The definitions of reprise's non-template functions, for a program built with
/// REPRISE_SEPARATE_COMPILATION: include this in exactly one of its source files (README.md,
/// "Compile time"). Header-only programs (the default) need not include it: everything is
/// inline in `<reprise/reprise.hpp>` then.

#if !defined(REPRISE_SEPARATE_COMPILATION)
#error "<reprise/impl.hpp> is for programs built with REPRISE_SEPARATE_COMPILATION defined in every file"
#endif

#include "reprise/reprise.hpp"
#include "reprise/detail/checkpointer_impl.hpp"

#endif
