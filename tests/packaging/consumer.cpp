// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
//
// The program of the packaging tests: code outside reprise, built against the installed
// package (find_package/) or the source tree (add_subdirectory/), that uses the public
// API as a user's program would: save, restore in a second Checkpointer, finish.
//
// Usage: consumer <checkpoint directory>     exit status 0 when everything held

#include <reprise/reprise.hpp>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace {

int fail(const std::string& what) {
    std::fprintf(stderr, "consumer: FAILED: %s\n", what.c_str());
    return 1;
}

// Files left in `directory` (0 when it does not exist).
std::size_t files_in(const std::string& directory) {
    std::error_code ec;
    std::size_t count = 0;
    for (std::filesystem::directory_iterator it(directory, ec), end; !ec && it != end;
         it.increment(ec))
        ++count;
    return count;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: consumer <checkpoint directory>\n");
        return 2;
    }
    reprise::Options options;
    options.directory = argv[1];

    try {
        {  // the first run: computes, saves, and is "killed" before finishing
            int step = 42;
            std::vector<double> field{1.5, 2.5, 3.5};
            options.restore = reprise::RestorePolicy::never;
            reprise::Checkpointer ckpt(options);
            ckpt.track("step", step).track("field", field);
            if (ckpt.restore()) return fail("restore() loaded state on a fresh start");
            ckpt.save();
        }
        if (files_in(options.directory) == 0) return fail("save() wrote no file");

        {  // the restarted run: gets the state back, completes, cleans up
            int step = 0;
            std::vector<double> field;
            options.restore = reprise::RestorePolicy::always;
            reprise::Checkpointer ckpt(options);
            ckpt.track("step", step).track("field", field);
            if (!ckpt.restore()) return fail("restore() found no checkpoint after save()");
            if (step != 42 || field != std::vector<double>{1.5, 2.5, 3.5})
                return fail("restore() did not give back the saved values");
            ckpt.finish();
        }
        if (files_in(options.directory) != 0) return fail("finish() left files behind");
    } catch (const std::exception& e) {
        return fail(e.what());
    }

    std::printf("consumer: reprise %d.%d.%d saved, restored and finished in %s\n",
                REPRISE_VERSION_MAJOR, REPRISE_VERSION_MINOR, REPRISE_VERSION_PATCH,
                options.directory.c_str());
    return 0;
}
