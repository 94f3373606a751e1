// One loaded configuration generation, immutable and shared by every worker. Sessions
// keep the snapshot they were admitted under alive (their Service stays valid). The
// per-service maxconn counters are reached from here; a service a reload keeps shares its
// counter with the generation before (ServiceSlots::carry).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "auth_cache.hpp"
#include "bandwidth.hpp"
#include "conn_limiter.hpp"
#include "dns_cache.hpp"
#include "handshake_board.hpp"
#include "proxycfg/model.hpp"
#include "traffic_counters.hpp"

namespace proxyd {

// Live sessions per service, for maxconn. A service a reload keeps (matched as its
// listener is: type, address and port) keeps its count: the new generation shares the
// old one's counter, so sessions of both generations count against one limit.
class ServiceSlots {
  public:
    explicit ServiceSlots(std::size_t services) {
        active_.reserve(services);
        for (std::size_t i = 0; i < services; ++i)
            active_.push_back(std::make_shared<std::atomic<int>>(0));
    }

    // Before the generation is published: `kept[i]` is the index in this generation of
    // `previous`'s service i, if the reload keeps it.
    void carry(const ServiceSlots& previous, const std::vector<std::optional<std::size_t>>& kept) {
        for (std::size_t i = 0; i < kept.size() && i < previous.active_.size(); ++i)
            if (kept[i] && *kept[i] < active_.size()) active_[*kept[i]] = previous.active_[i];
    }

    // Takes a slot unless `limit` sessions are already active. Refusing at once rather
    // than queueing is the point of maxconn: excess clients learn immediately.
    bool acquire(std::size_t service, int limit) {
        auto& a = *active_[service];
        int current = a.load(std::memory_order_relaxed);
        do {
            if (current >= limit) return false;
        } while (!a.compare_exchange_weak(current, current + 1, std::memory_order_acq_rel));
        return true;
    }
    // Takes a slot whatever the limit: a client that displaces a handshake gets its slot
    // before the displaced session's loop has released it.
    void force_acquire(std::size_t service) {
        active_[service]->fetch_add(1, std::memory_order_acq_rel);
    }
    void release(std::size_t service) { active_[service]->fetch_sub(1, std::memory_order_acq_rel); }
    int active(std::size_t service) const {
        return active_[service]->load(std::memory_order_relaxed);
    }
    std::size_t size() const { return active_.size(); }

  private:
    std::vector<std::shared_ptr<std::atomic<int>>> active_;
};

struct ConfigSnapshot {
    // The daemon-wide state (auth cache, DNS cache, connlim budgets, bandwidth buckets,
    // traffic counters) is `previous`'s, which a reload carries on, or new when there is
    // none. New state is set up from `m` here; carried state is updated by whoever commits
    // the generation (commit()), so a dry run leaves it alone.
    ConfigSnapshot(std::shared_ptr<const proxycfg::Model> m, std::uint64_t gen, std::string path,
                   const ConfigSnapshot* previous = nullptr)
        : model(std::move(m)),
          generation(gen),
          config_path(std::move(path)),
          auth_cache(previous ? previous->auth_cache : std::make_shared<AuthCache>()),
          uses_auth_cache(model->any_service_uses(proxycfg::AuthMethod::cache)),
          dns_cache(previous ? previous->dns_cache : std::make_shared<DnsCache>()),
          conn_limiter(previous ? previous->conn_limiter : std::make_shared<ConnLimiter>()),
          slots(model->services.size()),
          bandwidth(previous ? previous->bandwidth : std::make_shared<BandwidthLimits>()),
          buckets(bandwidth->buckets_for(*model)),
          counters(previous ? previous->counters : std::make_shared<TrafficCounters>()),
          counter_states(counters->states_for(*model, std::time(nullptr))) {
        if (!previous) commit();
    }

    // This generation is the running one: the carried state takes its settings.
    void commit() const {
        dns_cache->configure(*model);
        conn_limiter->retain(*model);
        bandwidth->commit(*model, buckets);
        counters->commit(model, counter_states);
    }

    std::shared_ptr<const proxycfg::Model> model;
    std::uint64_t generation;
    std::string config_path;
    // The newest generation, up to this one, whose reload re-checked live sessions
    // (SIGUSR1, control, monitor; not SIGHUP). A session whose handshake began under an
    // older generation is held to this one's re-check when it is admitted.
    std::uint64_t recheck_generation = 0;
    // The daemon's one auth cache (internally locked), and whether any service reads it:
    // logins are remembered only then.
    std::shared_ptr<AuthCache> auth_cache;
    bool uses_auth_cache = false;
    // The daemon's one DNS cache (internally locked), with this or a later generation's
    // sizes and nsrecord answers.
    std::shared_ptr<DnsCache> dns_cache;
    // The daemon's one set of connlim budgets (internally locked), carried like the caches.
    std::shared_ptr<ConnLimiter> conn_limiter;
    mutable ServiceSlots slots;         // counters, not configuration: shared mutable by design
    mutable HandshakeBoard handshakes;  // this generation's sessions still in handshake
    // The daemon's bandwidth buckets, and this generation's: index-aligned with
    // model->globals.bandlimits (null for exceptions). A carried set is committed (rates
    // applied) by whoever commits the generation.
    std::shared_ptr<BandwidthLimits> bandwidth;
    std::vector<std::shared_ptr<TokenBucket>> buckets;
    // The daemon's traffic counters, and this generation's states: index-aligned with
    // model->globals.counters (null for exceptions).
    std::shared_ptr<TrafficCounters> counters;
    std::vector<std::shared_ptr<CounterState>> counter_states;
};

using SnapshotPtr = std::shared_ptr<const ConfigSnapshot>;

}  // namespace proxyd
