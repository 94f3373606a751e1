// The header of a datagram relayed by a SOCKS5 UDP association (RFC 1928 section 7):
// RSV(2)=0 FRAG(1) ATYP(1) DST.ADDR DST.PORT(2) DATA. Pure functions over bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proxycfg/net.hpp"

namespace proxyd::socks {

struct UdpDatagram {
    std::string host;                            // ATYP 3: a name
    std::optional<proxycfg::IpAddress> address;  // ATYP 1 / 4: a literal
    std::uint16_t port = 0;
    std::string_view payload;  // a view into the parsed buffer
};

// nullopt with `error` set for a datagram that is too short, has non-zero RSV, a fragment
// (FRAG != 0: proxyd does not reassemble, which RFC 1928 allows) or an unknown ATYP.
std::optional<UdpDatagram> parse_udp_datagram(std::string_view in, std::string& error);

// The header for a reply from `from`:`port`, followed by `payload`.
std::string udp_datagram(const proxycfg::IpAddress& from, std::uint16_t port,
                         std::string_view payload);

}  // namespace proxyd::socks
