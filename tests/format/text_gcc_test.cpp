// Golden tests of the compiler-style formats: the exact text a person reads.
#include <catch2/catch.hpp>

#include "check_text.hpp"
#include "format_fixture.hpp"

using proxycfg::OutputFormat;
using proxycfg::Severity;
using testing::FormatFixture;

namespace {

FormatFixture typo_and_force() {
    FormatFixture f("test.cfg",
                    "nserver 127.0.0.1\nauth strong\nsock -p1080\nsocks -p1080\nforce\n");
    auto& typo = f.add("PX001", Severity::error, "unknown directive 'sock'", 3, 1, 4);
    typo.fixits.push_back({{0, 3, 1, 4}, "socks", "replace 'sock' with 'socks'"});
    auto& force =
        f.add("PX101", Severity::warning, "'force' after the last service has no effect", 5, 1, 5);
    force.notes.push_back({{0, 4, 1, 5}, "the last service is here"});
    return f;
}

}  // namespace

TEST_CASE(
    "format: text output shows the source line with a caret under the span, then the fix-it") {
    auto f = typo_and_force();
    f.file.diagnostics.pop_back();
    CHECK(f.render(OutputFormat::text) ==
          "test.cfg:3:1: error: unknown directive 'sock' [PX001]\n"
          " 3 | sock -p1080\n"
          "   | ^~~~\n"
          "fix-it: replace 'sock' with 'socks' (test.cfg:3:1)\n"
          "    socks\n");
}

TEST_CASE("format: text output puts a note with its own location and snippet after the finding") {
    auto f = typo_and_force();
    f.file.diagnostics.erase(f.file.diagnostics.begin());
    CHECK(f.render(OutputFormat::text) ==
          "test.cfg:5:1: warning: 'force' after the last service has no effect [PX101]\n"
          " 5 | force\n"
          "   | ^~~~~\n"
          "test.cfg:4:1: note: the last service is here\n"
          " 4 | socks -p1080\n"
          "   | ^~~~~\n");
}

TEST_CASE("format: text output asked for a rules hint ends with one line naming 'proxyctl rules'") {
    auto f = typo_and_force();
    std::string out = f.render(OutputFormat::text, false, true);
    std::string hint =
        "note: 'proxyctl rules CODE' explains a code and how to fix it, e.g. 'proxyctl rules "
        "PX001'\n";
    REQUIRE(out.size() > hint.size());
    CHECK(out.substr(out.size() - hint.size()) == hint);
    CHECK(out.substr(0, out.size() - hint.size()) == f.render(OutputFormat::text));
    CHECK(f.render(OutputFormat::gcc, false, true) == f.render(OutputFormat::gcc));

    FormatFixture clean("clean.cfg", "socks -p1080\n");
    CHECK(clean.render(OutputFormat::text, false, true).empty());
}

TEST_CASE("format: text output without colour has no escape codes; with colour it has") {
    auto f = typo_and_force();
    CHECK(f.render(OutputFormat::text, false).find('\033') == std::string::npos);
    CHECK(f.render(OutputFormat::text, true).find("\033[") != std::string::npos);
}

TEST_CASE("format: text output of an unreadable file is the path and the message, no snippet") {
    FormatFixture f("missing.cfg", "");
    f.add("PX000", Severity::error, "cannot read 'missing.cfg': No such file or directory", 0, 0,
          0);
    CHECK(f.render(OutputFormat::text) ==
          "missing.cfg: error: cannot read 'missing.cfg': No such file or directory [PX000]\n");
}

TEST_CASE("format: text output of a real syntax error from the parser points a caret at the line") {
    auto loaded = testing::check_text("socks -p1080\nfrobnicate 1 2\n");
    REQUIRE(testing::reports(loaded, "PX001", 2));
    proxycfg::CheckedFile cf;
    cf.sources = loaded.parse.config.sources.get();
    cf.display_path = "test.cfg";
    cf.diagnostics = testing::with_code(loaded, "PX001");
    std::ostringstream out;
    proxycfg::write_diagnostics(out, OutputFormat::text, {cf}, {});
    std::string text = out.str();
    CHECK(text.rfind("test.cfg:2:1: error: ", 0) == 0);
    CHECK(text.find("[PX001]\n 2 | frobnicate 1 2\n   | ^") != std::string::npos);
}

TEST_CASE("format: gcc output is one line per finding and one per note") {
    auto f = typo_and_force();
    CHECK(f.render(OutputFormat::gcc) ==
          "test.cfg:3:1: error: unknown directive 'sock' [PX001]\n"
          "test.cfg:5:1: warning: 'force' after the last service has no effect [PX101]\n"
          "test.cfg:4:1: note: the last service is here\n");
}
