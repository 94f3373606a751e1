// The `tcppm` service: every accepted connection is relayed to the service's fixed
// HOST:PORT (resolved per connection, as 3proxy does), after the usual auth/ACL check.
#pragma once

#include "session.hpp"

namespace proxyd {

class TcppmSession final : public Session {
  public:
    using Session::Session;

  private:
    void on_start() override;
    void on_resolved(const std::string& error) override;
    void on_connected() override { start_relay(); }
    void on_connect_failed(int code, int err) override;
};

}  // namespace proxyd
