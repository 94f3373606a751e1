// Syntax traps found by the lint pass: PX013 ('#' after content) and PX025 (log with
// extra words).
#include <catch2/catch.hpp>

#include "check_text.hpp"

using testing::check_text;
using testing::only;
using testing::reports;
using testing::with_code;

// --- PX013

TEST_CASE("a '#' after content is reported as not a comment, with a fix-it moving it") {
    auto l = check_text(R"(users bob:CL:secret # the admin
)");
    auto d = only(l, "PX013");
    CHECK(d.span.line == 1);
    CHECK(d.span.column == 21);
    CHECK(d.span.length == 11);
    CHECK_THAT(d.message, Catch::Contains("not a comment"));
    CHECK_THAT(d.message, Catch::Contains("3 words from '#' on as arguments of 'users'"));
    REQUIRE(d.fixits.size() == 2);
    CHECK(d.fixits[0].span.column == 1);
    CHECK(d.fixits[0].span.length == 0);
    CHECK(d.fixits[0].replacement == "# the admin\n");
    CHECK(d.fixits[1].span.column == 20);
    CHECK(d.fixits[1].span.length == 12);
    CHECK(d.fixits[1].replacement.empty());
}

TEST_CASE("a '#' after a directive without arguments says 3proxy rejects the line") {
    auto l = check_text(R"(socks -p1080
flush # start over
allow *
proxy -p3128
)");
    auto d = only(l, "PX013");
    CHECK(d.span.line == 2);
    CHECK_THAT(d.message, Catch::Contains("Unknown command"));
}

TEST_CASE("a partly quoted word starting with '#' is PX013 too") {
    auto l = check_text(R"(socks -p1080
allow * #"x"
)");
    auto d = only(l, "PX013");
    CHECK(d.span.line == 2);
    CHECK(d.span.column == 9);
}

TEST_CASE("comments in column 1 and quoted '#' are not PX013") {
    auto l = check_text(R"(# users of the office
users "bob:CL:#secret"
allow bob * * "#"
socks -p1080
)");
    INFO(testing::summary(l));
    CHECK_FALSE(reports(l, "PX013"));
}

TEST_CASE("a trailing proxyctl suppression is PX013 for 3proxy, which reads it as arguments") {
    auto l = check_text(R"(socks -p1080
flush # proxyctl: disable=PX113
)",
                        proxycfg::Dialect::threeproxy);
    auto d = only(l, "PX013");
    CHECK(d.span.line == 2);
    CHECK(d.span.column == 7);
    CHECK_THAT(d.message, Catch::Contains("suppression"));
    REQUIRE(d.notes.size() == 1);
    CHECK(d.notes[0].span.line == 2);
    CHECK(d.notes[0].span.column == 1);
    CHECK_THAT(d.notes[0].message, Catch::Contains("3 words of the suppression as arguments of "
                                                   "'flush'"));
    CHECK_THAT(d.notes[0].message, Catch::Contains("Unknown command"));
    REQUIRE(d.fixits.size() == 2);
    CHECK(d.fixits[0].replacement == "# proxyctl: disable=PX113\n");
    CHECK(d.fixits[1].span.column == 6);
    CHECK(d.fixits[1].replacement.empty());
    CHECK_FALSE(reports(l, "PX113"));  // the suppression itself still works for proxyctl
}

TEST_CASE("a trailing proxyctl suppression is fine in the proxyd dialect") {
    auto l = check_text(R"(socks -p1080
flush # proxyctl: disable=PX113
)");
    INFO(testing::summary(l));
    CHECK_FALSE(reports(l, "PX013"));
    CHECK_FALSE(reports(l, "PX113"));
}

TEST_CASE("a proxyctl suppression on its own line is fine in the 3proxy dialect") {
    auto l = check_text(R"(socks -p1080
# proxyctl: disable=PX113
flush
)",
                        proxycfg::Dialect::threeproxy);
    CHECK_FALSE(reports(l, "PX013"));
    CHECK_FALSE(reports(l, "PX113"));
}

// --- PX025: log with extra words

TEST_CASE("a config flattened onto the log line is reported with fix-its splitting it") {
    auto l = check_text(R"(log /var/log/3proxy.log D socks -p1080
)");
    auto d = only(l, "PX025");
    CHECK(d.span.line == 1);
    CHECK(d.span.column == 27);
    CHECK(d.span.length == 12);
    CHECK_THAT(d.message, Catch::Contains("ignores the other 2 words ('socks ...')"));
    CHECK_THAT(d.message, Catch::Contains("joined into one"));
    REQUIRE(d.fixits.size() == 1);
    CHECK(d.fixits[0].span.column == 26);
    CHECK(d.fixits[0].span.length == 1);
    CHECK(d.fixits[0].replacement == "\n");
}

TEST_CASE("an extra word on the log line that is not a directive is reported without a fix-it") {
    auto l = check_text(R"(log /var/log/3proxy.log D 7
)");
    auto d = only(l, "PX025");
    CHECK_THAT(d.message, Catch::Contains("1 word ('7')"));
    CHECK(d.fixits.empty());
}

TEST_CASE("log with a target and a rotation letter is fine") {
    for (const char* cfg : {"log\n", "log @3proxy\n", "log /var/log/3proxy.log D\n"}) {
        INFO(cfg);
        CHECK_FALSE(reports(check_text(cfg), "PX025"));
    }
}

TEST_CASE("words after '#' on a log line are left to PX013") {
    auto l = check_text(R"(log /var/log/3proxy.log D # daily
)");
    CHECK(reports(l, "PX013", 1));
    CHECK_FALSE(reports(l, "PX025"));
}
