#include "dns_message.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace proxyd::dns;

namespace {

std::string u16(std::uint16_t v) {
    return {static_cast<char>(v >> 8), static_cast<char>(v & 0xFF)};
}

// ID, flags (RD), one question: NAME TYPE IN.
std::string query(std::uint16_t id, std::string_view labels, std::uint16_t qtype,
                  std::uint16_t questions = 1) {
    return u16(id) + u16(0x0100) + u16(questions) + u16(0) + u16(0) + u16(0) + std::string(labels) +
           u16(qtype) + u16(1);
}

const std::string example = std::string(
    "\x07"
    "example\x04"
    "test\x00",
    14);

}  // namespace

TEST_CASE("a DNS query with one question is parsed") {
    auto q = query(0xBEEF, example, type::aaaa);
    std::string error;
    std::optional<std::uint16_t> id;
    auto parsed = parse_query(q, error, id);
    REQUIRE(parsed);
    CHECK(parsed->id == 0xBEEF);
    CHECK(parsed->name == "example.test");
    CHECK(parsed->qtype == type::aaaa);
    CHECK(parsed->qclass == 1);
    CHECK(parsed->question_end == q.size());
}

TEST_CASE("malformed DNS queries are refused and keep their ID for FORMERR") {
    std::string error;
    std::optional<std::uint16_t> id;
    CHECK_FALSE(parse_query("short", error, id));
    CHECK_FALSE(id);
    CHECK_FALSE(parse_query(query(7, example, type::a, 2), error, id));
    REQUIRE(id);
    CHECK(*id == 7);
    CHECK_FALSE(parse_query(query(7,
                                  std::string("\x07"
                                              "exa",
                                              4),
                                  type::a)
                                .substr(0, 16),
                            error, id));
    auto response = query(7, example, type::a);
    response[2] = static_cast<char>(0x81);
    CHECK_FALSE(parse_query(response, error, id));
    CHECK(error == "not a standard DNS query");
    CHECK_FALSE(parse_query(query(7, std::string("\xC0\x0C", 2), type::a), error, id));
}

TEST_CASE("an answer echoes the question and carries the addresses of its type") {
    auto q = query(0x0102, example, type::a);
    std::string error;
    std::optional<std::uint16_t> id;
    auto parsed = parse_query(q, error, id);
    REQUIRE(parsed);
    std::vector<proxycfg::IpAddress> addresses{*proxycfg::IpAddress::parse("::1"),
                                               *proxycfg::IpAddress::parse("127.0.0.5")};
    auto a = answer(q, *parsed, addresses, 60);
    // Header: ID, QR RD RA, 1 question, 1 answer.
    CHECK(a.substr(0, 12) == u16(0x0102) + u16(0x8180) + u16(1) + u16(1) + u16(0) + u16(0));
    CHECK(a.substr(12, q.size() - 12) == q.substr(12));
    CHECK(a.substr(q.size()) == u16(0xC00C) + u16(type::a) + u16(1) + u16(0) + u16(60) + u16(4) +
                                    std::string("\x7f\x00\x00\x05", 4));
    auto head = response_head(a);
    REQUIRE(head);
    CHECK(head->id == 0x0102);
    CHECK(head->rcode == rcode::no_error);
    CHECK(head->answers == 1);
}

TEST_CASE("a failure response has the RCODE and no answers") {
    auto q = query(0x0A0B, example, type::a);
    std::string error;
    std::optional<std::uint16_t> id;
    auto parsed = parse_query(q, error, id);
    REQUIRE(parsed);
    auto f = failure(q, parsed->id, &*parsed, rcode::name_error);
    CHECK(f == u16(0x0A0B) + u16(0x8183) + u16(1) + u16(0) + u16(0) + u16(0) + q.substr(12));
    auto formerr = failure(q, 0x0A0B, nullptr, rcode::format_error);
    CHECK(formerr == u16(0x0A0B) + u16(0x8181) + u16(0) + u16(0) + u16(0) + u16(0));
    CHECK(type_name(15) == "TYPE15");
}
