// Order and sticky-state rules: PX106-PX113.
#include <catch2/catch.hpp>

#include "check_text.hpp"

using testing::check_text;
using testing::only;
using testing::reports;
using testing::with_code;

// --- PX106

TEST_CASE("auth and allow after the last service are reported at each line") {
    auto l = check_text(R"(socks -p1080
auth strong
allow bob
)");
    INFO(testing::summary(l));
    auto found = with_code(l, "PX106");
    REQUIRE(found.size() == 2);
    CHECK(found[0].span.line == 2);
    CHECK_THAT(found[0].message, Catch::Contains("'auth' after the last service line (line 1)"));
    REQUIRE(found[0].notes.size() == 1);
    CHECK(found[0].notes[0].span.line == 1);
    CHECK(found[1].span.line == 3);
}

TEST_CASE("global directives after the last service are not PX106") {
    auto l = check_text(R"(socks -p1080
users bob:CL:secret
nserver 127.0.0.53
timeouts 1 5 30 60 180 1800 15 60
)");
    CHECK_FALSE(reports(l, "PX106"));
}

TEST_CASE("snapshot directives in a file without services are not PX106") {
    auto l = check_text(R"(auth strong
allow bob
)");
    CHECK_FALSE(reports(l, "PX106"));
}

TEST_CASE("a first log line after the last service is PX106") {
    auto l = check_text(R"(socks -p1080
log /var/log/3proxy.log D
)");
    auto d = only(l, "PX106");
    CHECK(d.span.line == 2);
    CHECK_THAT(d.message, Catch::Contains("'log'"));
}

TEST_CASE("a later log line changes the global log file, so it is not PX106") {
    auto l = check_text(R"(log /var/log/a.log D
socks -p1080
log /var/log/b.log D
)");
    CHECK_FALSE(reports(l, "PX106"));
}

TEST_CASE("stacksize after the last service mentions that the value survives a reload") {
    auto l = check_text(R"(socks -p1080
stacksize 65536
)");
    auto d = only(l, "PX106");
    CHECK(d.span.line == 2);
    CHECK_THAT(d.message, Catch::Contains("across a reload"));
}

// --- PX107

TEST_CASE("an ACL entry leaks into the next service without flush") {
    auto l = check_text(R"(auth iponly
allow * 10.0.0.0/8
socks -p1080
allow * 192.168.0.0/16
proxy -p3128
)");
    auto d = only(l, "PX107");
    CHECK(d.span.line == 5);
    CHECK_THAT(d.message, Catch::Contains("inherits 1 ACL entry from 'socks:1080' (line 3)"));
    CHECK_THAT(d.message, Catch::Contains("before its own 1"));
    REQUIRE(d.notes.size() == 1);
    CHECK(d.notes[0].span.line == 2);
    REQUIRE(d.fixits.size() == 1);
    CHECK(d.fixits[0].span.line == 4);
    CHECK(d.fixits[0].span.column == 1);
    CHECK(d.fixits[0].span.length == 0);
    CHECK(d.fixits[0].replacement == "flush\n");
}

TEST_CASE("two services sharing one ACL on purpose (no entries of their own) are not a leak") {
    auto l = check_text(R"(allow * 10.0.0.0/8
deny *
socks -p1080
proxy -p3128
)");
    CHECK_FALSE(reports(l, "PX107"));
}

TEST_CASE("flush between services stops the ACL leak") {
    auto l = check_text(R"(allow * 10.0.0.0/8
socks -p1080
flush
allow * 192.168.0.0/16
proxy -p3128
)");
    CHECK_FALSE(reports(l, "PX107"));
}

TEST_CASE("nothing leaks from a service with an empty ACL") {
    auto l = check_text(R"(socks -p1080
allow * 192.168.0.0/16
proxy -p3128
)");
    CHECK_FALSE(reports(l, "PX107"));
}

// --- PX108 (reported by the resolver)

TEST_CASE("parent with no ACL entry before it is a chaining error") {
    auto l = check_text(R"(parent 1000 http 192.0.2.1 3128
proxy -p3128
)",
                        proxycfg::Dialect::threeproxy);
    auto d = only(l, "PX108");
    CHECK(d.span.line == 1);
    CHECK_THAT(d.message, Catch::Contains("no ACL entry before it"));
}

TEST_CASE("parent after deny is a chaining error") {
    auto l = check_text(R"(deny * * 10.0.0.0/8
parent 1000 http 192.0.2.1 3128
proxy -p3128
)",
                        proxycfg::Dialect::threeproxy);
    auto d = only(l, "PX108");
    CHECK(d.span.line == 2);
    CHECK_THAT(d.message, Catch::Contains("deny"));
}

TEST_CASE("parent directly after allow is fine") {
    auto l = check_text(R"(allow *
parent 1000 http 192.0.2.1 3128
proxy -p3128
)",
                        proxycfg::Dialect::threeproxy);
    CHECK_FALSE(reports(l, "PX108"));
}

// --- PX109

TEST_CASE("daemon after a service line is an error") {
    auto l = check_text(R"(socks -p1080
daemon
)");
    auto d = only(l, "PX109");
    CHECK(d.span.line == 2);
    CHECK(d.severity == proxycfg::Severity::error);
    CHECK_THAT(d.message, Catch::Contains("after 1 service line"));
    REQUIRE(d.notes.size() == 1);
    CHECK(d.notes[0].span.line == 1);
}

TEST_CASE("daemon above every service is fine") {
    auto l = check_text(R"(daemon
socks -p1080
)");
    CHECK_FALSE(reports(l, "PX109"));
}

// --- PX110 (reported by the resolver)

TEST_CASE("nolog with no ACL entry to modify is an error") {
    auto l = check_text(R"(nolog
socks -p1080
)");
    auto d = only(l, "PX110");
    CHECK(d.span.line == 1);
    CHECK_THAT(d.message, Catch::Contains("'nolog' modifies the last ACL entry"));
}

TEST_CASE("weight with no ACL entry to modify is an error") {
    auto l = check_text(R"(weight 5
socks -p1080
)",
                        proxycfg::Dialect::threeproxy);
    auto d = only(l, "PX110");
    CHECK(d.span.line == 1);
    CHECK_THAT(d.message, Catch::Contains("'weight'"));
}

TEST_CASE("nolog directly after allow is fine") {
    auto l = check_text(R"(allow *
nolog
socks -p1080
)");
    CHECK_FALSE(reports(l, "PX110"));
}

// --- PX111

TEST_CASE("pidfile before daemon records the parent's pid") {
    auto l = check_text(R"(pidfile /run/3proxy.pid
daemon
socks -p1080
)");
    auto d = only(l, "PX111");
    CHECK(d.span.line == 1);
    CHECK_THAT(d.message, Catch::Contains("pid of the parent"));
    REQUIRE(d.notes.size() == 1);
    CHECK(d.notes[0].span.line == 2);
    REQUIRE(d.fixits.size() == 2);
    CHECK(d.fixits[0].span.line == 1);
    CHECK(d.fixits[0].replacement == "daemon\n");
    CHECK(d.fixits[1].span.line == 2);
    CHECK(d.fixits[1].span.length == 7);
    CHECK(d.fixits[1].replacement.empty());
}

TEST_CASE("pidfile after daemon, or with no daemon at all, is fine") {
    CHECK_FALSE(reports(check_text(R"(daemon
pidfile /run/3proxy.pid
)"),
                        "PX111"));
    CHECK_FALSE(reports(check_text(R"(pidfile /run/3proxy.pid
socks -p1080
)"),
                        "PX111"));
}

// --- PX112

TEST_CASE("nsrecord before nscache is ignored") {
    auto l = check_text(R"(nsrecord www.example.com 192.0.2.10
nscache 65536
)",
                        proxycfg::Dialect::threeproxy);
    auto d = only(l, "PX112");
    CHECK(d.span.line == 1);
    CHECK_THAT(d.message, Catch::Contains("before any nscache is ignored"));
    REQUIRE(d.notes.size() == 1);
    CHECK(d.notes[0].span.line == 2);
}

TEST_CASE("nsrecord in a file without nscache says so") {
    auto l = check_text(R"(nsrecord www.example.com 192.0.2.10
)",
                        proxycfg::Dialect::threeproxy);
    auto d = only(l, "PX112");
    CHECK_THAT(d.message, Catch::Contains("no nscache line"));
    CHECK(d.notes.empty());
}

TEST_CASE("nsrecord after nscache or nscache6 is fine") {
    CHECK_FALSE(reports(check_text(R"(nscache 65536
nsrecord www.example.com 192.0.2.10
)",
                                   proxycfg::Dialect::threeproxy),
                        "PX112"));
    CHECK_FALSE(reports(check_text(R"(nscache6 65536
nsrecord www.example.com 2001:db8::10
)",
                                   proxycfg::Dialect::threeproxy),
                        "PX112"));
}

// --- PX113

TEST_CASE("flush after the last service is reported at the flush line") {
    auto l = check_text(R"(allow *
socks -p1080
flush
)");
    auto d = only(l, "PX113");
    CHECK(d.span.line == 3);
    CHECK_THAT(d.message, Catch::Contains("after the last service line (line 2)"));
    CHECK_FALSE(reports(l, "PX106"));
}

TEST_CASE("flush followed by a service is fine") {
    auto l = check_text(R"(allow *
socks -p1080
flush
allow *
proxy -p3128
)");
    CHECK_FALSE(reports(l, "PX113"));
}
