// IP addresses and ranges as the configuration language writes them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace proxycfg {

struct IpAddress {
    enum class Family : std::uint8_t { v4, v6 };
    Family family = Family::v4;
    std::array<std::uint8_t, 16> bytes{};  // v4 uses the first 4 bytes

    static std::optional<IpAddress> parse(std::string_view text);  // literal only, no names
    static IpAddress v4(std::uint32_t host_order);
    std::string to_string() const;
    bool is_loopback() const;
    bool is_unspecified() const;
    auto operator<=>(const IpAddress&) const = default;
};

// An inclusive address range; a CIDR is stored as its first and last address.
struct IpRange {
    IpAddress first;
    IpAddress last;
    bool host_bits_set = false;  // "10.1.2.3/8": 3proxy masks silently

    bool contains(const IpAddress& a) const {
        return a.family == first.family && first <= a && a <= last;
    }
    bool covers(const IpRange& other) const {
        return other.first.family == first.family && first <= other.first && other.last <= last;
    }
    bool is_everything() const;  // 0.0.0.0/0 or ::/0
};

// "A.B.C.D", "A-B", "A/len" (IPv4 or IPv6). nullopt for anything else.
std::optional<IpRange> parse_ip_range(std::string_view text);

struct PortRange {
    std::uint16_t first = 0;
    std::uint16_t last = 65535;
    bool contains(std::uint16_t p) const { return first <= p && p <= last; }
    bool covers(const PortRange& o) const { return first <= o.first && o.last <= last; }
};

}  // namespace proxycfg
