// A listener: one worker's copy of a service's listening socket (see listen_sockets.hpp),
// waited on with EPOLLEXCLUSIVE so a new connection (or datagram) wakes one idle worker,
// not all.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "event_loop.hpp"
#include "fd.hpp"
#include "proxycfg/model.hpp"
#include "session_host.hpp"
#include "udp_clients.hpp"

namespace proxyd {

// The service types proxyd serves (the rest of 3proxy's are parsed and reported only).
inline bool served(proxycfg::ServiceType type) {
    using proxycfg::ServiceType;
    return type == ServiceType::socks || type == ServiceType::proxy || type == ServiceType::tcppm ||
           type == ServiceType::udppm || type == ServiceType::dnspr || type == ServiceType::pop3p ||
           type == ServiceType::smtpp || type == ServiceType::ftppr || type == ServiceType::admin;
}

// The served types whose client always speaks first (a SOCKS greeting, an HTTP request):
// their listeners defer accepts until the first bytes arrive, and a new session reads at
// once. Services whose server greets first (pop3p, smtpp, ftppr) or that relay whatever
// comes (tcppm) are accepted as soon as connected.
inline bool client_speaks_first(proxycfg::ServiceType type) {
    return type == proxycfg::ServiceType::socks || type == proxycfg::ServiceType::proxy;
}

// The served types that listen on a UDP socket.
inline bool udp_service(proxycfg::ServiceType type) {
    return type == proxycfg::ServiceType::udppm || type == proxycfg::ServiceType::dnspr;
}

// Binds and listens for one service, exclusively (no SO_REUSEPORT): a TCP listening
// socket, or a bound UDP socket for udp_service types. nullopt with `error` set (and
// `err`, the errno, when given) when it cannot.
std::optional<UniqueFd> bind_listener(const proxycfg::Service& service, std::string& error,
                                      int* err = nullptr);

// Sets or clears the deferred accept of a TCP listening socket for the service it now
// listens for (a reload may hand a port's socket to a service of another type).
void set_defer_accept(int fd, const proxycfg::Service& service);

// Listens on the port a socket is bound to (tests and logs).
std::uint16_t local_port(int fd);

// A listening socket and the service it accepts for; a UDP socket comes with the table of
// its clients' sessions, shared by every worker reading it.
struct BoundSocket {
    std::size_t service_index = 0;
    UniqueFd fd;
    std::shared_ptr<UdpClients> udp;
};

class Listener final : public IoHandler {
  public:
    Listener(ListenerHost& host, std::size_t service_index, UniqueFd fd,
             std::shared_ptr<UdpClients> udp = nullptr);
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    void on_io(std::uint32_t events) override;
    std::size_t service_index() const { return service_index_; }
    // A reload renumbers services; a kept listener follows its service to the new index.
    void set_service_index(std::size_t index) { service_index_ = index; }
    // Stops listening at once (the port is released); the object itself may still be
    // referenced by the current event batch, so it is destroyed later.
    void close();

  private:
    void read_datagrams();

    ListenerHost& host_;
    std::size_t service_index_;
    UniqueFd fd_;
    std::shared_ptr<UdpClients> udp_;
};

}  // namespace proxyd
