#include "listener.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "session.hpp"

namespace proxyd {

namespace {
constexpr int listen_backlog = 4096;
constexpr int accepts_per_event = 64;  // fairness between listeners and sessions
constexpr std::size_t max_datagram = 65535;
// The kernel rounds it to SYN-ACK retransmissions: 1 s is the first one.
constexpr int defer_accept_seconds = 1;
}  // namespace

std::optional<UniqueFd> bind_listener(const proxycfg::Service& service, std::string& error,
                                      int* err) {
    proxycfg::IpAddress address;  // 0.0.0.0
    if (!service.bind_address.value.empty()) {
        auto parsed = proxycfg::IpAddress::parse(service.bind_address.value);
        if (!parsed) {
            error = "bind address '" + service.bind_address.value + "' is not an IP address";
            return std::nullopt;
        }
        address = *parsed;
    }
    bool v6 = address.family == proxycfg::IpAddress::Family::v6;
    auto failed = [&] {
        if (err) *err = errno;
        error = std::strerror(errno);
        return std::nullopt;
    };
    bool udp = udp_service(service.type);
    UniqueFd fd(::socket(v6 ? AF_INET6 : AF_INET,
                         (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) return failed();
    // SO_REUSEADDR lets a restart bind while old connections sit in TIME_WAIT; it never
    // lets two sockets listen on one port. SO_REUSEPORT would, for any process of the
    // same user, so it is not set.
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    // Relayed requests and replies go out at once; accepted sockets inherit the option,
    // so sessions need not set it one by one.
    if (!udp) ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (!udp) set_defer_accept(fd.get(), service);
    sockaddr_storage sa;
    auto len = to_sockaddr(address, service.port.value, sa);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), len) != 0 ||
        (!udp && ::listen(fd.get(), listen_backlog) != 0))
        return failed();
    return fd;
}

void set_defer_accept(int fd, const proxycfg::Service& service) {
    // accept returns once the client's first bytes are in, so the session reads them at
    // once instead of waiting for an event saying so. A client silent for longer than
    // this is accepted anyway when the kernel's next SYN-ACK is answered (about a second
    // later); the handshake deadline then runs as usual. Services whose server speaks
    // first must accept at once: their clients wait for its greeting.
    int seconds = client_speaks_first(service.type) ? defer_accept_seconds : 0;
    ::setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &seconds, sizeof seconds);
}

std::uint16_t local_port(int fd) {
    sockaddr_storage sa;
    socklen_t len = sizeof sa;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) return 0;
    std::uint16_t port = 0;
    address_of(sa, &port);
    return port;
}

Listener::Listener(ListenerHost& host, std::size_t service_index, UniqueFd fd,
                   std::shared_ptr<UdpClients> udp)
    : host_(host), service_index_(service_index), fd_(std::move(fd)), udp_(std::move(udp)) {
    // The socket is shared by every worker: without EPOLLEXCLUSIVE each connection would
    // wake them all, and all but one would find nothing to accept.
    host_.loop().add(fd_.get(), EPOLLIN | EPOLLEXCLUSIVE, this);
}

Listener::~Listener() {
    close();
}

void Listener::close() {
    if (fd_) host_.loop().remove(fd_.get());
    fd_.reset();
}

void Listener::on_io(std::uint32_t) {
    if (!fd_) return;  // closed by a reload earlier in this batch
    if (udp_) {
        read_datagrams();
        return;
    }
    for (int i = 0; i < accepts_per_event; ++i) {
        sockaddr_storage peer;
        socklen_t len = sizeof peer;
        int fd = ::accept4(fd_.get(), reinterpret_cast<sockaddr*>(&peer), &len,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) host_.report_accept_error(errno);
            return;
        }
        host_.accept(service_index_, UniqueFd(fd), peer);
    }
}

}  // namespace proxyd

namespace proxyd {

void Listener::read_datagrams() {
    std::string buffer;
    for (int i = 0; i < accepts_per_event && fd_; ++i) {
        buffer.resize(max_datagram);
        sockaddr_storage peer;
        socklen_t len = sizeof peer;
        auto n = ::recvfrom(fd_.get(), buffer.data(), buffer.size(), MSG_DONTWAIT,
                            reinterpret_cast<sockaddr*>(&peer), &len);
        if (n < 0) {
            if (errno == EINTR) continue;
            // ICMP errors of earlier sends surface here; they concern no datagram.
            if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) host_.report_accept_error(errno);
            return;
        }
        buffer.resize(static_cast<std::size_t>(n));
        host_.datagram(service_index_, fd_.get(), udp_, std::move(buffer), peer);
        buffer = {};
    }
}

}  // namespace proxyd
