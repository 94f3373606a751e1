// Every rule's long explanation, its lookup by code or name, and the pages rendered from
// it (terminal text and the Markdown of docs/rules/).
#include <algorithm>
#include <string>

#include <catch2/catch.hpp>

#include "proxycfg/rule_docs.hpp"
#include "proxycfg/rules.hpp"

using proxycfg::RuleInfo;

namespace {

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

const RuleInfo& rule(std::string_view code) {
    const RuleInfo* r = proxycfg::find_rule(code);
    REQUIRE(r);
    return *r;
}

}  // namespace

TEST_CASE("rule docs: every rule has a long explanation in rules_help.def") {
    for (const auto& r : proxycfg::all_rules()) {
        INFO(r.code << ": add its row to grammar/include/proxycfg/rules_help.def");
        REQUIRE_FALSE(r.help.empty());
        // Longer than the one-line summary and the fix together: it explains.
        CHECK(r.help.size() > r.summary.size() + r.fix.size());
        // Paragraphs separated by one blank line, no other line breaks, no stray spaces.
        std::string_view rest = r.help;
        while (!rest.empty()) {
            auto nl = rest.find('\n');
            if (nl == std::string_view::npos) break;
            CHECK(rest.substr(nl, 2) == "\n\n");
            CHECK(rest.substr(nl + 2, 1) != "\n");
            rest.remove_prefix(nl + 2);
        }
        CHECK_FALSE(contains(r.help, "  "));
        CHECK_FALSE(contains(r.help, " \n"));
        CHECK(r.help.back() == '.');
    }
}

TEST_CASE("rule docs: a rule is found by code or name in any case") {
    CHECK(proxycfg::lookup_rule("PX204") == &rule("PX204"));
    CHECK(proxycfg::lookup_rule("px204") == &rule("PX204"));
    CHECK(proxycfg::lookup_rule("shadowed-acl-entry") == &rule("PX204"));
    CHECK(proxycfg::lookup_rule("Force-After-Last-Service") == &rule("PX101"));
    CHECK(proxycfg::lookup_rule("PX999") == nullptr);
    CHECK(proxycfg::lookup_rule("") == nullptr);
}

TEST_CASE("rule docs: a misspelt code or name suggests the closest rule, a far one none") {
    CHECK(proxycfg::closest_rule("PX2O4") == &rule("PX204"));
    CHECK(proxycfg::closest_rule("force-after-service") == &rule("PX101"));
    CHECK(proxycfg::closest_rule("shadowed-acl") == &rule("PX204"));
    CHECK(proxycfg::closest_rule("open-proxi") == &rule("PX301"));
    CHECK(proxycfg::closest_rule("completely-unrelated-words") == nullptr);
}

TEST_CASE("rule docs: examples show bytes a terminal would hide as escapes") {
    CHECK(proxycfg::shown_example("socks -p1080\n") == "socks -p1080\n");
    CHECK(proxycfg::shown_example("a\rb\r") == "a\\rb\\r");
    CHECK(proxycfg::shown_example(std::string_view("a\0b", 3)) == "a\\0b");
    CHECK(proxycfg::shown_example("\xef\xbb\xbfnserver") == "\\xef\\xbb\\xbfnserver");
    CHECK(proxycfg::shown_example("b\xe9"
                                  "b") == "b\\xe9b");
    CHECK(proxycfg::shown_example("b\xc3\xa9"
                                  "b") ==
          "b\xc3\xa9"
          "b");
    CHECK(proxycfg::shown_example("a\tb\x1b") == "a\tb\\x1b");
}

TEST_CASE("rule docs: the terminal page has the explanation, both examples and the fix") {
    const RuleInfo& r = rule("PX204");
    std::string text = proxycfg::rule_text(r);
    CHECK(text.rfind("PX204  shadowed-acl-entry  (warning)\n", 0) == 0);
    CHECK(contains(text, "Reported for:\n    allow * 10.0.0.0/8\n    allow * 10.1.0.0/16\n"));
    CHECK(contains(text, "Not reported for:\n    allow * 10.1.0.0/16\n"));
    CHECK(contains(text, "\nFix: Remove it, or move it above the broader entry.\n"));
    CHECK(contains(text, "proxyctl check --disable PX204"));
    CHECK(contains(text, "Page: " + proxycfg::rule_url(r) + "\n"));
    // Wrapped: no line is wider than 80 columns.
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        INFO(text.substr(start, end - start));
        CHECK(end - start <= 80);
        start = end + 1;
    }
}

TEST_CASE("rule docs: a rule without an example says why; a file without a last newline says so") {
    std::string px000 = proxycfg::rule_text(rule("PX000"));
    CHECK(contains(px000, "No example: the condition is a file that cannot be read."));
    CHECK_FALSE(contains(px000, "Reported for"));
    std::string px019 = proxycfg::rule_text(rule("PX019"));
    CHECK(contains(px019, "    users $users.txt\n    (the file ends without a newline)\n"));
    CHECK(contains(proxycfg::rule_markdown(rule("PX019")), "The file ends without a newline."));
}

TEST_CASE("rule docs: the Markdown page escapes text and fences the examples") {
    std::string page = proxycfg::rule_markdown(rule("PX213"));
    CHECK(page.rfind("# PX213 suffix-pattern-excludes-domain\n\n", 0) == 0);
    CHECK(contains(page, "Severity: info\n"));
    // '*' and '$' would start emphasis and math on GitHub.
    CHECK(contains(page, "'\\*example.com'"));
    CHECK(contains(page, "## Reported for\n\n```\nallow * * *example.com\n"));
    CHECK(contains(page, "`proxyctl rules --markdown PX213`"));
    CHECK(contains(proxycfg::rule_markdown(rule("PX211")), "\\$1\\$salt\\$hash"));
    std::string body = proxycfg::rule_markdown(rule("PX213"), false);
    CHECK(body.rfind("In the TARGETS field", 0) == 0);
    CHECK_FALSE(contains(body, "Generated"));
}

TEST_CASE("rule docs: the index links every rule's page, by family") {
    std::string index = proxycfg::rules_index_markdown();
    for (const auto& r : proxycfg::all_rules())
        CHECK(
            contains(index, "| [" + std::string(r.code) + "](" + std::string(r.code) + ".md) | "));
    CHECK(contains(index, "\n## 1xx: order and positional state\n"));
}
