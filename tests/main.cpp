// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// The test runner's main. With Catch2 v3 it also links Catch2WithMain's main... unless we
// provide one: we do, the same way for both versions.
#ifdef REPRISE_CATCH3
#include <catch2/catch_session.hpp>
#else
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#endif

#include <csignal>

int main(int argc, char* argv[]) {
    // A test that writes to a pipe whose reader died must fail, not die of SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    return Catch::Session().run(argc, argv);
}
