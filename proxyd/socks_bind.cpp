// SOCKS BIND (RFC 1928 section 4, the SOCKS4 notes), as 3proxy serves it: the client
// names the address it expects a connection from; the proxy listens on the service's
// external address, says where (first reply), waits for one connection, says who came
// (second reply), and relays.
//
// Where proxyd differs from 3proxy (docs/design.md): the listening address without -e is
// the one the client reached the proxy on, not the unspecified address; the peer must come
// from the named address unless that is 0.0.0.0 or :: (3proxy's check is inverted in its
// code, so it accepts anyone for a named address and no one for 0.0.0.0); and a refused
// or failed wait answers the client with a failure reply instead of only closing.
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "access_log.hpp"
#include "socks.hpp"

namespace proxyd {

namespace {

constexpr std::size_t max_early_bytes = 65536;  // what a client may send before the peer comes

}  // namespace

std::string SocksSession::bind_reply(bool ok, const std::optional<proxycfg::IpAddress>& address,
                                     std::uint16_t port) const {
    if (record_.protocol == "SOCKS4")
        return socks::socks4_reply(ok ? socks::reply4::granted : socks::reply4::rejected, port,
                                   address);
    return socks::socks5_reply(ok ? socks::reply5::succeeded : socks::reply5::not_allowed, address,
                               port);
}

void SocksSession::start_bind() {
    record_.operation = proxycfg::op::BIND;
    resolve_target();  // the expected peer, when the client named it by name
}

void SocksSession::bind_resolved(const std::string& error) {
    if (!error.empty()) {
        refuse(socks::reply5::host_unreachable, result::resolve_failed,
               "cannot resolve " + record_.target_host + ": " + error);
        return;
    }
    auto decision = admit();
    if (!decision.allowed()) {
        refuse(socks::reply5::not_allowed, result_code(decision.verdict),
               admission_reason(decision.verdict));
        return;
    }
    // The listening address: the service's external one for the peer's family, else the
    // address the client reached us on (a client can reach it; 0.0.0.0 tells it nothing).
    bool v6 =
        record_.target_address && record_.target_address->family == proxycfg::IpAddress::Family::v6;
    std::optional<proxycfg::IpAddress> local;
    const auto& external = v6 ? service_->external_v6().value : service_->external_v4().value;
    if (auto ext = proxycfg::IpAddress::parse(external);
        ext &&
        ext->family == (v6 ? proxycfg::IpAddress::Family::v6 : proxycfg::IpAddress::Family::v4))
        local = ext;
    if (!local) {
        sockaddr_storage here{};
        socklen_t len = sizeof here;
        if (::getsockname(client_.get(), reinterpret_cast<sockaddr*>(&here), &len) == 0)
            if (auto a = address_of(here, nullptr);
                a && (a->family == proxycfg::IpAddress::Family::v6) == v6)
                local = a;
    }
    if (!local) local = v6 ? proxycfg::IpAddress::parse("::") : proxycfg::IpAddress::v4(0);
    UniqueFd fd(::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_storage addr;
    auto addr_len = to_sockaddr(*local, 0, addr);
    if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), addr_len) != 0 ||
        ::listen(fd.get(), 1) != 0) {
        refuse(socks::reply5::general_failure, result::bind_failed,
               std::string("cannot listen for BIND: ") + std::strerror(errno));
        return;
    }
    sockaddr_storage bound{};
    socklen_t bound_len = sizeof bound;
    std::uint16_t bound_port = 0;
    std::optional<proxycfg::IpAddress> announced;
    if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &bound_len) == 0)
        announced = address_of(bound, &bound_port);
    // -NADDR: the address clients are told, for a proxy behind NAT.
    if (auto nat = service_->options.find("-N"); nat != service_->options.end())
        if (auto a = proxycfg::IpAddress::parse(nat->second)) announced = a;
    upstream_ = std::move(fd);
    phase_ = Phase::custom;
    if (!watch_upstream()) {
        refuse(socks::reply5::general_failure, result::bind_failed, "cannot watch BIND socket");
        return;
    }
    // 3proxy waits as long as a connection may idle (the sixth timeouts value).
    set_deadline(timeout_of(timeouts().connection_long()), result::bind_timeout);
    if (!send_client(bind_reply(true, announced, bound_port))) {
        close(result::io_error, "client write failed");
        return;
    }
}

void SocksSession::bind_client_event() {
    // The client waits for the second reply; it may close (giving up), and bytes it sends
    // early are kept for the peer.
    for (;;) {
        auto r = read_client(in_, max_early_bytes);
        if (r == ReadResult::data) {
            if (in_.size() >= max_early_bytes) {
                close(result::protocol_error, "client sent too much before the BIND peer came");
                return;
            }
            continue;
        }
        if (r == ReadResult::would_block) return;
        close(result::io_error, "client closed during BIND");
        return;
    }
}

void SocksSession::on_upstream_event() {
    if (phase_ == Phase::custom) bind_accept();
}

void SocksSession::bind_accept() {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    UniqueFd fd(::accept4(upstream_.get(), reinterpret_cast<sockaddr*>(&peer), &len,
                          SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        refuse(socks::reply5::general_failure, result::bind_failed,
               std::string("BIND accept: ") + std::strerror(errno));
        return;
    }
    std::uint16_t peer_port = 0;
    auto from = address_of(peer, &peer_port);
    bool any = !record_.target_address || record_.target_address->is_unspecified();
    bool expected = any || (from && std::find(candidates_.begin(), candidates_.end(), *from) !=
                                        candidates_.end());
    if (!from || !expected) {
        std::string named = record_.target_address ? record_.target_address->to_string() : "?";
        reply_and_close(
            bind_reply(false, from, peer_port), result::bind_failed,
            "BIND: connection from " + (from ? from->to_string() : "?") + ", expected " + named);
        return;
    }
    // One connection only: the listening socket closes here.
    upstream_ = std::move(fd);
    if (!watch_upstream()) {
        close(result::io_error, "cannot watch BIND peer");
        return;
    }
    if (!send_client(bind_reply(true, from, peer_port))) {
        close(result::io_error, "client write failed");
        return;
    }
    start_relay(std::exchange(in_, {}));
}

}  // namespace proxyd
