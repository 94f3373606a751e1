// Suppression comments: blocks (disable= ... enable=), PX028 (an enable that closes no
// block) and PX029 (a suppression that suppresses nothing).
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "check_text.hpp"

using testing::check_text;
using testing::only;
using testing::reports;
using testing::with_code;

namespace {

// Loads with the given severity threshold and switched-off rules, as `proxyctl check`
// --severity/--disable would.
proxycfg::Loaded check_with(std::string text, proxycfg::Severity min_severity,
                            std::set<std::string> disabled = {}) {
    proxycfg::LoadOptions options;
    options.lint.min_severity = min_severity;
    options.lint.disabled = std::move(disabled);
    return proxycfg::load_config_text("test.cfg", std::move(text), options);
}

constexpr const char* kService = "socks -i127.0.0.1 -p1080\n";

}  // namespace

// --- blocks

TEST_CASE("disable= with a later enable= suppresses every line in between") {
    auto l = check_text(std::string(kService) +
                        "# proxyctl: disable=PX113\n"
                        "flush\n"
                        "\n"
                        "flush\n"
                        "# proxyctl: enable=PX113\n"
                        "flush\n");
    INFO(testing::summary(l));
    CHECK_FALSE(reports(l, "PX113", 3));
    CHECK_FALSE(reports(l, "PX113", 5));
    CHECK(reports(l, "PX113", 7));
    CHECK_FALSE(reports(l, "PX028"));
    CHECK_FALSE(reports(l, "PX029"));
}

TEST_CASE("disable= without an enable= still covers only the next command line") {
    auto l = check_text(std::string(kService) +
                        "# proxyctl: disable=PX113\n"
                        "\n"
                        "flush\n"
                        "flush\n");
    INFO(testing::summary(l));
    CHECK_FALSE(reports(l, "PX113", 4));
    CHECK(reports(l, "PX113", 5));
    CHECK_FALSE(reports(l, "PX029"));
}

TEST_CASE("an enable= ends only the codes it names; the others stay next-line") {
    // The block is PX113's; PX101 (force after the last service) covers line 3 only.
    auto l = check_text(std::string(kService) +
                        "# proxyctl: disable=PX113,PX101\n"
                        "flush\n"
                        "maxconn 10\n"
                        "noforce\n"
                        "flush\n"
                        "# proxyctl: enable=flush-after-last-service\n"
                        "flush\n");
    INFO(testing::summary(l));
    CHECK_FALSE(reports(l, "PX113", 3));
    CHECK_FALSE(reports(l, "PX113", 6));
    CHECK(reports(l, "PX101", 5));
    CHECK(reports(l, "PX113", 8));
    CHECK_FALSE(reports(l, "PX028"));
}

TEST_CASE("blocks of the same code nest: an enable= closes the nearest open disable=") {
    auto l = check_text(std::string(kService) +
                        "# proxyctl: disable=PX113\n"  // 2: outer
                        "flush\n"                      // 3
                        "# proxyctl: disable=PX113\n"  // 4: inner
                        "flush\n"                      // 5
                        "# proxyctl: enable=PX113\n"   // 6: closes the inner
                        "flush\n"                      // 7: still in the outer
                        "# proxyctl: enable=PX113\n"   // 8: closes the outer
                        "flush\n");                    // 9
    INFO(testing::summary(l));
    CHECK_FALSE(reports(l, "PX113", 3));
    CHECK_FALSE(reports(l, "PX113", 5));
    CHECK_FALSE(reports(l, "PX113", 7));
    CHECK(reports(l, "PX113", 9));
    CHECK_FALSE(reports(l, "PX028"));
    CHECK_FALSE(reports(l, "PX029"));
}

TEST_CASE("overlapping blocks of different codes end independently") {
    auto l = check_text(std::string(kService) +
                        "# proxyctl: disable=PX113\n"  // 2
                        "flush\n"                      // 3
                        "# proxyctl: disable=PX101\n"  // 4
                        "maxconn 10\n"                 // 5
                        "noforce\n"                    // 6
                        "# proxyctl: enable=PX113\n"   // 7
                        "noforce\n"                    // 8: PX101 block still open
                        "flush\n"                      // 9
                        "# proxyctl: enable=PX101\n"   // 10
                        "noforce\n");                  // 11
    INFO(testing::summary(l));
    CHECK_FALSE(reports(l, "PX113", 3));
    CHECK_FALSE(reports(l, "PX101", 6));
    CHECK_FALSE(reports(l, "PX101", 8));
    CHECK(reports(l, "PX113", 9));
    CHECK(reports(l, "PX101", 11));
    CHECK_FALSE(reports(l, "PX028"));
}

TEST_CASE("disable=all is a block up to enable=all") {
    auto l = check_text(std::string(kService) +
                        "# proxyctl: disable=all\n"
                        "flush\n"
                        "frobnicate\n"
                        "# proxyctl: enable=all\n"
                        "flush\n");
    INFO(testing::summary(l));
    CHECK_FALSE(reports(l, "PX113", 3));
    CHECK_FALSE(reports(l, "PX001", 4));
    CHECK(reports(l, "PX113", 6));
    CHECK_FALSE(reports(l, "PX028"));
}

// --- PX028

TEST_CASE("an enable= without an open disable= is PX028 at the word") {
    auto l = check_text(std::string(kService) + "flush\n# proxyctl: enable=PX113\n");
    auto d = only(l, "PX028");
    CHECK(d.span.line == 3);
    CHECK(d.span.column == 20);
    CHECK(d.span.length == 5);
    CHECK_THAT(d.message, Catch::Contains("PX113"));
    CHECK(reports(l, "PX113", 2));
}

TEST_CASE("PX028 for the second enable= of one block, and for the unmatched word only") {
    auto l = check_text(std::string(kService) +
                        "# proxyctl: disable=PX113\n"
                        "flush\n"
                        "# proxyctl: enable=PX113,PX101\n"
                        "# proxyctl: enable=PX113\n");
    INFO(testing::summary(l));
    auto found = with_code(l, "PX028");
    REQUIRE(found.size() == 2);
    CHECK(found[0].span.line == 4);
    CHECK_THAT(found[0].message, Catch::Contains("PX101"));
    CHECK(found[1].span.line == 5);
}

TEST_CASE("enable=all does not close a block of a single code, nor enable=CODE a disable=all") {
    // Line 7 closes the PX113 block of line 2, still open: the disable=all of line 5 is
    // not it, and stays a next-line suppression.
    auto l = check_text(std::string(kService) +
                        "# proxyctl: disable=PX113\n"
                        "flush\n"
                        "# proxyctl: enable=all\n"
                        "# proxyctl: disable=all\n"
                        "flush\n"
                        "# proxyctl: enable=PX113\n");
    INFO(testing::summary(l));
    CHECK(reports(l, "PX028", 4));
    CHECK_FALSE(reports(l, "PX028", 7));
    CHECK_FALSE(reports(l, "PX113", 3));
    CHECK_FALSE(reports(l, "PX113", 6));
}

// --- PX029

TEST_CASE("a suppression above a line without the finding is PX029 with a removing fix-it") {
    std::string text = std::string(kService) + "# proxyctl: disable=PX113\nmaxconn 10\n";
    auto l = check_text(text);
    auto d = only(l, "PX029");
    CHECK(d.severity == proxycfg::Severity::warning);
    CHECK(d.span.line == 2);
    CHECK(d.span.column == 1);
    CHECK(d.span.length == 25);
    CHECK_THAT(d.message, Catch::Contains("PX113") && Catch::Contains("line 3"));
    REQUIRE(d.fixits.size() == 1);
    CHECK(d.fixits[0].replacement.empty());
    CHECK(d.fixits[0].span.line == 2);
    CHECK(d.fixits[0].span.column == 1);
    CHECK(d.fixits[0].span.length == 26);  // the newline too: the whole line goes
}

TEST_CASE(
    "a trailing suppression that suppresses nothing: the fix-it removes it and the "
    "spaces before it") {
    auto l = check_text(std::string(kService) + "maxconn 10   # proxyctl: disable=PX113\n");
    auto d = only(l, "PX029");
    CHECK(d.span.line == 2);
    CHECK(d.span.column == 14);
    CHECK_THAT(d.message, Catch::Contains("on this line"));
    REQUIRE(d.fixits.size() == 1);
    CHECK(d.fixits[0].span.column == 11);
    CHECK(d.fixits[0].span.length == 28);
    CHECK(d.fixits[0].replacement.empty());
}

TEST_CASE("a trailing suppression keeps a CRLF's CR when it is removed") {
    auto l = check_text(std::string(kService) + "maxconn 10 # proxyctl: disable=PX113\r\n");
    auto d = only(l, "PX029");
    CHECK(d.fixits[0].span.column == 11);
    CHECK(d.fixits[0].span.length == 26);
}

TEST_CASE("a used suppression, inline or above or for the file, is not PX029") {
    CHECK_FALSE(
        reports(check_text(std::string(kService) + "flush # proxyctl: disable=PX113\n"), "PX029"));
    CHECK_FALSE(
        reports(check_text(std::string(kService) + "# proxyctl: disable=PX113\nflush\n"), "PX029"));
    CHECK_FALSE(
        reports(check_text("# proxyctl: disable-file=PX113\n" + std::string(kService) + "flush\n"),
                "PX029"));
}

TEST_CASE("disable-file= that suppresses nothing is PX029") {
    auto l = check_text("# proxyctl: disable-file=PX113,PX101\n" + std::string(kService));
    auto d = only(l, "PX029");
    CHECK(d.span.line == 1);
    CHECK_THAT(d.message, Catch::Contains("PX113,PX101") && Catch::Contains("in this file"));
}

TEST_CASE("a block that suppresses nothing is PX029") {
    auto l = check_text(std::string(kService) +
                        "# proxyctl: disable=PX113\n"
                        "maxconn 10\n"
                        "# proxyctl: enable=PX113\n");
    auto d = only(l, "PX029");
    CHECK(d.span.line == 2);
    CHECK_THAT(d.message, Catch::Contains("block"));
}

TEST_CASE("a code of a used suppression that suppresses nothing is PX029 on its word") {
    // PX113 (flush) is used, PX101 is not: the fix-it drops ",PX101" and keeps the comment.
    std::string text = std::string(kService) + "# proxyctl: disable=PX113,PX101\nflush\n";
    auto d = only(check_text(text), "PX029");
    CHECK(d.span.line == 2);
    CHECK(d.span.column == 27);
    CHECK(d.span.length == 5);
    CHECK_THAT(d.message, Catch::Contains("'PX101'") && Catch::Contains("other codes are used"));
    REQUIRE(d.fixits.size() == 1);
    CHECK(d.fixits[0].replacement.empty());
    CHECK(d.fixits[0].span.column == 26);  // the comma before the last word
    CHECK(d.fixits[0].span.length == 6);
    CHECK_FALSE(d.fixits[0].unsafe);

    // The first word goes with the comma after it.
    text = std::string(kService) + "# proxyctl: disable=PX101,PX113\nflush\n";
    d = only(check_text(text), "PX029");
    CHECK(d.span.column == 21);
    CHECK(d.fixits[0].span.column == 21);
    CHECK(d.fixits[0].span.length == 6);
}

TEST_CASE("a code that cannot be judged keeps the others from being reported as a whole") {
    // PX113 is off in this run: the comment may still be needed, so only PX101 is named.
    std::string text = std::string(kService) + "# proxyctl: disable=PX113,PX101\nflush\n";
    auto d = only(check_with(text, proxycfg::Severity::info, {"PX113"}), "PX029");
    CHECK_THAT(d.message, Catch::Contains("'PX101'"));
    CHECK(d.fixits[0].span.length == 6);
}

TEST_CASE("disable=all is judged only when nothing is filtered out") {
    std::string unused = "# proxyctl: disable=all\n" + std::string(kService);
    std::string used = std::string(kService) + "# proxyctl: disable=all\nflush\n";
    CHECK(reports(check_with(unused, proxycfg::Severity::info), "PX029", 1));
    CHECK_FALSE(reports(check_with(used, proxycfg::Severity::info), "PX029"));
    // An info finding could be there, unseen.
    CHECK_FALSE(reports(check_with(unused, proxycfg::Severity::warning), "PX029"));
    CHECK_FALSE(reports(check_with(unused, proxycfg::Severity::info, {"PX501"}), "PX029"));
}

TEST_CASE("a suppression of a rule that is switched off or below the threshold is not judged") {
    // The finding would exist if the rule ran: the comment is not stale.
    std::string text = std::string(kService) + "# proxyctl: disable=PX113\nflush\n";
    CHECK_FALSE(reports(check_with(text, proxycfg::Severity::info, {"PX113"}), "PX029"));
    CHECK_FALSE(reports(check_with(text, proxycfg::Severity::error), "PX029"));
    // PX024 (end-directive) is an info: under --severity warning it is not judged...
    std::string info = std::string(kService) + "# proxyctl: disable=PX024\nmaxconn 10\n";
    CHECK_FALSE(reports(check_with(info, proxycfg::Severity::warning), "PX029"));
    // ...and with infos on, it is.
    CHECK(reports(check_with(info, proxycfg::Severity::info), "PX029", 2));
    // A used one stays unreported at any threshold.
    std::string end = std::string(kService) + "# proxyctl: disable=PX024\nend\nflush\n";
    CHECK_FALSE(reports(check_with(end, proxycfg::Severity::info), "PX029"));
}

TEST_CASE("PX029 itself can be switched off, by --disable or a disable-file comment") {
    std::string text = std::string(kService) + "# proxyctl: disable=PX113\nmaxconn 10\n";
    CHECK_FALSE(reports(check_with(text, proxycfg::Severity::info, {"PX029"}), "PX029"));
    auto l = check_text("# proxyctl: disable-file=unused-suppression\n" + text);
    INFO(testing::summary(l));
    CHECK_FALSE(reports(l, "PX029"));
}

TEST_CASE("a suppression of a PX4xx rule, known only from a running proxyd, is not judged") {
    auto l = check_text("# proxyctl: disable-file=PX401\n" + std::string(kService));
    CHECK_FALSE(reports(l, "PX029"));
}

TEST_CASE("a suppression whose words name no rule is PX027 only") {
    auto l = check_text("# proxyctl: disable=PX9999\n" + std::string(kService));
    CHECK(reports(l, "PX027"));
    CHECK_FALSE(reports(l, "PX029"));
}
