// The few DNS message forms dnspr needs (RFC 1035 section 4): a query with one question
// parsed, and the answers built from it. Pure functions over bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxycfg/net.hpp"

namespace proxyd::dns {

namespace type {
constexpr std::uint16_t a = 1;
constexpr std::uint16_t ptr = 12;
constexpr std::uint16_t aaaa = 28;
}  // namespace type

namespace rcode {
constexpr std::uint8_t no_error = 0;
constexpr std::uint8_t format_error = 1;
constexpr std::uint8_t server_failure = 2;
constexpr std::uint8_t name_error = 3;  // NXDOMAIN
constexpr std::uint8_t refused = 5;
}  // namespace rcode

struct Query {
    std::uint16_t id = 0;
    std::string name;  // dotted, without the final dot; as the client wrote it
    std::uint16_t qtype = 0;
    std::uint16_t qclass = 0;
    std::size_t question_end = 0;  // offset just past the question
};

// A standard query (QR=0, OPCODE 0) with exactly one question. nullopt with `error` set
// otherwise; `id` is set whenever the message has a header, so a FORMERR can be sent.
std::optional<Query> parse_query(std::string_view message, std::string& error,
                                 std::optional<std::uint16_t>& id);

// The response to `query` (the bytes parse_query read): header, the question echoed, and
// one A or AAAA record per address of the question's type, all with `ttl`.
std::string answer(std::string_view message, const Query& query,
                   const std::vector<proxycfg::IpAddress>& addresses, std::uint32_t ttl);
// A response with no answers and `code`. With the question echoed when `query` is given.
std::string failure(std::string_view message, std::uint16_t id, const Query* query,
                    std::uint8_t code);

// The query's ID, RCODE and answer count of a response (for logs and tests).
struct ResponseHead {
    std::uint16_t id = 0;
    std::uint8_t rcode = 0;
    std::uint16_t answers = 0;
};
std::optional<ResponseHead> response_head(std::string_view message);

std::string type_name(std::uint16_t qtype);  // "A", "AAAA", "TYPE15"

}  // namespace proxyd::dns
