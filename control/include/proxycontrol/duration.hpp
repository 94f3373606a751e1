// Durations on command lines (proxyd --drain-timeout, proxyctl reload --wait-drained):
// a whole number of seconds, or a number with a unit: 250ms, 30s, 5m, 1h, 2d. Header-only:
// both programs read the same syntax.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace control {

// nullopt with `error` set when `text` is not a positive duration.
inline std::optional<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                               std::string& error) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    std::string_view unit = text.substr(digits);
    std::int64_t scale = 0;  // milliseconds per unit
    if (unit.empty() || unit == "s")
        scale = 1000;
    else if (unit == "ms")
        scale = 1;
    else if (unit == "m")
        scale = 60'000;
    else if (unit == "h")
        scale = 3'600'000;
    else if (unit == "d")
        scale = 86'400'000;
    auto fail = [&](const std::string& why) -> std::optional<std::chrono::milliseconds> {
        error = "'" + std::string(text) + "' " + why +
                " (a whole number with an optional unit ms, s, m, h or d: 30s, 5m, 1h)";
        return std::nullopt;
    };
    if (digits == 0) return fail("is not a duration");
    if (scale == 0) return fail("has an unknown unit '" + std::string(unit) + "'");
    // Ten years is more than any deadline needs, and keeps the product far from overflow.
    constexpr std::int64_t max_ms = 10LL * 365 * 86'400'000;
    std::int64_t n = 0;
    for (std::size_t i = 0; i < digits; ++i) {
        n = n * 10 + (text[i] - '0');
        if (n > max_ms) return fail("is too long");
    }
    if (n * scale > max_ms) return fail("is too long");
    if (n == 0) return fail("is not a positive duration");
    return std::chrono::milliseconds(n * scale);
}

}  // namespace control
