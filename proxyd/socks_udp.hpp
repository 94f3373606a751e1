// SOCKS5 UDP ASSOCIATE (RFC 1928 section 7): the association of one SocksSession. The
// client sends datagrams with a SOCKS UDP header to a socket bound next to the control
// connection's local address; each destination is checked by the ACL (operation
// UDPASSOC) before its datagram leaves from the service's external address; replies come
// back wrapped in the header. The association lives as long as the control connection.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "event_loop.hpp"
#include "fd.hpp"
#include "proxycfg/net.hpp"

namespace proxyd {

class Resolver;
class SocksSession;

class SocksUdpRelay {
  public:
    explicit SocksUdpRelay(SocksSession& session);
    ~SocksUdpRelay();
    SocksUdpRelay(const SocksUdpRelay&) = delete;
    SocksUdpRelay& operator=(const SocksUdpRelay&) = delete;

    // Binds the client-side socket next to `local` (the control connection's own
    // address). nullopt with `error` set when it cannot.
    std::optional<std::uint16_t> open(const proxycfg::IpAddress& local, std::string& error);
    // Closes the sockets and drops the lookups in flight (the session is closing).
    void shut();

  private:
    struct Watch final : IoHandler {
        Watch(SocksUdpRelay& r, int w) : relay(r), which(w) {}
        void on_io(std::uint32_t) override { relay.on_readable(which); }
        SocksUdpRelay& relay;
        int which;  // 0: client side, 4: upstream v4, 6: upstream v6
    };
    struct Lookup {
        std::string host;
        std::uint16_t port = 0;
        std::string payload;
        std::uint64_t id = 0;
        bool done = false;
    };
    void on_readable(int which);
    void from_client();
    void from_upstream(int family);
    // The ACL decides on the destination; an allowed datagram is sent.
    void relay(const std::string& host, const proxycfg::IpAddress& address, std::uint16_t port,
               std::string_view payload);
    void log_denied(const std::string& host, const proxycfg::IpAddress& address, std::uint16_t port,
                    int code, std::string_view reason);
    UniqueFd* upstream_for(proxycfg::IpAddress::Family family);

    SocksSession& session_;
    UniqueFd client_side_;
    UniqueFd upstream_v4_;
    UniqueFd upstream_v6_;
    Watch client_watch_{*this, 0};
    Watch v4_watch_{*this, 4};
    Watch v6_watch_{*this, 6};
    std::optional<sockaddr_storage> client_peer_;  // where replies go: the last sender
    std::map<std::uint64_t, Resolver*> lookups_;   // destinations given by name, resolving
    std::set<std::string> denied_logged_;          // one log line per denied destination
};

}  // namespace proxyd
