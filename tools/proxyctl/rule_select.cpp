#include "rule_select.hpp"

#include <cctype>
#include <vector>

#include "proxycfg/rules.hpp"
#include "suggest.hpp"

namespace proxyctl {
std::optional<std::string> resolve_rule(std::string_view word, std::string& error) {
    // The same lookup as suppression comments, so both accept the same words.
    if (const proxycfg::RuleInfo* r = proxycfg::lookup_rule(word)) return std::string(r->code);
    std::vector<std::string> known;
    for (const auto& r : proxycfg::all_rules()) {
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
