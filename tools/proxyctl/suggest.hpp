// "Did you mean ...?" for a mistyped subcommand, rule code or rule name.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace proxyctl {

// Edits (insert, delete, substitute, swap two neighbours) between a and b, ignoring case:
// "chekc" is one edit from "check".
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word`, when it is near enough to be a likely typo (at most a
// third of the word's length, and at least one edit, away), or one that `word` starts
// uniquely; nullopt otherwise.
std::optional<std::string> nearest(std::string_view word,
                                   const std::vector<std::string>& candidates);

// " (did you mean 'X'?)" or "" to append to an error message.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace proxyctl
