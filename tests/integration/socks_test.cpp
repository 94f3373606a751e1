// SOCKS4, 4a and 5 through a real proxyd, driven by curl.
#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace harness;

namespace {

struct SocksSetup {
    TempDir dir;
    HttpServer http;
    std::uint16_t strong_port = free_port();
    std::uint16_t open_port = free_port();
    std::uint16_t closed_port = free_port();  // nothing listens here
    std::string log = dir.file("access.log");
    std::optional<Proxyd> proxyd;

    SocksSetup() {
        std::string hp = std::to_string(http.port());
        proxyd.emplace(dir,
                       "log " + log +
                           "\n"
                           "logformat \"L%N %E %U %C %n:%r %I %O %T\"\n"
                           "users alice:CL:secret\n"
                           "auth strong\n"
                           "allow alice * 127.0.0.1," +
                           "localhost " + hp + "," + std::to_string(closed_port) +
                           "\n"
                           "deny *\n"
                           "socks -p" +
                           std::to_string(strong_port) +
                           " -i127.0.0.1\n"
                           "flush\n"
                           "auth iponly\n"
                           "allow * 127.0.0.1\n"
                           "socks -p" +
                           std::to_string(open_port) + " -i127.0.0.1\n",
                       std::vector<std::uint16_t>{strong_port, open_port});
    }
    std::string url(const std::string& host = "127.0.0.1") const {
        return "http://" + host + ":" + std::to_string(http.port()) + "/file.txt";
    }
    std::string via(std::uint16_t port, const std::string& creds = "") const {
        return (creds.empty() ? "" : creds + "@") + "127.0.0.1:" + std::to_string(port);
    }
};

}  // namespace

TEST_CASE("SOCKS5 with the right password relays the upstream's exact bytes and logs the session") {
    SocksSetup s;
    auto r = curl({"--socks5", s.via(s.strong_port, "alice:secret"), s.url()});
    CHECK(r.status == 0);
    CHECK(r.http_code == "200");
    CHECK(r.body == "hello /file.txt\n");
    auto lines = wait_for_lines(s.log, 1);
    REQUIRE(lines.size() == 1);
    std::string hp = std::to_string(s.http.port());
    CHECK_THAT(lines[0], Catch::StartsWith("SOCKS5 0 alice 127.0.0.1 127.0.0.1:" + hp + " "));
    CHECK_THAT(lines[0], Catch::EndsWith(" CONNECT 127.0.0.1:" + hp));
}

TEST_CASE("SOCKS5 with a wrong password is refused at the RFC 1929 step and logged with code 6") {
    SocksSetup s;
    auto r = curl({"--socks5", s.via(s.strong_port, "alice:wrong"), s.url()});
    CHECK(r.status != 0);
    CHECK(s.http.connections() == 0);
    auto lines = wait_for_lines(s.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::StartsWith("SOCKS5 6 alice 127.0.0.1 "));
}

TEST_CASE("SOCKS5 without credentials on a strong service gets no method, logged with code 9") {
    SocksSetup s;
    auto r = curl({"--socks5", s.via(s.strong_port), s.url()});
    CHECK(r.status != 0);
    auto lines = wait_for_lines(s.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::StartsWith("SOCKS5 9 - 127.0.0.1 "));
}

TEST_CASE("SOCKS5 to a target port the ACL denies is refused and logged with code 1") {
    SocksSetup s;
    EchoServer other;  // listening, but not an allowed port
    auto r = curl({"--socks5", s.via(s.strong_port, "alice:secret"),
                   "http://127.0.0.1:" + std::to_string(other.port()) + "/"});
    CHECK(r.status != 0);
    auto lines = wait_for_lines(s.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::StartsWith("SOCKS5 1 alice 127.0.0.1 127.0.0.1:" +
                                           std::to_string(other.port())));
}

TEST_CASE("SOCKS5 with a hostname target is resolved by proxyd and matched by name in the ACL") {
    SocksSetup s;
    auto r = curl({"--socks5-hostname", s.via(s.strong_port, "alice:secret"), s.url("localhost")});
    CHECK(r.status == 0);
    CHECK(r.body == "hello /file.txt\n");
    auto lines = wait_for_lines(s.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::Contains(" localhost:" + std::to_string(s.http.port()) + " "));
}

TEST_CASE("SOCKS5 to an allowed target where nothing listens is logged as a connect failure") {
    SocksSetup s;
    auto r = curl({"--socks5", s.via(s.strong_port, "alice:secret"),
                   "http://127.0.0.1:" + std::to_string(s.closed_port) + "/"});
    CHECK(r.status != 0);
    auto lines = wait_for_lines(s.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::StartsWith("SOCKS5 31 alice "));
}

TEST_CASE("SOCKS4a with a hostname works on an iponly service") {
    SocksSetup s;
    auto r = curl({"--socks4a", s.via(s.open_port), s.url("localhost")});
    CHECK(r.status == 0);
    CHECK(r.body == "hello /file.txt\n");
    auto lines = wait_for_lines(s.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::StartsWith("SOCKS4 0 - 127.0.0.1 localhost:"));
}

TEST_CASE("SOCKS4 with an address target works on an iponly service") {
    SocksSetup s;
    auto r = curl({"--socks4", s.via(s.open_port), s.url()});
    CHECK(r.status == 0);
    CHECK(r.body == "hello /file.txt\n");
}

TEST_CASE("SOCKS4 cannot pass a strong service: it has no password") {
    SocksSetup s;
    auto r = curl({"--socks4a", s.via(s.strong_port), "-U", "alice:secret", s.url("localhost")});
    CHECK(r.status != 0);
    auto lines = wait_for_lines(s.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::StartsWith("SOCKS4 6 alice "));
}

TEST_CASE("SOCKS5 CONNECT to an IPv6 target relays bytes") {
    EchoServer echo6(true);
    if (!echo6.ok()) {
        WARN("no IPv6 loopback here; skipped");
        return;
    }
    SocksSetup s;
    Client c(s.open_port);
    REQUIRE(c.connected());
    c.send(std::string("\x05\x01\x00", 3));
    CHECK(c.read(2) == std::string("\x05\x00", 2));
    std::string req("\x05\x01\x00\x04", 4);
    req += std::string(15, '\0') + "\x01";
    req.push_back(static_cast<char>(echo6.port() >> 8));
    req.push_back(static_cast<char>(echo6.port() & 0xFF));
    c.send(req);
    auto reply = c.read(10);
    REQUIRE(reply.size() >= 2);
    CHECK(reply[1] == '\x00');
    if (reply[3] == '\x04') reply += c.read(12);  // an IPv6 bound address is longer
    c.send("ping over v6");
    CHECK(c.read(12) == "ping over v6");
}
