// Every diagnostic code as a typed id, with its metadata. The rows live in rules.def;
// report sites name a Rule, so a misspelt code does not compile, and the severity a
// finding gets is the table's unless the site says otherwise.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace proxycfg {

enum class Severity : std::uint8_t { info = 0, warning = 1, error = 2 };

std::string_view to_string(Severity s);
bool parse_severity(std::string_view text, Severity& out);

enum class Rule : std::uint16_t {
#define PROXYCFG_RULE(code, ...) code,
#include "proxycfg/rules.def"
#undef PROXYCFG_RULE
};

struct RuleInfo {
    Rule rule;
    std::string_view code;     // "PX101"
    Severity severity;         // default severity
    std::string_view name;     // "force-after-last-service"
    std::string_view summary;  // one line, used as SARIF shortDescription
    std::string_view fix;      // how to fix, one or two sentences
    // A configuration that reports the rule and a close one that does not (rules.def says
    // how they are read); both empty, with the reason in no_example, for a condition that
    // is not a short configuration.
    std::string_view example;
    std::string_view near_miss;
    std::string_view no_example;
    // What the rule detects and why it matters, from rules_help.def: paragraphs separated
    // by a blank line, no other line breaks.
    std::string_view help;
};

// Where each rule's page (docs/rules/CODE.md) is found; SARIF's helpUri and
// `proxyctl rules CODE` point there. The build sets it (PROXY_RULE_DOCS_URL): by default
// the pages the proxyctl package installs, or a site where a distributor publishes them.
inline constexpr std::string_view kRuleDocsBaseUrl = PROXY_RULE_DOCS_URL;

std::span<const RuleInfo> all_rules();
const RuleInfo& rule_info(Rule rule);
inline std::string_view code_of(Rule rule) {
    return rule_info(rule).code;
}
// The row of a code as written ("PX101"), or nullptr: for --disable, suppression comments
// and codes read back from proxyd's replies.
const RuleInfo* find_rule(std::string_view code);
// The row of a code or a name as a person types it, in any case ("px204",
// "Shadowed-ACL-Entry"), or nullptr: for `proxyctl rules CODE`.
const RuleInfo* lookup_rule(std::string_view code_or_name);
// The row whose code or name is closest to a misspelt one, or nullptr when none is close.
const RuleInfo* closest_rule(std::string_view code_or_name);

}  // namespace proxycfg
