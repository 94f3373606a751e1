// proxyctl rules: the table of every diagnostic code, for people (--disable, suppression
// comments) and for scripts (--json). Reads the one table in proxycfg/rules.hpp.
#include <algorithm>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "proxycfg/rules.hpp"

namespace proxyctl {
namespace {

int run_rules(bool json) {
    using namespace proxycfg;
    if (json) {
        auto rules = nlohmann::ordered_json::array();
        for (const auto& r : all_rules()) {
            rules.push_back({{"code", r.code},
                             {"severity", to_string(r.severity)},
                             {"name", r.name},
                             {"summary", r.summary},
                             {"fix", r.fix}});
        }
        std::cout << rules.dump(2) << '\n';
        return exit_ok;
    }
    std::size_t name_width = 4;
    for (const auto& r : all_rules()) name_width = std::max(name_width, r.name.size());
    for (const auto& r : all_rules()) {
        std::string severity(to_string(r.severity));
        std::string name(r.name);
        severity.resize(8, ' ');
        name.resize(name_width, ' ');
        std::cout << r.code << "  " << severity << name << "  " << r.summary << '\n';
    }
    return exit_ok;
}

}  // namespace

void register_rules(CLI::App& app, Runner& runner) {
    auto json = std::make_shared<bool>(false);
    auto* cmd =
        app.add_subcommand("rules", "List every diagnostic code with its severity and meaning");
    cmd->add_flag("--json", *json, "Print the table as JSON (code, severity, name, summary, fix)");
    cmd->footer(
        "Switch a rule off with 'proxyctl check --disable CODE' or a\n"
        "'# proxyctl: disable=CODE' comment on the line above the finding.\n"
        "Examples:\n"
        "  proxyctl rules | grep PX1\n"
        "  proxyctl rules --json | jq -r '.[] | select(.severity == \"error\") | .code'");
    cmd->callback([json, &runner] { runner.status = run_rules(*json); });
}

}  // namespace proxyctl
