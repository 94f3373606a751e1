// SOCKS BIND through a real proxyd, with raw sockets: the first reply names where proxyd
// listens, a connection there from the named address gets the second reply and is relayed
// both ways; the ACL operation is BIND (and entries with a parent do not cover it); nobody
// connecting ends the session at the timeout; a stranger is turned away.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace harness;

namespace {

std::string bytes(std::initializer_list<int> values) {
    std::string out;
    for (int v : values) out += static_cast<char>(v);
    return out;
}

std::uint16_t port_at(const std::string& reply, std::size_t offset) {
    return static_cast<std::uint16_t>((static_cast<unsigned char>(reply[offset]) << 8) |
                                      static_cast<unsigned char>(reply[offset + 1]));
}

std::uint16_t local_port(const Client& c) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    ::getsockname(c.fd(), reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin_port);
}

struct BindSetup {
    TempDir dir;
    std::uint16_t port = free_port();
    std::string log = dir.file("access.log");
    std::optional<Proxyd> proxyd;

    explicit BindSetup(const std::string& before_service = "") {
        proxyd.emplace(dir,
                       "log " + log + "\nlogformat \"L%N %E %e %T\"\n" + before_service +
                           "socks -p" + std::to_string(port) + " -i127.0.0.1\n",
                       std::vector<std::uint16_t>{port});
    }
};

// SOCKS5 greeting (no auth) and a BIND request naming 127.0.0.1; the first reply.
std::string socks5_bind(Client& c) {
    REQUIRE(c.send(bytes({5, 1, 0})));
    REQUIRE(c.read(2) == bytes({5, 0}));
    REQUIRE(c.send(bytes({5, 2, 0, 1, 127, 0, 0, 1, 0, 0})));
    return c.read(10);
}

}  // namespace

TEST_CASE("SOCKS5 BIND relays the incoming connection both ways and logs BIND") {
    BindSetup s;
    Client client(s.port);
    auto first = socks5_bind(client);
    REQUIRE(first.size() == 10);
    CHECK(first.substr(0, 8) == bytes({5, 0, 0, 1, 127, 0, 0, 1}));
    auto announced = port_at(first, 8);
    REQUIRE(announced != 0);

    Client peer(announced);
    REQUIRE(peer.connected());
    auto second = client.read(10);
    REQUIRE(second.size() == 10);
    CHECK(second.substr(0, 8) == bytes({5, 0, 0, 1, 127, 0, 0, 1}));
    CHECK(port_at(second, 8) == local_port(peer));

    REQUIRE(client.send("from the client"));
    CHECK(peer.read(15) == "from the client");
    REQUIRE(peer.send("from the peer"));
    CHECK(client.read(13) == "from the peer");
    ::shutdown(peer.fd(), SHUT_WR);
    std::string rest;
    CHECK(client.read_until_close(rest));
    ::shutdown(client.fd(), SHUT_WR);
    auto lines = wait_for_lines(s.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "SOCKS5 0 OK BIND 127.0.0.1:0");
}

TEST_CASE("SOCKS4 BIND relays the incoming connection both ways") {
    BindSetup s;
    Client client(s.port);
    REQUIRE(client.send(bytes({4, 2, 0, 0, 127, 0, 0, 1, 'u', 0})));
    auto first = client.read(8);
    REQUIRE(first.size() == 8);
    CHECK(first.substr(0, 2) == bytes({0, 90}));
    CHECK(first.substr(4, 4) == bytes({127, 0, 0, 1}));
    auto announced = port_at(first, 2);
    REQUIRE(announced != 0);

    Client peer(announced);
    REQUIRE(peer.connected());
    auto second = client.read(8);
    REQUIRE(second.size() == 8);
    CHECK(second.substr(0, 2) == bytes({0, 90}));
    CHECK(port_at(second, 2) == local_port(peer));
    CHECK(second.substr(4, 4) == bytes({127, 0, 0, 1}));

    REQUIRE(peer.send("peer first"));
    CHECK(client.read(10) == "peer first");
    REQUIRE(client.send("client answers"));
    CHECK(peer.read(14) == "client answers");
    ::shutdown(client.fd(), SHUT_WR);
    std::string rest;
    CHECK(peer.read_until_close(rest));
    ::shutdown(peer.fd(), SHUT_WR);
    auto lines = wait_for_lines(s.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "SOCKS4 0 OK BIND 127.0.0.1:0");
}

TEST_CASE("SOCKS BIND denied by an ACL entry for the BIND operation") {
    BindSetup s("deny * * * * BIND\nallow *\n");
    Client client(s.port);
    auto reply = socks5_bind(client);
    REQUIRE(reply.size() >= 2);
    CHECK(reply.substr(0, 2) == bytes({5, 2}));
    auto lines = wait_for_lines(s.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "SOCKS5 1 denied by ACL BIND 127.0.0.1:0");
}

TEST_CASE("SOCKS BIND is not covered by an ACL entry with a parent") {
    SECTION("the parent entry alone: no entry matches") {
        BindSetup s("allow *\nparent 1000 socks5 127.0.0.1 9\n");
        Client client(s.port);
        auto reply = socks5_bind(client);
        REQUIRE(reply.size() >= 2);
        CHECK(reply.substr(0, 2) == bytes({5, 2}));
        auto lines = wait_for_lines(s.log, 1);
        REQUIRE(lines.size() == 1);
        CHECK(lines[0] == "SOCKS5 3 no ACL entry matches BIND 127.0.0.1:0");
    }
    SECTION("a plain allow for BIND after it admits") {
        BindSetup s("allow *\nparent 1000 socks5 127.0.0.1 9\nallow * * * * BIND\n");
        Client client(s.port);
        auto reply = socks5_bind(client);
        REQUIRE(reply.size() == 10);
        CHECK(reply.substr(0, 2) == bytes({5, 0}));
    }
}

TEST_CASE("SOCKS BIND with nobody connecting ends at the timeout") {
    // The sixth timeouts value (how long a connection may idle) bounds the wait.
    BindSetup s("timeouts 1 5 30 60 180 1 15 60 15 5\n");
    Client client(s.port);
    auto first = socks5_bind(client);
    REQUIRE(first.size() == 10);
    CHECK(first.substr(0, 2) == bytes({5, 0}));
    std::string rest;
    CHECK(client.read_until_close(rest, 5s));
    CHECK(rest.empty());
    auto lines = wait_for_lines(s.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "SOCKS5 94 no incoming connection BIND 127.0.0.1:0");
    // Nobody listens there any more.
    Client late(port_at(first, 8));
    CHECK_FALSE(late.connected());
}

TEST_CASE("SOCKS BIND turns away a connection from another address than the named one") {
    BindSetup s;
    Client client(s.port);
    auto first = socks5_bind(client);
    REQUIRE(first.size() == 10);
    Client stranger(port_at(first, 8), "127.0.0.2");
    REQUIRE(stranger.connected());
    auto second = client.read(10);
    REQUIRE(second.size() == 10);
    CHECK(second.substr(0, 8) == bytes({5, 2, 0, 1, 127, 0, 0, 2}));
    auto lines = wait_for_lines(s.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] ==
          "SOCKS5 34 BIND: connection from 127.0.0.2, expected 127.0.0.1 BIND 127.0.0.1:0");
}

TEST_CASE("a reload that denies BIND closes a BIND session waiting for its peer") {
    TempDir dir;
    auto port = free_port();
    auto log = dir.file("access.log");
    std::string head = "log " + log + "\nlogformat \"L%N %E %T %e\"\n";
    std::string service = "socks -p" + std::to_string(port) + " -i127.0.0.1\n";
    Proxyd p(dir, head + service, {port});
    Client client(port);
    auto first = socks5_bind(client);
    REQUIRE(first.size() == 10);
    CHECK(first.substr(0, 2) == bytes({5, 0}));
    dir.write("proxyd.cfg", head + "deny * * * * BIND\nallow *\n" + service);
    REQUIRE(proxyctl(p, "reload").status == 0);
    std::string rest;
    CHECK(client.read_until_close(rest));
    auto lines = wait_for_lines(log, 1);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::StartsWith("SOCKS5 96 BIND 127.0.0.1:0 revoked by reload") &&
                             Catch::Contains("ACL now denies"));
}

TEST_CASE("SOCKS BIND listens on the -e address and announces the -N address") {
    SECTION("-e: the listening address") {
        TempDir dir;
        auto port = free_port();
        Proxyd p(dir, "socks -p" + std::to_string(port) + " -i127.0.0.1 -e127.0.0.3\n", {port});
        Client client(port);
        auto first = socks5_bind(client);
        REQUIRE(first.size() == 10);
        CHECK(first.substr(0, 8) == bytes({5, 0, 0, 1, 127, 0, 0, 3}));
        // Reachable there (from the named address, 127.0.0.1).
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(port_at(first, 8));
        ::inet_pton(AF_INET, "127.0.0.3", &to.sin_addr);
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in from{};
        from.sin_family = AF_INET;
        ::inet_pton(AF_INET, "127.0.0.1", &from.sin_addr);
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0);
        CHECK(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
        auto second = client.read(10);
        REQUIRE(second.size() == 10);
        CHECK(second.substr(0, 8) == bytes({5, 0, 0, 1, 127, 0, 0, 1}));
        ::close(fd);
    }
    SECTION("-N: the announced address") {
        TempDir dir;
        auto port = free_port();
        Proxyd p(dir, "socks -p" + std::to_string(port) + " -i127.0.0.1 -N127.0.0.5\n", {port});
        Client client(port);
        auto first = socks5_bind(client);
        REQUIRE(first.size() == 10);
        CHECK(first.substr(0, 8) == bytes({5, 0, 0, 1, 127, 0, 0, 5}));
        CHECK(port_at(first, 8) != 0);
    }
}
