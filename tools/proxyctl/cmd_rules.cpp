// proxyctl rules: the table of every diagnostic code, for people (--disable, suppression
// comments) and for scripts (--json); with codes or names, each rule's explanation, as
// text, JSON or the Markdown of docs/rules/. Reads the one table in proxycfg/rules.hpp.
#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "proxycfg/rule_docs.hpp"
#include "proxycfg/rules.hpp"

namespace proxyctl {
namespace {

using proxycfg::RuleInfo;

struct RulesOptions {
    bool json = false;
    bool markdown = false;
    std::vector<std::string> rules;
};

void print_table() {
    using namespace proxycfg;
    std::size_t name_width = 4;
    for (const auto& r : all_rules()) name_width = std::max(name_width, r.name.size());
    for (const auto& r : all_rules()) {
        std::string severity(to_string(r.severity));
        std::string name(r.name);
        severity.resize(8, ' ');
        name.resize(name_width, ' ');
        std::cout << r.code << "  " << severity << name << "  " << r.summary << '\n';
    }
}

// What `check --fix` does with the rule's fix-its: "safe", "unsafe", "depends" (safe when
// it changes no service), or null for a rule without any.
nlohmann::ordered_json fixit_json(proxycfg::Rule rule) {
    switch (proxycfg::fix_safety(rule)) {
        case proxycfg::FixSafety::safe:
            return "safe";
        case proxycfg::FixSafety::unsafe:
            return "unsafe";
        case proxycfg::FixSafety::depends:
            return "depends";
        case proxycfg::FixSafety::none:
            break;
    }
    return nullptr;
}

nlohmann::ordered_json table_json() {
    using namespace proxycfg;
    auto rules = nlohmann::ordered_json::array();
    for (const auto& r : all_rules()) {
        rules.push_back({{"code", r.code},
                         {"severity", to_string(r.severity)},
                         {"name", r.name},
                         {"summary", r.summary},
                         {"fix", r.fix},
                         {"fixit", fixit_json(r.rule)}});
    }
    return rules;
}

// One rule with everything `proxyctl rules CODE` shows; null examples for a rule whose
// condition is not a short configuration.
nlohmann::ordered_json rule_json(const RuleInfo& r) {
    using Json = nlohmann::ordered_json;
    bool examples = r.no_example.empty();
    return {{"code", r.code},
            {"severity", proxycfg::to_string(r.severity)},
            {"name", r.name},
            {"summary", r.summary},
            {"fix", r.fix},
            {"fixit", fixit_json(r.rule)},
            {"help", r.help},
            {"example", examples ? Json(r.example) : Json(nullptr)},
            {"near_miss", examples ? Json(r.near_miss) : Json(nullptr)},
            {"no_example", examples ? Json(nullptr) : Json(r.no_example)},
            {"url", proxycfg::rule_url(r)}};
}

// Every word must name a rule before anything is printed, so a typo does not leave half
// an output behind.
bool resolve(const std::vector<std::string>& words, std::vector<const RuleInfo*>& out) {
    for (const auto& w : words) {
        if (const RuleInfo* r = proxycfg::lookup_rule(w)) {
            out.push_back(r);
            continue;
        }
        std::cerr << "proxyctl rules: unknown rule '" << w << "'";
        if (const RuleInfo* near = proxycfg::closest_rule(w))
            std::cerr << "; did you mean " << near->code << " (" << near->name << ")?";
        std::cerr << "\n(run 'proxyctl rules' for the list)\n";
        return false;
    }
    return true;
}

int run_rules(const RulesOptions& o) {
    std::vector<const RuleInfo*> rules;
    if (!resolve(o.rules, rules)) return exit_usage;
    if (rules.empty()) {
        if (o.json)
            std::cout << table_json().dump(2) << '\n';
        else if (o.markdown)
            std::cout << proxycfg::rules_index_markdown();
        else
            print_table();
        return exit_ok;
    }
    if (o.json) {
        auto out = nlohmann::ordered_json::array();
        for (const auto* r : rules) out.push_back(rule_json(*r));
        std::cout << out.dump(2) << '\n';
        return exit_ok;
    }
    for (std::size_t i = 0; i < rules.size(); ++i) {
        if (i > 0) std::cout << '\n';
        std::cout << (o.markdown ? proxycfg::rule_markdown(*rules[i])
                                 : proxycfg::rule_text(*rules[i]));
    }
    return exit_ok;
}

}  // namespace

void register_rules(CLI::App& app, Runner& runner) {
    auto o = std::make_shared<RulesOptions>();
    auto* cmd = app.add_subcommand(
        "rules",
        "List every diagnostic code, or explain the rules named, with examples and the fix");
    cmd->add_option("rule", o->rules,
                    "Codes or names of the rules to explain, in any case (PX204, "
                    "shadowed-acl-entry)");
    auto* json = cmd->add_flag(
        "--json", o->json,
        "Print JSON: the table (code, severity, name, summary, fix), or for the rules named "
        "also help, example, near_miss, no_example and url");
    cmd->add_flag("--markdown", o->markdown,
                  "Print Markdown: the rule's page of docs/rules/, or without a rule the index")
        ->excludes(json);
    cmd->footer(
        "Switch a rule off with 'proxyctl check --disable CODE' or a\n"
        "'# proxyctl: disable=CODE' comment on the line above the finding;\n"
        "both take the rule's name as well.\n"
        "Exit status 2 when a rule named is unknown.\n"
        "Examples:\n"
        "  proxyctl rules | grep PX1\n"
        "  proxyctl rules PX204\n"
        "  proxyctl rules force-after-last-service\n"
        "  proxyctl rules --json | jq -r '.[] | select(.severity == \"error\") | .code'");
    cmd->callback([o, &runner] { runner.status = run_rules(*o); });
}

}  // namespace proxyctl
