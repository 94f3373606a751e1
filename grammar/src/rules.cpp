#include "proxycfg/rules.hpp"

#include <algorithm>
#include <array>
#include <cstddef>

namespace proxycfg {
namespace {

// sizeof, not strlen: an example may hold a NUL byte.
#define EXAMPLE(trigger, near_miss)                 \
    std::string_view(trigger, sizeof(trigger) - 1), \
        std::string_view(near_miss, sizeof(near_miss) - 1), std::string_view()
#define NO_EXAMPLE(why) std::string_view(), std::string_view(), std::string_view(why)
#define PROXYCFG_RULE(code, severity, name, summary, fix, examples) \
    RuleInfo{Rule::code, #code, Severity::severity, name, summary, fix, examples},

constexpr std::array kRules = {
#include "proxycfg/rules.def"
};

#undef PROXYCFG_RULE
#undef NO_EXAMPLE
#undef EXAMPLE

// rule_info indexes the table by id, and find_rule searches it by code.
constexpr bool rows_in_order() {
    for (std::size_t i = 0; i < kRules.size(); ++i) {
        if (static_cast<std::size_t>(kRules[i].rule) != i) return false;
        if (i > 0 && !(kRules[i - 1].code < kRules[i].code)) return false;
    }
    return true;
}
static_assert(rows_in_order(), "rules.def rows must be in code order");

}  // namespace

std::string_view to_string(Severity s) {
    switch (s) {
        case Severity::info:
            return "info";
        case Severity::warning:
            return "warning";
        case Severity::error:
            return "error";
    }
    return "error";
}

bool parse_severity(std::string_view text, Severity& out) {
    if (text == "info" || text == "note")
        out = Severity::info;
    else if (text == "warning")
        out = Severity::warning;
    else if (text == "error")
        out = Severity::error;
    else
        return false;
    return true;
}

std::span<const RuleInfo> all_rules() {
    return kRules;
}

const RuleInfo& rule_info(Rule rule) {
    return kRules[static_cast<std::size_t>(rule)];
}

const RuleInfo* find_rule(std::string_view code) {
    auto it = std::lower_bound(kRules.begin(), kRules.end(), code,
                               [](const RuleInfo& r, std::string_view c) { return r.code < c; });
    return it != kRules.end() && it->code == code ? &*it : nullptr;
}

}  // namespace proxycfg
