// Services and network: PX301-PX310, PX312.
#include <catch2/catch.hpp>

#include "check_text.hpp"

using proxycfg::Dialect;
using testing::check_text;
using testing::contains;
using testing::reports;
using testing::with_code;

// --- PX301

TEST_CASE("a socks service on all interfaces with the default auth and no ACL is open",
          "[lint][network]") {
    auto l = check_text("socks\n");
    auto d = with_code(l, "PX301");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 1);
    CHECK(contains(d[0].message, "open proxy"));
    CHECK(contains(d[0].message, "empty ACL"));
    REQUIRE(d[0].notes.size() == 1);
    CHECK(contains(d[0].notes[0].message, "default is iponly"));
}

TEST_CASE("auth none on all interfaces is open whatever the ACL", "[lint][network]") {
    auto l = check_text("auth none\nallow * 10.0.0.0/8\ndeny *\nproxy -p8080\n");
    auto d = with_code(l, "PX301");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 4);
    CHECK(contains(d[0].message, "auth none"));
    CHECK(d[0].notes.at(0).span.line == 1);
}

TEST_CASE("an iponly allow with no source list is open, with a note at the allow",
          "[lint][network]") {
    auto l = check_text("auth iponly\nallow * * * 80,443\ndeny *\nproxy -i0.0.0.0\n");
    auto d = with_code(l, "PX301");
    REQUIRE(d.size() == 1);
    REQUIRE(d[0].notes.size() == 2);
    CHECK(d[0].notes[1].span.line == 2);
}

TEST_CASE("a source-restricted, loopback or password service is not open", "[lint][network]") {
    CHECK_FALSE(reports(check_text("auth iponly\nallow * 10.0.0.0/8\ndeny *\nsocks\n"), "PX301"));
    CHECK_FALSE(reports(check_text("socks -i127.0.0.1\n"), "PX301"));
    CHECK_FALSE(reports(check_text("internal 192.0.2.1\nsocks\n"), "PX301"));
    CHECK_FALSE(reports(check_text("users bob:CL:pw\nauth strong\nsocks\n"), "PX301"));
    CHECK_FALSE(reports(check_text("tcppm 2525 192.0.2.1 25\n"), "PX301"));
    // An allow naming a user never matches under iponly; only the final deny decides.
    CHECK_FALSE(reports(check_text("allow bob\ndeny *\nsocks\n"), "PX301"));
}

// --- PX302

TEST_CASE("two bare socks lines share the default port 1080", "[lint][network]") {
    auto l = check_text("socks -i127.0.0.1\nsocks -i127.0.0.1\n");
    auto d = with_code(l, "PX302");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 2);
    CHECK(d[0].severity == proxycfg::Severity::error);
    CHECK(contains(d[0].message, "1080 (the default port)"));
    REQUIRE(d[0].notes.size() == 1);
    CHECK(d[0].notes[0].span.line == 1);
}

TEST_CASE("PX302 says what each dialect's daemon does with a shared port", "[lint][network]") {
    const char* text = "socks -i127.0.0.1 -p1080\nproxy -i127.0.0.1 -p1080\n";
    auto proxyd = testing::only(check_text(text), "PX302");
    CHECK(contains(proxyd.message, "proxyd binds a port once"));
    auto three = testing::only(check_text(text, Dialect::threeproxy), "PX302");
    CHECK(contains(three.message, "the kernel splits clients between them"));
}

TEST_CASE("a service on 0.0.0.0 overlaps a specific address on the same port", "[lint][network]") {
    auto l = check_text("proxy -p8080 -i192.0.2.1\nsocks -p8080\n");
    auto d = with_code(l, "PX302");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 2);
}

TEST_CASE("different ports, addresses or transports do not collide", "[lint][network]") {
    auto l = check_text(R"(nserver 192.0.2.53
socks -i127.0.0.1
socks -i127.0.0.2
socks -i127.0.0.1 -p1081
proxy -i127.0.0.1 -p53
dnspr -i127.0.0.1
)",
                        Dialect::threeproxy);
    CHECK_FALSE(reports(l, "PX302"));
}

// --- PX303

TEST_CASE("a privileged port with setuid in the file is reported at the port", "[lint][network]") {
    auto l = check_text("setuid 65534\nproxy -i127.0.0.1 -p80\n");
    auto d = with_code(l, "PX303");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 2);
    CHECK(d[0].span.column == 19);
    CHECK(contains(d[0].message, "port 80"));
    CHECK(d[0].notes.at(0).span.line == 1);
}

TEST_CASE("a privileged port without setuid, or a high port with it, is fine", "[lint][network]") {
    CHECK_FALSE(reports(check_text("proxy -i127.0.0.1 -p80\n"), "PX303"));
    CHECK_FALSE(reports(check_text("setgid 65534\nproxy -i127.0.0.1 -p8080\n"), "PX303"));
}

// --- PX304

TEST_CASE("a second log FILE line is reported with a note at the first", "[lint][network]") {
    auto l = check_text(R"(log /var/log/3proxy/a.log D
socks -i127.0.0.1
log /var/log/3proxy/b.log D
proxy -i127.0.0.1
)");
    auto d = with_code(l, "PX304");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 3);
    CHECK(contains(d[0].message, "one log file"));
    CHECK(d[0].notes.at(0).span.line == 1);
}

TEST_CASE("one log file plus stdout and syslog logs is fine", "[lint][network]") {
    auto l = check_text("log /var/log/3proxy.log\nlog\nlog @3proxy\nsocks -i127.0.0.1\n");
    CHECK_FALSE(reports(l, "PX304"));
}

// --- PX305

TEST_CASE("a sixth nserver is reported as ignored", "[lint][network]") {
    auto l = check_text(R"(nserver 192.0.2.1
nserver 192.0.2.2
nserver 192.0.2.3
nserver 192.0.2.4
nserver 192.0.2.5
nserver 192.0.2.6
nserver 192.0.2.7
socks -i127.0.0.1
)");
    auto d = with_code(l, "PX305");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 6);
    CHECK(contains(d[0].message, "first 5"));
}

TEST_CASE("five nservers are fine", "[lint][network]") {
    std::string cfg;
    for (int i = 1; i <= 5; ++i) cfg += "nserver 192.0.2." + std::to_string(i) + "\n";
    CHECK_FALSE(reports(check_text(cfg + "socks -i127.0.0.1\n"), "PX305"));
}

// --- PX306

TEST_CASE("timeouts with eleven values is reported at the extra value with a fix-it",
          "[lint][network]") {
    auto l = check_text("timeouts 1 5 30 60 180 1800 15 60 15 5 99\nsocks -i127.0.0.1\n");
    auto d = with_code(l, "PX306");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 1);
    CHECK(d[0].span.column == 40);
    CHECK(contains(d[0].message, "11 values"));
    REQUIRE(d[0].fixits.size() == 1);
    CHECK(d[0].fixits[0].replacement.empty());
    CHECK(d[0].fixits[0].span.column == 39);
    CHECK(d[0].fixits[0].span.length == 3);
}

TEST_CASE("timeouts with ten values is fine", "[lint][network]") {
    auto l = check_text("timeouts 1 5 30 60 180 1800 15 60 15 5\nsocks -i127.0.0.1\n");
    CHECK_FALSE(reports(l, "PX306"));
}

// --- PX307

TEST_CASE("a hostname as -i listen address is reported at the option", "[lint][network]") {
    auto l = check_text("socks -iproxy.internal\n");
    auto d = with_code(l, "PX307");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.column == 7);
    CHECK(contains(d[0].message, "'proxy.internal' is a hostname"));
}

TEST_CASE("a hostname in internal is reported once for all its services", "[lint][network]") {
    auto l = check_text("internal gateway.lan\nsocks\nproxy\n");
    auto d = with_code(l, "PX307");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 1);
    CHECK(contains(d[0].message, "all interfaces"));
}

TEST_CASE("IP literal listen addresses are fine", "[lint][network]") {
    CHECK_FALSE(reports(check_text("internal ::1\nsocks\nproxy -i127.0.0.1\n"), "PX307"));
}

// --- PX308

TEST_CASE("relative log and pidfile paths are reported in the 3proxy dialect", "[lint][network]") {
    auto l = check_text("pidfile 3proxy.pid\nlog logs/3proxy.log\nsocks -i127.0.0.1\n",
                        Dialect::threeproxy);
    auto d = with_code(l, "PX308");
    REQUIRE(d.size() == 2);
    CHECK(d[0].span.line == 1);
    CHECK(d[0].span.column == 9);
    CHECK(d[0].severity == proxycfg::Severity::info);
    CHECK(contains(d[1].message, "'logs/3proxy.log' is relative"));
}

TEST_CASE("relative paths are not reported in the proxyd dialect, absolute ones never",
          "[lint][network]") {
    CHECK_FALSE(reports(check_text("pidfile 3proxy.pid\nsocks -i127.0.0.1\n"), "PX308"));
    CHECK_FALSE(reports(check_text("pidfile /run/3proxy.pid\nlog @3proxy\nsocks -i127.0.0.1\n",
                                   Dialect::threeproxy),
                        "PX308"));
}

// --- PX309

TEST_CASE("dnspr without nserver is reported", "[lint][network]") {
    auto l = check_text("dnspr -i127.0.0.1\n", Dialect::threeproxy);
    auto d = with_code(l, "PX309");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 1);
}

TEST_CASE("dnspr with an nserver or nscache is fine", "[lint][network]") {
    CHECK_FALSE(reports(check_text("nserver 192.0.2.53\ndnspr -i127.0.0.1\n", Dialect::threeproxy),
                        "PX309"));
    CHECK_FALSE(
        reports(check_text("nscache 65536\ndnspr -i127.0.0.1\n", Dialect::threeproxy), "PX309"));
}

// --- PX310

TEST_CASE("a log rotation letter outside C H D W M Y is reported", "[lint][network]") {
    auto l = check_text("log /var/log/3proxy.log X\nsocks -i127.0.0.1\n");
    auto d = with_code(l, "PX310");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.column == 25);
    CHECK(contains(d[0].message, "'X'"));
}

TEST_CASE("log rotation letters are accepted in either case", "[lint][network]") {
    CHECK_FALSE(reports(check_text("log /var/log/3proxy.log d\nsocks -i127.0.0.1\n"), "PX310"));
    CHECK_FALSE(reports(check_text("log /var/log/3proxy.log M\nsocks -i127.0.0.1\n"), "PX310"));
}

TEST_CASE("Windows absolute paths are not relative", "[lint][network]") {
    auto l =
        check_text("log c:\\3proxy\\logs\\3proxy.log D\nsocks -i127.0.0.1\n", Dialect::threeproxy);
    CHECK_FALSE(reports(l, "PX308"));
}

// --- PX312

TEST_CASE("a configuration with no service line is an error at line 1", "[lint][network]") {
    for (const char* text :
         {"", "\n", "users alice:CL:a\nauth strong\nallow alice\n", "# only comments\n"}) {
        INFO("config: " << text);
        for (auto dialect : {Dialect::proxyd, Dialect::threeproxy}) {
            auto l = check_text(text, dialect);
            auto d = with_code(l, "PX312");
            REQUIRE(d.size() == 1);
            CHECK(d[0].severity == proxycfg::Severity::error);
            CHECK(d[0].span.line == 1);
            CHECK(contains(d[0].message, "no service line"));
        }
    }
}

TEST_CASE("one service line of any kind is enough for PX312", "[lint][network]") {
    CHECK_FALSE(
        reports(check_text("auth iponly\nallow * 127.0.0.1\nsocks -i127.0.0.1\n"), "PX312"));
    CHECK_FALSE(reports(check_text("tcppm -i127.0.0.1 8080 127.0.0.1 80\n"), "PX312"));
    CHECK_FALSE(reports(check_text("dnspr\n", Dialect::threeproxy), "PX312"));
}
