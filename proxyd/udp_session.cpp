#include "udp_session.hpp"

#include <netinet/in.h>

#include <cerrno>

namespace proxyd {

UdpSession::UdpSession(SessionHost& host, SnapshotPtr config, std::size_t service_index,
                       UniqueFd reply_socket, const sockaddr_storage& peer,
                       std::shared_ptr<UdpClients> clients)
    : Session(host, std::move(config), service_index, UniqueFd{}, peer),
      reply_socket_(std::move(reply_socket)),
      peer_(peer),
      peer_len_(peer.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in)),
      clients_(std::move(clients)) {}

void UdpSession::log_close(int code, std::string_view reason) {
    if (clients_) clients_->release({record_.client_address, record_.client_port}, record_.id);
    reply_socket_.reset();
    Session::log_close(code, reason);
}

bool UdpSession::send_to_client(std::string_view data) {
    if (!reply_socket_) return false;
    for (;;) {
        auto n =
            ::sendto(reply_socket_.get(), data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                     reinterpret_cast<const sockaddr*>(&peer_), peer_len_);
        if (n >= 0) {
            record_.bytes_in += static_cast<std::uint64_t>(n);
            touch();
            return true;
        }
        if (errno != EINTR) return false;  // a full buffer drops the datagram, as UDP may
    }
}

std::optional<UniqueFd> udp_socket_from(const proxycfg::Service& service,
                                        proxycfg::IpAddress::Family family) {
    bool v6 = family == proxycfg::IpAddress::Family::v6;
    UniqueFd fd(::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) return std::nullopt;
    const auto& external = v6 ? service.external_v6().value : service.external_v4().value;
    if (!external.empty()) {
        if (auto ext = proxycfg::IpAddress::parse(external); ext && ext->family == family) {
            sockaddr_storage local;
            auto len = to_sockaddr(*ext, 0, local);
            if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&local), len) != 0)
                return std::nullopt;
        }
    }
    return fd;
}

std::optional<UniqueFd> udp_socket_to(const proxycfg::Service& service,
                                      const proxycfg::IpAddress& address, std::uint16_t port) {
    auto fd = udp_socket_from(service, address.family);
    if (!fd) return std::nullopt;
    sockaddr_storage remote;
    auto len = to_sockaddr(address, port, remote);
    if (::connect(fd->get(), reinterpret_cast<sockaddr*>(&remote), len) != 0) return std::nullopt;
    return fd;
}

}  // namespace proxyd
