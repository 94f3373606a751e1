#include "socks_udp_header.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace proxyd::socks;

namespace {
std::string bytes(std::initializer_list<int> values) {
    std::string out;
    for (int v : values) out.push_back(static_cast<char>(v));
    return out;
}
}  // namespace

TEST_CASE("a SOCKS UDP header with an IPv4 destination yields address port and payload") {
    auto in = bytes({0, 0, 0, 1, 127, 0, 0, 1, 0x1F, 0x90}) + "ping";
    std::string error;
    auto d = parse_udp_datagram(in, error);
    REQUIRE(d);
    REQUIRE(d->address);
    CHECK(d->address->to_string() == "127.0.0.1");
    CHECK(d->host.empty());
    CHECK(d->port == 8080);
    CHECK(d->payload == "ping");
}

TEST_CASE("a SOCKS UDP header with a name destination yields the name") {
    auto in = bytes({0, 0, 0, 3, 9}) + "localhost" + bytes({0, 53}) + "q";
    std::string error;
    auto d = parse_udp_datagram(in, error);
    REQUIRE(d);
    CHECK(d->host == "localhost");
    CHECK_FALSE(d->address);
    CHECK(d->port == 53);
    CHECK(d->payload == "q");
}

TEST_CASE("a SOCKS UDP header with an IPv6 destination is parsed") {
    auto in = bytes({0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 7});
    std::string error;
    auto d = parse_udp_datagram(in, error);
    REQUIRE(d);
    CHECK(d->address->to_string() == "::1");
    CHECK(d->port == 7);
    CHECK(d->payload.empty());
}

TEST_CASE("fragments and malformed SOCKS UDP headers are refused") {
    std::string error;
    CHECK_FALSE(parse_udp_datagram(bytes({0, 0, 1, 1, 127, 0, 0, 1, 0, 7}) + "x", error));
    CHECK(error.find("fragment") != std::string::npos);
    CHECK_FALSE(parse_udp_datagram(bytes({0, 1, 0, 1, 127, 0, 0, 1, 0, 7}), error));
    CHECK_FALSE(parse_udp_datagram(bytes({0, 0, 0, 1, 127, 0}), error));
    CHECK_FALSE(parse_udp_datagram(bytes({0, 0, 0, 3, 5, 'a', 'b'}), error));
    CHECK_FALSE(parse_udp_datagram(bytes({0, 0, 0, 3, 0, 0, 7}), error));
    CHECK_FALSE(parse_udp_datagram(bytes({0, 0, 0, 9, 1, 2, 3, 4, 0, 7}), error));
    CHECK(error.find("ATYP") != std::string::npos);
}

TEST_CASE("a reply datagram carries the sender in the SOCKS UDP header") {
    auto from = *proxycfg::IpAddress::parse("127.0.0.1");
    CHECK(udp_datagram(from, 8080, "pong") ==
          bytes({0, 0, 0, 1, 127, 0, 0, 1, 0x1F, 0x90}) + "pong");
    auto v6 = *proxycfg::IpAddress::parse("::1");
    CHECK(udp_datagram(v6, 1, "") ==
          bytes({0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1}));
}
