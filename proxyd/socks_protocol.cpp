#include "socks_protocol.hpp"

#include <algorithm>

#include "proxycfg/util.hpp"

namespace proxyd::socks {

namespace {

constexpr std::size_t max_socks4_field = 255;  // USERID and 4a hostname: same limit as SOCKS5

std::uint16_t read_port(Bytes in, std::size_t at) {
    return static_cast<std::uint16_t>((in[at] << 8) | in[at + 1]);
}

template <typename T>
Parsed<T> fail(std::uint8_t reply, std::string error) {
    Parsed<T> p;
    p.status = Status::error;
    p.reply = reply;
    p.error = std::move(error);
    return p;
}

// The version byte a message starts with and the fixed part after it. False while fewer
// than `size` bytes are in (`p` stays incomplete) or when the version is not `version`
// (`p` is refused with `reply`).
template <typename T>
bool header_in(Bytes in, std::size_t size, std::uint8_t version, std::uint8_t reply,
               const char* error, Parsed<T>& p) {
    if (in.empty()) return false;
    if (in[0] != version) {
        p = fail<T>(reply, error);
        return false;
    }
    return in.size() >= size;
}

// SOCKS4 and SOCKS5 requests both start VER CMD.
bool request_header_in(Bytes in, std::size_t size, std::uint8_t version, std::uint8_t reply,
                       const char* error, Parsed<Request>& p) {
    if (!header_in(in, size, version, reply, error, p)) return false;
    p.value.version = version;
    p.value.command = in[1];
    return true;
}

// Marks `p` parsed, `consumed` bytes long.
template <typename T>
void finish(Parsed<T>& p, std::size_t consumed) {
    p.consumed = consumed;
    p.status = Status::ok;
}

// Reads a NUL-terminated field starting at `at`. nullopt+incomplete if no NUL yet.
std::optional<std::string> read_cstring(Bytes in, std::size_t at, std::size_t& end,
                                        bool& too_long) {
    too_long = false;
    for (std::size_t i = at; i < in.size(); ++i) {
        if (in[i] == 0) {
            end = i + 1;
            return std::string(reinterpret_cast<const char*>(in.data() + at), i - at);
        }
        if (i - at >= max_socks4_field) {
            too_long = true;
            return std::nullopt;
        }
    }
    return std::nullopt;
}

}  // namespace

bool Greeting::offers(std::uint8_t m) const {
    return std::find(methods.begin(), methods.end(), m) != methods.end();
}

std::string Request::target_text() const {
    return proxycfg::host_port(host.empty() && address ? address->to_string() : host, port);
}

Parsed<Greeting> parse_greeting(Bytes in) {
    Parsed<Greeting> p;
    if (!header_in(in, 2, 5, 0, "not a SOCKS5 greeting", p)) return p;
    std::size_t n = in[1];
    if (n == 0) return fail<Greeting>(method::no_acceptable, "SOCKS5 greeting offers no method");
    if (in.size() < 2 + n) return p;
    p.value.methods.assign(in.begin() + 2, in.begin() + static_cast<std::ptrdiff_t>(2 + n));
    finish(p, 2 + n);
    return p;
}

Parsed<UserPassword> parse_user_password(Bytes in) {
    Parsed<UserPassword> p;
    if (!header_in(in, 2, 1, 1, "bad RFC 1929 version", p)) return p;
    std::size_t ulen = in[1];
    if (in.size() < 2 + ulen + 1) return p;
    std::size_t plen = in[2 + ulen];
    if (in.size() < 3 + ulen + plen) return p;
    auto chars = reinterpret_cast<const char*>(in.data());
    p.value.user.assign(chars + 2, ulen);
    p.value.password.assign(chars + 3 + ulen, plen);
    finish(p, 3 + ulen + plen);
    return p;
}

Parsed<Request> parse_socks5_request(Bytes in) {
    Parsed<Request> p;
    if (!request_header_in(in, 4, 5, reply5::general_failure, "bad SOCKS5 request version", p))
        return p;
    std::uint8_t atyp = in[3];
    std::size_t end = 0;
    switch (atyp) {
        case 0x01: {
            if (in.size() < 10) return p;
            proxycfg::IpAddress a;
            std::copy_n(in.begin() + 4, 4, a.bytes.begin());
            p.value.address = a;
            end = 10;
            break;
        }
        case 0x03: {
            if (in.size() < 5) return p;
            std::size_t len = in[4];
            if (len == 0) return fail<Request>(reply5::general_failure, "empty SOCKS5 hostname");
            if (in.size() < 5 + len + 2) return p;
            p.value.host.assign(reinterpret_cast<const char*>(in.data() + 5), len);
            if (p.value.host.find('\0') != std::string::npos)
                return fail<Request>(reply5::general_failure, "NUL in SOCKS5 hostname");
            // A client may send a literal in a domain field: treat it as the address.
            if (auto literal = proxycfg::IpAddress::parse(p.value.host)) {
                p.value.address = literal;
                p.value.host.clear();
            }
            end = 5 + len + 2;
            break;
        }
        case 0x04: {
            if (in.size() < 22) return p;
            proxycfg::IpAddress a;
            a.family = proxycfg::IpAddress::Family::v6;
            std::copy_n(in.begin() + 4, 16, a.bytes.begin());
            p.value.address = a;
            end = 22;
            break;
        }
        default:
            return fail<Request>(reply5::address_type_not_supported,
                                 "unknown SOCKS5 address type " + std::to_string(atyp));
    }
    p.value.port = read_port(in, end - 2);
    finish(p, end);
    return p;
}

Parsed<Request> parse_socks4_request(Bytes in) {
    Parsed<Request> p;
    if (!request_header_in(in, 9, 4, reply4::rejected, "not a SOCKS4 request", p)) return p;
    p.value.port = read_port(in, 2);
    std::size_t end = 0;
    bool too_long = false;
    auto user = read_cstring(in, 8, end, too_long);
    if (too_long) return fail<Request>(reply4::rejected, "SOCKS4 user id too long");
    if (!user) return p;
    p.value.user = *user;
    // 0.0.0.x with x != 0 marks SOCKS4a: a hostname follows the user id.
    if (in[4] == 0 && in[5] == 0 && in[6] == 0 && in[7] != 0) {
        auto host = read_cstring(in, end, end, too_long);
        if (too_long) return fail<Request>(reply4::rejected, "SOCKS4a hostname too long");
        if (!host) return p;
        if (host->empty()) return fail<Request>(reply4::rejected, "empty SOCKS4a hostname");
        if (auto literal = proxycfg::IpAddress::parse(*host)) {
            p.value.address = literal;
        } else {
            p.value.host = *host;
        }
    } else {
        proxycfg::IpAddress a;
        std::copy_n(in.begin() + 4, 4, a.bytes.begin());
        p.value.address = a;
    }
    finish(p, end);
    return p;
}

std::string socks5_reply(std::uint8_t code, const std::optional<proxycfg::IpAddress>& bound,
                         std::uint16_t bound_port) {
    std::string r{'\x05', static_cast<char>(code), '\x00'};
    if (bound && bound->family == proxycfg::IpAddress::Family::v6) {
        r.push_back('\x04');
        r.append(reinterpret_cast<const char*>(bound->bytes.data()), 16);
    } else {
        r.push_back('\x01');
        if (bound) {
            r.append(reinterpret_cast<const char*>(bound->bytes.data()), 4);
        } else {
            r.append(4, '\0');
        }
    }
    r.push_back(static_cast<char>(bound_port >> 8));
    r.push_back(static_cast<char>(bound_port & 0xFF));
    return r;
}

std::string socks4_reply(std::uint8_t code, std::uint16_t port,
                         const std::optional<proxycfg::IpAddress>& address) {
    std::string r{'\x00', static_cast<char>(code), static_cast<char>(port >> 8),
                  static_cast<char>(port & 0xFF)};
    if (address && address->family == proxycfg::IpAddress::Family::v4) {
        r.append(reinterpret_cast<const char*>(address->bytes.data()), 4);
    } else {
        r.append(4, '\0');
    }
    return r;
}

std::string method_reply(std::uint8_t chosen) {
    return {'\x05', static_cast<char>(chosen)};
}

std::string user_password_reply(bool ok) {
    return {'\x01', ok ? '\x00' : '\x01'};
}

}  // namespace proxyd::socks
