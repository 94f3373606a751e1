#include "parent_protocol.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace proxyd::parent;
using proxycfg::IpAddress;

namespace {

std::string bytes(std::initializer_list<int> values) {
    std::string out;
    for (int v : values) out.push_back(static_cast<char>(v));
    return out;
}

Destination to_name(std::string host, std::uint16_t port, std::string_view address = {}) {
    Destination d;
    d.host = std::move(host);
    d.port = port;
    if (!address.empty()) d.address = IpAddress::parse(address);
    return d;
}

Destination to_address(std::string_view address, std::uint16_t port) {
    Destination d;
    d.address = IpAddress::parse(address);
    d.port = port;
    return d;
}

}  // namespace

TEST_CASE("parent types: what proxyd serves") {
    CHECK(type_info("socks5+")->kind == Kind::socks5);
    CHECK(type_info("socks5+")->send_name);
    CHECK_FALSE(type_info("socks4")->send_name);
    CHECK(type_info("connect")->kind == Kind::connect);
    CHECK(type_info("tcp")->kind == Kind::tcp);
    CHECK(type_info("http")->kind == Kind::http);
    CHECK_FALSE(type_info("socks5b"));
    CHECK_FALSE(type_info("pop3"));
}

TEST_CASE("base64 as HTTP Basic wants it") {
    CHECK(base64_encode("") == "");
    CHECK(base64_encode("a") == "YQ==");
    CHECK(base64_encode("ab") == "YWI=");
    CHECK(base64_encode("abc") == "YWJj");
    CHECK(base64_encode("alice:wonderland") == "YWxpY2U6d29uZGVybGFuZA==");
}

TEST_CASE("CONNECT request, with and without a login") {
    CHECK(connect_request(to_name("example.com", 443, "192.0.2.7"), true, {}) ==
          "CONNECT example.com:443 HTTP/1.0\r\n\r\n");
    CHECK(connect_request(to_name("example.com", 443, "192.0.2.7"), false, {}) ==
          "CONNECT 192.0.2.7:443 HTTP/1.0\r\n\r\n");
    CHECK(connect_request(to_address("2001:db8::1", 443), false, {"a", "b"}) ==
          "CONNECT [2001:db8::1]:443 HTTP/1.0\r\nProxy-Authorization: Basic YTpi\r\n\r\n");
}

TEST_CASE("CONNECT handshake: 2xx, headers, then the destination's bytes") {
    Handshake h({Kind::connect, true}, to_name("example.com", 443), {});
    CHECK(h.output() == "CONNECT example.com:443 HTTP/1.0\r\n\r\n");
    h.output().clear();
    std::string in = "HTTP/1.1 200 Connection established\r\nVia: x\r\n";
    CHECK(h.feed(in) == Handshake::State::running);
    in += "\r\nHELLO";
    CHECK(h.feed(in) == Handshake::State::done);
    CHECK(in == "HELLO");
}

TEST_CASE("CONNECT handshake: a non-2xx status is a refusal") {
    Handshake h({Kind::connect, true}, to_name("example.com", 443), {});
    std::string in = "HTTP/1.0 407 Proxy Authentication Required\r\n\r\n";
    CHECK(h.feed(in) == Handshake::State::failed);
    CHECK(h.refused());
    CHECK(h.error() == "refused: HTTP 407 Proxy Authentication Required");
}

TEST_CASE("SOCKS5 handshake without a login, by address") {
    Handshake h({Kind::socks5, false}, to_name("example.com", 80, "192.0.2.7"), {});
    CHECK(h.output() == bytes({5, 1, 0}));
    h.output().clear();
    std::string in = bytes({5, 0});
    CHECK(h.feed(in) == Handshake::State::running);
    CHECK(h.output() == bytes({5, 1, 0, 1, 192, 0, 2, 7, 0, 80}));
    h.output().clear();
    in = bytes({5, 0, 0, 3, 4, 'a', 'b'});
    CHECK(h.feed(in) == Handshake::State::running);  // the bound name is not complete yet
    in += bytes({'c', 'd', 0x1F, 0x90}) + "data";
    CHECK(h.feed(in) == Handshake::State::done);
    CHECK(in == "data");
}

TEST_CASE("SOCKS5 handshake with a login, by name") {
    Handshake h({Kind::socks5, true}, to_name("ex.org", 443, "192.0.2.7"), {"al", "pw"});
    CHECK(h.output() == bytes({5, 1, 2}));
    h.output().clear();
    std::string in = bytes({5, 2});
    h.feed(in);
    CHECK(h.output() == bytes({1, 2, 'a', 'l', 2, 'p', 'w'}));
    h.output().clear();
    in = bytes({1, 0});
    h.feed(in);
    CHECK(h.output() == bytes({5, 1, 0, 3, 6, 'e', 'x', '.', 'o', 'r', 'g', 1, 0xBB}));
    in = bytes({5, 0, 0, 1, 10, 0, 0, 1, 0, 1});
    CHECK(h.feed(in) == Handshake::State::done);
    CHECK(in.empty());
}

TEST_CASE("SOCKS5 handshake: refusals") {
    SECTION("bad login") {
        Handshake h({Kind::socks5, false}, to_name("ex.org", 1), {"al", "pw"});
        std::string in = bytes({5, 2, 1, 1});
        CHECK(h.feed(in) == Handshake::State::failed);
        CHECK(h.error() == "refused: bad login");
    }
    SECTION("a login is wanted and there is none") {
        Handshake h({Kind::socks5, false}, to_name("ex.org", 1), {});
        std::string in = bytes({5, 0xFF});
        CHECK(h.feed(in) == Handshake::State::failed);
        CHECK(h.refused());
    }
    SECTION("connect refused") {
        Handshake h({Kind::socks5, false}, to_address("192.0.2.1", 1), {});
        std::string in = bytes({5, 0, 5, 5, 0, 1, 0, 0, 0, 0, 0, 0});
        CHECK(h.feed(in) == Handshake::State::failed);
        CHECK(h.error() == "refused: SOCKS5 reply 5 (connection refused)");
    }
}

TEST_CASE("SOCKS4 and SOCKS4a requests") {
    Handshake plain({Kind::socks4, false}, to_name("ex.org", 80, "192.0.2.7"), {});
    CHECK(plain.output() == bytes({4, 1, 0, 80, 192, 0, 2, 7}) + "anonymous" + bytes({0}));
    Handshake named({Kind::socks4, true}, to_name("ex.org", 80, "192.0.2.7"), {"bob", ""});
    CHECK(named.output() ==
          bytes({4, 1, 0, 80, 0, 0, 0, 1}) + "bob" + bytes({0}) + "ex.org" + bytes({0}));
    std::string in = bytes({0, 90, 0, 0, 0, 0, 0, 0});
    CHECK(named.feed(in) == Handshake::State::done);
    std::string no = bytes({0, 91, 0, 0, 0, 0, 0, 0});
    CHECK(plain.feed(no) == Handshake::State::failed);
    CHECK(plain.error() == "refused: SOCKS4 reply 91");
}

TEST_CASE("plain SOCKS4 cannot reach IPv6") {
    Handshake h({Kind::socks4, false}, to_address("2001:db8::1", 80), {});
    CHECK(h.state() == Handshake::State::failed);
    CHECK_FALSE(h.refused());
}
