#include "suggest.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

namespace proxyctl {
namespace {

char lower(char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
    if (prefix.size() > text.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (lower(text[i]) != lower(prefix[i])) return false;
    return true;
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
    // Optimal string alignment: three rows of the Damerau-Levenshtein table suffice.
    std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        current[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
                lower(a[i - 2]) == lower(b[j - 1]))
                current[j] = std::min(current[j], before[j - 2] + 1);
        }
        std::swap(before, previous);
        std::swap(previous, current);
    }
    return previous[b.size()];
}

std::optional<std::string> nearest(std::string_view word,
                                   const std::vector<std::string>& candidates) {
    if (word.empty()) return std::nullopt;
    std::size_t best = std::numeric_limits<std::size_t>::max();
    const std::string* found = nullptr;
    for (const auto& c : candidates) {
        std::size_t d = edit_distance(word, c);
        if (d < best) {
            best = d;
            found = &c;
        }
    }
    std::size_t limit = std::max<std::size_t>(1, word.size() / 3);
    if (found && best <= limit) return *found;
    // An abbreviation ("sess") names the one candidate it begins.
    const std::string* prefixed = nullptr;
    for (const auto& c : candidates) {
        if (!starts_with_nocase(c, word)) continue;
        if (prefixed) return std::nullopt;
        prefixed = &c;
    }
    if (prefixed && word.size() >= 3) return *prefixed;
    return std::nullopt;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
    auto near = nearest(word, candidates);
    return near ? " (did you mean '" + *near + "'?)" : "";
}

}  // namespace proxyctl
