// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// The one file of the separate-compilation test that compiles reprise's definitions.

#include <reprise/impl.hpp>
