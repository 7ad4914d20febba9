#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Installs what building and testing reprise needs, on Debian 12 (and derivatives).
# Idempotent and quiet: when everything is present it prints nothing and returns at
# once. As root it installs what is missing, non-interactively; otherwise it names the
# missing packages and the sudo command, and exits 1. Never reads stdin.
#
#   bash cmake/install-deps.sh
set -euo pipefail

packages=(cmake g++ make libcereal-dev libboost-filesystem-dev catch2 libxxhash-dev libzstd-dev
          libcli11-dev nlohmann-json3-dev libopenmpi-dev openmpi-bin
          tmux # tmux: the job manager's terminal test drives a real terminal
          clang-14 libclang-rt-14-dev libfuzzer-14-dev) # the fuzzed reader (tests/fuzz/)

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps.sh: not a Debian-like system (no dpkg-query/apt-get); make sure" \
         "CMake >= 3.16, a C++17 compiler, cereal, Boost.Filesystem, Catch2 v2, the" \
         "xxHash header, zstd, CLI11 and nlohmann/json (the job manager), and optionally an MPI" \
         "(reprise/mpi.hpp, the mpi tests) are installed" >&2
    exit 0
fi

missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$package")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps.sh: missing packages: ${missing[*]}" >&2
    echo "install them with:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

echo "install-deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update </dev/null
apt-get install -y --no-install-recommends "${missing[@]}" </dev/null
