#include "resolver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "metrics.hpp"

namespace proxyd {

std::optional<std::string> nserver_to_csv_entry(std::string_view value, bool& tcp) {
    tcp = false;
    if (auto slash = value.find('/'); slash != std::string_view::npos) {
        tcp = value.substr(slash + 1) == "tcp";
        value = value.substr(0, slash);
    }
    std::string_view host = value;
    std::string_view port;
    if (!value.empty() && value.front() == '[') {
        auto close = value.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = value.substr(1, close - 1);
        if (close + 1 < value.size() && value[close + 1] == ':') port = value.substr(close + 2);
    } else if (std::count(value.begin(), value.end(), ':') == 1) {
        auto colon = value.find(':');
        host = value.substr(0, colon);
        port = value.substr(colon + 1);
    }
    auto address = proxycfg::IpAddress::parse(host);
    if (!address) return std::nullopt;
    std::string entry = address->family == proxycfg::IpAddress::Family::v6
                            ? "[" + address->to_string() + "]"
                            : address->to_string();
    if (!port.empty()) entry += ":" + std::string(port);
    return entry;
}

Resolver::Resolver(EventLoop& loop, const std::vector<std::string>& nservers,
                   std::uint32_t timeout_seconds, std::shared_ptr<DnsCache> cache)
    : loop_(loop), cache_(std::move(cache)) {
    ares_options options{};
    int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
    options.sock_state_cb = &Resolver::on_socket_state;
    options.sock_state_cb_data = this;
    // The `timeouts` DNS value bounds the whole lookup; c-ares splits it over its tries.
    options.tries = 2;
    options.timeout = static_cast<int>(std::max<std::uint32_t>(1, timeout_seconds) * 1000 / 2);
    std::string csv;
    bool any_tcp = false;
    for (const auto& value : nservers) {
        bool tcp = false;
        if (auto entry = nserver_to_csv_entry(value, tcp)) {
            if (!csv.empty()) csv += ',';
            csv += *entry;
            any_tcp = any_tcp || tcp;
        }
    }
    if (any_tcp) {
        options.flags |= ARES_FLAG_USEVC;
        mask |= ARES_OPT_FLAGS;
    }
    if (ares_init_options(&channel_, &options, mask) != ARES_SUCCESS)
        throw std::runtime_error("cannot initialise the resolver");
    if (!csv.empty()) ares_set_servers_ports_csv(channel_, csv.c_str());
}

Resolver::~Resolver() {
    for (auto& [id, query] : pending_) query.done = nullptr;
    ares_destroy(channel_);  // calls back every pending lookup with ARES_EDESTRUCTION
}

void Resolver::cancel(std::uint64_t id) {
    if (auto it = pending_.find(id); it != pending_.end()) it->second.done = nullptr;
}

std::uint64_t Resolver::resolve(const std::string& name, Callback done) {
    auto id = next_id_++;
    auto& query = pending_.emplace(id, Query{this, id, std::move(done), name}).first->second;
    if (metrics_) metrics_->dns_lookup();
    if (cache_) {
        if (auto hit = cache_->find(name, std::chrono::steady_clock::now())) {
            if (metrics_) metrics_->dns_cache_hit();
            finish_later(id, ResolveResult{std::move(*hit), {}});
            return id;
        }
    }
    ares_addrinfo_hints hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    starting_ = true;
    ares_getaddrinfo(channel_, name.c_str(), nullptr, &hints, &Resolver::on_result, &query);
    starting_ = false;
    return id;
}

void Resolver::finish(std::uint64_t id, ResolveResult result) {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    auto done = std::move(it->second.done);
    pending_.erase(it);
    if (done) done(std::move(result));
}

void Resolver::finish_later(std::uint64_t id, ResolveResult result) {
    // The pending entry keeps a retired resolver alive until this has run.
    loop_.post([this, id, r = std::move(result)]() mutable { finish(id, std::move(r)); });
}

void Resolver::on_tick() {
    ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

void Resolver::Watch::on_io(std::uint32_t events) {
    bool readable = (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0;
    bool writable = (events & EPOLLOUT) != 0;
    ares_process_fd(resolver.channel_, readable ? fd : ARES_SOCKET_BAD,
                    writable ? fd : ARES_SOCKET_BAD);
}

void Resolver::on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
    auto& self = *static_cast<Resolver*>(data);
    auto& watch = self.watches_[fd];
    if (!watch) watch = std::make_unique<Watch>(self, fd);
    std::uint32_t events = (readable ? EPOLLIN : 0u) | (writable ? EPOLLOUT : 0u);
    if (events == 0) {
        if (watch->registered) self.loop_.remove(fd);
        watch->registered = false;
    } else if (watch->registered) {
        self.loop_.modify(fd, events, watch.get());
    } else {
        watch->registered = self.loop_.add(fd, events, watch.get());
    }
}

void Resolver::on_result(void* arg, int status, int, ares_addrinfo* result) {
    auto& query = *static_cast<Query*>(arg);
    Resolver& self = *query.resolver;
    ResolveResult out;
    std::vector<DnsCache::TimedAddress> timed;
    if (status == ARES_SUCCESS && result) {
        for (auto* node = result->nodes; node; node = node->ai_next) {
            proxycfg::IpAddress a;
            if (node->ai_family == AF_INET) {
                auto* sin = reinterpret_cast<const sockaddr_in*>(node->ai_addr);
                std::memcpy(a.bytes.data(), &sin->sin_addr, 4);
            } else if (node->ai_family == AF_INET6) {
                a.family = proxycfg::IpAddress::Family::v6;
                auto* sin6 = reinterpret_cast<const sockaddr_in6*>(node->ai_addr);
                std::memcpy(a.bytes.data(), &sin6->sin6_addr, 16);
            } else {
                continue;
            }
            if (std::find(out.addresses.begin(), out.addresses.end(), a) == out.addresses.end()) {
                out.addresses.push_back(a);
                timed.push_back({a, node->ai_ttl});
            }
        }
    } else {
        out.error = ares_strerror(status);
    }
    if (result) ares_freeaddrinfo(result);
    if (status == ARES_EDESTRUCTION) {
        self.pending_.erase(query.id);
        return;
    }
    if (!out.error.empty() && self.metrics_) self.metrics_->dns_failure();
    if (self.cache_ && !timed.empty())
        self.cache_->store(query.name, timed, std::chrono::steady_clock::now());
    if (self.starting_)
        self.finish_later(query.id, std::move(out));
    else
        self.finish(query.id, std::move(out));  // `query` is gone from here on
}

}  // namespace proxyd
