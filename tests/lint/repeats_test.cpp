// One mistake repeated on many lines: checking goes on to the end of the file, and past
// ten findings of one kind the rest are counted in a note instead of listed.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "check_text.hpp"
#include "proxycfg/format.hpp"

using testing::check_text;
using testing::with_code;

namespace {

// 60 lines that each name an undefined user, then a service.
std::string undefined_users(int lines) {
    std::string text = "users alice:CL:wonderland\nauth strong\n";
    for (int i = 0; i < lines; ++i) text += "allow user" + std::to_string(i) + "\n";
    return text + "socks -i127.0.0.1\n";
}

std::string render(const proxycfg::Loaded& l, proxycfg::OutputFormat format) {
    proxycfg::CheckedFile file;
    file.sources = l.parse.config.sources.get();
    file.display_path = "test.cfg";
    file.diagnostics = l.diagnostics;
    std::ostringstream out;
    proxycfg::write_diagnostics(out, format, {file}, {});
    return out.str();
}

}  // namespace

TEST_CASE("a finding repeated past ten is summarised in a note on the tenth", "[lint][repeats]") {
    auto l = check_text(undefined_users(60));
    auto found = with_code(l, "PX202");
    REQUIRE(found.size() == 10);
    CHECK(found.front().span.line == 3);
    CHECK(found.back().span.line == 12);
    REQUIRE_FALSE(found.back().notes.empty());
    const auto& note = found.back().notes.back();
    CHECK_THAT(note.message, Catch::StartsWith("and 50 more like this (PX202)"));
    CHECK(note.span.line == 13);
    for (std::size_t i = 0; i + 1 < found.size(); ++i)
        for (const auto& n : found[i].notes) CHECK_THAT(n.message, !Catch::Contains("more like"));
}

TEST_CASE("ten or fewer of a kind are all listed", "[lint][repeats]") {
    auto l = check_text(undefined_users(10));
    auto found = with_code(l, "PX202");
    REQUIRE(found.size() == 10);
    for (const auto& d : found)
        for (const auto& n : d.notes) CHECK_THAT(n.message, !Catch::Contains("more like"));
}

TEST_CASE("a repeated syntax error does not stop checking as if the file were binary",
          "[lint][repeats]") {
    std::string text;
    for (int i = 0; i < 80; ++i) text += "maxconn\n";
    text += "frobnicate\nauth strong\nsocks -i127.0.0.1\n";
    auto l = check_text(text);
    INFO(testing::summary(l));
    CHECK_FALSE(testing::reports(l, "PX016"));
    auto arity = with_code(l, "PX002");
    REQUIRE(arity.size() == 10);
    CHECK_THAT(arity.back().notes.back().message, Catch::StartsWith("and 70 more like this"));
    // The lines after the repeated mistake are still checked.
    CHECK(testing::reports(l, "PX001", 81));
    CHECK(testing::reports(l, "PX201", 82));
}

TEST_CASE("binary content without NUL bytes still stops with PX016", "[lint][repeats]") {
    std::string text;
    for (int i = 0; i < 200; ++i) {
        for (int j = 0; j < 12; ++j) text += static_cast<char>(0x80 + ((i * 7 + j * 13) % 0x7f));
        text += '\n';
    }
    auto l = check_text(text);
    auto binary = with_code(l, "PX016");
    REQUIRE(binary.size() == 1);
    CHECK_THAT(binary[0].message, Catch::Contains("binary data"));
    CHECK(binary[0].span.line < 200);
}

TEST_CASE("findings differing only in names and numbers are one kind; others are not",
          "[lint][repeats]") {
    proxycfg::Diagnostics diags;
    for (std::uint32_t i = 1; i <= 12; ++i)
        diags.push_back(proxycfg::make_diagnostic(
            proxycfg::Rule::PX202, {0, i, 1, 1},
            "user 'u" + std::to_string(i) + "' on line " + std::to_string(i) + " is not defined"));
    for (std::uint32_t i = 13; i <= 14; ++i)
        diags.push_back(proxycfg::make_diagnostic(proxycfg::Rule::PX202, {0, i, 1, 1},
                                                  "another shape of 3proxy's message"));
    proxycfg::summarise_repeats(diags, 10);
    REQUIRE(diags.size() == 12);
    CHECK_THAT(diags[9].notes.back().message, Catch::StartsWith("and 2 more like this"));
    CHECK(diags[10].notes.empty());
    CHECK(diags[11].notes.empty());
}

TEST_CASE("summarised output stays valid JSON and SARIF, the count in a note", "[lint][repeats]") {
    auto l = check_text(undefined_users(30));
    auto json = nlohmann::json::parse(render(l, proxycfg::OutputFormat::json));
    std::size_t px202 = 0;
    bool counted = false;
    for (const auto& d : json["files"][0]["diagnostics"]) {
        if (d["code"] != "PX202") continue;
        ++px202;
        for (const auto& n : d["notes"])
            counted |= n["message"].get<std::string>().rfind("and 20 more like this", 0) == 0;
    }
    CHECK(px202 == 10);
    CHECK(counted);

    auto sarif = nlohmann::json::parse(render(l, proxycfg::OutputFormat::sarif));
    std::size_t results = 0;
    bool related = false;
    for (const auto& r : sarif["runs"][0]["results"]) {
        if (r["ruleId"] != "PX202") continue;
        ++results;
        if (!r.contains("relatedLocations")) continue;
        for (const auto& loc : r["relatedLocations"])
            related |= loc["message"]["text"].get<std::string>().rfind("and 20 more", 0) == 0;
    }
    CHECK(results == 10);
    CHECK(related);
}
