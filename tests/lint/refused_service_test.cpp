// A service line 3proxy refuses (a bad option) still gets every other finding about it in
// the same run: the error is one thing to fix, not the only one.
#include <catch2/catch.hpp>

#include "check_text.hpp"

using proxycfg::Dialect;
using testing::check_text;
using testing::only;
using testing::reports;

TEST_CASE("a bad -e does not hide the undefined users and the cache of its auth chain",
          "[lint][refused]") {
    auto l = check_text(R"(users alice:CL:wonderland
auth strong cache
allow alice,bob
socks -i127.0.0.1 -p1080 -eproxy.example
)");
    INFO(testing::summary(l));
    auto bad = only(l, "PX009");
    CHECK(bad.span.line == 4);
    CHECK_THAT(bad.message, Catch::Contains("-e needs an IP address"));
    auto undefined = only(l, "PX202");
    CHECK(undefined.span.line == 3);
    CHECK_THAT(undefined.message, Catch::Contains("'bob'"));
    CHECK(reports(l, "PX508", 2));
    // It starts nothing, so it is not in the model that proxyd runs.
    CHECK(l.model.services.empty());
}

TEST_CASE("auth strong without users is reported for a service with a bad option",
          "[lint][refused]") {
    auto l = check_text(R"(auth strong
socks -i127.0.0.1 -p1080 -e
)");
    INFO(testing::summary(l));
    CHECK(reports(l, "PX009", 2));
    CHECK(reports(l, "PX201", 1));
}

TEST_CASE("the 3proxy cache warning is kept for a refused service", "[lint][refused]") {
    auto l = check_text(R"(users alice:CL:wonderland
auth cache strong
socks -i127.0.0.1 -p1080 -e192.0.2.300
)",
                        Dialect::threeproxy);
    INFO(testing::summary(l));
    CHECK(reports(l, "PX009", 3));
    CHECK(reports(l, "PX217"));
}

TEST_CASE("both bad ports of a mapper are reported, and the ACL findings too", "[lint][refused]") {
    auto l = check_text(R"(allow * 10.0.0.0/8
allow * 10.1.0.0/16
tcppm -i127.0.0.1 0 192.0.2.1 70000
)");
    INFO(testing::summary(l));
    CHECK(testing::with_code(l, "PX005").size() == 2);
    CHECK(reports(l, "PX204", 2));
}

TEST_CASE("a refused service is no listener: no open proxy, no duplicate port", "[lint][refused]") {
    auto l = check_text(R"(socks -i127.0.0.1 -p1080
socks -i127.0.0.1 -p1080 -ebad
proxy -p3128 -ebad
)");
    INFO(testing::summary(l));
    CHECK(testing::with_code(l, "PX009").size() == 2);
    CHECK_FALSE(reports(l, "PX302"));
    CHECK_FALSE(reports(l, "PX301"));
    REQUIRE(l.model.services.size() == 1);
    CHECK(l.model.services[0].label == "socks:127.0.0.1:1080");
    CHECK(l.model.services[0].index == 0);
}
