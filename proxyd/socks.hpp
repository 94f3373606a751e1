// The `socks` service: SOCKS4, SOCKS4a and SOCKS5 CONNECT and BIND (socks_bind.cpp) with
// RFC 1929 username and password authentication, and SOCKS5 UDP ASSOCIATE (socks_udp.hpp).
#pragma once

#include <memory>

#include "session.hpp"
#include "socks_protocol.hpp"
#include "socks_udp.hpp"

namespace proxyd {

class SocksSession final : public Session {
  public:
    using Session::Session;
    ~SocksSession() override;

  private:
    enum class Step : std::uint8_t {
        first_byte,
        greeting,
        user_password,
        request5,
        request4,
        done
    };

    void on_start() override {}
    void on_client_event() override;
    void on_resolved(const std::string& error) override;
    void on_connected() override;
    void on_connect_failed(int code, int err) override;
    void on_upstream_event() override;  // BIND: the incoming connection

    // BIND (socks_bind.cpp): listen, first reply, one incoming connection from the named
    // address, second reply, relay.
    void start_bind();
    void bind_resolved(const std::string& error);
    void bind_client_event();
    void bind_accept();
    std::string bind_reply(bool ok, const std::optional<proxycfg::IpAddress>& address,
                           std::uint16_t port) const;

    void advance();
    // Takes a parsed handshake message off the input. False when it is not complete yet,
    // or was malformed and the client has been answered with `error_reply` (step_ done).
    template <class Parsed>
    bool consume(const Parsed& p, std::string_view error_reply);
    bool choose_method(const socks::Greeting& greeting);
    bool check_password_early();
    void accept_request(const socks::Request& request);
    void refuse(std::uint8_t reply5, int code, std::string_view reason);
    // UDP ASSOCIATE (socks_udp.cpp).
    friend class SocksUdpRelay;
    void start_udp_associate();
    void udp_control_event();
    void log_close(int code, std::string_view reason) override;
    std::unique_ptr<SocksUdpRelay> udp_;

    Step step_ = Step::first_byte;
    std::string in_;
};

}  // namespace proxyd
