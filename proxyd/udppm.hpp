// The `udppm` service: the datagrams of each client go to the service's fixed HOST:PORT
// (resolved per session, as tcppm does) from a socket of the session's own, and the
// replies go back to that client. -s (single packet): the session ends with the first
// reply, for request/reply services such as DNS.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "udp_session.hpp"

namespace proxyd {

class UdppmSession final : public UdpSession {
  public:
    using UdpSession::UdpSession;
    void on_datagram(std::string data) override;

  private:
    struct UpstreamWatch final : IoHandler {
        explicit UpstreamWatch(UdppmSession& s) : session(s) {}
        void on_io(std::uint32_t) override { session.on_upstream_readable(); }
        UdppmSession& session;
    };
    void on_resolved(const std::string& error) override;
    void on_upstream_readable();
    void send_upstream(const std::string& data);
    bool single_packet() const;

    bool started_ = false;
    std::vector<std::string> pending_;  // datagrams that came while the target resolved
    std::size_t pending_bytes_ = 0;
    UpstreamWatch watch_{*this};
};

}  // namespace proxyd
