#include "socks_udp.hpp"

#include <netinet/in.h>
#include <sys/epoll.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "access_log.hpp"
#include "resolver.hpp"
#include "socks.hpp"
#include "socks_protocol.hpp"
#include "socks_udp_header.hpp"
#include "udp_session.hpp"

namespace proxyd {

namespace {
constexpr std::size_t max_datagram = 65535;
constexpr int reads_per_event = 64;
constexpr std::size_t max_lookups = 16;        // names resolving at once, per association
constexpr std::size_t max_denied_logged = 64;  // distinct denied destinations logged

socklen_t sockaddr_length(const sockaddr_storage& sa) {
    return sa.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}
}  // namespace

// ---- the session's side -------------------------------------------------------------------

SocksSession::~SocksSession() = default;

void SocksSession::start_udp_associate() {
    record_.operation = proxycfg::op::UDPASSOC;
    // The request names where the client will send from (often 0.0.0.0:0). As with
    // 3proxy, admission judges that address with operation UDPASSOC; each destination is
    // judged again when a datagram names it.
    auto decision = admit();
    if (!decision.allowed()) {
        refuse(socks::reply5::not_allowed, result_code(decision.verdict),
               admission_reason(decision.verdict));
        return;
    }
    sockaddr_storage local;
    socklen_t len = sizeof local;
    std::optional<proxycfg::IpAddress> local_address;
    if (::getsockname(client_.get(), reinterpret_cast<sockaddr*>(&local), &len) == 0)
        local_address = address_of(local, nullptr);
    udp_ = std::make_unique<SocksUdpRelay>(*this);
    std::string error;
    auto port = local_address ? udp_->open(*local_address, error) : std::nullopt;
    if (!port) {
        udp_.reset();
        refuse(socks::reply5::general_failure, result::io_error,
               "UDP ASSOCIATE: " + (error.empty() ? std::string("no local address") : error));
        return;
    }
    // -N: the address the client must send to, when the proxy is behind NAT.
    std::optional<proxycfg::IpAddress> reported = local_address;
    if (auto it = service_->options.find("-N"); it != service_->options.end())
        if (auto nat = proxycfg::IpAddress::parse(it->second)) reported = nat;
    if (!send_client(socks::socks5_reply(socks::reply5::succeeded, reported, *port))) {
        close(result::io_error, "client write failed");
        return;
    }
    phase_ = Phase::custom;
    set_timeout(timeout_of(timeouts().connection_long()), result::idle_timeout);
    in_.clear();
}

void SocksSession::udp_control_event() {
    // Nothing more is expected on the control connection: its end ends the association.
    std::string sink;
    for (;;) {
        sink.clear();
        auto r = read_from(client_.get(), sink, 4096);
        if (r == ReadResult::data) continue;
        if (r == ReadResult::would_block) return;
        close(result::ok, "OK");
        return;
    }
}

void SocksSession::log_close(int code, std::string_view reason) {
    if (udp_) udp_->shut();
    Session::log_close(code, reason);
}

// ---- the relay ----------------------------------------------------------------------------

SocksUdpRelay::SocksUdpRelay(SocksSession& session) : session_(session) {}

SocksUdpRelay::~SocksUdpRelay() {
    shut();
}

std::optional<std::uint16_t> SocksUdpRelay::open(const proxycfg::IpAddress& local,
                                                 std::string& error) {
    bool v6 = local.family == proxycfg::IpAddress::Family::v6;
    client_side_ =
        UniqueFd(::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_storage sa;
    auto len = to_sockaddr(local, 0, sa);
    if (!client_side_ || ::bind(client_side_.get(), reinterpret_cast<sockaddr*>(&sa), len) != 0) {
        error = std::strerror(errno);
        return std::nullopt;
    }
    len = sizeof sa;
    std::uint16_t port = 0;
    if (::getsockname(client_side_.get(), reinterpret_cast<sockaddr*>(&sa), &len) != 0 ||
        !address_of(sa, &port)) {
        error = std::strerror(errno);
        return std::nullopt;
    }
    if (!session_.host_.loop().add(client_side_.get(), EPOLLIN, &client_watch_)) {
        error = "cannot watch the UDP socket";
        return std::nullopt;
    }
    return port;
}

void SocksUdpRelay::shut() {
    for (auto& [id, resolver] : lookups_) resolver->cancel(id);
    lookups_.clear();
    client_side_.reset();
    upstream_v4_.reset();
    upstream_v6_.reset();
}

void SocksUdpRelay::on_readable(int which) {
    if (session_.closed()) return;
    if (which == 0) {
        from_client();
    } else {
        from_upstream(which);
    }
}

void SocksUdpRelay::from_client() {
    std::string buffer;
    for (int i = 0; i < reads_per_event && client_side_; ++i) {
        buffer.resize(max_datagram);
        sockaddr_storage peer;
        socklen_t len = sizeof peer;
        auto n = ::recvfrom(client_side_.get(), buffer.data(), buffer.size(), MSG_DONTWAIT,
                            reinterpret_cast<sockaddr*>(&peer), &len);
        if (n < 0) {
            if (errno == EINTR || errno == ECONNREFUSED) continue;
            return;
        }
        buffer.resize(static_cast<std::size_t>(n));
        // Only the client of the control connection may use the association, from the
        // port it declared if it declared one.
        const auto& record = session_.record_;
        std::uint16_t port = 0;
        auto source = address_of(peer, &port);
        if (!source || *source != record.client_address) continue;
        if (record.target_port != 0 && port != record.target_port) continue;
        std::string error;
        auto datagram = socks::parse_udp_datagram(buffer, error);
        if (!datagram) continue;  // malformed or a fragment: dropped (RFC 1928 allows it)
        client_peer_ = peer;
        if (datagram->address) {
            relay({}, *datagram->address, datagram->port, datagram->payload);
            continue;
        }
        if (lookups_.size() >= max_lookups) continue;
        Resolver& resolver = session_.host_.resolver();
        auto lookup = std::make_shared<Lookup>(
            Lookup{datagram->host, datagram->port, std::string(datagram->payload), 0, false});
        // The callback may run inside resolve() (/etc/hosts), before the id is known.
        std::uint64_t id = resolver.resolve(datagram->host, [this, lookup](ResolveResult r) {
            lookup->done = true;
            lookups_.erase(lookup->id);
            if (session_.closed()) return;
            if (r.addresses.empty()) {
                log_denied(lookup->host, {}, lookup->port, result::resolve_failed,
                           "cannot resolve " + lookup->host + ": datagram dropped");
                return;
            }
            relay(lookup->host, r.addresses.front(), lookup->port, lookup->payload);
        });
        lookup->id = id;
        if (!lookup->done) lookups_.emplace(id, &resolver);
    }
}

void SocksUdpRelay::relay(const std::string& host, const proxycfg::IpAddress& address,
                          std::uint16_t port, std::string_view payload) {
    auto& s = session_;
    auto request = s.access_request(AclClock::now());
    request.target_host = host;
    request.target_address = address;
    request.port = port;
    request.operation = proxycfg::op::UDPASSOC;
    auto decision = proxycfg::evaluate(*s.config_->model, *s.service_, request);
    if (!decision.allowed()) {
        log_denied(host, address, port, result_code(decision.verdict),
                   std::string(admission_reason(decision.verdict)) + ": datagram dropped");
        return;
    }
    UniqueFd* fd = upstream_for(address.family);
    if (!fd) return;
    sockaddr_storage to;
    auto len = to_sockaddr(address, port, to);
    auto n = ::sendto(fd->get(), payload.data(), payload.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                      reinterpret_cast<sockaddr*>(&to), len);
    if (n >= 0) {
        s.record_.bytes_out += static_cast<std::uint64_t>(n);
        s.touch();
    }
}

UniqueFd* SocksUdpRelay::upstream_for(proxycfg::IpAddress::Family family) {
    bool v6 = family == proxycfg::IpAddress::Family::v6;
    UniqueFd& fd = v6 ? upstream_v6_ : upstream_v4_;
    if (fd) return &fd;
    auto made = udp_socket_from(*session_.service_, family);
    if (!made) return nullptr;
    if (!session_.host_.loop().add(made->get(), EPOLLIN, v6 ? &v6_watch_ : &v4_watch_))
        return nullptr;
    fd = std::move(*made);
    return &fd;
}

void SocksUdpRelay::from_upstream(int family) {
    UniqueFd& fd = family == 6 ? upstream_v6_ : upstream_v4_;
    std::string buffer;
    for (int i = 0; i < reads_per_event && fd; ++i) {
        buffer.resize(max_datagram);
        sockaddr_storage peer;
        socklen_t len = sizeof peer;
        auto n = ::recvfrom(fd.get(), buffer.data(), buffer.size(), MSG_DONTWAIT,
                            reinterpret_cast<sockaddr*>(&peer), &len);
        if (n < 0) {
            if (errno == EINTR || errno == ECONNREFUSED) continue;
            return;
        }
        buffer.resize(static_cast<std::size_t>(n));
        std::uint16_t port = 0;
        auto from = address_of(peer, &port);
        if (!from || !client_peer_ || !client_side_) continue;
        auto wrapped = socks::udp_datagram(*from, port, buffer);
        auto sent = ::sendto(
            client_side_.get(), wrapped.data(), wrapped.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
            reinterpret_cast<const sockaddr*>(&*client_peer_), sockaddr_length(*client_peer_));
        if (sent >= 0) {
            session_.record_.bytes_in += static_cast<std::uint64_t>(n);
            session_.touch();
        }
    }
}

void SocksUdpRelay::log_denied(const std::string& host, const proxycfg::IpAddress& address,
                               std::uint16_t port, int code, std::string_view reason) {
    SessionRecord r = session_.record_;
    r.target_host = host;
    r.target_address = address;
    r.target_port = port;
    std::string key = r.target_text();
    if (denied_logged_.count(key) != 0 || denied_logged_.size() >= max_denied_logged) return;
    denied_logged_.insert(key);
    r.request_text = "UDPASSOC " + key;
    r.bytes_in = r.bytes_out = 0;
    r.nolog = false;  // the refusal is logged whatever entry admitted the association
    session_.write_log_for(r, code, reason);
}

}  // namespace proxyd
