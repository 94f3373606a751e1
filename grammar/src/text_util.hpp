// Small string helpers shared by the parser, resolver, lint rules and formats.
#pragma once

#include <ranges>
#include <string>
#include <string_view>
#include <vector>

#include "proxycfg/util.hpp"

namespace proxycfg {

std::string_view trim(std::string_view s);
inline bool starts_with(std::string_view s, std::string_view p) {
    return s.substr(0, p.size()) == p;
}
std::vector<std::string_view> split(std::string_view s, char sep);
// The same items as split() (but none for an empty string), produced as they are
// iterated: hot loops over ACL fields avoid a vector per field.
inline auto split_items(std::string_view s, char sep) {
    return std::views::split(s, sep) | std::views::transform([](auto item) {
               return std::string_view(item.begin(), item.end());
           });
}
std::string to_lower(std::string_view s);
// to_lower in place (ASCII letters only), for a buffer reused across many items.
void lower_ascii(std::string& s);
// Levenshtein distance, or `limit` when it is `limit` or more (the callers only want
// near misses, so a row that is already that far off ends the computation).
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit = 64);
bool utf8_valid(std::string_view s);
// Every byte below 0x80 (ASCII, so valid UTF-8): 32 bytes a step.
bool ascii_only(std::string_view s);
std::size_t first_invalid_utf8(std::string_view s);
// Parses a decimal integer that must use the whole string.
bool parse_int(std::string_view s, long long& out);

}  // namespace proxycfg

namespace proxycfg {
std::string to_upper_ascii(std::string_view s);
}
