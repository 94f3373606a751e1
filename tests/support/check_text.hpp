// Test helpers: load an inline configuration exactly as `proxyctl check` does and look
// for diagnostics by code and line.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "proxycfg/lint.hpp"

namespace testing {

inline proxycfg::Loaded check_text(std::string text,
                                   proxycfg::Dialect dialect = proxycfg::Dialect::proxyd) {
    proxycfg::LoadOptions options;
    options.lint.dialect = dialect;
    return proxycfg::load_config_text("test.cfg", std::move(text), options);
}

inline std::vector<proxycfg::Diagnostic> with_code(const proxycfg::Loaded& l,
                                                   std::string_view code) {
    std::vector<proxycfg::Diagnostic> out;
    std::copy_if(l.diagnostics.begin(), l.diagnostics.end(), std::back_inserter(out),
                 [&](const proxycfg::Diagnostic& d) { return d.code == code; });
    return out;
}

// True when a diagnostic with this code is reported on this 1-based line.
inline bool reports(const proxycfg::Loaded& l, std::string_view code, std::uint32_t line) {
    return std::any_of(
        l.diagnostics.begin(), l.diagnostics.end(),
        [&](const proxycfg::Diagnostic& d) { return d.code == code && d.span.line == line; });
}

inline bool reports(const proxycfg::Loaded& l, std::string_view code) {
    return !with_code(l, code).empty();
}

// "PX101@7 PX204@9" — handy in failure messages.
inline std::string summary(const proxycfg::Loaded& l) {
    std::string s;
    for (const auto& d : l.diagnostics) {
        s += d.code + "@" + std::to_string(d.span.line) + " " + d.message + "\n";
    }
    return s;
}

inline bool contains(const std::string& s, std::string_view part) {
    return s.find(part) != std::string::npos;
}

// The single diagnostic with this code; fails the test when there is not exactly one.
inline proxycfg::Diagnostic only(const proxycfg::Loaded& l, std::string_view code) {
    auto found = with_code(l, code);
    INFO(summary(l));
    REQUIRE(found.size() == 1);
    return found.front();
}

}  // namespace testing
