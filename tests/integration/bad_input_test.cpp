// Malformed requests get the protocol's error reply or a close, a log line, and do not
// disturb anyone else.
#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace harness;

namespace {

struct BadInputSetup {
    TempDir dir;
    HttpServer http;
    std::uint16_t socks_port = free_port();
    std::uint16_t http_port = free_port();
    std::string log = dir.file("access.log");
    std::optional<Proxyd> proxyd;

    BadInputSetup() {
        proxyd.emplace(dir,
                       "log " + log +
                           "\n"
                           "logformat \"L%N %E %e\"\n"
                           "auth iponly\nallow *\n"
                           "socks -p" +
                           std::to_string(socks_port) +
                           " -i127.0.0.1\n"
                           "proxy -p" +
                           std::to_string(http_port) + " -i127.0.0.1\n",
                       std::vector<std::uint16_t>{socks_port, http_port});
    }
    // Everyone else keeps being served.
    void check_still_serving() {
        auto r = curl({"--socks5", "127.0.0.1:" + std::to_string(socks_port),
                       "http://127.0.0.1:" + std::to_string(http.port()) + "/ok"});
        CHECK(r.body == "hello /ok\n");
        auto h = curl({"--proxy", "http://127.0.0.1:" + std::to_string(http_port),
                       "http://127.0.0.1:" + std::to_string(http.port()) + "/ok"});
        CHECK(h.body == "hello /ok\n");
    }
    std::string last_line() {
        auto before = wait_for_lines(log, 0, 0ms).size();
        auto lines = wait_for_lines(log, before + 1);
        return lines.empty() ? "" : lines.back();
    }
};

std::string exchange(std::uint16_t port, const std::string& bytes, std::size_t expect) {
    Client c(port);
    c.send(bytes);
    auto reply = c.read(expect);
    std::string rest;
    c.read_until_close(rest, 2s);
    return reply + rest;
}

}  // namespace

TEST_CASE("a SOCKS5 greeting with zero methods gets 'no acceptable method' and a close") {
    BadInputSetup s;
    CHECK(exchange(s.socks_port, std::string("\x05\x00", 2), 2) == std::string("\x05\xff", 2));
    CHECK(s.last_line() == "SOCKS5 20 SOCKS5 greeting offers no method");
    s.check_still_serving();
}

TEST_CASE("a first byte that is neither 4 nor 5 is closed without a reply") {
    BadInputSetup s;
    CHECK(exchange(s.socks_port, "GARBAGE\r\n", 1).empty());
    CHECK(s.last_line() == "SOCKS 20 not a SOCKS request");
    s.check_still_serving();
}

TEST_CASE("an unknown SOCKS5 address type gets reply 0x08") {
    BadInputSetup s;
    auto reply = exchange(
        s.socks_port, std::string("\x05\x01\x00\x05\x01\x00\x09\x01\x02\x03\x04\x00\x50", 13), 12);
    CHECK(reply ==
          std::string("\x05\x00", 2) + std::string("\x05\x08\x00\x01", 4) + std::string(6, '\0'));
    s.check_still_serving();
}

TEST_CASE("a SOCKS5 request with an unknown command gets 'command not supported' (0x07)") {
    BadInputSetup s;
    auto reply = exchange(
        s.socks_port, std::string("\x05\x01\x00\x05\x09\x00\x01\x7f\x00\x00\x01\x00\x50", 13), 12);
    CHECK(reply.substr(2, 2) == std::string("\x05\x07", 2));
    CHECK(s.last_line() == "SOCKS5 22 COMMAND9 is not supported");
    s.check_still_serving();
}

TEST_CASE("a truncated SOCKS5 request followed by a close is logged") {
    BadInputSetup s;
    {
        Client c(s.socks_port);
        c.send(
            std::string("\x05\x01\x00\x05\x01\x00\x03\x20"
                        "ab",
                        10));
        c.read(2);
    }
    CHECK(s.last_line() == "SOCKS5 20 truncated SOCKS request");
    s.check_still_serving();
}

TEST_CASE("an HTTP request head over 64 KiB gets 431") {
    BadInputSetup s;
    Client c(s.http_port);
    std::string head =
        "GET http://127.0.0.1/ HTTP/1.1\r\nX-Big: " + std::string(70 * 1024, 'a') + "\r\n\r\n";
    c.send(head);
    std::string reply;
    c.read_until_close(reply, 3s);
    CHECK_THAT(reply, Catch::StartsWith("HTTP/1.1 431 "));
    CHECK(s.last_line() == "PROXY 21 request head larger than 64 KiB");
    s.check_still_serving();
}

TEST_CASE("an invalid HTTP method gets 400") {
    BadInputSetup s;
    auto reply = exchange(s.http_port, "G@T http://127.0.0.1/ HTTP/1.1\r\n\r\n", 12);
    CHECK_THAT(reply, Catch::StartsWith("HTTP/1.1 400 "));
    CHECK(s.last_line() == "PROXY 20 malformed HTTP request");
    s.check_still_serving();
}

TEST_CASE("an origin-form request to the proxy gets 400") {
    BadInputSetup s;
    auto reply = exchange(s.http_port, "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n", 12);
    CHECK_THAT(reply, Catch::StartsWith("HTTP/1.1 400 "));
    s.check_still_serving();
}
