// SARIF output checked against what GitHub code scanning requires of an upload:
// version 2.1.0, tool.driver.name and rules, and per result ruleId, level, message.text,
// physicalLocation.artifactLocation.uri and region.startLine/startColumn (>= 1).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "format_fixture.hpp"
#include "proxycfg/rules.hpp"

using proxycfg::OutputFormat;
using proxycfg::Severity;
using testing::FormatFixture;

namespace {

nlohmann::json sarif_of(const FormatFixture& f) {
    return nlohmann::json::parse(f.render(OutputFormat::sarif));
}

}  // namespace

TEST_CASE("format: sarif output has the fields GitHub code scanning requires") {
    FormatFixture f("configs/proxy.cfg", "socks -p1080\nforce\n");
    f.add("PX101", Severity::warning, "'force' after the last service has no effect", 2, 1, 5);
    auto j = sarif_of(f);
    CHECK(j["version"] == "2.1.0");
    CHECK(j["$schema"].get<std::string>().find("sarif-2.1.0") != std::string::npos);
    REQUIRE(j["runs"].size() == 1);
    const auto& driver = j["runs"][0]["tool"]["driver"];
    CHECK(driver["name"] == "proxyctl");
    CHECK(driver["version"] == "9.8.7");
    CHECK_FALSE(driver.contains("informationUri"));

    const auto& rules = driver["rules"];
    REQUIRE(rules.size() == proxycfg::all_rules().size());
    for (const auto& rule : rules) {
        CHECK(rule["id"].get<std::string>().size() == 5);
        CHECK_FALSE(rule["name"].get<std::string>().empty());
        CHECK_FALSE(rule["shortDescription"]["text"].get<std::string>().empty());
        CHECK_FALSE(rule["help"]["text"].get<std::string>().empty());
        // The long explanation, and the rule's page in the repository.
        const auto* info = proxycfg::find_rule(rule["id"].get<std::string>());
        REQUIRE(info);
        CHECK(rule["fullDescription"]["text"] == info->help);
        CHECK(rule["help"]["text"].get<std::string>().find(info->help) == 0);
        CHECK(rule["help"]["markdown"].get<std::string>().find("## Fix") != std::string::npos);
        CHECK(rule["helpUri"] ==
              std::string(proxycfg::kRuleDocsBaseUrl) + std::string(info->code) + ".md");
        auto level = rule["defaultConfiguration"]["level"].get<std::string>();
        CHECK((level == "error" || level == "warning" || level == "note"));
    }

    REQUIRE(j["runs"][0]["results"].size() == 1);
    const auto& r = j["runs"][0]["results"][0];
    CHECK(r["ruleId"] == "PX101");
    REQUIRE(r.contains("ruleIndex"));
    CHECK(rules[r["ruleIndex"].get<std::size_t>()]["id"] == "PX101");
    CHECK(r["level"] == "warning");
    CHECK(r["message"]["text"] == "'force' after the last service has no effect");
    const auto& loc = r["locations"][0]["physicalLocation"];
    CHECK(loc["artifactLocation"]["uri"] == "configs/proxy.cfg");
    CHECK(loc["region"]["startLine"] == 2);
    CHECK(loc["region"]["startColumn"] == 1);
    CHECK(loc["region"]["endColumn"] == 6);
}

TEST_CASE("format: sarif results exist as an empty array when there are no findings") {
    FormatFixture f("clean.cfg", "socks\n");
    auto j = sarif_of(f);
    REQUIRE(j["runs"][0]["results"].is_array());
    CHECK(j["runs"][0]["results"].empty());
}

TEST_CASE("format: sarif maps info to note and a file-level finding to line 1 column 1") {
    FormatFixture f("gone.cfg", "");
    f.add("PX000", Severity::error, "cannot read", 0, 0, 0);
    f.add("PX210", Severity::info, "plaintext password", 0, 0, 0);
    auto j = sarif_of(f);
    const auto& results = j["runs"][0]["results"];
    const auto& region = results[0]["locations"][0]["physicalLocation"]["region"];
    CHECK(region["startLine"] == 1);
    CHECK(region["startColumn"] == 1);
    CHECK(results[1]["level"] == "note");
}

TEST_CASE("format: sarif uris are relative with forward slashes and percent-encoded spaces") {
    auto uri_of = [](std::string path) {
        FormatFixture f(std::move(path), "x\n");
        f.add("PX001", Severity::error, "m", 1, 1, 1);
        return sarif_of(f)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
                          ["artifactLocation"]["uri"]
                              .get<std::string>();
    };
    CHECK(uri_of("my configs/a b.cfg") == "my%20configs/a%20b.cfg");
    CHECK(uri_of("./etc/proxy.cfg") == "etc/proxy.cfg");
    CHECK(uri_of("etc\\proxy.cfg") == "etc/proxy.cfg");
    CHECK(uri_of("/etc/proxyd/proxyd.cfg") == "file:///etc/proxyd/proxyd.cfg");
    CHECK(uri_of("100%.cfg") == "100%25.cfg");
    CHECK(uri_of("bad\xff.cfg") == "bad%FF.cfg");
}

TEST_CASE("format: sarif notes become relatedLocations and fix-its become fixes") {
    FormatFixture f("p.cfg", "socks -p1080\nforce socks -p3128\n");
    auto& d = f.add("PX103", Severity::error, "'force' takes no arguments", 2, 7, 12);
    d.notes.push_back({{0, 1, 1, 5}, "the service above"});
    d.notes.push_back({{}, "3proxy ignores the arguments"});
    d.fixits.push_back({{0, 2, 1, 6}, "", "delete 'force '"});
    d.fixits.push_back({{0, 2, 1, 0}, "force\n", "insert 'force' on its own line"});
    const auto r = sarif_of(f)["runs"][0]["results"][0];
    REQUIRE(r["relatedLocations"].size() == 1);
    CHECK(r["relatedLocations"][0]["message"]["text"] == "the service above");
    CHECK(r["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] == 1);
    CHECK(r["message"]["text"] == "'force' takes no arguments\nnote: 3proxy ignores the arguments");
    REQUIRE(r["fixes"].size() == 2);
    const auto& del = r["fixes"][0]["artifactChanges"][0];
    CHECK(del["artifactLocation"]["uri"] == "p.cfg");
    CHECK(del["replacements"][0]["deletedRegion"] ==
          nlohmann::json{{"startLine", 2}, {"startColumn", 1}, {"endColumn", 7}});
    CHECK(del["replacements"][0]["insertedContent"]["text"] == "");
    const auto& ins = r["fixes"][1]["artifactChanges"][0]["replacements"][0];
    CHECK(ins["deletedRegion"]["endColumn"] == ins["deletedRegion"]["startColumn"]);
    CHECK(ins["insertedContent"]["text"] == "force\n");
    CHECK(r["fixes"][1]["description"]["text"] == "insert 'force' on its own line");
}

TEST_CASE("format: sarif output is valid UTF-8 when a message holds invalid bytes") {
    FormatFixture f("p.cfg", "x\n");
    f.add("PX001", Severity::error, "unknown directive '\xc0\xaf'", 1, 1, 1);
    nlohmann::json j;
    REQUIRE_NOTHROW(j = nlohmann::json::parse(f.render(OutputFormat::sarif)));
    CHECK(j["runs"][0]["results"][0]["message"]["text"] == "unknown directive '\\xc0\\xaf'");
}

TEST_CASE("format: sarif fix-it that deletes a whole line ends at column 1 of the next line") {
    FormatFixture f("p.cfg", "socks\nforce\nproxy\nforce\n");
    auto& d = f.add("PX102", Severity::warning, "m", 2, 1, 5);
    d.fixits.push_back({{0, 2, 1, 6}, "", "remove line 2"});
    d.fixits.push_back({{0, 4, 1, 6}, "", "remove the last line"});
    const auto r = sarif_of(f)["runs"][0]["results"][0];
    CHECK(r["fixes"][0]["artifactChanges"][0]["replacements"][0]["deletedRegion"] ==
          nlohmann::json{{"startLine", 2}, {"startColumn", 1}, {"endLine", 3}, {"endColumn", 1}});
    CHECK(r["fixes"][1]["artifactChanges"][0]["replacements"][0]["deletedRegion"] ==
          nlohmann::json{{"startLine", 4}, {"startColumn", 1}, {"endLine", 5}, {"endColumn", 1}});
}
