#include "proxycfg/net.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace proxycfg {
namespace {

// Dotted-quad IPv4 exactly as inet_pton(AF_INET) reads it (four decimal octets, none above
// 255, no leading zeros, nothing else), without the copy and the call: a large ACL has
// millions of addresses. inet_pton stops at a NUL, so the text ends there too; `nul`
// says whether it did.
bool parse_v4(std::string_view text, std::uint8_t* out, bool& nul) {
    const char* p = text.data();
    const char* end = p + text.size();
    auto digit = [&] { return p < end && static_cast<unsigned>(*p - '0') < 10; };
    std::uint8_t octets[4];
    // An octet at a time: one to three digits, no leading zero, at most 255.
    for (int k = 0; k < 4; ++k) {
        if (!digit()) return false;
        auto v = static_cast<unsigned>(*p++ - '0');
        if (digit()) {
            if (v == 0) return false;
            v = v * 10 + static_cast<unsigned>(*p++ - '0');
            if (digit()) {
                v = v * 10 + static_cast<unsigned>(*p++ - '0');
                if (v > 255 || digit()) return false;
            }
        }
        octets[k] = static_cast<std::uint8_t>(v);
        if (k < 3) {
            if (p == end || *p != '.') return false;
            ++p;
        }
    }
    if (p != end) {
        if (*p != '\0') return false;
        nul = true;
    }
    std::memcpy(out, octets, 4);
    return true;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    if (text.empty() || text.size() > 63) return std::nullopt;
    IpAddress a;
    // A text with a ':' is IPv6. An IPv4 text read to its end has none (parse_v4 refuses
    // one), so only a text cut at a NUL is searched: one pass over the usual IPv4 text.
    bool nul = false;
    bool v4 = parse_v4(text, a.bytes.data(), nul);
    if (v4 && !(nul && text.find(':') != std::string_view::npos)) {
        a.family = Family::v4;
    } else {
        if (text.find(':') == std::string_view::npos) return std::nullopt;
        char buf[64];
        std::memcpy(buf, text.data(), text.size());
        buf[text.size()] = '\0';
        // "[::1]" is accepted too: people write it that way for -i.
        char* p = buf;
        std::size_t n = text.size();
        if (n >= 2 && buf[0] == '[' && buf[n - 1] == ']') {
            buf[n - 1] = '\0';
            ++p;
        }
        if (::inet_pton(AF_INET6, p, a.bytes.data()) != 1) return std::nullopt;
        a.family = Family::v6;
    }
    return a;
}

IpAddress IpAddress::v4(std::uint32_t host_order) {
    IpAddress a;
    a.bytes[0] = static_cast<std::uint8_t>(host_order >> 24);
    a.bytes[1] = static_cast<std::uint8_t>(host_order >> 16);
    a.bytes[2] = static_cast<std::uint8_t>(host_order >> 8);
    a.bytes[3] = static_cast<std::uint8_t>(host_order);
    return a;
}

std::string IpAddress::to_string() const {
    char buf[INET6_ADDRSTRLEN];
    const char* r =
        ::inet_ntop(family == Family::v4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
    return r ? std::string(r) : std::string();
}

bool IpAddress::is_loopback() const {
    if (family == Family::v4) return bytes[0] == 127;
    for (int i = 0; i < 15; ++i)
        if (bytes[static_cast<std::size_t>(i)] != 0) return false;
    return bytes[15] == 1;
}

bool IpAddress::is_unspecified() const {
    std::size_t n = family == Family::v4 ? 4 : 16;
    for (std::size_t i = 0; i < n; ++i)
        if (bytes[i] != 0) return false;
    return true;
}

bool IpRange::is_everything() const {
    std::size_t n = first.family == IpAddress::Family::v4 ? 4 : 16;
    for (std::size_t i = 0; i < n; ++i)
        if (first.bytes[i] != 0 || last.bytes[i] != 0xff) return false;
    return true;
}

std::optional<IpRange> parse_ip_range(std::string_view text) {
    if (auto slash = text.find('/'); slash != std::string_view::npos) {
        auto base = IpAddress::parse(text.substr(0, slash));
        if (!base) return std::nullopt;
        auto len_text = text.substr(slash + 1);
        unsigned len = 0;
        auto [ptr, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
        unsigned bits = base->family == IpAddress::Family::v4 ? 32 : 128;
        if (ec != std::errc{} || ptr != len_text.data() + len_text.size() || len > bits ||
            len_text.empty())
            return std::nullopt;
        IpRange r{*base, *base, false};
        // Whole host bytes at once, then the bits of the one partial byte.
        for (unsigned byte = (len + 7) / 8; byte < bits / 8; ++byte) {
            if (base->bytes[byte] != 0) r.host_bits_set = true;
            r.first.bytes[byte] = 0;
            r.last.bytes[byte] = 0xff;
        }
        for (unsigned bit = len; bit < bits && bit % 8 != 0; ++bit) {
            auto byte = bit / 8;
            auto mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
            if (base->bytes[byte] & mask) r.host_bits_set = true;
            r.first.bytes[byte] = static_cast<std::uint8_t>(r.first.bytes[byte] & ~mask);
            r.last.bytes[byte] = static_cast<std::uint8_t>(r.last.bytes[byte] | mask);
        }
        return r;
    }
    if (auto dash = text.find('-'); dash != std::string_view::npos) {
        auto a = IpAddress::parse(text.substr(0, dash));
        auto b = IpAddress::parse(text.substr(dash + 1));
        if (!a || !b || a->family != b->family || *b < *a) return std::nullopt;
        return IpRange{*a, *b, false};
    }
    auto a = IpAddress::parse(text);
    if (!a) return std::nullopt;
    return IpRange{*a, *a, false};
}

}  // namespace proxycfg
