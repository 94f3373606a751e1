#include "parent_protocol.hpp"

#include "http_protocol.hpp"
#include "proxycfg/util.hpp"

namespace proxyd::parent {

namespace {

void put_port(std::string& out, std::uint16_t port) {
    out.push_back(static_cast<char>(port >> 8));
    out.push_back(static_cast<char>(port & 0xFF));
}

std::string_view socks5_reply_text(std::uint8_t code) {
    switch (code) {
        case 1:
            return "general failure";
        case 2:
            return "not allowed by ruleset";
        case 3:
            return "network unreachable";
        case 4:
            return "host unreachable";
        case 5:
            return "connection refused";
        case 6:
            return "TTL expired";
        case 7:
            return "command not supported";
        case 8:
            return "address type not supported";
        default:
            return "unknown error";
    }
}

std::uint8_t byte_at(const std::string& s, std::size_t i) {
    return static_cast<std::uint8_t>(s[i]);
}

}  // namespace

std::optional<TypeInfo> type_info(std::string_view type) {
    if (type == "connect") return TypeInfo{Kind::connect, false};
    if (type == "connect+") return TypeInfo{Kind::connect, true};
    if (type == "socks5") return TypeInfo{Kind::socks5, false};
    if (type == "socks5+") return TypeInfo{Kind::socks5, true};
    if (type == "socks4") return TypeInfo{Kind::socks4, false};
    if (type == "socks4+") return TypeInfo{Kind::socks4, true};
    if (type == "tcp") return TypeInfo{Kind::tcp, false};
    // An HTTP proxy parent: a tunnel is asked for by name, as a browser would.
    if (type == "http") return TypeInfo{Kind::http, true};
    return std::nullopt;
}

std::string Destination::text() const {
    std::string h = !host.empty() ? host : address ? address->to_string() : "?";
    return proxycfg::host_port(h, port);
}

std::string base64_encode(std::string_view data) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < data.size(); i += 3) {
        std::uint32_t v = static_cast<std::uint8_t>(data[i]) << 16 |
                          static_cast<std::uint8_t>(data[i + 1]) << 8 |
                          static_cast<std::uint8_t>(data[i + 2]);
        for (int shift = 18; shift >= 0; shift -= 6) out.push_back(alphabet[(v >> shift) & 63]);
    }
    std::size_t rest = data.size() - i;
    if (rest > 0) {
        std::uint32_t v = static_cast<std::uint8_t>(data[i]) << 16;
        if (rest == 2) v |= static_cast<std::uint8_t>(data[i + 1]) << 8;
        out.push_back(alphabet[(v >> 18) & 63]);
        out.push_back(alphabet[(v >> 12) & 63]);
        out.push_back(rest == 2 ? alphabet[(v >> 6) & 63] : '=');
        out.push_back('=');
    }
    return out;
}

std::string connect_request(const Destination& to, bool by_name, const Credentials& login) {
    Destination target = to;
    if (!by_name && to.address) target.host.clear();
    std::string out = "CONNECT " + target.text() + " HTTP/1.0\r\n";
    if (!login.user.empty())
        out += "Proxy-Authorization: Basic " + base64_encode(login.user + ":" + login.password) +
               "\r\n";
    out += "\r\n";
    return out;
}

std::string socks5_greeting(bool with_login) {
    return std::string{5, 1, static_cast<char>(with_login ? 2 : 0)};
}

std::string socks5_login(const Credentials& login) {
    std::string out{1};
    out.push_back(static_cast<char>(login.user.size()));
    out += login.user;
    out.push_back(static_cast<char>(login.password.size()));
    out += login.password;
    return out;
}

std::string socks5_connect(const Destination& to, bool by_name) {
    std::string out{5, 1, 0};
    if ((by_name && !to.host.empty()) || !to.address) {
        out.push_back(3);
        out.push_back(static_cast<char>(to.host.size()));
        out += to.host;
    } else {
        bool v4 = to.address->family == proxycfg::IpAddress::Family::v4;
        out.push_back(v4 ? 1 : 4);
        out.append(reinterpret_cast<const char*>(to.address->bytes.data()), v4 ? 4 : 16);
    }
    put_port(out, to.port);
    return out;
}

std::string socks4_connect(const Destination& to, bool by_name, std::string_view userid) {
    std::string out{4, 1};
    put_port(out, to.port);
    bool name = (by_name && !to.host.empty()) || !to.address;
    if (name) {
        out += std::string{0, 0, 0, 1};
    } else {
        out.append(reinterpret_cast<const char*>(to.address->bytes.data()), 4);
    }
    out += userid;
    out.push_back(0);
    if (name) {
        out += to.host;
        out.push_back(0);
    }
    return out;
}

Handshake::Handshake(TypeInfo type, Destination to, Credentials login)
    : type_(type), to_(std::move(to)), login_(std::move(login)) {
    // RFC 1929 and SOCKS5 names carry lengths in one byte.
    if (login_.user.size() > 255 || login_.password.size() > 255 || to_.host.size() > 255) {
        fail("user, password or host name longer than 255 bytes", false);
        return;
    }
    switch (type_.kind) {
        case Kind::socks5:
            out_ = socks5_greeting(!login_.user.empty());
            step_ = Step::s5_method;
            break;
        case Kind::socks4: {
            bool v4 = to_.address && to_.address->family == proxycfg::IpAddress::Family::v4;
            if (!type_.send_name && !v4) {
                fail("socks4 reaches IPv4 addresses only (socks4+ sends the name)", false);
                return;
            }
            if (type_.send_name && to_.host.empty() && !v4) {
                fail("socks4+ reaches host names and IPv4 addresses only", false);
                return;
            }
            out_ = socks4_connect(to_, type_.send_name,
                                  login_.user.empty() ? "anonymous" : login_.user);
            step_ = Step::s4_reply;
            break;
        }
        case Kind::connect:
        case Kind::http:
            out_ = connect_request(to_, type_.send_name, login_);
            step_ = Step::http_reply;
            break;
        case Kind::tcp:
            state_ = State::done;  // nothing to say
            break;
    }
}

Handshake::State Handshake::fail(std::string why, bool refused) {
    state_ = State::failed;
    error_ = std::move(why);
    refused_ = refused;
    return state_;
}

Handshake::State Handshake::feed(std::string& in) {
    while (state_ == State::running) {
        switch (step_) {
            case Step::http_reply: {
                http::ResponseHead head;
                auto st = http::parse_response_head(in, head);
                if (st == http::HeadStatus::incomplete) return state_;
                if (st != http::HeadStatus::ok) return fail("malformed reply to CONNECT", false);
                in.erase(0, head.size);
                if (head.status / 100 != 2)
                    return fail("refused: HTTP " + std::to_string(head.status) + " " + head.reason,
                                true);
                state_ = State::done;
                return state_;
            }
            case Step::s5_method: {
                if (in.size() < 2) return state_;
                if (byte_at(in, 0) != 5) return fail("not a SOCKS5 reply", false);
                std::uint8_t m = byte_at(in, 1);
                in.erase(0, 2);
                if (m == 0) {
                    out_ += socks5_connect(to_, type_.send_name);
                    step_ = Step::s5_reply;
                } else if (m == 2 && !login_.user.empty()) {
                    out_ += socks5_login(login_);
                    step_ = Step::s5_login;
                } else {
                    return fail(login_.user.empty() ? "refused: it wants a login"
                                                    : "refused: no acceptable login method",
                                true);
                }
                continue;
            }
            case Step::s5_login:
                if (in.size() < 2) return state_;
                if (byte_at(in, 1) != 0) return fail("refused: bad login", true);
                in.erase(0, 2);
                out_ += socks5_connect(to_, type_.send_name);
                step_ = Step::s5_reply;
                continue;
            case Step::s5_reply: {
                if (in.size() < 5) return state_;
                if (byte_at(in, 0) != 5) return fail("not a SOCKS5 reply", false);
                // VER REP RSV ATYP, then the bound address (its length by ATYP) and port.
                std::size_t size = 0;
                switch (byte_at(in, 3)) {
                    case 1:
                        size = 4 + 4 + 2;
                        break;
                    case 4:
                        size = 4 + 16 + 2;
                        break;
                    case 3:
                        size = 4 + 1 + byte_at(in, 4) + 2;
                        break;
                    default:
                        if (byte_at(in, 1) != 0)
                            size = 5;  // some servers cut a refusal short
                        else
                            return fail("bad address type in SOCKS5 reply", false);
                }
                std::uint8_t rep = byte_at(in, 1);
                if (rep != 0)
                    return fail("refused: SOCKS5 reply " + std::to_string(rep) + " (" +
                                    std::string(socks5_reply_text(rep)) + ")",
                                true);
                if (in.size() < size) return state_;
                in.erase(0, size);
                state_ = State::done;
                return state_;
            }
            case Step::s4_reply: {
                if (in.size() < 8) return state_;
                std::uint8_t rep = byte_at(in, 1);
                if (rep != 90) return fail("refused: SOCKS4 reply " + std::to_string(rep), true);
                in.erase(0, 8);
                state_ = State::done;
                return state_;
            }
        }
    }
    return state_;
}

}  // namespace proxyd::parent
