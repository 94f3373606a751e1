// The `smtpp` service: an SMTP proxy. The client authenticates to the proxy with AUTH
// LOGIN or AUTH PLAIN as name@host[:port] (conn_login.hpp); proxyd connects to that
// server, introduces itself with EHLO, logs in there as `name` with the client's password
// when the server offers AUTH LOGIN or PLAIN, and then relays. With -h, a client may skip
// AUTH: its first other command goes to the -h server as it is.
#pragma once

#include <string>

#include "conn_login.hpp"
#include "session.hpp"

namespace proxyd {

class SmtpSession final : public Session {
  public:
    using Session::Session;

  private:
    enum class ClientStep : std::uint8_t { commands, login_user, login_password, plain, done };
    enum class ServerStep : std::uint8_t { greeting, ehlo, login_user, login_password, plain };

    void on_start() override;
    void on_client_event() override;
    void on_upstream_event() override;
    void on_resolved(const std::string& error) override;
    void on_connected() override;
    void on_connect_failed(int code, int err) override;

    bool client_line(const std::string& line);  // false once the handshake is over
    void take_plain(const std::string& base64);
    void take_login(const std::string& login);
    void begin(const ConnLogin& login);
    bool server_line(const std::string& line);  // false once the session moved on
    void send_upstream(const std::string& line);
    void finish();
    void refuse(std::string_view reply, int code, std::string_view reason);

    ClientStep client_step_ = ClientStep::commands;
    ServerStep server_step_ = ServerStep::greeting;
    std::string in_;
    std::string up_in_;
    std::string to_server_;  // written before the relay starts
    std::string command_;    // the first command of a client that skipped AUTH (-h)
    std::string server_user_;
    std::optional<std::string> server_password_;
    bool offers_login_ = false;
    bool offers_plain_ = false;
    bool heard_ = false;
};

}  // namespace proxyd
