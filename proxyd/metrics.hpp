// The daemon's Prometheus metrics: one Metrics object for the process (main.cpp owns it),
// updated where events happen with relaxed atomics, and rendered in the text exposition
// format (version 0.0.4) on demand by the `metrics` control command.
//
// Per-service counters live in ServiceMetrics blocks that are never freed, so a session
// looks its block up once (one short lock) and then only adds to atomics. What is cheap to
// read at scrape time (traffic counters, the files' stat()) is read then, not maintained.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxycfg/policy.hpp"

namespace proxyd {

// Writes the text exposition format: HELP and TYPE once per family, then its samples.
// Label values are escaped (backslash, double quote, newline), so a service label or any
// other configured value cannot break a line.
class Exposition {
  public:
    using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

    // type: "counter" or "gauge".
    void family(std::string_view name, std::string_view type, std::string_view help);
    void sample(std::string_view name, const Labels& labels, std::uint64_t value);
    void sample_signed(std::string_view name, const Labels& labels, std::int64_t value);
    void sample_double(std::string_view name, const Labels& labels, double value);
    const std::string& text() const { return out_; }

    static std::string escape_label_value(std::string_view value);
    static std::string escape_help(std::string_view help);

  private:
    void begin_sample(std::string_view name, const Labels& labels);
    std::string out_;
};

// Why a connection or request got no service. Label values in the same order.
enum class Refusal : std::uint8_t { maxconn, acl, auth, connlim, quota, count };
// The authentication failures worth an alert of their own.
enum class AuthFailure : std::uint8_t { no_credentials, unknown_user, bad_password, count };
// How a session ended.
enum class CloseReason : std::uint8_t {
    normal,  // either side ended it, or it finished its work
    refused,
    reload_recheck,
    killed,
    idle_timeout,
    handshake_timeout,
    connect_timeout,
    quota,
    shutdown,
    displaced,  // a handshake that gave its maxconn slot to a newer client
    error,      // protocol, resolve, connect, upstream or I/O errors
    drain_timeout,  // its generation was superseded longer ago than --drain-timeout
    count
};
enum class Direction : std::uint8_t { to_client, to_server, count };

std::string_view label_of(Refusal r);
std::string_view label_of(AuthFailure a);
std::string_view label_of(CloseReason c);
std::string_view label_of(Direction d);

// An admission verdict (not allowed) as a refusal, and as an auth failure if it is one.
Refusal refusal_of(proxycfg::Verdict verdict);
std::optional<AuthFailure> auth_failure_of(proxycfg::Verdict verdict);
// A session's close code (access_log.hpp result::) as a reason. `admitted`: the session
// was admitted (code 10 is then a spent quota, else an admission refusal); `revoked`: a
// reload re-check closed it (otherwise code 96 is an operator's kill).
CloseReason close_reason_of(int code, bool admitted, bool revoked);

template <class E>
using PerReason = std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(E::count)>;

struct ServiceMetrics {
    std::atomic<std::uint64_t> accepted{0};
    PerReason<Refusal> refused{};
    PerReason<AuthFailure> auth_failures{};
    PerReason<CloseReason> closed{};
    PerReason<Direction> bytes{};

    void add(Refusal r) { bump(refused[static_cast<std::size_t>(r)], 1); }
    void add(AuthFailure a) { bump(auth_failures[static_cast<std::size_t>(a)], 1); }
    void add(CloseReason c) { bump(closed[static_cast<std::size_t>(c)], 1); }
    void add_bytes(Direction d, std::uint64_t n) {
        if (n) bump(bytes[static_cast<std::size_t>(d)], n);
    }
    static void bump(std::atomic<std::uint64_t>& a, std::uint64_t n) {
        a.fetch_add(n, std::memory_order_relaxed);
    }
};

// What a scrape reads from the running generation, filled by the control command.
struct ScrapeInput {
    std::string version;
    std::int64_t started_at_ms = 0;
    std::uint64_t generation = 0;
    std::vector<std::string> services;  // the running generation's labels
    struct Counter {
        // The line's place among the counter lines (1-based): N 0 lines share number 0.
        unsigned position = 0;
        unsigned number = 0;
        std::string kind;
        std::uint64_t bytes = 0;
        std::uint64_t limit_bytes = 0;
    };
    std::vector<Counter> counters;
    std::optional<bool> config_stale;  // nullopt: not known (not exported)
};

class Metrics {
  public:
    Metrics() = default;
    Metrics(const Metrics&) = delete;
    Metrics& operator=(const Metrics&) = delete;

    // The block of the service labelled `label`; the reference stays valid for the
    // Metrics' lifetime. Locks briefly: look it up once per session, not per event.
    ServiceMetrics& service(std::string_view label);

    // Sessions open: at admission to a worker (a maxconn slot taken) and at its release.
    void session_opened(std::string_view label, std::uint64_t generation);
    void session_closed(std::string_view label, std::uint64_t generation);
    std::int64_t open_sessions(std::string_view label, std::uint64_t generation) const;

    // A committed reload attempt (not dry runs). result: "ok" or "failed".
    void reload_finished(std::string_view trigger, std::string_view result, double duration_seconds,
                         double started_unix_seconds);
    // A control request; unknown commands count as "unknown" (clients pick the name).
    void control_request(std::string_view command, bool known);

    void dns_lookup() { ServiceMetrics::bump(dns_lookups_, 1); }
    void dns_failure() { ServiceMetrics::bump(dns_failures_, 1); }
    void dns_cache_hit() { ServiceMetrics::bump(dns_cache_hits_, 1); }

    std::string render(const ScrapeInput& input) const;

  private:
    mutable std::mutex mutex_;
    std::map<std::string, std::unique_ptr<ServiceMetrics>, std::less<>> services_;
    // Open sessions by (service label, generation); entries at zero are dropped unless
    // they are the running generation's (rendered as 0 from ScrapeInput anyway).
    std::map<std::pair<std::string, std::uint64_t>, std::int64_t> open_;
    std::map<std::pair<std::string, std::string>, std::uint64_t> reloads_;  // trigger, result
    std::optional<double> last_reload_duration_;
    std::optional<double> last_reload_time_;
    std::optional<bool> last_reload_ok_;
    std::map<std::string, std::uint64_t, std::less<>> control_requests_;
    std::atomic<std::uint64_t> dns_lookups_{0};
    std::atomic<std::uint64_t> dns_failures_{0};
    std::atomic<std::uint64_t> dns_cache_hits_{0};
};

}  // namespace proxyd
