// IP literals and ranges: the IPv4 reader accepts exactly what inet_pton does, and CIDR
// masks give the same first/last addresses and host-bit flag as masking bit by bit.
#include <arpa/inet.h>

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "proxycfg/net.hpp"

namespace {

using namespace proxycfg;

// What inet_pton(AF_INET) makes of `text`, NUL-terminated as a C string would be.
std::optional<std::array<std::uint8_t, 4>> reference_v4(const std::string& text) {
    std::array<std::uint8_t, 4> out{};
    if (::inet_pton(AF_INET, text.c_str(), out.data()) != 1) return std::nullopt;
    return out;
}

}  // namespace

TEST_CASE("IPv4 literals are read as inet_pton reads them", "[net]") {
    const std::vector<std::string> cases = {
        "0.0.0.0",   "1.2.3.4",  "255.255.255.255", "10.0.0.1",  "192.168.001.1", "01.2.3.4",
        "1.2.3.04",  "1.2.3.0",  "256.1.1.1",       "1.2.3.256", "1.2.3",         "1.2.3.4.5",
        "1.2.3.4.",  ".1.2.3.4", "1..2.3",          "1.2.3.4 ",  " 1.2.3.4",      "1.2.3.a",
        "a.b.c.d",   "1.2.3.-4", "1.2.3.+4",        "999.1.1.1", "1.2.3.4/8",     "4294967295",
        "0x1.2.3.4", "1.2.3.00", "00.0.0.0",        "127.0.0.1", "1.2.3.4\t",     "1,2,3,4",
        "..",        "."};
    for (const auto& text : cases) {
        INFO(text);
        auto expected = reference_v4(text);
        auto got = IpAddress::parse(text);
        REQUIRE(got.has_value() == expected.has_value());
        if (!got) continue;
        CHECK(got->family == IpAddress::Family::v4);
        CHECK(std::equal(expected->begin(), expected->end(), got->bytes.begin()));
        for (std::size_t i = 4; i < 16; ++i) CHECK(got->bytes[i] == 0);
    }
}

TEST_CASE("IPv4 literals: inet_pton's verdict on many generated texts", "[net]") {
    // Octet-like runs of digits, dots and a few other bytes, mostly near the dotted-quad
    // shape, with a fixed seed so a failure can be replayed.
    std::mt19937 rng(20261129);
    const std::string alphabet = "0123456789...x:- ";
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    for (int i = 0; i < 200000; ++i) {
        std::string text;
        if (i % 2 == 0) {
            for (int k = 0; k < 4; ++k) {
                if (k > 0) text += '.';
                text += std::to_string(pick(2) == 0 ? pick(300) : pick(10));
                if (pick(8) == 0) text += '0';
            }
            if (pick(6) == 0) text += alphabet[pick(alphabet.size())];
        } else {
            for (std::size_t n = pick(18); n > 0; --n) text += alphabet[pick(alphabet.size())];
        }
        auto expected = reference_v4(text);
        auto got = IpAddress::parse(text);
        bool v4 = got && got->family == IpAddress::Family::v4;
        if (v4 != expected.has_value() ||
            (v4 && !std::equal(expected->begin(), expected->end(), got->bytes.begin()))) {
            FAIL("'" << text << "': inet_pton " << expected.has_value() << ", parse " << v4);
        }
    }
}

TEST_CASE("an IPv4 literal ends at a NUL, as a C string does", "[net]") {
    auto a = IpAddress::parse(std::string_view("1.2.3.4\0junk", 12));
    REQUIRE(a);
    CHECK(a->to_string() == "1.2.3.4");
    CHECK_FALSE(IpAddress::parse(std::string_view("1.2.3\0.4", 8)));
    // A ':' anywhere makes the text IPv6, even after the NUL: then the part before the
    // NUL is read as IPv6.
    CHECK_FALSE(IpAddress::parse(std::string_view("1.2.3.4\0:x", 10)));
    auto v6 = IpAddress::parse(std::string_view("::1\0.2", 6));
    REQUIRE(v6);
    CHECK(v6->family == IpAddress::Family::v6);
    CHECK(v6->to_string() == "::1");
}

TEST_CASE("CIDR masks match masking bit by bit", "[net]") {
    const std::vector<std::string> bases = {"10.1.2.3",    "10.0.0.0",   "255.255.255.255",
                                            "2001:db8::1", "2001:db8::", "::"};
    for (const auto& base : bases) {
        auto ip = IpAddress::parse(base);
        REQUIRE(ip);
        unsigned bits = ip->family == IpAddress::Family::v4 ? 32 : 128;
        for (unsigned len = 0; len <= bits; ++len) {
            INFO(base << "/" << len);
            IpRange expected{*ip, *ip, false};
            for (unsigned bit = len; bit < bits; ++bit) {
                auto byte = bit / 8;
                auto mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
                if (ip->bytes[byte] & mask) expected.host_bits_set = true;
                expected.first.bytes[byte] &= static_cast<std::uint8_t>(~mask);
                expected.last.bytes[byte] |= mask;
            }
            auto got = parse_ip_range(base + "/" + std::to_string(len));
            REQUIRE(got);
            CHECK(got->first == expected.first);
            CHECK(got->last == expected.last);
            CHECK(got->host_bits_set == expected.host_bits_set);
        }
    }
}
