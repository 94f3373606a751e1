#include "socks_udp_header.hpp"

#include <cstring>

namespace proxyd::socks {

std::optional<UdpDatagram> parse_udp_datagram(std::string_view in, std::string& error) {
    auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(in[i]); };
    if (in.size() < 4) {
        error = "UDP datagram shorter than its header";
        return std::nullopt;
    }
    if (byte(0) != 0 || byte(1) != 0) {
        error = "UDP header with non-zero RSV";
        return std::nullopt;
    }
    if (byte(2) != 0) {
        error = "fragmented UDP datagram (FRAG " + std::to_string(byte(2)) + ")";
        return std::nullopt;
    }
    UdpDatagram d;
    std::size_t at = 4;
    switch (byte(3)) {
        case 1:
        case 4: {
            bool v6 = byte(3) == 4;
            std::size_t n = v6 ? 16 : 4;
            if (in.size() < at + n + 2) {
                error = "UDP datagram shorter than its header";
                return std::nullopt;
            }
            proxycfg::IpAddress a;
            a.family = v6 ? proxycfg::IpAddress::Family::v6 : proxycfg::IpAddress::Family::v4;
            std::memcpy(a.bytes.data(), in.data() + at, n);
            d.address = a;
            at += n;
            break;
        }
        case 3: {
            if (in.size() < 5) {
                error = "UDP datagram shorter than its header";
                return std::nullopt;
            }
            std::size_t n = byte(4);
            at = 5;
            if (n == 0 || in.size() < at + n + 2) {
                error = n == 0 ? "UDP header with an empty host name"
                               : "UDP datagram shorter than its header";
                return std::nullopt;
            }
            d.host.assign(in.data() + at, n);
            at += n;
            break;
        }
        default:
            error = "UDP header with unknown ATYP " + std::to_string(byte(3));
            return std::nullopt;
    }
    d.port = static_cast<std::uint16_t>(byte(at) << 8 | byte(at + 1));
    at += 2;
    d.payload = in.substr(at);
    return d;
}

std::string udp_datagram(const proxycfg::IpAddress& from, std::uint16_t port,
                         std::string_view payload) {
    bool v6 = from.family == proxycfg::IpAddress::Family::v6;
    std::string out{'\0', '\0', '\0', v6 ? '\x04' : '\x01'};
    out.append(reinterpret_cast<const char*>(from.bytes.data()), v6 ? 16 : 4);
    out.push_back(static_cast<char>(port >> 8));
    out.push_back(static_cast<char>(port & 0xFF));
    out.append(payload);
    return out;
}

}  // namespace proxyd::socks
