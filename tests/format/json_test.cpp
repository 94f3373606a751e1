// The json format read back with nlohmann: the documented schema, and valid UTF-8 even
// when the configuration is not.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "format_fixture.hpp"

using proxycfg::OutputFormat;
using proxycfg::Severity;
using testing::FormatFixture;

TEST_CASE("format: json output has version, files with diagnostics, notes, fix-its and a summary") {
    FormatFixture f("conf/test.cfg", "socks -p1080\nforce socks -p3128\n");
    auto& d = f.add("PX103", Severity::error, "'force' takes no arguments", 2, 7, 12);
    d.notes.push_back({{0, 1, 1, 5}, "the service above"});
    d.fixits.push_back({{0, 2, 1, 0}, "force\n", "move 'force' onto its own line"});
    f.add("PX101", Severity::warning, "w", 2, 1, 5);
    f.add("PX210", Severity::info, "i", 1, 1, 5);

    auto j = nlohmann::json::parse(f.render(OutputFormat::json));
    CHECK(j["version"] == 1);
    REQUIRE(j["files"].size() == 1);
    CHECK(j["files"][0]["path"] == "conf/test.cfg");
    const auto& diags = j["files"][0]["diagnostics"];
    REQUIRE(diags.size() == 3);
    const auto& first = diags[0];
    CHECK(first["code"] == "PX103");
    CHECK(first["severity"] == "error");
    CHECK(first["message"] == "'force' takes no arguments");
    CHECK(first["file"] == "conf/test.cfg");
    CHECK(first["line"] == 2);
    CHECK(first["column"] == 7);
    CHECK(first["length"] == 12);
    REQUIRE(first["notes"].size() == 1);
    CHECK(first["notes"][0] == nlohmann::json{{"file", "conf/test.cfg"},
                                              {"line", 1},
                                              {"column", 1},
                                              {"message", "the service above"}});
    REQUIRE(first["fixits"].size() == 1);
    CHECK(first["fixits"][0]["replacement"] == "force\n");
    CHECK(first["fixits"][0]["line"] == 2);
    CHECK(first["fixits"][0]["column"] == 1);
    CHECK(first["fixits"][0]["length"] == 0);
    CHECK(first["fixits"][0]["description"] == "move 'force' onto its own line");
    CHECK(diags[1]["notes"].empty());
    CHECK(diags[1]["fixits"].empty());
    CHECK(j["summary"] == nlohmann::json{{"errors", 1}, {"warnings", 1}, {"infos", 1}});
}

TEST_CASE("format: json output for no findings still lists the file and a zero summary") {
    FormatFixture f("clean.cfg", "socks\n");
    auto j = nlohmann::json::parse(f.render(OutputFormat::json));
    CHECK(j["files"][0]["diagnostics"].empty());
    CHECK(j["summary"]["errors"] == 0);
}

TEST_CASE("format: json output is valid UTF-8 when the message and path hold invalid bytes") {
    FormatFixture f("bad\xff.cfg", "us\xc3\x28rs\n");
    f.add("PX001", Severity::error, "unknown directive 'us\xc3\x28rs'", 1, 1, 6);
    f.file.diagnostics[0].fixits.push_back({{0, 1, 1, 6}, "users\xfe", "fix"});
    std::string out = f.render(OutputFormat::json);
    nlohmann::json j;
    REQUIRE_NOTHROW(j = nlohmann::json::parse(out));  // the parser rejects invalid UTF-8
    CHECK(j["files"][0]["path"] == "bad\\xff.cfg");
    CHECK(j["files"][0]["diagnostics"][0]["message"] == "unknown directive 'us\\xc3(rs'");
    CHECK(j["files"][0]["diagnostics"][0]["fixits"][0]["replacement"] == "users\\xfe");
}

TEST_CASE("format: json output keeps valid non-ASCII text and escapes control characters") {
    FormatFixture f("тест.cfg", "x\n");
    f.add("PX001", Severity::error, "ünknown\x01", 1, 1, 1);
    auto j = nlohmann::json::parse(f.render(OutputFormat::json));
    CHECK(j["files"][0]["path"] == "тест.cfg");
    CHECK(j["files"][0]["diagnostics"][0]["message"] == "ünknown\x01");
}

TEST_CASE("format: a model change has every key, null where a value does not exist") {
    FormatFixture f("conf/test.cfg", "users alice:CL:a\n");
    proxycfg::ModelChange added;
    added.kind = proxycfg::ModelChange::Kind::added;
    added.area = "user";
    added.subject = "alice";
    added.after = "user";
    added.span = {0, 1, 7, 5};
    CHECK(nlohmann::json(proxycfg::model_change_json(f.file, added)) ==
          nlohmann::json{{"kind", "added"},
                         {"area", "user"},
                         {"subject", "alice"},
                         {"before", nullptr},
                         {"after", "user"},
                         {"file", "conf/test.cfg"},
                         {"line", 1}});
    proxycfg::ModelChange removed;
    removed.kind = proxycfg::ModelChange::Kind::removed;
    removed.area = "user";
    removed.subject = "bob\xff";  // a name from a file is not always valid UTF-8
    removed.before = "user";
    auto j = nlohmann::json(proxycfg::model_change_json(f.file, removed));
    CHECK(j["kind"] == "removed");
    CHECK(j["after"].is_null());
    CHECK(j["file"].is_null());
    CHECK(j["line"].is_null());
    CHECK_NOTHROW(j.dump());
}
