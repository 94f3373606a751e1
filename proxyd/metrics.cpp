#include "metrics.hpp"

#include <charconv>
#include <cmath>

#include "access_log.hpp"

namespace proxyd {

// ---- Exposition ---------------------------------------------------------------------------

std::string Exposition::escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string Exposition::escape_help(std::string_view help) {
    std::string out;
    out.reserve(help.size());
    for (char c : help) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

void Exposition::family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += escape_help(help);
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
}

void Exposition::begin_sample(std::string_view name, const Labels& labels) {
    out_ += name;
    if (!labels.empty()) {
        out_ += '{';
        bool first = true;
        for (const auto& [key, value] : labels) {
            if (!first) out_ += ',';
            first = false;
            out_ += key;
            out_ += "=\"";
            out_ += escape_label_value(value);
            out_ += '"';
        }
        out_ += '}';
    }
    out_ += ' ';
}

void Exposition::sample(std::string_view name, const Labels& labels, std::uint64_t value) {
    begin_sample(name, labels);
    out_ += std::to_string(value);
    out_ += '\n';
}

void Exposition::sample_signed(std::string_view name, const Labels& labels, std::int64_t value) {
    begin_sample(name, labels);
    out_ += std::to_string(value);
    out_ += '\n';
}

void Exposition::sample_double(std::string_view name, const Labels& labels, double value) {
    begin_sample(name, labels);
    if (std::isnan(value)) {
        out_ += "NaN";
    } else if (std::isinf(value)) {
        out_ += value > 0 ? "+Inf" : "-Inf";
    } else {
        char buf[64];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
        out_.append(buf, ec == std::errc() ? end : buf);
    }
    out_ += '\n';
}

// ---- classification -----------------------------------------------------------------------

std::string_view label_of(Refusal r) {
    static constexpr std::string_view names[] = {"maxconn", "acl", "auth", "connlim", "quota"};
    return names[static_cast<std::size_t>(r)];
}

std::string_view label_of(AuthFailure a) {
    static constexpr std::string_view names[] = {"no_credentials", "unknown_user", "bad_password"};
    return names[static_cast<std::size_t>(a)];
}

std::string_view label_of(CloseReason c) {
    static constexpr std::string_view names[] = {
        "normal",          "refused",      "reload_recheck",
        "killed",          "idle_timeout", "handshake_timeout",
        "connect_timeout", "quota",        "shutdown",
        "displaced",       "error",        "drain_timeout"};
    return names[static_cast<std::size_t>(c)];
}

std::string_view label_of(Direction d) {
    return d == Direction::to_client ? "to_client" : "to_server";
}

Refusal refusal_of(proxycfg::Verdict verdict) {
    using proxycfg::Verdict;
    switch (verdict) {
        case Verdict::conn_limited:
            return Refusal::connlim;
        case Verdict::quota_exceeded:
            return Refusal::quota;
        case Verdict::no_credentials:
        case Verdict::unknown_user:
        case Verdict::bad_password:
        case Verdict::unsupported:
        case Verdict::cached_elsewhere:
            return Refusal::auth;
        default:
            return Refusal::acl;
    }
}

std::optional<AuthFailure> auth_failure_of(proxycfg::Verdict verdict) {
    using proxycfg::Verdict;
    switch (verdict) {
        case Verdict::no_credentials:
            return AuthFailure::no_credentials;
        case Verdict::unknown_user:
            return AuthFailure::unknown_user;
        case Verdict::bad_password:
            return AuthFailure::bad_password;
        default:
            return std::nullopt;
    }
}

CloseReason close_reason_of(int code, bool admitted, bool revoked) {
    switch (code) {
        case result::ok:
            return CloseReason::normal;
        case result::acl_denied:
        case result::acl_no_match:
        case result::no_credentials:
        case result::unknown_user:
        case result::bad_password:
        case result::unsupported_auth:
        case result::cached_elsewhere:
            return CloseReason::refused;
        case result::traffic_quota:  // also maxconn's and connlim's code
            return admitted ? CloseReason::quota : CloseReason::refused;
        case result::handshake_displaced:
            return CloseReason::displaced;
        case result::handshake_timeout:
            return CloseReason::handshake_timeout;
        case result::idle_timeout:
            return CloseReason::idle_timeout;
        case result::connect_timeout:
        case result::bind_timeout:
            return CloseReason::connect_timeout;
        case result::shutdown:
            return CloseReason::shutdown;
        case result::closed_by_operator:
            return revoked ? CloseReason::reload_recheck : CloseReason::killed;
        case result::drain_timeout:
            return CloseReason::drain_timeout;
        default:
            return CloseReason::error;
    }
}

// ---- Metrics ------------------------------------------------------------------------------

ServiceMetrics& Metrics::service(std::string_view label) {
    std::lock_guard lock(mutex_);
    auto it = services_.find(label);
    if (it == services_.end())
        it = services_.emplace(std::string(label), std::make_unique<ServiceMetrics>()).first;
    return *it->second;
}

void Metrics::session_opened(std::string_view label, std::uint64_t generation) {
    std::lock_guard lock(mutex_);
    ++open_[{std::string(label), generation}];
}

void Metrics::session_closed(std::string_view label, std::uint64_t generation) {
    std::lock_guard lock(mutex_);
    auto it = open_.find({std::string(label), generation});
    if (it == open_.end()) return;
    if (--it->second <= 0) open_.erase(it);
}

std::int64_t Metrics::open_sessions(std::string_view label, std::uint64_t generation) const {
    std::lock_guard lock(mutex_);
    auto it = open_.find({std::string(label), generation});
    return it == open_.end() ? 0 : it->second;
}

void Metrics::reload_finished(std::string_view trigger, std::string_view result,
                              double duration_seconds, double started_unix_seconds) {
    std::lock_guard lock(mutex_);
    ++reloads_[{std::string(trigger), std::string(result)}];
    last_reload_duration_ = duration_seconds;
    last_reload_time_ = started_unix_seconds;
    last_reload_ok_ = result == "ok";
}

void Metrics::control_request(std::string_view command, bool known) {
    std::lock_guard lock(mutex_);
    auto name = known ? command : std::string_view("unknown");
    auto it = control_requests_.find(name);
    if (it == control_requests_.end()) it = control_requests_.emplace(std::string(name), 0).first;
    ++it->second;
}

namespace {

std::uint64_t load(const std::atomic<std::uint64_t>& a) {
    return a.load(std::memory_order_relaxed);
}

}  // namespace

std::string Metrics::render(const ScrapeInput& in) const {
    Exposition e;
    std::lock_guard lock(mutex_);

    e.family("proxyd_build_info", "gauge", "Always 1; the version proxyd was built as.");
    e.sample("proxyd_build_info", {{"version", in.version}}, std::uint64_t{1});
    e.family("proxyd_process_start_time_seconds", "gauge",
             "When proxyd started, in seconds since the Unix epoch.");
    e.sample_double("proxyd_process_start_time_seconds", {},
                    static_cast<double>(in.started_at_ms) / 1000.0);
    e.family("proxyd_config_generation", "gauge", "The running configuration generation.");
    e.sample("proxyd_config_generation", {}, in.generation);
    if (in.config_stale) {
        e.family("proxyd_config_stale", "gauge",
                 "1 when a loaded configuration file's size or modification time on disk "
                 "differs from the loaded one's (or it is gone): an edit not reloaded yet.");
        e.sample("proxyd_config_stale", {}, std::uint64_t{*in.config_stale ? 1u : 0u});
    }

    // Sessions open: every service of the running generation (0 included), then the
    // older generations still serving sessions.
    e.family("proxyd_sessions_open", "gauge",
             "Sessions open, by service and the configuration generation they were "
             "admitted under.");
    std::map<std::pair<std::string, std::uint64_t>, std::int64_t> open = open_;
    for (const auto& label : in.services) open.try_emplace({label, in.generation}, 0);
    for (const auto& [key, n] : open) {
        auto generation = std::to_string(key.second);
        e.sample_signed("proxyd_sessions_open",
                        {{"service", key.first}, {"generation", generation}}, n);
    }

    // Every service ever seen keeps its counters (they never go back), the running
    // generation's ones appear from the start with zeros.
    std::map<std::string, const ServiceMetrics*, std::less<>> services;
    static const ServiceMetrics zero;
    for (const auto& label : in.services) services.emplace(label, &zero);
    for (const auto& [label, m] : services_) services[label] = m.get();

    e.family("proxyd_connections_accepted_total", "counter",
             "Client connections accepted by the service's listeners (UDP: new client "
             "sessions), including those refused afterwards.");
    for (const auto& [label, m] : services)
        e.sample("proxyd_connections_accepted_total", {{"service", label}}, load(m->accepted));

    e.family("proxyd_connections_refused_total", "counter",
             "Connections (HTTP: requests) refused, by reason: maxconn, acl, auth, connlim, "
             "quota.");
    for (const auto& [label, m] : services)
        for (std::size_t r = 0; r < m->refused.size(); ++r)
            e.sample("proxyd_connections_refused_total",
                     {{"service", label}, {"reason", label_of(static_cast<Refusal>(r))}},
                     load(m->refused[r]));

    e.family("proxyd_auth_failures_total", "counter",
             "Authentication failures, by reason: no_credentials, unknown_user, bad_password.");
    for (const auto& [label, m] : services)
        for (std::size_t r = 0; r < m->auth_failures.size(); ++r)
            e.sample("proxyd_auth_failures_total",
                     {{"service", label}, {"reason", label_of(static_cast<AuthFailure>(r))}},
                     load(m->auth_failures[r]));

    e.family("proxyd_relayed_bytes_total", "counter",
             "Bytes relayed, by direction (to_client, to_server); long sessions add theirs "
             "as they go, the rest at their end.");
    for (const auto& [label, m] : services)
        for (std::size_t d = 0; d < m->bytes.size(); ++d)
            e.sample("proxyd_relayed_bytes_total",
                     {{"service", label}, {"direction", label_of(static_cast<Direction>(d))}},
                     load(m->bytes[d]));

    e.family("proxyd_sessions_closed_total", "counter", "Sessions ended, by reason.");
    for (const auto& [label, m] : services)
        for (std::size_t r = 0; r < m->closed.size(); ++r)
            e.sample("proxyd_sessions_closed_total",
                     {{"service", label}, {"reason", label_of(static_cast<CloseReason>(r))}},
                     load(m->closed[r]));

    e.family("proxyd_reloads_total", "counter",
             "Reload attempts (dry runs excluded), by trigger and result (ok, failed).");
    for (const auto& [key, n] : reloads_)
        e.sample("proxyd_reloads_total", {{"trigger", key.first}, {"result", key.second}}, n);
    if (last_reload_ok_) {
        e.family("proxyd_last_reload_success", "gauge",
                 "1 when the last reload attempt was applied, 0 when it was refused.");
        e.sample("proxyd_last_reload_success", {}, std::uint64_t{*last_reload_ok_ ? 1u : 0u});
        e.family("proxyd_last_reload_duration_seconds", "gauge",
                 "How long the last reload attempt took.");
        e.sample_double("proxyd_last_reload_duration_seconds", {}, *last_reload_duration_);
        e.family("proxyd_last_reload_timestamp_seconds", "gauge",
                 "When the last reload attempt started, in seconds since the Unix epoch.");
        e.sample_double("proxyd_last_reload_timestamp_seconds", {}, *last_reload_time_);
    }

    e.family("proxyd_dns_lookups_total", "counter",
             "Name lookups for sessions (cache hits included).");
    e.sample("proxyd_dns_lookups_total", {}, load(dns_lookups_));
    e.family("proxyd_dns_lookup_failures_total", "counter",
             "Name lookups the name servers could not answer.");
    e.sample("proxyd_dns_lookup_failures_total", {}, load(dns_failures_));
    e.family("proxyd_dns_cache_hits_total", "counter", "Name lookups answered from the DNS cache.");
    e.sample("proxyd_dns_cache_hits_total", {}, load(dns_cache_hits_));

    e.family("proxyd_control_requests_total", "counter",
             "Control socket requests, by command (unknown commands as \"unknown\").");
    for (const auto& [name, n] : control_requests_)
        e.sample("proxyd_control_requests_total", {{"command", name}}, n);

    if (!in.counters.empty()) {
        auto each_counter = [&](std::string_view name, auto value_of) {
            for (const auto& c : in.counters) {
                auto position = std::to_string(c.position);
                auto number = std::to_string(c.number);
                e.sample(name, {{"position", position}, {"number", number}, {"kind", c.kind}},
                         value_of(c));
            }
        };
        e.family("proxyd_traffic_used_bytes", "gauge",
                 "Bytes counted in the current period of a counter line (position: its place "
                 "among the counter lines; number: its N).");
        each_counter("proxyd_traffic_used_bytes",
                     [](const ScrapeInput::Counter& c) { return c.bytes; });
        e.family("proxyd_traffic_limit_bytes", "gauge", "The limit of a counter line per period.");
        each_counter("proxyd_traffic_limit_bytes",
                     [](const ScrapeInput::Counter& c) { return c.limit_bytes; });
    }
    return e.text();
}

}  // namespace proxyd
