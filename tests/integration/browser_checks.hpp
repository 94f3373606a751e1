// Catch2 checks shared by the tests that drive a page in headless Chromium.
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "browser.hpp"

// Skips the test (with a warning) where Chromium is not installed.
#define REQUIRE_CHROMIUM()                                                            \
    if (browser::find_chromium().empty()) {                                          \
        WARN("SKIPPED: chromium is not installed (Debian package chromium)");        \
        return;                                                                       \
    }

inline void require_ran(const browser::Result& r) {
    INFO(r.log);
    REQUIRE(r.ok());
}

inline void require_quiet_console(const browser::Result& r) {
    std::string all;
    for (const auto& m : r.console) all += m + "\n";
    INFO("console:\n" << all);
    CHECK(r.uncaught.empty());
    CHECK(r.console.empty());
}

