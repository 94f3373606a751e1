// What the sessions of UDP services have in common. A UDP "session" is one client address
// of one service: it has no socket of its own towards the client (datagrams come in on the
// service's shared socket and replies go out from a copy of it), so it starts with its
// first datagram instead of Session::start, and later datagrams are handed to it.
#pragma once

#include <sys/socket.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "session.hpp"
#include "udp_clients.hpp"

namespace proxyd {

class UdpSession : public Session {
  public:
    // `reply_socket`: a copy of the service's socket to answer from. `clients`: the table
    // the session has claimed its client in (null for a session per datagram, dnspr).
    UdpSession(SessionHost& host, SnapshotPtr config, std::size_t service_index,
               UniqueFd reply_socket, const sockaddr_storage& peer,
               std::shared_ptr<UdpClients> clients);

    // The client's first datagram: starts the session (in place of Session::start).
    void begin(std::string first) { on_datagram(std::move(first)); }
    // A datagram from the client.
    virtual void on_datagram(std::string data) = 0;

  protected:
    void on_start() override {}
    void on_connected() override {}
    void on_connect_failed(int, int) override {}
    // The one hook Session::close always calls: the client is released here, before the
    // log line, so its next datagram starts a new session.
    void log_close(int code, std::string_view reason) override;
    // Sends one datagram to the client (counted as bytes in); false if it could not.
    bool send_to_client(std::string_view data);

  private:
    UniqueFd reply_socket_;
    sockaddr_storage peer_{};
    socklen_t peer_len_ = 0;
    std::shared_ptr<UdpClients> clients_;
};

// A UDP socket for reaching `address` from the service's external address (-e), connected
// to address:port so that only that peer's datagrams are read from it. nullopt with errno
// set when it cannot be made.
std::optional<UniqueFd> udp_socket_to(const proxycfg::Service& service,
                                      const proxycfg::IpAddress& address, std::uint16_t port);
// An unconnected UDP socket bound to the service's external address for `family`.
std::optional<UniqueFd> udp_socket_from(const proxycfg::Service& service,
                                        proxycfg::IpAddress::Family family);

}  // namespace proxyd
