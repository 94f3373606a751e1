// Every rule's own example (rules.def): the trigger reports the rule and the near miss
// does not, through the whole pipeline `proxyctl check` runs (parse, resolve, lint).
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "proxycfg/lint.hpp"
#include "proxycfg/rules.hpp"

namespace {

using namespace proxycfg;

constexpr std::string_view kThreeProxy = "# proxyctl check --dialect 3proxy\n";

// The two files the examples may name (rules.def); every other path is missing.
bool read_example_file(const std::string& path, std::string& text, std::string& error) {
    static const std::map<std::string, std::string, std::less<>> files = {
        {"present.cfg", "maxconn 10\n"}, {"users.txt", "alice:CL:secret\n"}};
    std::string_view name = path;
    if (auto slash = name.rfind('/'); slash != std::string_view::npos)
        name.remove_prefix(slash + 1);
    auto it = files.find(name);
    if (it == files.end()) {
        error = "No such file or directory";
        return false;
    }
    text = it->second;
    return true;
}

std::set<std::string> codes_reported(std::string_view config) {
    LoadOptions options;
    options.parse.read_file = read_example_file;
    options.lint.min_severity = Severity::info;
    options.lint.dialect = config.starts_with(kThreeProxy) ? Dialect::threeproxy : Dialect::proxyd;
    Loaded loaded = load_config_text("example.cfg", std::string(config), options);
    std::set<std::string> codes;
    for (const auto& d : loaded.diagnostics) codes.insert(d.code);
    return codes;
}

std::string listed(const std::set<std::string>& codes) {
    std::string out;
    for (const auto& c : codes) out += (out.empty() ? "" : " ") + c;
    return out.empty() ? "(none)" : out;
}

}  // namespace

TEST_CASE("every rule's example reports it and its near miss does not", "[rules]") {
    for (const RuleInfo& rule : all_rules()) {
        INFO(rule.code << " " << rule.name);
        if (rule.example.empty()) {
            // Only conditions that are not a short configuration go without one, and say why.
            CHECK(rule.near_miss.empty());
            CHECK_FALSE(rule.no_example.empty());
            continue;
        }
        CHECK(rule.no_example.empty());
        auto triggered = codes_reported(rule.example);
        INFO("example:\n" << rule.example << "reports " << listed(triggered));
        CHECK(triggered.count(std::string(rule.code)) == 1);
        REQUIRE_FALSE(rule.near_miss.empty());
        auto missed = codes_reported(rule.near_miss);
        INFO("near miss:\n" << rule.near_miss << "reports " << listed(missed));
        CHECK(missed.count(std::string(rule.code)) == 0);
    }
}

TEST_CASE("rule ids, codes and the table agree", "[rules]") {
    auto rules = all_rules();
    REQUIRE(rules.size() > 50);
    for (std::size_t i = 0; i < rules.size(); ++i) {
        const RuleInfo& r = rules[i];
        CHECK(&rule_info(r.rule) == &r);
        CHECK(code_of(r.rule) == r.code);
        CHECK(find_rule(r.code) == &r);
    }
    CHECK(find_rule("PX999") == nullptr);
    CHECK(find_rule("px101") == nullptr);
    CHECK(find_rule("") == nullptr);
    CHECK(rule_info(Rule::PX101).severity == Severity::warning);
    CHECK(rule_info(Rule::PX001).name == "unknown-directive");
}

TEST_CASE("make_diagnostic takes the rule's severity unless the site gives one", "[rules]") {
    Diagnostic d = make_diagnostic(Rule::PX206, {1, 2, 3, 4}, "plaintext");
    CHECK(d.code == "PX206");
    CHECK(d.severity == Severity::info);
    CHECK(d.message == "plaintext");
    CHECK(d.span.line == 2);
    CHECK(d.is(Rule::PX206));
    CHECK_FALSE(d.is(Rule::PX207));
    Diagnostic w = make_diagnostic(Rule::PX009, Severity::warning, {1, 1, 1, 1}, "port");
    CHECK(w.code == "PX009");
    CHECK(w.severity == Severity::warning);
}
