#include "access_log.hpp"

#include <string>

#include "proxycfg/log_fields.hpp"

#include <catch2/catch.hpp>

using namespace proxyd;

namespace {
LogFields sample() {
    LogFields f;
    f.time = std::chrono::system_clock::from_time_t(86400 * 365);  // 1971-01-01 00:00:00 UTC
    f.service = "SOCKS5";
    f.port = 1080;
    f.error = 0;
    f.reason = "OK";
    f.user = "alice";
    f.client_ip = "127.0.0.1";
    f.client_port = 40000;
    f.remote_host = "10.0.0.1";
    f.remote_port = 80;
    f.hostname = "example.com";
    f.bytes_in = 1234;
    f.bytes_out = 56;
    f.request = "CONNECT example.com:80";
    return f;
}
}  // namespace

TEST_CASE("logformat fields expand to the session's values") {
    CHECK(format_log_line("G%Y-%m-%d %H:%M:%S %N %p %E %U %C:%c %R:%r %n %I %O %T", sample()) ==
          "1971-01-01 00:00:00 SOCKS5 1080 0 alice 127.0.0.1:40000 10.0.0.1:80 example.com 1234 56 "
          "CONNECT example.com:80");
}

TEST_CASE("%t is the Unix time and %% a percent sign") {
    CHECK(format_log_line("G%t %%", sample()) == "31536000 %");
}

TEST_CASE("an absent user is logged as a dash") {
    auto f = sample();
    f.user = {};
    CHECK(format_log_line("G%U", f) == "-");
}

TEST_CASE("the -CHARS+ prefix replaces those characters inside fields") {
    CHECK(format_log_line("G- +%T", sample()) == "CONNECT+example.com:80");
}

TEST_CASE("unknown format letters are copied as they are") {
    CHECK(format_log_line("G%Q", sample()) == "%Q");
}

TEST_CASE("two-digit year, milliseconds, reason, session id and GMT offset") {
    auto f = sample();
    f.time += std::chrono::milliseconds(7);
    f.session_id = 42;
    CHECK(format_log_line("G%y %. %e %i %z", f) == "71 007 OK 42 +0000");
}

TEST_CASE("a format without a clock letter still expands, a trailing % is kept") {
    CHECK(format_log_line("%N %", sample()) == "SOCKS5 %");
    CHECK(format_log_line("", sample()).empty());
}

TEST_CASE("a '-' prefix without '+' is part of the text, not a replace list") {
    CHECK(format_log_line("G- x%N", sample()) == "- xSOCKS5");
}

TEST_CASE("an empty field is a dash even with a replace list, and only fields are replaced") {
    auto f = sample();
    f.request = {};
    CHECK(format_log_line("G-.+%T %C a.b", f) == "- 127+0+0+1 a.b");
}

TEST_CASE("counters print their full 64-bit range, result codes their sign") {
    auto f = sample();
    f.bytes_in = 18446744073709551615ULL;
    f.error = -1;
    CHECK(format_log_line("G%I %E", f) == "18446744073709551615 -1");
}

TEST_CASE("an IPv6 address before its port is bracketed, alone it is not") {
    auto f = sample();
    f.client_ip = "::1";
    f.remote_host = "2001:db8::7";
    f.hostname = "2001:db8::7";
    CHECK(format_log_line("G%C:%c %R:%r %n:%r", f) ==
          "[::1]:40000 [2001:db8::7]:80 [2001:db8::7]:80");
    CHECK(format_log_line("G%C %c %R", f) == "::1 40000 2001:db8::7");
    CHECK(format_log_line("G%C:%c %n:%r", sample()) == "127.0.0.1:40000 example.com:80");
}

TEST_CASE("every field the linter lists as supported is expanded, and no other") {
    // proxyctl's PX511 and proxyd.cfg(5) take the list from proxycfg::proxyd_log_fields().
    for (const auto& field : proxycfg::proxyd_log_fields()) {
        std::string format = std::string("G%") + field.letter;
        INFO(format);
        CHECK(format_log_line(format, sample()) != format.substr(1));
    }
    for (char letter = ' '; letter < 0x7f; ++letter) {
        if (letter == '%' || proxycfg::proxyd_log_field(letter)) continue;
        std::string format = std::string("G%") + letter;
        INFO(format);
        CHECK(format_log_line(format, sample()) == format.substr(1));
    }
}
