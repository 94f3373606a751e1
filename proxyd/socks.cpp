#include "socks.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "access_log.hpp"

namespace proxyd {

namespace {

// A SOCKS handshake is a few hundred bytes at most; more is not a SOCKS client.
constexpr std::size_t max_handshake = 1024;

std::uint8_t reply_for_errno(int err) {
    switch (err) {
        case ECONNREFUSED:
            return socks::reply5::connection_refused;
        case ENETUNREACH:
            return socks::reply5::network_unreachable;
        case ETIMEDOUT:
        case EHOSTUNREACH:
            return socks::reply5::host_unreachable;
        default:
            return socks::reply5::general_failure;
    }
}

bool needs_password(const proxycfg::Service& service) {
    for (auto m : service.auth.value)
        if (m != proxycfg::AuthMethod::none && m != proxycfg::AuthMethod::iponly) return true;
    return false;
}

// Whether some method of the chain may admit a client that sent neither a user name nor
// a password: none, iponly and cache judge its address (dnsname, radius and plugin admit
// nobody in proxyd).
bool admits_without_login(const proxycfg::Service& service) {
    using proxycfg::AuthMethod;
    const auto& chain = service.auth.value;
    return chain.empty() || std::any_of(chain.begin(), chain.end(), [](AuthMethod m) {
               return m == AuthMethod::none || m == AuthMethod::iponly || m == AuthMethod::cache;
           });
}

}  // namespace

void SocksSession::on_client_event() {
    if (udp_) {
        udp_control_event();
        return;
    }
    if (phase_ == Phase::custom) {
        bind_client_event();
        return;
    }
    if (phase_ != Phase::handshake || step_ == Step::done) return;
    auto r = read_client(in_, max_handshake);
    if (r == ReadResult::eof || r == ReadResult::error) {
        if (in_.empty() && step_ == Step::first_byte) {
            close_silently();
        } else {
            close(result::protocol_error, "truncated SOCKS request");
        }
        return;
    }
    advance();
}

void SocksSession::refuse(std::uint8_t reply5, int code, std::string_view reason) {
    step_ = Step::done;
    if (record_.protocol == "SOCKS4") {
        reply_and_close(socks::socks4_reply(socks::reply4::rejected), code, reason);
    } else {
        reply_and_close(socks::socks5_reply(reply5, std::nullopt, 0), code, reason);
    }
}

template <class Parsed>
bool SocksSession::consume(const Parsed& p, std::string_view error_reply) {
    if (p.status == socks::Status::incomplete) return false;
    if (p.status == socks::Status::error) {
        step_ = Step::done;
        reply_and_close(error_reply, result::protocol_error, p.error);
        return false;
    }
    in_.erase(0, p.consumed);
    return true;
}

bool SocksSession::choose_method(const socks::Greeting& greeting) {
    bool want_password = service_->need_user != 0 && needs_password(*service_);
    if (!greeting.offers(socks::method::user_password) && !admits_without_login(*service_)) {
        // RFC 1928: no acceptable methods. Saying so now spares the client a request that
        // could only be refused.
        step_ = Step::done;
        count_refusal(proxycfg::Verdict::no_credentials);
        reply_and_close(socks::method_reply(socks::method::no_acceptable), result::unsupported_auth,
                        "no acceptable SOCKS5 method: the client offers no login, the service "
                        "needs a user name and password");
        return false;
    }
    std::uint8_t chosen = socks::method::no_acceptable;
    if (want_password && greeting.offers(socks::method::user_password)) {
        chosen = socks::method::user_password;
    } else if (service_->need_user != 2 && greeting.offers(socks::method::no_auth)) {
        chosen = socks::method::no_auth;
    } else if (greeting.offers(socks::method::user_password)) {
        chosen = socks::method::user_password;
    }
    if (chosen == socks::method::no_acceptable) {
        step_ = Step::done;
        reply_and_close(socks::method_reply(chosen), result::no_credentials,
                        "no acceptable SOCKS5 authentication method");
        return false;
    }
    send_client(socks::method_reply(chosen));
    step_ = chosen == socks::method::user_password ? Step::user_password : Step::request5;
    return true;
}

// With an auth chain of `strong` only, a wrong password can be answered at the RFC 1929
// step (RFC 1929 wants a failure status there; 3proxy always says success and refuses the
// CONNECT later). Chains with other methods wait for the full request: `iponly strong`
// may admit a client by address whatever password it sent.
bool SocksSession::check_password_early() {
    const auto& chain = service_->auth.value;
    bool strong_only = !chain.empty();
    for (auto m : chain) strong_only = strong_only && m == proxycfg::AuthMethod::strong;
    if (!strong_only) return true;
    const auto* user = config_->model->find_user(*record_.user);
    if (user && proxycfg::verify_password(*user, *record_.password)) {
        record_.verified_secret = user->secret();
        return true;
    }
    return false;
}

void SocksSession::advance() {
    for (;;) {
        auto bytes = socks::Bytes(reinterpret_cast<const std::uint8_t*>(in_.data()), in_.size());
        switch (step_) {
            case Step::first_byte:
                if (in_.empty()) return;
                if (in_[0] == 5) {
                    record_.protocol = "SOCKS5";
                    step_ = Step::greeting;
                } else if (in_[0] == 4) {
                    record_.protocol = "SOCKS4";
                    step_ = Step::request4;
                } else {
                    step_ = Step::done;
                    reply_and_close({}, result::protocol_error, "not a SOCKS request");
                    return;
                }
                continue;
            case Step::greeting: {
                auto p = socks::parse_greeting(bytes);
                if (!consume(p, socks::method_reply(socks::method::no_acceptable))) break;
                if (!choose_method(p.value)) return;
                continue;
            }
            case Step::user_password: {
                auto p = socks::parse_user_password(bytes);
                if (!consume(p, socks::user_password_reply(false))) break;
                record_.user = p.value.user;
                record_.password = p.value.password;
                if (!check_password_early()) {
                    step_ = Step::done;
                    bool known = config_->model->find_user(*record_.user) != nullptr;
                    count_refusal(known ? proxycfg::Verdict::bad_password
                                        : proxycfg::Verdict::unknown_user);
                    reply_and_close(socks::user_password_reply(false),
                                    known ? result::bad_password : result::unknown_user,
                                    known ? "bad password" : "unknown user");
                    return;
                }
                send_client(socks::user_password_reply(true));
                step_ = Step::request5;
                continue;
            }
            case Step::request5:
            case Step::request4: {
                auto p = step_ == Step::request5 ? socks::parse_socks5_request(bytes)
                                                 : socks::parse_socks4_request(bytes);
                if (p.status == socks::Status::incomplete) break;
                if (p.status == socks::Status::error) {
                    refuse(p.reply, result::protocol_error, p.error);
                    return;
                }
                in_.erase(0, p.consumed);
                accept_request(p.value);
                return;
            }
            case Step::done:
                return;
        }
        if (step_ == Step::done) return;  // refused as malformed
        // Incomplete: wait for more unless the buffer is already at its limit.
        if (in_.size() >= max_handshake) {
            refuse(socks::reply5::general_failure, result::protocol_error,
                   "SOCKS request too long");
        }
        return;
    }
}

void SocksSession::accept_request(const socks::Request& request) {
    step_ = Step::done;
    record_.target_host = request.host;
    record_.target_address = request.address;
    record_.target_port = request.port;
    record_.operation = proxycfg::op::CONNECT;
    if (request.version == 4 && !request.user.empty()) record_.user = request.user;
    std::string command = request.command == socks::command::connect ? "CONNECT"
                          : request.command == socks::command::bind  ? "BIND"
                          : request.command == socks::command::udp_associate
                              ? "UDPASSOC"
                              : "COMMAND" + std::to_string(request.command);
    record_.request_text = command + " " + request.target_text();
    if (request.command == socks::command::bind) {
        start_bind();
        return;
    }
    if (request.command == socks::command::udp_associate && request.version == 5) {
        start_udp_associate();
        return;
    }
    if (request.command != socks::command::connect) {
        refuse(socks::reply5::command_not_supported, result::command_unsupported,
               command + " is not supported");
        return;
    }
    if (request.port == 0) {
        refuse(socks::reply5::general_failure, result::protocol_error, "target port 0");
        return;
    }
    resolve_target();
}

void SocksSession::on_resolved(const std::string& error) {
    if (record_.operation == proxycfg::op::BIND) {
        bind_resolved(error);
        return;
    }
    if (!error.empty()) {
        refuse(socks::reply5::host_unreachable, result::resolve_failed,
               "cannot resolve " + record_.target_host + ": " + error);
        return;
    }
    auto decision = admit();
    if (!decision.allowed()) {
        using proxycfg::Verdict;
        std::string reason(admission_reason(decision.verdict));
        // A SOCKS4 request carries a userid and never a password: "bad password" would
        // send the operator looking for a password nobody typed.
        if (record_.protocol == "SOCKS4" && record_.user &&
            (decision.verdict == Verdict::bad_password ||
             decision.verdict == Verdict::unknown_user))
            reason = decision.verdict == Verdict::unknown_user
                         ? "SOCKS4 userid refused: unknown user"
                         : "SOCKS4 userid refused: SOCKS4 sends no password";
        refuse(socks::reply5::not_allowed, result_code(decision.verdict), reason);
        return;
    }
    connect_upstream();
}

void SocksSession::on_connected() {
    sockaddr_storage local;
    socklen_t len = sizeof local;
    std::optional<proxycfg::IpAddress> bound;
    std::uint16_t bound_port = 0;
    if (::getsockname(upstream_.get(), reinterpret_cast<sockaddr*>(&local), &len) == 0)
        bound = address_of(local, &bound_port);
    std::string reply = record_.protocol == "SOCKS4"
                            ? socks::socks4_reply(socks::reply4::granted, bound_port, bound)
                            : socks::socks5_reply(socks::reply5::succeeded, bound, bound_port);
    if (!send_client(reply)) {
        close(result::io_error, "client write failed");
        return;
    }
    start_relay(std::move(in_));
}

void SocksSession::on_connect_failed(int code, int err) {
    refuse(reply_for_errno(err), code, upstream_failure(err));
}

}  // namespace proxyd
