#include "socks_protocol.hpp"

#include <catch2/catch.hpp>
#include <vector>

using namespace proxyd::socks;

namespace {
std::vector<std::uint8_t> bytes(std::initializer_list<int> values) {
    std::vector<std::uint8_t> out;
    for (int v : values) out.push_back(static_cast<std::uint8_t>(v));
    return out;
}
std::vector<std::uint8_t> bytes(std::string_view text) {
    return {text.begin(), text.end()};
}
}  // namespace

TEST_CASE("a SOCKS5 greeting lists the offered methods") {
    auto in = bytes({5, 2, 0, 2});
    auto p = parse_greeting(in);
    REQUIRE(p.status == Status::ok);
    CHECK(p.consumed == 4);
    CHECK(p.value.offers(method::no_auth));
    CHECK(p.value.offers(method::user_password));
}

TEST_CASE("a SOCKS5 greeting cut short asks for more bytes") {
    auto in = bytes({5, 3, 0});
    CHECK(parse_greeting(in).status == Status::incomplete);
}

TEST_CASE("a SOCKS5 greeting with no methods is refused with 0xFF") {
    auto in = bytes({5, 0});
    auto p = parse_greeting(in);
    CHECK(p.status == Status::error);
    CHECK(p.reply == method::no_acceptable);
}

TEST_CASE("an RFC 1929 sub-negotiation yields user and password") {
    auto in = bytes({1, 5, 'a', 'l', 'i', 'c', 'e', 3, 'p', 'w', '!'});
    auto p = parse_user_password(in);
    REQUIRE(p.status == Status::ok);
    CHECK(p.value.user == "alice");
    CHECK(p.value.password == "pw!");
    CHECK(p.consumed == in.size());
}

TEST_CASE("an RFC 1929 message with the wrong version is an error") {
    auto in = bytes({5, 1, 'a', 1, 'b'});
    CHECK(parse_user_password(in).status == Status::error);
}

TEST_CASE("a SOCKS5 CONNECT to an IPv4 address is parsed with its port") {
    auto in = bytes({5, 1, 0, 1, 10, 1, 2, 3, 0x1F, 0x90});
    auto p = parse_socks5_request(in);
    REQUIRE(p.status == Status::ok);
    CHECK(p.value.command == command::connect);
    REQUIRE(p.value.address);
    CHECK(p.value.address->to_string() == "10.1.2.3");
    CHECK(p.value.port == 8080);
    CHECK(p.value.target_text() == "10.1.2.3:8080");
}

TEST_CASE("a SOCKS5 CONNECT to a hostname keeps the name for the ACL and resolver") {
    auto in = bytes({5, 1, 0, 3, 11});
    auto name = bytes("example.com");
    in.insert(in.end(), name.begin(), name.end());
    in.push_back(0);
    in.push_back(80);
    auto p = parse_socks5_request(in);
    REQUIRE(p.status == Status::ok);
    CHECK(p.value.host == "example.com");
    CHECK_FALSE(p.value.address);
    CHECK(p.value.port == 80);
}

TEST_CASE("a SOCKS5 CONNECT to an IPv6 address is parsed") {
    auto in = bytes({5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 22});
    auto p = parse_socks5_request(in);
    REQUIRE(p.status == Status::ok);
    REQUIRE(p.value.address);
    CHECK(p.value.address->to_string() == "::1");
    CHECK(p.value.target_text() == "[::1]:22");
}

TEST_CASE("an unknown SOCKS5 address type is refused with reply 0x08") {
    auto in = bytes({5, 1, 0, 7, 1, 2, 3, 4, 0, 80});
    auto p = parse_socks5_request(in);
    CHECK(p.status == Status::error);
    CHECK(p.reply == reply5::address_type_not_supported);
}

TEST_CASE("a truncated SOCKS5 request asks for more bytes") {
    auto in = bytes({5, 1, 0, 3, 20, 'a', 'b'});
    CHECK(parse_socks5_request(in).status == Status::incomplete);
}

TEST_CASE("a SOCKS4 CONNECT carries the user id") {
    auto in = bytes({4, 1, 0, 80, 127, 0, 0, 1, 'b', 'o', 'b', 0});
    auto p = parse_socks4_request(in);
    REQUIRE(p.status == Status::ok);
    CHECK(p.value.version == 4);
    CHECK(p.value.user == "bob");
    CHECK(p.value.address->to_string() == "127.0.0.1");
    CHECK(p.value.port == 80);
}

TEST_CASE("a SOCKS4a request names its host after the user id") {
    auto in = bytes({4, 1, 0, 80, 0, 0, 0, 1, 0});
    auto host = bytes("localhost");
    in.insert(in.end(), host.begin(), host.end());
    in.push_back(0);
    auto p = parse_socks4_request(in);
    REQUIRE(p.status == Status::ok);
    CHECK(p.value.host == "localhost");
    CHECK(p.value.user.empty());
    CHECK(p.consumed == in.size());
}

TEST_CASE("a SOCKS4 user id longer than 255 bytes is refused") {
    auto in = bytes({4, 1, 0, 80, 1, 2, 3, 4});
    in.insert(in.end(), 300, 'x');
    auto p = parse_socks4_request(in);
    CHECK(p.status == Status::error);
    CHECK(p.reply == reply4::rejected);
}

TEST_CASE("SOCKS replies have the RFC layout") {
    auto a = proxycfg::IpAddress::parse("127.0.0.1");
    CHECK(socks5_reply(reply5::succeeded, a, 1080) ==
          std::string("\x05\x00\x00\x01\x7f\x00\x00\x01\x04\x38", 10));
    CHECK(socks5_reply(reply5::not_allowed, std::nullopt, 0) ==
          std::string("\x05\x02\x00\x01\x00\x00\x00\x00\x00\x00", 10));
    CHECK(socks4_reply(reply4::rejected) == std::string("\x00\x5b\x00\x00\x00\x00\x00\x00", 8));
    CHECK(method_reply(method::user_password) == std::string("\x05\x02", 2));
    CHECK(user_password_reply(false) == std::string("\x01\x01", 2));
}
