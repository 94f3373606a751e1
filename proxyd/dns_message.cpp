#include "dns_message.hpp"

namespace proxyd::dns {

namespace {

constexpr std::size_t header_size = 12;
constexpr std::size_t max_name = 255;

std::uint16_t u16(std::string_view m, std::size_t at) {
    return static_cast<std::uint16_t>(static_cast<std::uint8_t>(m[at]) << 8 |
                                      static_cast<std::uint8_t>(m[at + 1]));
}

void put16(std::string& out, std::uint16_t v) {
    out.push_back(static_cast<char>(v >> 8));
    out.push_back(static_cast<char>(v & 0xFF));
}

void put32(std::string& out, std::uint32_t v) {
    put16(out, static_cast<std::uint16_t>(v >> 16));
    put16(out, static_cast<std::uint16_t>(v & 0xFFFF));
}

// Header of a response to a query with flags `query_flags`: QR, the opcode and RD
// copied, RA set (the proxy recurses for its clients), and `code`.
std::string header(std::uint16_t id, std::uint16_t query_flags, std::uint8_t code,
                   std::uint16_t questions, std::uint16_t answers) {
    std::string out;
    put16(out, id);
    std::uint16_t flags = 0x8000 | (query_flags & 0x7900) | 0x0080 | (code & 0x0F);
    put16(out, flags);
    put16(out, questions);
    put16(out, answers);
    put16(out, 0);
    put16(out, 0);
    return out;
}

}  // namespace

std::optional<Query> parse_query(std::string_view m, std::string& error,
                                 std::optional<std::uint16_t>& id) {
    id.reset();
    if (m.size() < header_size) {
        error = "DNS message shorter than its header";
        return std::nullopt;
    }
    Query q;
    q.id = u16(m, 0);
    id = q.id;
    std::uint16_t flags = u16(m, 2);
    if ((flags & 0x8000) != 0 || ((flags >> 11) & 0x0F) != 0) {
        error = "not a standard DNS query";
        return std::nullopt;
    }
    if (u16(m, 4) != 1) {
        error = "DNS query with " + std::to_string(u16(m, 4)) + " questions";
        return std::nullopt;
    }
    std::size_t at = header_size;
    for (;;) {
        if (at >= m.size()) {
            error = "DNS question cut short";
            return std::nullopt;
        }
        auto len = static_cast<std::uint8_t>(m[at++]);
        if (len == 0) break;
        if (len > 63 || at + len > m.size()) {
            // Compression pointers (0xC0) are not used in a question of a query.
            error = "malformed DNS name";
            return std::nullopt;
        }
        if (!q.name.empty()) q.name.push_back('.');
        q.name.append(m.substr(at, len));
        at += len;
        if (q.name.size() > max_name) {
            error = "DNS name too long";
            return std::nullopt;
        }
    }
    if (at + 4 > m.size()) {
        error = "DNS question cut short";
        return std::nullopt;
    }
    q.qtype = u16(m, at);
    q.qclass = u16(m, at + 2);
    q.question_end = at + 4;
    return q;
}

std::string answer(std::string_view m, const Query& q,
                   const std::vector<proxycfg::IpAddress>& addresses, std::uint32_t ttl) {
    auto family =
        q.qtype == type::aaaa ? proxycfg::IpAddress::Family::v6 : proxycfg::IpAddress::Family::v4;
    std::string records;
    std::uint16_t count = 0;
    for (const auto& a : addresses) {
        if (a.family != family) continue;
        put16(records, 0xC00C);  // the name: a pointer to the question's
        put16(records, q.qtype);
        put16(records, q.qclass);
        put32(records, ttl);
        std::size_t n = family == proxycfg::IpAddress::Family::v6 ? 16 : 4;
        put16(records, static_cast<std::uint16_t>(n));
        records.append(reinterpret_cast<const char*>(a.bytes.data()), n);
        ++count;
    }
    std::string out = header(q.id, u16(m, 2), rcode::no_error, 1, count);
    out.append(m.substr(header_size, q.question_end - header_size));
    out += records;
    return out;
}

std::string failure(std::string_view m, std::uint16_t id, const Query* q, std::uint8_t code) {
    std::uint16_t flags = m.size() >= 4 ? u16(m, 2) : 0;
    std::string out = header(id, flags, code, q ? 1 : 0, 0);
    if (q) out.append(m.substr(header_size, q->question_end - header_size));
    return out;
}

std::optional<ResponseHead> response_head(std::string_view m) {
    if (m.size() < header_size) return std::nullopt;
    return ResponseHead{u16(m, 0), static_cast<std::uint8_t>(u16(m, 2) & 0x0F), u16(m, 6)};
}

std::string type_name(std::uint16_t qtype) {
    switch (qtype) {
        case type::a:
            return "A";
        case type::aaaa:
            return "AAAA";
        case type::ptr:
            return "PTR";
        default:
            return "TYPE" + std::to_string(qtype);
    }
}

}  // namespace proxyd::dns
