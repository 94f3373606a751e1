#include "session.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <limits>

#include <nlohmann/json.hpp>

#include "access_log.hpp"
#include "listener.hpp"
#include "metrics.hpp"
#include "proxycfg/bandlim.hpp"
#include "proxycfg/connlim.hpp"
#include "proxycfg/counters.hpp"
#include "resolver.hpp"

namespace proxyd {

namespace {

// EPOLLPRI too: urgent data stops a read short, so the relay must know of it before it
// takes a short read for a drained socket.
constexpr std::uint32_t socket_events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLET;
// Events that say a socket may have bytes, a FIN or an error to read.
constexpr std::uint32_t may_read_events = EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR | EPOLLPRI;
constexpr std::chrono::seconds linger_time{2};

}  // namespace

int result_code(proxycfg::Verdict verdict) {
    using proxycfg::Verdict;
    switch (verdict) {
        case Verdict::allowed:
            return result::ok;
        case Verdict::no_credentials:
            return result::no_credentials;
        case Verdict::unknown_user:
            return result::unknown_user;
        case Verdict::bad_password:
            return result::bad_password;
        case Verdict::acl_denied:
            return result::acl_denied;
        case Verdict::acl_no_match:
            return result::acl_no_match;
        case Verdict::unsupported:
            return result::unsupported_auth;
        case Verdict::cached_elsewhere:
            return result::cached_elsewhere;
        case Verdict::chain_revoked:
            return result::closed_by_operator;
        case Verdict::conn_limited:
            return result::connlim;
        case Verdict::quota_exceeded:
            return result::traffic_quota;
    }
    return result::acl_no_match;
}

std::string_view admission_reason(proxycfg::Verdict verdict) {
    using proxycfg::Verdict;
    switch (verdict) {
        case Verdict::allowed:
            return "allowed";
        case Verdict::no_credentials:
            return "credentials required";
        case Verdict::unknown_user:
            return "unknown user";
        case Verdict::bad_password:
            return "bad password";
        case Verdict::acl_denied:
            return "denied by ACL";
        case Verdict::acl_no_match:
            return "no ACL entry matches";
        case Verdict::unsupported:
            return "auth method not supported";
        case Verdict::cached_elsewhere:
            return "login cached for another address (authcache limit)";
        case Verdict::chain_revoked:
            return "parent chain no longer granted";
        case Verdict::conn_limited:
            return "connection limit reached (connlim)";
        case Verdict::quota_exceeded:
            return "traffic quota exceeded";
    }
    return "denied";
}

std::optional<proxycfg::IpAddress> address_of(const sockaddr_storage& sa, std::uint16_t* port) {
    proxycfg::IpAddress a;
    if (sa.ss_family == AF_INET) {
        const auto& sin = reinterpret_cast<const sockaddr_in&>(sa);
        std::memcpy(a.bytes.data(), &sin.sin_addr, 4);
        if (port) *port = ntohs(sin.sin_port);
        return a;
    }
    if (sa.ss_family == AF_INET6) {
        const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(sa);
        // A v4-mapped peer on a dual-stack socket is a v4 client for ACLs and logs.
        if (IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr)) {
            std::memcpy(a.bytes.data(), sin6.sin6_addr.s6_addr + 12, 4);
        } else {
            a.family = proxycfg::IpAddress::Family::v6;
            std::memcpy(a.bytes.data(), &sin6.sin6_addr, 16);
        }
        if (port) *port = ntohs(sin6.sin6_port);
        return a;
    }
    return std::nullopt;
}

socklen_t to_sockaddr(const proxycfg::IpAddress& a, std::uint16_t port, sockaddr_storage& out) {
    out = {};
    if (a.family == proxycfg::IpAddress::Family::v4) {
        auto& sin = reinterpret_cast<sockaddr_in&>(out);
        sin.sin_family = AF_INET;
        sin.sin_port = htons(port);
        std::memcpy(&sin.sin_addr, a.bytes.data(), 4);
        return sizeof(sockaddr_in);
    }
    auto& sin6 = reinterpret_cast<sockaddr_in6&>(out);
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(port);
    std::memcpy(&sin6.sin6_addr, a.bytes.data(), 16);
    return sizeof(sockaddr_in6);
}

Session::Session(SessionHost& host, SnapshotPtr config, std::size_t service_index, UniqueFd client,
                 const sockaddr_storage& peer)
    : host_(host),
      config_(std::move(config)),
      service_(&config_->model->services.at(service_index)),
      client_(std::move(client)) {
    record_.id = host_.next_session_id();
    record_.service_index = service_index;
    record_.service_label = service_->label;
    record_.protocol = log_protocol(service_->type);
    record_.service_port = service_->port.value;
    if (auto a = address_of(peer, &record_.client_port)) record_.client_address = *a;
    record_.started = std::chrono::system_clock::now();
    record_.last_activity = host_.loop().now();
    record_.generation = config_->generation;
    timer_start_ = record_.last_activity;
    accepted_at_ = record_.last_activity;
}

const proxycfg::Timeouts& Session::timeouts() const {
    return config_->model->globals.timeouts.value;
}

void Session::start() {
    // TCP_NODELAY comes from the listening socket (bind_listener): accepted sockets
    // inherit it, which spares a setsockopt per connection.
    // The timeouts slot 3proxy gives the request string: here a deadline from accept.
    set_deadline(timeout_of(timeouts().string_short()), result::handshake_timeout);
    in_first_handshake_ = true;
    host_.handshake_started(*this);
    // Its listener deferred the accept until the client's first bytes came (bind_listener):
    // they are read now, before the socket joins the epoll set, rather than one event later.
    // A socket that joins with bytes in it reports them anyway, so none can be missed.
    if (client_speaks_first(service_->type)) {
        on_client_event();
        if (phase_ == Phase::closed) return;
    }
    if (!host_.loop().add(client_.get(), socket_events, &client_endpoint_)) {
        close(result::io_error, "cannot watch client socket");
        return;
    }
    on_start();
}

void Session::set_timeout(std::chrono::seconds timeout, int code) {
    timeout_ = timeout;
    timeout_code_ = code;
    timer_start_ = host_.loop().now();
    deadline_ = false;
}

void Session::set_deadline(std::chrono::seconds timeout, int code) {
    set_timeout(timeout, code);
    deadline_ = true;
}

void Session::touch() {
    if (!counted_.empty()) account_traffic();
    record_.last_activity = host_.loop().now();
    if (!deadline_) timer_start_ = record_.last_activity;
}

void Session::end_first_handshake() {
    if (!in_first_handshake_) return;
    in_first_handshake_ = false;
    host_.handshake_finished(*this);
}

void Session::check_timeout(Clock::time_point now) {
    if (phase_ == Phase::closed) return;
    if (now - timer_start_ < timeout_) return;
    if (phase_ == Phase::lingering) {
        close(linger_code_, linger_reason_);
        return;
    }
    if (phase_ == Phase::connecting && next_candidate_ < candidates_.size()) {
        connect_next();  // this address did not answer in time: try the next one
        return;
    }
    if (phase_ == Phase::chaining) {
        chain_failed("timed out", ETIMEDOUT);
        return;
    }
    const char* what = timeout_code_ == result::handshake_timeout ? "handshake timeout"
                       : timeout_code_ == result::connect_timeout ? "connect timeout"
                       : timeout_code_ == result::resolve_failed  ? "name resolution timeout"
                       : timeout_code_ == result::bind_timeout    ? "no incoming connection"
                                                                  : "idle timeout";
    if (phase_ == Phase::connecting) {
        upstream_failed(result::connect_timeout, ETIMEDOUT);
        return;
    }
    close(timeout_code_, what);
}

void Session::dispatch(bool upstream, std::uint32_t events) {
    if (phase_ == Phase::closed) return;
    if (!upstream && (events & may_read_events)) client_drained_ = false;
    if (!upstream && !client_read_) client_events_ |= events;
    if (!upstream && (events & EPOLLPRI)) client_urgent_ = true;
    if (!upstream && client_backlog() > 0 && !flush_client()) {
        close(result::io_error, "client write failed");
        return;
    }
    switch (phase_) {
        case Phase::handshake:
        case Phase::resolving:
            // A first handshake that emptied the client's socket reads again on news of
            // bytes, not on an event without any (the writable edge the socket reports on
            // joining the epoll set after start's read).
            if (!upstream &&
                !(client_drained_ && in_first_handshake_ && client_speaks_first(service_->type)))
                on_client_event();
            break;
        case Phase::connecting:
            if (upstream) {
                // A connect ends with EPOLLOUT (done) or an error; nothing else is its end.
                if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) finish_connect(events);
            } else if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
                close(result::io_error, "client closed during connect");
            }
            break;
        case Phase::chaining:
            if (upstream) {
                if (chain_dial_ && chain_dial_->handshake) chain_pump();
            } else if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
                close(result::io_error, "client closed during connect");
            }
            break;
        case Phase::relaying:
            // Both sides are known: the one that woke with its events, the other with none.
            relay_->note_events(upstream, events);
            relay_->note_events(!upstream, 0);
            pump_relay();
            break;
        case Phase::custom:
            if (upstream) {
                on_upstream_event();
            } else {
                on_client_event();
            }
            break;
        case Phase::lingering:
            linger();
            break;
        case Phase::closed:
            break;
    }
}

Session::ReadResult Session::read_from(int fd, std::string& into, std::size_t max,
                                       bool* drained) {
    if (drained) *drained = false;
    if (fd == client_.get()) client_read_ = true;
    if (into.size() >= max) return ReadResult::data;
    // Into the stack, then appended: growing the string first would zero-fill the whole
    // chunk (64 KiB for an HTTP read) on every read, and keep that capacity while idle.
    char chunk[64 * 1024];
    std::size_t want = std::min(max - into.size(), sizeof chunk);
    for (;;) {
        auto n = ::recv(fd, chunk, want, 0);
        if (n > 0) {
            into.append(chunk, static_cast<std::size_t>(n));
            touch();
            // A stream socket's recv returns short only when its queue ran out, or at
            // an urgent mark (see client_urgent_).
            if (drained) *drained = static_cast<std::size_t>(n) < want;
            return ReadResult::data;
        }
        if (n == 0) return ReadResult::eof;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (drained) *drained = true;
            return ReadResult::would_block;
        }
        return ReadResult::error;
    }
}

bool Session::send_client(std::string_view data) {
    client_out_.append(data);
    return flush_client();
}

bool Session::flush_client() {
    while (client_out_off_ < client_out_.size()) {
        auto n = ::send(client_.get(), client_out_.data() + client_out_off_,
                        client_out_.size() - client_out_off_, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
        client_out_off_ += static_cast<std::size_t>(n);
        touch();
    }
    client_out_.clear();
    client_out_off_ = 0;
    return true;
}

void Session::reply_and_close(std::string_view reply, int code, std::string_view reason) {
    if (phase_ == Phase::closed) return;
    if (!reply.empty()) send_client(reply);
    upstream_.reset();
    ::shutdown(client_.get(), SHUT_WR);
    linger_code_ = code;
    linger_reason_ = std::string(reason);
    phase_ = Phase::lingering;
    set_timeout(linger_time, code);
    linger();
}

void Session::linger() {
    // Discard what the client still sends until it closes (or linger_time passes). A
    // client still sending (the rest of a refused body) gets 16 reads per event: closing
    // with its bytes unread would reset the connection before it reads the answer.
    std::string sink;
    for (int i = 0; i < 16; ++i) {
        sink.clear();
        auto r = read_from(client_.get(), sink, 16384);
        if (r == ReadResult::data) continue;
        if (r != ReadResult::would_block) close(linger_code_, linger_reason_);  // its close
        return;
    }
}

proxycfg::AccessRequest Session::access_request(const AclClock& clock) const {
    proxycfg::AccessRequest req;
    if (record_.user) req.user = *record_.user;
    if (record_.password) req.password = *record_.password;
    req.client = record_.client_address;
    req.target_host = record_.target_host;
    req.target_address = record_.target_address;
    req.port = record_.target_port;
    req.operation = record_.operation;
    if (record_.cached_login && record_.user) {
        // The password was never checked against this user: it must not count as proved.
        req.cached = proxycfg::CachedLogin{*record_.user, record_.verified_secret, false};
    } else {
        req.verified_secret = record_.verified_secret;
    }
    req.weekday = clock.weekday;
    req.seconds_of_day = clock.seconds_of_day;
    return req;
}

AclClock AclClock::now() {
    std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    ::localtime_r(&t, &tm);
    return {tm.tm_wday, tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec};
}

proxycfg::SessionFacts Session::recheck_facts(const AclClock& clock) const {
    proxycfg::SessionFacts facts{service_->label, access_request(clock), std::nullopt};
    if (chain_known_) facts.chain = std::span<const proxycfg::Parent* const>(chain_);
    return facts;
}

proxycfg::Decision Session::admit() {
    end_first_handshake();
    const AclClock clock = AclClock::now();
    record_.cached_login = false;
    auto request = access_request(clock);
    std::optional<AuthCache::Login> cached;
    if (service_->uses(proxycfg::AuthMethod::cache)) {
        cached = config_->auth_cache->find(config_->model->globals.authcache.value, *service_,
                                           request, host_.loop().now());
        if (cached) request.cached = cached->view();
    }
    auto decision = proxycfg::evaluate(*config_->model, *service_, request);
    if (decision.allowed()) remember_login(decision, request, cached);
    // A re-checking reload came while this session was in its handshake: it was not live
    // then, so it is held to that reload's re-check now, as the live sessions were.
    const ConfigSnapshot& latest = *host_.config();
    if (decision.allowed() && latest.recheck_generation > config_->generation) {
        auto verdict =
            proxycfg::recheck_session(*config_->model, *latest.model, recheck_facts(clock));
        if (verdict.closes())
            decision.verdict = verdict.outcome == proxycfg::RecheckOutcome::closed_denied
                                   ? verdict.verdict
                                   : proxycfg::Verdict::acl_no_match;
    }
    if (decision.allowed() && !config_->model->globals.counters.empty()) {
        // Earlier requests of a kept-alive connection go to the counters they matched.
        account_traffic();
        count_under(*config_->model, config_->counter_states, clock);
        if (quota_spent()) decision.verdict = proxycfg::Verdict::quota_exceeded;
    }
    if (decision.allowed() && !charge_conn_limits(clock))
        decision.verdict = proxycfg::Verdict::conn_limited;
    record_.admitted = decision.allowed();
    if (!decision.allowed()) count_refusal(decision.verdict);
    parents_ = decision.allowed() && decision.entry && !decision.entry->parents.empty()
                   ? &decision.entry->parents
                   : nullptr;
    // A direct session's chain is known now; one through parents once they are drawn.
    chain_.clear();
    chain_known_ = decision.allowed() && parents_ == nullptr;
    chain_attempts_ = std::max(1, config_->model->globals.parentretries.value);
    record_.nolog = decision.entry != nullptr && decision.entry->nolog;
    return decision;
}

bool Session::charge_conn_limits(const AclClock& clock) {
    // Once per connection, as in 3proxy: the later requests of a kept-alive HTTP client
    // ride on the first one's budget.
    if (conn_limits_charged_) return true;
    const auto& limits = config_->model->globals.connlims;
    if (!limits.empty()) {
        auto applicable = proxycfg::applicable_connlims(limits, access_request(clock));
        if (!applicable.empty()) {
            auto admission = config_->conn_limiter->admit(limits, applicable, host_.loop().now());
            if (!admission.admitted) return false;
            conn_hold_ = std::move(admission.hold);
        }
    }
    conn_limits_charged_ = true;
    return true;
}

void Session::count_under(const proxycfg::Model& model,
                          const std::vector<std::shared_ptr<CounterState>>& states,
                          const AclClock& clock) {
    counted_.clear();
    if (model.globals.counters.empty()) return;
    for (auto i : proxycfg::applicable_counters(model, access_request(clock))) {
        if (i >= states.size() || !states[i]) continue;
        const auto& c = model.globals.counters[i];
        counted_.push_back({states[i], c.limit, proxycfg::counts_to_client(c.kind),
                            proxycfg::counts_to_server(c.kind)});
    }
}

bool Session::quota_spent_under(const proxycfg::Model& model,
                                const std::vector<std::shared_ptr<CounterState>>& states,
                                const AclClock& clock) const {
    if (model.globals.counters.empty()) return false;
    for (auto i : proxycfg::applicable_counters(model, access_request(clock)))
        if (i < states.size() && states[i] &&
            states[i]->bytes.load(std::memory_order_relaxed) >= model.globals.counters[i].limit)
            return true;
    return false;
}

bool Session::quota_spent() const {
    return std::any_of(counted_.begin(), counted_.end(),
                       [](const CounterUse& u) { return u.spent(); });
}

void Session::account_traffic() {
    auto in = record_.bytes_in - accounted_in_;
    auto out = record_.bytes_out - accounted_out_;
    accounted_in_ = record_.bytes_in;
    accounted_out_ = record_.bytes_out;
    if (in == 0 && out == 0) return;
    for (auto& u : counted_) {
        std::uint64_t add = (u.to_client ? in : 0) + (u.to_server ? out : 0);
        if (add) u.state->bytes.fetch_add(add, std::memory_order_relaxed);
    }
}

bool Session::quota_allows(std::size_t& bytes, bool to_client) {
    if (counted_.empty()) return true;
    account_traffic();
    std::uint64_t left = std::numeric_limits<std::uint64_t>::max();
    for (const auto& u : counted_) {
        if (!(to_client ? u.to_client : u.to_server)) continue;
        auto used = u.state->bytes.load(std::memory_order_relaxed);
        left = std::min(left, used >= u.limit ? 0 : u.limit - used);
    }
    if (bytes <= left) return true;
    bytes = static_cast<std::size_t>(left);
    return false;
}

std::optional<Relay::Quota> Session::relay_quota() const {
    if (counted_.empty()) return std::nullopt;
    Relay::Quota q;
    auto left = [](const CounterUse& u, std::uint64_t in_flight) {
        auto used = u.state->bytes.load(std::memory_order_relaxed) + in_flight;
        return used >= u.limit ? 0 : u.limit - used;
    };
    std::uint64_t up = relay_->in_flight_to_upstream(), down = relay_->in_flight_to_client();
    for (const auto& u : counted_) {
        if (u.to_client && u.to_server)
            q.both = std::min(q.both, left(u, up + down));
        else if (u.to_client)
            q.to_client = std::min(q.to_client, left(u, down));
        else
            q.to_upstream = std::min(q.to_upstream, left(u, up));
    }
    return q;
}

void Session::remember_login(const proxycfg::Decision& decision,
                             const proxycfg::AccessRequest& request,
                             const std::optional<AuthCache::Login>& cached) {
    if (decision.method == proxycfg::AuthMethod::cache && cached) {
        // Logged, listed and re-checked as the user the cache vouched for.
        record_.user = cached->user;
        record_.verified_secret = cached->secret;
        record_.cached_login = true;
        return;
    }
    bool proved = decision.method == proxycfg::AuthMethod::strong && decision.user;
    if (proved && record_.password) record_.verified_secret = decision.user->secret();
    // 3proxy caches every login another auth type admitted with a username; proxyd only
    // while some service reads the cache.
    if (config_->uses_auth_cache && record_.user)
        config_->auth_cache->remember(config_->model->globals.authcache.value, *service_, request,
                                      *record_.user, proved ? decision.user->secret() : "",
                                      host_.loop().now());
}

void Session::admit_and_connect(const std::string& resolve_error, const Refuse& refuse) {
    if (!resolve_error.empty()) {
        refuse("cannot resolve host", result::resolve_failed,
               "cannot resolve " + record_.target_host + ": " + resolve_error);
        return;
    }
    auto decision = admit();
    if (!decision.allowed()) {
        refuse("access denied", result_code(decision.verdict),
               std::string(admission_reason(decision.verdict)));
        return;
    }
    connect_upstream();
}

void Session::resolve_target() {
    phase_ = Phase::resolving;
    candidates_.clear();
    next_candidate_ = 0;
    if (record_.target_address) {
        candidates_.push_back(*record_.target_address);
        on_resolved({});
        return;
    }
    // nsrecord answers (through the resolver's cache) win over fakeresolve.
    if (config_->model->globals.fakeresolve.value &&
        !config_->dns_cache->has_static(record_.target_host)) {
        // 3proxy's fakeresolve answers every name with 127.0.0.2 (a test aid).
        record_.target_address = proxycfg::IpAddress::v4(0x7F000002);
        candidates_.push_back(*record_.target_address);
        on_resolved({});
        return;
    }
    set_timeout(timeout_of(timeouts().dns()), result::resolve_failed);
    lookup_resolver_ = &host_.resolver();
    lookup_ = lookup_resolver_->resolve(record_.target_host, [this](ResolveResult r) {
        lookup_ = 0;
        if (phase_ == Phase::closed) return;
        if (r.addresses.empty()) {
            on_resolved(r.error.empty() ? "no address" : r.error);
            return;
        }
        // IPv4 first unless the service prefers IPv6 (-6/-64): loopback test servers and
        // most targets answer on v4, and a refused v6 attempt costs a round trip.
        bool v6_first = service_->ipv6_first;
        std::stable_partition(r.addresses.begin(), r.addresses.end(), [&](const auto& a) {
            return (a.family == proxycfg::IpAddress::Family::v6) == v6_first;
        });
        candidates_ = std::move(r.addresses);
        record_.target_address = candidates_.front();
        on_resolved({});
    });
}

void Session::connect_upstream() {
    if (chain_dial_) chain_dial_->failure.clear();
    http_parent_ = nullptr;
    chain_active_ = false;
    if (parents_) {
        chain_dial().target_candidates = candidates_;
        start_chain();
        return;
    }
    phase_ = Phase::connecting;
    dial_port_ = record_.target_port;
    if (candidates_.empty() && record_.target_address)
        candidates_.push_back(*record_.target_address);
    next_candidate_ = 0;
    connect_next();
}

void Session::connect_next() {
    upstream_.reset();
    if (next_candidate_ >= candidates_.size()) {
        upstream_failed(result::connect_failed, EHOSTUNREACH);
        return;
    }
    const auto& address = candidates_[next_candidate_++];
    if (!chain_active_) record_.target_address = address;
    set_timeout(timeout_of(timeouts().connect()), result::connect_timeout);
    bool v6 = address.family == proxycfg::IpAddress::Family::v6;
    UniqueFd fd(::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        upstream_failed(result::connect_failed, errno);
        return;
    }
    const auto& external = v6 ? service_->external_v6().value : service_->external_v4().value;
    if (!external.empty()) {
        if (auto ext = proxycfg::IpAddress::parse(external); ext && ext->family == address.family) {
            sockaddr_storage local;
            auto len = to_sockaddr(*ext, 0, local);
            int one = 1;
            ::setsockopt(fd.get(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
            if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&local), len) != 0) {
                upstream_failed(result::connect_failed, errno);
                return;
            }
        }
    }
    int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_storage remote;
    auto len = to_sockaddr(address, dial_port_, remote);
    int rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&remote), len);
    if (rc != 0 && errno != EINPROGRESS) {
        int err = errno;
        if (next_candidate_ < candidates_.size()) {
            connect_next();
        } else {
            upstream_failed(result::connect_failed, err);
        }
        return;
    }
    upstream_ = std::move(fd);
    if (!host_.loop().add(upstream_.get(), socket_events, &upstream_endpoint_)) {
        upstream_failed(result::connect_failed, errno);
        return;
    }
}

bool Session::watch_upstream() {
    return host_.loop().add(upstream_.get(), socket_events, &upstream_endpoint_);
}

void Session::finish_connect(std::uint32_t events) {
    int err = 0;
    // EPOLLOUT without EPOLLERR is a connect that succeeded: no need to ask.
    if ((events & (EPOLLERR | EPOLLHUP)) || !(events & EPOLLOUT)) {
        socklen_t len = sizeof err;
        if (::getsockopt(upstream_.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        if (err == 0 && !(events & EPOLLOUT)) err = ECONNRESET;  // a hangup with no error
    }
    if (err != 0) {
        if (next_candidate_ < candidates_.size()) {
            connect_next();
        } else {
            upstream_.reset();
            upstream_failed(result::connect_failed, err);
        }
        return;
    }
    touch();
    if (chain_active_ && chain_dial_ && chain_dial_->hop < chain_dial_->handshakes) {
        begin_hop();
        return;
    }
    chain_active_ = false;
    // A relay started by on_connected knows the upstream side from this event: with no
    // bytes reported it skips a read that could only say EAGAIN.
    connect_events_ = events;
    on_connected();
    connect_events_ = 0;
}

void Session::upstream_failed(int code, int err) {
    if (chain_active_) {
        chain_failed(code == result::connect_timeout ? "connect timed out" : std::strerror(err),
                     err);
        return;
    }
    on_connect_failed(code, err);
}

std::string Session::upstream_failure(int err) const {
    if (chain_dial_ && !chain_dial_->failure.empty()) return chain_dial_->failure;
    return "connect to " + record_.target_text() + ": " + std::strerror(err);
}

void Session::start_relay(std::string to_upstream, std::string to_client) {
    phase_ = Phase::relaying;
    set_timeout(timeout_of(timeouts().connection_long()), result::idle_timeout);
    // Anything still queued for the client (a reply) goes before the relayed bytes, and
    // what the target sent behind a parent's reply goes before what is read next.
    to_client = take_chain_leftover() + to_client;
    if (client_backlog() > 0) {
        to_client = client_out_.substr(client_out_off_) + to_client;
        client_out_.clear();
        client_out_off_ = 0;
    }
    // An idle relay should cost its sockets and little else: the handshake's buffers
    // (the protocol's input grew to its 1 KiB limit on the first read) and the connect's
    // address lists are given back before the session settles for hours.
    to_upstream.shrink_to_fit();
    to_client.shrink_to_fit();
    std::string().swap(client_out_);
    std::vector<proxycfg::IpAddress>().swap(candidates_);
    chain_dial_.reset();
    next_candidate_ = 0;
    relay_.emplace(client_.get(), upstream_.get(), host_.pipes());
    // The handshake's last read emptied the client's socket and no event since said
    // otherwise: the relay waits for the next one instead of reading for an EAGAIN. (Bytes
    // the client sent behind its request are in to_upstream, and then the relay is left to
    // find out for itself.)
    if (client_drained_ && to_upstream.empty()) relay_->note_events(false, 0);
    // Never read (a port mapping): the events seen while connecting say whether there is
    // anything to read, and a short first read is then the end of it, as on any edge.
    if (!client_read_ && !client_urgent_) relay_->note_events(false, client_events_);
    relay_->prime(std::move(to_upstream), std::move(to_client));
    if (connect_events_ != 0) relay_->note_events(true, connect_events_);
    apply_bandlimits(*host_.config());
    pump_relay();
}

void Session::apply_bandlimits(const ConfigSnapshot& snapshot) {
    if (!relay_ || phase_ != Phase::relaying) return;
    const auto& limits = snapshot.model->globals.bandlimits;
    // Most configurations have none: no matching, no throttle, no cost in the relay.
    if (limits.empty() && !throttle_in_ && !throttle_out_) return;
    auto match = proxycfg::match_bandlimits(*snapshot.model, access_request(AclClock::now()));
    auto throttle = [&](const std::vector<std::size_t>& which) -> std::unique_ptr<Throttle> {
        std::vector<std::shared_ptr<TokenBucket>> buckets;
        for (auto i : which)
            if (i < snapshot.buckets.size() && snapshot.buckets[i])
                buckets.push_back(snapshot.buckets[i]);
        if (buckets.empty()) return nullptr;
        return std::make_unique<Throttle>(std::move(buckets));
    };
    auto out = throttle(match.out);
    auto in = throttle(match.in);
    relay_->limit(out.get(), in.get());
    throttle_out_ = std::move(out);
    throttle_in_ = std::move(in);
    record_.bandlim_out = throttle_out_ ? throttle_out_->rate() : 0;
    record_.bandlim_in = throttle_in_ ? throttle_in_->rate() : 0;
}

std::pair<std::uint64_t, std::uint64_t> Session::bandlimits_under(const proxycfg::Model& model,
                                                                  const AclClock& clock) const {
    if (model.globals.bandlimits.empty()) return {0, 0};
    auto match = proxycfg::match_bandlimits(model, access_request(clock));
    return {proxycfg::lowest_rate(model, match.in), proxycfg::lowest_rate(model, match.out)};
}

void Session::pump_relay() {
    auto before = record_.bytes_in + record_.bytes_out;
    if (!counted_.empty()) relay_->set_quota(relay_quota());
    auto status = relay_->pump(record_.bytes_out, record_.bytes_in);
    if (record_.bytes_in + record_.bytes_out != before) touch();
    if (status == Relay::Status::quota_spent) {
        close(result::traffic_quota, "traffic quota exceeded");
        return;
    }
    if (status == Relay::Status::open) {
        // A direction stopped for its bandwidth limit resumes on a timer, not on a tick.
        if (auto when = relay_->throttled_until();
            when && (!throttle_timer_ || *when < throttle_timer_->first)) {
            if (throttle_timer_) host_.loop().cancel(*throttle_timer_);
            throttle_timer_ = host_.loop().schedule(*when, [this] {
                throttle_timer_.reset();
                if (phase_ == Phase::relaying) pump_relay();
            });
        }
    }
    if (status == Relay::Status::finished) {
        close(result::ok, "OK");
    } else if (status == Relay::Status::failed) {
        int err = relay_->error();
        // A reset after data flowed is how many clients end a connection: not an error.
        if (err == ECONNRESET || err == EPIPE) {
            close(result::ok, "OK (reset)");
        } else {
            close(result::io_error, std::strerror(err));
        }
    }
}

void Session::write_log_for(const SessionRecord& record, int code, std::string_view reason) {
    // With logging off (or to /dev/null) the fields are not even built: they cost an
    // address formatting and a few strings per connection.
    const auto& settings = service_->log();
    if (record.nolog || !settings.enabled || settings.target == "/dev/null") return;
    host_.access_log().write(
        service_->log(), log_fields_for(record, code, reason, std::chrono::system_clock::now()));
}

void Session::log_close(int code, std::string_view reason) {
    write_log(code, reason);
}

void Session::revoke() {
    if (phase_ == Phase::closed) return;
    if (client_) ::shutdown(client_.get(), SHUT_RDWR);
    if (!revoked_) revoked_.emplace();  // empty: no allocation before the next client is cut
}

void Session::set_revoked_reason(std::string_view reason) {
    if (phase_ == Phase::closed || !revoked_) return;
    *revoked_ = "revoked by reload: ";
    revoked_->append(reason);
}

void Session::close(int code, std::string_view reason) {
    if (phase_ == Phase::closed) return;
    phase_ = Phase::closed;
    end_first_handshake();
    if (auto* m = service_metrics())
        m->add(close_reason_of(revoked_ ? result::closed_by_operator : code, record_.admitted,
                               revoked_.has_value()));
    if (revoked_) {
        code = result::closed_by_operator;
        reason = revoked_->empty() ? std::string_view("revoked by reload") : *revoked_;
    }
    if (lookup_) lookup_resolver_->cancel(lookup_);
    lookup_ = 0;
    if (throttle_timer_) host_.loop().cancel(*throttle_timer_);
    throttle_timer_.reset();
    relay_.reset();
    client_.reset();
    upstream_.reset();
    conn_hold_.release();  // the connlim count goes with the connection
    account_traffic();
    report_traffic();
    if (!silent_) log_close(code, reason);
    host_.retire(*this);
}

void Session::on_control_reply(const nlohmann::json&) {}
ServiceMetrics* Session::service_metrics() {
    if (metrics_ == nullptr)
        if (auto* m = host_.metrics()) metrics_ = &m->service(service_->label);
    return metrics_;
}

void Session::count_refusal(proxycfg::Verdict verdict) {
    if (auto* m = service_metrics()) {
        m->add(refusal_of(verdict));
        if (auto failure = auth_failure_of(verdict)) m->add(*failure);
    }
}

void Session::report_traffic() {
    if (record_.bytes_in == reported_in_ && record_.bytes_out == reported_out_) return;
    if (auto* m = service_metrics()) {
        // bytes_in came from upstream (to the client), bytes_out from the client.
        // A count that went back (a protocol restarting its record) counts from zero.
        auto delta = [](std::uint64_t now, std::uint64_t before) {
            return now >= before ? now - before : now;
        };
        m->add_bytes(Direction::to_client, delta(record_.bytes_in, reported_in_));
        m->add_bytes(Direction::to_server, delta(record_.bytes_out, reported_out_));
    }
    reported_in_ = record_.bytes_in;
    reported_out_ = record_.bytes_out;
}

void Session::close_silently() {
    silent_ = true;
    close(result::ok, "client left");
}

}  // namespace proxyd
