// The `tcppm` service: every accepted connection is relayed to the service's fixed
// HOST:PORT (resolved per connection, as 3proxy does), after the usual auth/ACL check.
#pragma once

#include "session.hpp"

namespace proxyd {

class TcppmSession final : public Session {
  public:
    TcppmSession(SessionHost& host, SnapshotPtr config, std::size_t service_index, UniqueFd client,
                 const sockaddr_storage& peer)
        : Session(host, std::move(config), service_index, std::move(client), peer, "TCPPM") {}

  private:
    void on_start() override;
    void on_resolved(const std::string& error) override;
    void on_connected() override { start_relay(); }
    void on_connect_failed(int code, int err) override;
};

}  // namespace proxyd
