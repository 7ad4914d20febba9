// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// detail/parse.hpp's one function tests/test_parse.cpp leaves out: environment_value,
// through which every variable reprise reads comes.

#include "catch.hpp"
#include "support.hpp"

#include "reprise/detail/parse.hpp"

#include <cstdlib>
#include <map>
#include <string>

TEST_CASE("parse: an environment variable that is unset or empty has no value, any other is kept "
          "as it is",
          "[parse][environment]") {
    const char* name = "REPRISE_UNIT_TEST_VALUE";
    ::unsetenv(name);
    CHECK_FALSE(reprise::detail::environment_value(name).has_value());
    {
        reprise_test::ScopedEnv env(std::map<std::string, std::string>{{name, ""}});
        CHECK_FALSE(reprise::detail::environment_value(name).has_value());
    }
    for (const std::string value : {" ", "0", " 12 ", "a=b", "été\n"}) {
        reprise_test::ScopedEnv env(std::map<std::string, std::string>{{name, value}});
        CHECK(reprise::detail::environment_value(name) == value);
    }
    CHECK(std::getenv(name) == nullptr);
}
