#include "rule_select.hpp"

#include <cctype>
#include <vector>

#include "proxycfg/rules.hpp"
#include "suggest.hpp"

namespace proxyctl {
namespace {

bool equal_nocase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

}  // namespace

std::optional<std::string> resolve_rule(std::string_view word, std::string& error) {
    std::vector<std::string> known;
    for (const auto& r : proxycfg::all_rules()) {
        if (equal_nocase(word, r.code) || equal_nocase(word, r.name)) return std::string(r.code);
        known.emplace_back(r.code);
        known.emplace_back(r.name);
    }
    error = "unknown rule '" + std::string(word) + "'" + did_you_mean(word, known) +
            "; 'proxyctl rules' lists every code and name";
    return std::nullopt;
}

bool add_rule_list(std::string_view list, std::set<std::string>& codes, std::string& error) {
    std::size_t start = 0;
    while (start <= list.size()) {
        std::size_t comma = list.find(',', start);
        std::string_view word = list.substr(
            start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        while (!word.empty() && std::isspace(static_cast<unsigned char>(word.front())))
            word.remove_prefix(1);
        while (!word.empty() && std::isspace(static_cast<unsigned char>(word.back())))
            word.remove_suffix(1);
        if (!word.empty()) {
            auto code = resolve_rule(word, error);
            if (!code) return false;
            codes.insert(*code);
        }
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return true;
}

}  // namespace proxyctl
