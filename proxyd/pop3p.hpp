// The `pop3p` service: a POP3 proxy. The client logs in as USER name@host[:port]
// (conn_login.hpp); proxyd connects to that server, checks its greeting, sends it
// `USER name` and relays everything else (PASS included) as it is.
#pragma once

#include <string>

#include "conn_login.hpp"
#include "session.hpp"

namespace proxyd {

class Pop3Session final : public Session {
  public:
    using Session::Session;

  private:
    void on_start() override;
    void on_client_event() override;
    void on_upstream_event() override;
    void on_resolved(const std::string& error) override;
    void on_connected() override;
    void on_connect_failed(int code, int err) override;

    void take_user(const std::string& argument);
    void refuse(std::string_view reply, int code, std::string_view reason);

    std::string in_;     // client bytes not yet used (behind USER: for the server)
    std::string up_in_;  // the server's greeting, until it is complete
    std::string server_user_;
    bool got_user_ = false;
    bool heard_ = false;  // the client sent something
};

}  // namespace proxyd
