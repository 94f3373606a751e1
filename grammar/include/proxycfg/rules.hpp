// The table of every diagnostic code: one row per rule. Formats (SARIF rules, --help,
// completions, the man page test) and the linter all read this one table.
#pragma once

#include <span>
#include <string_view>

#include "proxycfg/diagnostic.hpp"

namespace proxycfg {

struct RuleInfo {
    std::string_view code;     // "PX101"
    Severity severity;         // default severity
    std::string_view name;     // "force-after-last-service"
    std::string_view summary;  // one line, used as SARIF shortDescription
    std::string_view fix;      // how to fix, one or two sentences
};

std::span<const RuleInfo> all_rules();
const RuleInfo* find_rule(std::string_view code);

}  // namespace proxycfg
