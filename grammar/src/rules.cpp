#include "proxycfg/rules.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <utility>

#include "text_util.hpp"

namespace proxycfg {
namespace {

#define PROXYCFG_RULE_HELP(code, text) std::pair{Rule::code, std::string_view(text)},
constexpr std::array kHelp = {
#include "proxycfg/rules_help.def"
};
#undef PROXYCFG_RULE_HELP

// Empty for a rule without a row in rules_help.def: the rule tests name it.
constexpr std::string_view help_of(Rule rule) {
    for (const auto& [r, text] : kHelp)
        if (r == rule) return text;
    return {};
}

constexpr bool help_in_order() {
    for (std::size_t i = 1; i < kHelp.size(); ++i)
        if (!(kHelp[i - 1].first < kHelp[i].first)) return false;
    return true;
}
static_assert(help_in_order(), "rules_help.def rows must be in code order, one per code");

// sizeof, not strlen: an example may hold a NUL byte.
#define EXAMPLE(trigger, near_miss)                 \
    std::string_view(trigger, sizeof(trigger) - 1), \
        std::string_view(near_miss, sizeof(near_miss) - 1), std::string_view()
#define NO_EXAMPLE(why) std::string_view(), std::string_view(), std::string_view(why)
#define PROXYCFG_RULE(code, severity, name, summary, fix, examples) \
    RuleInfo{Rule::code, #code, Severity::severity, name,           \
             summary,    fix,   examples,           help_of(Rule::code)},

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

const RuleInfo* lookup_rule(std::string_view code_or_name) {
    std::string wanted = to_lower(code_or_name);
    for (const auto& r : kRules)
        if (to_lower(r.code) == wanted || r.name == wanted) return &r;
    return nullptr;
}

const RuleInfo* closest_rule(std::string_view code_or_name) {
    std::string wanted = to_lower(code_or_name);
    const RuleInfo* best = nullptr;
    std::size_t best_distance = 64;
    for (const auto& r : kRules) {
        std::string code = to_lower(r.code);
        for (std::string_view known : {std::string_view(code), r.name}) {
            std::size_t d = edit_distance(wanted, known, best_distance);
            // A third of the word may be wrong: "PX2O4", "force-after-service".
            if (d < best_distance && d * 3 <= known.size()) {
                best_distance = d;
                best = &r;
            }
        }
    }
    return best;
}

}  // namespace proxycfg
