// SOCKS4, 4a and 5 wire formats (RFC 1928, RFC 1929, the SOCKS4/4a notes) as pure
// functions over byte buffers: the session feeds what it has read so far and gets back
// "need more", a parsed message, or the reply code to refuse with.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "proxycfg/net.hpp"

namespace proxyd::socks {

using Bytes = std::span<const std::uint8_t>;

enum class Status : std::uint8_t { incomplete, ok, error };

// SOCKS5 reply codes (RFC 1928 section 6).
namespace reply5 {
constexpr std::uint8_t succeeded = 0x00;
constexpr std::uint8_t general_failure = 0x01;
constexpr std::uint8_t not_allowed = 0x02;
constexpr std::uint8_t network_unreachable = 0x03;
constexpr std::uint8_t host_unreachable = 0x04;
constexpr std::uint8_t connection_refused = 0x05;
constexpr std::uint8_t ttl_expired = 0x06;
constexpr std::uint8_t command_not_supported = 0x07;
constexpr std::uint8_t address_type_not_supported = 0x08;
}  // namespace reply5

// SOCKS4 reply codes.
namespace reply4 {
constexpr std::uint8_t granted = 90;
constexpr std::uint8_t rejected = 91;
}  // namespace reply4

namespace method {
constexpr std::uint8_t no_auth = 0x00;
constexpr std::uint8_t user_password = 0x02;
constexpr std::uint8_t no_acceptable = 0xFF;
}  // namespace method

namespace command {
constexpr std::uint8_t connect = 0x01;
constexpr std::uint8_t bind = 0x02;
constexpr std::uint8_t udp_associate = 0x03;
}  // namespace command

template <typename T>
struct Parsed {
    Status status = Status::incomplete;
    T value{};
    std::size_t consumed = 0;  // bytes of the buffer the message occupied (when ok)
    std::uint8_t reply = 0;    // reply code to send when status is error (0: just close)
    std::string error;         // for the log
};

struct Greeting {
    std::vector<std::uint8_t> methods;
    bool offers(std::uint8_t m) const;
};

struct UserPassword {
    std::string user;
    std::string password;
};

struct Request {
    int version = 5;  // 4 or 5
    std::uint8_t command = command::connect;
    std::string host;                            // hostname target (SOCKS4a, SOCKS5 ATYP 3)
    std::optional<proxycfg::IpAddress> address;  // literal target
    std::uint16_t port = 0;
    std::string user;  // SOCKS4 USERID
    // "host:port" for logs and the session record.
    std::string target_text() const;
};

// SOCKS5 method negotiation: VER=5 NMETHODS METHODS...
Parsed<Greeting> parse_greeting(Bytes in);
// RFC 1929: VER=1 ULEN UNAME PLEN PASSWD
Parsed<UserPassword> parse_user_password(Bytes in);
// SOCKS5 request: VER=5 CMD RSV ATYP DST.ADDR DST.PORT
Parsed<Request> parse_socks5_request(Bytes in);
// SOCKS4/4a request: VER=4 CMD DSTPORT DSTIP USERID NUL [HOST NUL]
Parsed<Request> parse_socks4_request(Bytes in);

// Replies. `bound` is the proxy's address of the outgoing connection (zeros if unknown).
std::string socks5_reply(std::uint8_t code, const std::optional<proxycfg::IpAddress>& bound,
                         std::uint16_t bound_port);
std::string socks4_reply(std::uint8_t code, std::uint16_t port = 0,
                         const std::optional<proxycfg::IpAddress>& address = std::nullopt);
std::string method_reply(std::uint8_t chosen);
std::string user_password_reply(bool ok);

}  // namespace proxyd::socks
