// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_FORMAT_HPP
#define REPRISE_DETAIL_FORMAT_HPP

// The checkpoint file format: its layout (format_layout.hpp), its writer
// (format_writer.hpp) and its reader (format_reader.hpp).

#include "reprise/detail/format_layout.hpp"
#include "reprise/detail/format_reader.hpp"
#include "reprise/detail/format_writer.hpp"

#endif
