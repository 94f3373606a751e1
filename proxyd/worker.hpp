// A worker thread: one event loop, its listeners (its copies of the listening sockets,
// shared with the other workers), its resolver and the registry of the sessions it accepted.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "access_log.hpp"
#include "config_snapshot.hpp"
#include "event_loop.hpp"
#include "listener.hpp"
#include "metrics.hpp"
#include "relay.hpp"
#include "resolver.hpp"
#include "session_host.hpp"
#include "session_ids.hpp"
#include "session_registry.hpp"

namespace proxyd {

// A generation a reload superseded that sessions of this worker still count under
// (SessionRegistry): how many, and since when.
struct PinnedGeneration {
    std::uint64_t generation = 0;
    std::size_t sessions = 0;
    std::chrono::system_clock::time_point superseded;
};

class Worker final : public SessionHost, public ListenerHost {
  public:
    Worker(SnapshotPtr config, AccessLog& log, std::vector<BoundSocket> sockets,
           Metrics* metrics = nullptr);
    ~Worker() override;
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    void start();  // spawns the thread that runs the loop
    // Thread-safe: closes the listeners and every session (logged as shutdown), then the
    // loop ends; join() waits for it.
    void request_stop();
    void join();

    // Loop thread only (the reload engine posts it): later sessions are admitted under
    // `next`; live ones keep theirs. Listeners are reconciled in the same step, so no
    // accept ever sees a service index of the other generation: `kept[i]` is the new
    // index of the old service i's listener (nullopt: it stops listening), `opened` are
    // sockets the engine bound for services new in `next`.
    void adopt(SnapshotPtr next, const std::vector<std::optional<std::size_t>>& kept,
               std::vector<BoundSocket> opened);

    // Before start(): sessions still counted under a superseded generation are closed
    // once `timeout` has passed since the reload that superseded it (nullopt: never).
    void set_drain_timeout(std::optional<std::chrono::milliseconds> timeout) {
        drain_timeout_ = timeout;
    }
    std::optional<std::chrono::milliseconds> drain_timeout() const { return drain_timeout_; }
    // Loop thread only: a re-checking reload kept `session` under the running generation,
    // so it no longer pins the one it was admitted under.
    void hold_to_current(const Session& session);
    // Loop thread only: the superseded generations this worker's sessions still pin.
    std::vector<PinnedGeneration> pinned() const;

    // Loop thread only.
    EventLoop& loop() override { return loop_; }
    Resolver& resolver() override { return *resolver_; }
    AccessLog& access_log() override { return log_; }
    SessionRegistry& sessions() { return sessions_; }
    PipePool& pipes() override { return pipes_; }
    const SnapshotPtr& config() const override { return config_; }
    std::uint64_t next_session_id() override { return new_session_id(); }

    void accept(std::size_t service_index, UniqueFd fd, const sockaddr_storage& peer) override;
    // Session::start and Session's admission/close: the handshakes this worker runs.
    void handshake_started(const Session& session) override;
    void handshake_finished(const Session& session) override;
    void report_accept_error(int err) override;
    void datagram(std::size_t service_index, int fd, const std::shared_ptr<UdpClients>& clients,
                  std::string data, const sockaddr_storage& peer) override;
    void deliver_datagram(std::uint64_t session_id, std::string data) override;
    // Called by Session::close: the session leaves the registry and is destroyed after
    // the current event batch (its handlers may still be referenced by that batch).
    void retire(Session& session) override;
    Session* find_session(std::uint64_t id) override { return sessions_.find(id); }
    ControlGateway* control_gateway() override { return gateway_; }
    // Before start(): the admin service's way to the control thread.
    void set_control_gateway(ControlGateway* gateway) { gateway_ = gateway; }
    Metrics* metrics() override { return metrics_; }

  private:
    void on_tick();
    // Logs a client refused at maxconn (it gets no session).
    void log_maxconn(const proxycfg::Service& service, const sockaddr_storage& peer);
    // The service is at maxconn: gives a client from `source` the slot of a session of
    // this generation still in its handshake, if one should give way (HandshakeBoard).
    bool take_slot_of_handshake(std::size_t service_index, const proxycfg::IpAddress& source);

    ControlGateway* gateway_ = nullptr;
    SnapshotPtr config_;
    AccessLog& log_;
    EventLoop loop_;
    std::unique_ptr<Resolver> resolver_;
    // Resolvers of earlier nserver settings, kept until their lookups in flight finish.
    std::vector<std::unique_ptr<Resolver>> retired_resolvers_;
    PipePool pipes_;  // before the sessions: their relays give pipes back on destruction
    SessionRegistry sessions_;
    std::vector<std::unique_ptr<Listener>> listeners_;
    std::vector<std::unique_ptr<Session>> graveyard_;
    std::vector<std::unique_ptr<Listener>> retired_listeners_;  // closed, freed after the batch
    Clock::time_point last_accept_error_report_{};
    std::thread thread_;
    Metrics* metrics_ = nullptr;
    // metrics_'s blocks for config_'s services, index-aligned: accept() counts without a
    // lookup.
    std::vector<ServiceMetrics*> service_metrics_;
    void map_service_metrics();

    // Draining. One entry (and, with a drain timeout, one timer) per superseded
    // generation that still has sessions here, dropped with its last session: nothing is
    // done per session until a deadline passes.
    struct Superseded {
        Clock::time_point at;
        std::chrono::system_clock::time_point wall;
        std::optional<EventLoop::TimerId> timer;
    };
    void supersede(std::uint64_t generation);
    void forget_if_drained(std::uint64_t generation);
    void drain_deadline(std::uint64_t generation);
    std::optional<std::chrono::milliseconds> drain_timeout_;
    std::map<std::uint64_t, Superseded> superseded_;
};

}  // namespace proxyd
