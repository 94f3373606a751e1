// Asynchronous name resolution on a worker's event loop with c-ares: a lookup never
// blocks the loop, and the `nserver` directives choose the servers.
#pragma once

#include <ares.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns_cache.hpp"
#include "event_loop.hpp"
#include "proxycfg/net.hpp"

namespace proxyd {

class Metrics;

struct ResolveResult {
    std::vector<proxycfg::IpAddress> addresses;  // empty on failure
    std::string error;                           // c-ares message on failure
};

// The c-ares library must be initialised once per process (ares_library_init) by main
// before any Resolver is created.
class Resolver {
  public:
    using Callback = std::function<void(ResolveResult)>;

    // `nservers` as the config writes them: "IP[:PORT][/tcp]". Empty: /etc/resolv.conf.
    // `cache` (the daemon's, shared with the other workers) answers first and keeps what
    // the name servers answer; null: every lookup asks.
    Resolver(EventLoop& loop, const std::vector<std::string>& nservers,
             std::uint32_t timeout_seconds, std::shared_ptr<DnsCache> cache = nullptr);
    ~Resolver();
    Resolver(const Resolver&) = delete;
    Resolver& operator=(const Resolver&) = delete;

    // Starts a lookup; `done` runs on the loop thread, always after resolve() has returned
    // (a cached answer, or one c-ares gives at once from /etc/hosts, is posted), so a caller
    // may start its next lookup from `done`. Returns an id for cancel().
    std::uint64_t resolve(const std::string& name, Callback done);
    // The callback of a cancelled lookup is never called.
    void cancel(std::uint64_t id);
    // Drives c-ares' retransmission timers; called from the worker's tick.
    void on_tick();
    // No lookup in flight (cancelled ones count until c-ares calls them back): a retired
    // resolver may be destroyed.
    bool idle() const { return pending_.empty(); }
    // Lookups, cache hits and failures are counted there from now on (null: not).
    void set_metrics(Metrics* metrics) { metrics_ = metrics; }

  private:
    struct Watch final : IoHandler {
        Watch(Resolver& r, int f) : resolver(r), fd(f) {}
        void on_io(std::uint32_t events) override;
        Resolver& resolver;
        int fd;
        bool registered = false;
    };
    static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable);
    static void on_result(void* arg, int status, int timeouts, ares_addrinfo* result);
    // Calls the lookup's callback (unless cancelled) and forgets it.
    void finish(std::uint64_t id, ResolveResult result);
    // finish() on the next turn of the loop: the lookup stays pending until then.
    void finish_later(std::uint64_t id, ResolveResult result);

    // One lookup in flight. c-ares always calls back exactly once per lookup (with
    // ARES_EDESTRUCTION at the latest), so the entry lives until then and is the callback's
    // argument; cancel() only drops the user callback.
    struct Query {
        Resolver* resolver;
        std::uint64_t id;
        Callback done;
        std::string name;
    };

    EventLoop& loop_;
    std::shared_ptr<DnsCache> cache_;
    ares_channel channel_ = nullptr;
    bool starting_ = false;  // inside ares_getaddrinfo: a result now must be posted
    std::uint64_t next_id_ = 1;
    std::map<std::uint64_t, Query> pending_;
    // Watches are kept for the resolver's lifetime (c-ares reuses a handful of sockets),
    // so a watch is never destroyed while its own event is being handled.
    std::map<int, std::unique_ptr<Watch>> watches_;
    Metrics* metrics_ = nullptr;
};

// Parses one nserver value into c-ares' "ip:port" CSV form; nullopt when malformed.
std::optional<std::string> nserver_to_csv_entry(std::string_view value, bool& tcp);

}  // namespace proxyd
