#include "worker.hpp"

#include <fcntl.h>

#include <cstdio>
#include <cstring>

#include "admin.hpp"
#include "dnspr.hpp"
#include "ftppr.hpp"
#include "http.hpp"
#include "pop3p.hpp"
#include "smtpp.hpp"
#include "socks.hpp"
#include "tcppm.hpp"
#include "udppm.hpp"

namespace proxyd {

namespace {

constexpr std::chrono::milliseconds tick_period{250};

std::vector<std::string> nserver_list(const proxycfg::Model& model) {
    std::vector<std::string> out;
    for (const auto& s : model.globals.nservers) out.push_back(s.value);
    return out;
}

std::unique_ptr<Session> make_session(Worker& worker, const SnapshotPtr& config, std::size_t index,
                                      UniqueFd fd, const sockaddr_storage& peer) {
    switch (config->model->services[index].type) {
        case proxycfg::ServiceType::socks:
            return std::make_unique<SocksSession>(worker, config, index, std::move(fd), peer);
        case proxycfg::ServiceType::proxy:
            return std::make_unique<HttpSession>(worker, config, index, std::move(fd), peer);
        case proxycfg::ServiceType::tcppm:
            return std::make_unique<TcppmSession>(worker, config, index, std::move(fd), peer);
        case proxycfg::ServiceType::pop3p:
            return std::make_unique<Pop3Session>(worker, config, index, std::move(fd), peer);
        case proxycfg::ServiceType::smtpp:
            return std::make_unique<SmtpSession>(worker, config, index, std::move(fd), peer);
        case proxycfg::ServiceType::ftppr:
            return std::make_unique<FtpSession>(worker, config, index, std::move(fd), peer);
        case proxycfg::ServiceType::admin:
            return std::make_unique<AdminSession>(worker, config, index, std::move(fd), peer);
        default:
            return nullptr;
    }
}

std::unique_ptr<UdpSession> make_udp_session(Worker& worker, const SnapshotPtr& config,
                                             std::size_t index, UniqueFd reply,
                                             const sockaddr_storage& peer,
                                             const std::shared_ptr<UdpClients>& clients) {
    switch (config->model->services[index].type) {
        case proxycfg::ServiceType::udppm:
            return std::make_unique<UdppmSession>(worker, config, index, std::move(reply), peer,
                                                  clients);
        case proxycfg::ServiceType::dnspr:  // a session per query: its client is not claimed
            return std::make_unique<DnsprSession>(worker, config, index, std::move(reply), peer,
                                                  nullptr);
        default:
            return nullptr;
    }
}

// "1.2s", "5m0s", "2h3m4s": how long ago a generation was superseded, for the log.
std::string elapsed_text(Clock::duration d) {
    auto ms =
        static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
    char buf[64];
    auto s = ms / 1000;
    if (ms < 60000)
        std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms) / 1000.0);
    else if (s < 3600)
        std::snprintf(buf, sizeof buf, "%lldm%llds", s / 60, s % 60);
    else
        std::snprintf(buf, sizeof buf, "%lldh%lldm%llds", s / 3600, s / 60 % 60, s % 60);
    return buf;
}

}  // namespace

Worker::Worker(SnapshotPtr config, AccessLog& log, std::vector<BoundSocket> sockets,
               Metrics* metrics)
    : config_(std::move(config)),
      log_(log),
      resolver_(std::make_unique<Resolver>(loop_, nserver_list(*config_->model),
                                           config_->model->globals.timeouts.value.dns(),
                                           config_->dns_cache)),
      metrics_(metrics) {
    resolver_->set_metrics(metrics_);
    map_service_metrics();
    for (auto& s : sockets)
        listeners_.push_back(
            std::make_unique<Listener>(*this, s.service_index, std::move(s.fd), std::move(s.udp)));
    loop_.set_tick(tick_period, [this] { on_tick(); });
    loop_.set_end_of_batch([this] {
        graveyard_.clear();
        retired_listeners_.clear();
    });
}

Worker::~Worker() {
    join();
    // The loop has ended: its timers die with it.
    superseded_.clear();
    // Sessions and listeners go before the resolver and loop they reference.
    graveyard_.clear();
    retired_listeners_.clear();
    listeners_.clear();
}

void Worker::start() {
    thread_ = std::thread([this] { loop_.run(); });
}

void Worker::request_stop() {
    loop_.post([this] {
        listeners_.clear();
        std::vector<std::uint64_t> ids;
        sessions_.for_each([&](Session& s) { ids.push_back(s.record().id); });
        for (auto id : ids) sessions_.close(id, result::shutdown, "shutdown");
        loop_.stop();
    });
}

void Worker::join() {
    if (thread_.joinable()) thread_.join();
}

void Worker::adopt(SnapshotPtr next, const std::vector<std::optional<std::size_t>>& kept,
                   std::vector<BoundSocket> opened) {
    std::vector<std::unique_ptr<Listener>> listening;
    for (auto& l : listeners_) {
        auto old_index = l->service_index();
        if (old_index < kept.size() && kept[old_index]) {
            l->set_service_index(*kept[old_index]);
            listening.push_back(std::move(l));
        } else {
            l->close();
            retired_listeners_.push_back(std::move(l));
        }
    }
    for (auto& s : opened)
        listening.push_back(
            std::make_unique<Listener>(*this, s.service_index, std::move(s.fd), std::move(s.udp)));
    listeners_ = std::move(listening);
    // New nserver settings take effect for the next lookup; lookups in flight finish on
    // the resolver they started on.
    if (nserver_list(*next->model) != nserver_list(*config_->model) ||
        next->model->globals.timeouts.value.dns() != config_->model->globals.timeouts.value.dns()) {
        retired_resolvers_.push_back(std::move(resolver_));
        resolver_ =
            std::make_unique<Resolver>(loop_, nserver_list(*next->model),
                                       next->model->globals.timeouts.value.dns(), next->dns_cache);
        resolver_->set_metrics(metrics_);
    }
    // Open sessions are held to the new bandwidth limits at once (3proxy re-matches only
    // those that had one; here a session can also gain one).
    bool limits =
        !config_->model->globals.bandlimits.empty() || !next->model->globals.bandlimits.empty();
    auto superseded = config_->generation;
    // Only a later generation supersedes the running one.
    bool newer = next->generation > superseded;
    config_ = std::move(next);
    if (newer) supersede(superseded);
    map_service_metrics();
    if (limits) sessions_.for_each([&](Session& s) { s.apply_bandlimits(*config_); });
}

void Worker::accept(std::size_t service_index, UniqueFd fd, const sockaddr_storage& peer) {
    const auto& service = config_->model->services[service_index];
    std::uint16_t peer_port = 0;
    auto source = address_of(peer, &peer_port).value_or(proxycfg::IpAddress{});
    auto* counted =
        service_index < service_metrics_.size() ? service_metrics_[service_index] : nullptr;
    if (counted) ServiceMetrics::bump(counted->accepted, 1);
    bool slot = config_->slots.acquire(service_index, service.maxconn.value) ||
                take_slot_of_handshake(service_index, source);
    if (!slot) {
        // Refused at once: the client sees a close instead of waiting in a queue.
        if (counted) counted->add(Refusal::maxconn);
        log_maxconn(service, peer);
        return;
    }
    auto session = make_session(*this, config_, service_index, std::move(fd), peer);
    if (!session) {
        config_->slots.release(service_index);
        return;
    }
    if (metrics_) metrics_->session_opened(service.label, config_->generation);
    sessions_.add(std::move(session)).start();
}

void Worker::log_maxconn(const proxycfg::Service& service, const sockaddr_storage& peer) {
    SessionRecord r;
    r.id = next_session_id();
    r.protocol = log_protocol(service.type);
    r.service_port = service.port.value;
    r.client_address = address_of(peer, &r.client_port).value_or(proxycfg::IpAddress{});
    log_.write(service.log(), log_fields_for(r, result::maxconn, "maxconn exceeded",
                                             std::chrono::system_clock::now()));
}

void Worker::datagram(std::size_t service_index, int fd, const std::shared_ptr<UdpClients>& clients,
                      std::string data, const sockaddr_storage& peer) {
    std::uint16_t port = 0;
    auto address = address_of(peer, &port);
    if (!address) return;
    const UdpClients::Client client{*address, port};
    auto forward = [this](UdpClients::Owner owner, std::string d) {
        if (owner.host == this) {
            deliver_datagram(owner.session_id, std::move(d));
            return;
        }
        owner.host->loop().post([owner, d = std::move(d)]() mutable {
            owner.host->deliver_datagram(owner.session_id, std::move(d));
        });
    };
    const auto& service = config_->model->services[service_index];
    bool per_client = service.type != proxycfg::ServiceType::dnspr;
    if (auto owner = per_client ? clients->find(client) : std::nullopt) {
        forward(*owner, std::move(data));
        return;
    }
    auto* counted =
        service_index < service_metrics_.size() ? service_metrics_[service_index] : nullptr;
    if (counted) ServiceMetrics::bump(counted->accepted, 1);
    // A UDP session holds its slot until it ends; there is no handshake to displace.
    if (!config_->slots.acquire(service_index, service.maxconn.value)) {
        if (counted) counted->add(Refusal::maxconn);
        log_maxconn(service, peer);
        return;
    }
    UniqueFd reply(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
    auto session =
        reply ? make_udp_session(*this, config_, service_index, std::move(reply), peer, clients)
              : nullptr;
    if (!session) {
        config_->slots.release(service_index);
        return;
    }
    auto id = session->record().id;
    auto owner = per_client ? clients->claim(client, {this, id}) : UdpClients::Owner{this, id};
    if (owner.session_id != id) {
        // Another worker made this client's session in the meantime.
        config_->slots.release(service_index);
        forward(owner, std::move(data));
        return;
    }
    if (metrics_) metrics_->session_opened(service.label, config_->generation);
    auto& added = sessions_.add(std::move(session));
    static_cast<UdpSession&>(added).begin(std::move(data));
}

void Worker::deliver_datagram(std::uint64_t session_id, std::string data) {
    // Gone meanwhile: the datagram is dropped, as the network may drop any.
    if (auto* s = dynamic_cast<UdpSession*>(sessions_.find(session_id)); s && !s->closed())
        s->on_datagram(std::move(data));
}

bool Worker::take_slot_of_handshake(std::size_t service_index, const proxycfg::IpAddress& source) {
    auto picked = config_->handshakes.pick(service_index, source, loop_.now());
    if (!picked) return false;
    const auto& [victim, why] = *picked;
    std::string reason = why == HandshakeBoard::Reason::source_over_share
                             ? "handshake displaced: too many handshakes from this source"
                             : "handshake displaced: service at maxconn";
    // The newcomer has the victim's slot from now on. A victim on another worker is
    // closed by its own loop a moment later (maxconn is exceeded by one until then), and
    // one that finished its handshake in that moment is kept.
    config_->slots.force_acquire(service_index);
    auto displace = [](Worker& w, std::uint64_t id, const std::string& why_text) {
        if (Session* s = w.sessions().find(id); s != nullptr && s->in_first_handshake())
            s->close(result::handshake_displaced, why_text);
    };
    if (victim.worker == this) {
        displace(*this, victim.session_id, reason);
    } else {
        Worker* w = victim.worker;
        w->loop().post([w, id = victim.session_id, reason, displace] { displace(*w, id, reason); });
    }
    return true;
}

void Worker::handshake_started(const Session& session) {
    session.config().handshakes.add({this, session.record().id, session.record().service_index,
                                     session.record().client_address, session.accepted_at()});
}

void Worker::handshake_finished(const Session& session) {
    session.config().handshakes.remove(session.record().id);
}

void Worker::report_accept_error(int err) {
    auto now = loop_.now();
    if (now - last_accept_error_report_ < std::chrono::seconds(1)) return;
    last_accept_error_report_ = now;
    std::fprintf(stderr, "proxyd: accept: %s\n", std::strerror(err));
}

void Worker::retire(Session& session) {
    session.config().slots.release(session.record().service_index);
    if (metrics_) metrics_->session_closed(session.service().label, session.config().generation);
    auto id = session.record().id;
    auto generation = sessions_.drain_generation(id);
    if (auto owned = sessions_.remove(id)) {
        graveyard_.push_back(std::move(owned));
        forget_if_drained(generation);
    }
}

void Worker::hold_to_current(const Session& session) {
    auto id = session.record().id;
    auto before = sessions_.drain_generation(id);
    sessions_.hold_to(id, config_->generation);
    forget_if_drained(before);
}

std::vector<PinnedGeneration> Worker::pinned() const {
    std::vector<PinnedGeneration> out;
    for (const auto& [generation, s] : superseded_)
        if (auto n = sessions_.pinning(generation)) out.push_back({generation, n, s.wall});
    return out;
}

void Worker::supersede(std::uint64_t generation) {
    if (sessions_.pinning(generation) == 0) return;
    Superseded s{loop_.now(), std::chrono::system_clock::now(), std::nullopt};
    if (drain_timeout_)
        s.timer = loop_.schedule(s.at + *drain_timeout_,
                                 [this, generation] { drain_deadline(generation); });
    superseded_.insert_or_assign(generation, s);
}

void Worker::forget_if_drained(std::uint64_t generation) {
    auto it = superseded_.find(generation);
    if (it == superseded_.end() || sessions_.pinning(generation) > 0) return;
    if (it->second.timer) loop_.cancel(*it->second.timer);
    superseded_.erase(it);
}

void Worker::drain_deadline(std::uint64_t generation) {
    auto it = superseded_.find(generation);
    if (it == superseded_.end()) return;
    it->second.timer.reset();  // it has run
    std::string reason = "drain timeout: generation " + std::to_string(generation) +
                         " superseded " + elapsed_text(loop_.now() - it->second.at) + " ago";
    // Collected first: closing edits the registry (and drops the entry with the last).
    std::vector<std::uint64_t> ids = sessions_.ids_pinning(generation);
    for (auto id : ids) sessions_.close(id, result::drain_timeout, reason);
    if (!ids.empty())
        std::fprintf(stderr, "proxyd: %s: %zu session%s closed\n", reason.c_str(), ids.size(),
                     ids.size() == 1 ? "" : "s");
}

void Worker::map_service_metrics() {
    service_metrics_.clear();
    if (!metrics_) return;
    for (const auto& service : config_->model->services)
        service_metrics_.push_back(&metrics_->service(service.label));
}

void Worker::on_tick() {
    resolver_->on_tick();
    for (auto& r : retired_resolvers_) r->on_tick();
    std::erase_if(retired_resolvers_, [](const auto& r) { return r->idle(); });
    auto now = loop_.now();
    // Collected first: handling a timeout closes the session, which edits the registry.
    std::vector<std::uint64_t> expired;
    sessions_.for_each([&](Session& s) {
        if (s.timed_out(now)) expired.push_back(s.record().id);
        // Long sessions' bytes show before they end (a subtraction when idle).
        s.report_traffic();
    });
    for (auto id : expired)
        if (auto* s = sessions_.find(id)) s->check_timeout(now);
}

}  // namespace proxyd
