// What every proxied connection has in common: the client socket, the upstream
// connection (resolve, connect, fall back to the next address), the admission decision
// through proxycfg::evaluate, timeouts, the relay, and the record/log line at the end.
// The protocols (socks, http, tcppm) supply only their handshakes.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "config_snapshot.hpp"
#include "event_loop.hpp"
#include "fd.hpp"
#include "parent_protocol.hpp"
#include "proxycfg/policy.hpp"
#include "proxycfg/recheck.hpp"
#include "relay.hpp"
#include "session_host.hpp"
#include "session_record.hpp"

namespace proxyd {

class Resolver;
struct ServiceMetrics;

// The %E code and log reason for a refused admission. (proxycfg::describe words a
// verdict for a reload re-check: "password changed"; at admission it is "bad password".)
int result_code(proxycfg::Verdict verdict);
std::string_view admission_reason(proxycfg::Verdict verdict);

std::optional<proxycfg::IpAddress> address_of(const sockaddr_storage& sa, std::uint16_t* port);
socklen_t to_sockaddr(const proxycfg::IpAddress& a, std::uint16_t port, sockaddr_storage& out);

// The wall-clock facts ACL weekday and time-period fields are judged on, local time.
struct AclClock {
    int weekday = 0;
    std::int32_t seconds_of_day = 0;
    static AclClock now();
};

class Session {
  public:
    Session(SessionHost& host, SnapshotPtr config, std::size_t service_index, UniqueFd client,
            const sockaddr_storage& peer);
    virtual ~Session() = default;
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    void start();
    // Ends the session: closes both sockets, writes the log line, frees the maxconn slot
    // and hands the object to the host for destruction after the current event batch.
    // Idempotent; only from the owning loop's thread.
    void close(int code, std::string_view reason);
    // Closes without a log line: for a client that connected and left without sending a
    // byte (port probes, health checks), which has nothing to report.
    void close_silently();
    // A reload revoked the session: the client's connection ends now (its FIN leaves at
    // once) and close(), due right after, logs `reason` whatever ends the session first.
    // Cutting every revoked client before any full teardown is what makes the last one
    // see its close soonest.
    void revoke(std::string_view reason) {
        revoke();
        set_revoked_reason(reason);
    }
    // The same in two steps, for a reload that cuts every revoked client first and words
    // the reasons afterwards (until then the log line would say only "revoked by reload").
    void revoke();
    void set_revoked_reason(std::string_view reason);
    bool timed_out(Clock::time_point now) const { return now - timer_start_ >= timeout_; }
    // From accept to admission the session is in its first handshake: it must finish by a
    // deadline counted from accept, and the host may displace it (Worker::accept).
    bool in_first_handshake() const { return in_first_handshake_; }
    Clock::time_point accepted_at() const { return accepted_at_; }
    void check_timeout(Clock::time_point now);

    const SessionRecord& record() const { return record_; }
    // Matches the session against `snapshot`'s bandwidth limits and holds its relay to
    // them: when the relay starts, and again when a reload brings new limits.
    void apply_bandlimits(const ConfigSnapshot& snapshot);
    // The limits (bits/s towards the client, towards the server; 0: none) `model` would
    // hold the session to.
    std::pair<std::uint64_t, std::uint64_t> bandlimits_under(const proxycfg::Model& model,
                                                             const AclClock& clock) const;
    bool relaying() const { return phase_ == Phase::relaying; }
    // Traffic counters. The session's delivered bytes since the last call go to the
    // counters it is counted in (cheap; nothing when it has none).
    void account_traffic();
    // Whether a counter the session is counted in is at the limit it is held to.
    bool quota_spent() const;
    // Whether `model`'s counters (with `states`, index-aligned) would hold the session
    // at or over a limit: what a re-checking reload asks of force services' sessions.
    bool quota_spent_under(const proxycfg::Model& model,
                           const std::vector<std::shared_ptr<CounterState>>& states,
                           const AclClock& clock) const;
    // Counts the session in `model`'s counters from now on, held to their limits.
    void count_under(const proxycfg::Model& model,
                     const std::vector<std::shared_ptr<CounterState>>& states,
                     const AclClock& clock);
    // What a reload re-checks the session on: what admitted it, with ACL time periods
    // judged at the given moment. Views into this session: use them before it can close.
    proxycfg::SessionFacts recheck_facts(const AclClock& clock) const;
    const ConfigSnapshot& config() const { return *config_; }
    const proxycfg::Service& service() const { return *service_; }
    bool closed() const { return phase_ == Phase::closed; }
    // An answer from the control thread to what the session asked it (SessionHost::
    // control_gateway); sessions that never ask ignore it.
    virtual void on_control_reply(const nlohmann::json& reply);
    // Metrics: adds the bytes relayed since the last call to the service's counters
    // (the worker's tick calls it for long sessions; close() for the rest).
    void report_traffic();

  protected:
    enum class Phase : std::uint8_t {
        handshake,
        resolving,
        connecting,
        chaining,  // resolving the parents' names, then the handshakes through them
        relaying,
        custom,
        lingering,
        closed
    };

    virtual void on_start() = 0;
    virtual void on_client_event() {}                        // handshake and custom phases
    virtual void on_upstream_event() {}                      // custom phase
    virtual void on_resolved(const std::string& error) = 0;  // error empty: target_address set
    virtual void on_connected() = 0;
    virtual void on_connect_failed(int code, int err) = 0;
    // Writes the session's final log line; HTTP overrides it (it logs per request).
    virtual void log_close(int code, std::string_view reason);

    enum class ReadResult : std::uint8_t { data, would_block, eof, error };
    // `drained` (if given) says whether the read left the socket empty for now: it
    // returned fewer bytes than asked for, or none (EAGAIN).
    ReadResult read_from(int fd, std::string& into, std::size_t max, bool* drained = nullptr);
    ReadResult read_client(std::string& into, std::size_t max) {
        return read_from(client_.get(), into, max, client_urgent_ ? nullptr : &client_drained_);
    }
    // Queues bytes for the client and writes what the socket takes now; false on error.
    bool send_client(std::string_view data);
    bool flush_client();
    std::size_t client_backlog() const { return client_out_.size() - client_out_off_; }
    // Sends a final reply, then closes once the client has had a chance to read it (a
    // plain close with unread input would reset the connection and lose the reply).
    void reply_and_close(std::string_view reply, int code, std::string_view reason);

    proxycfg::AccessRequest access_request(const AclClock& clock) const;
    // Evaluates the policy for the request in record_ and remembers what admitted it.
    proxycfg::Decision admit();
    // Cuts `bytes` about to go towards the client (or the server) to what the session's
    // counters still allow; false when it had to (the caller moves what is left, then
    // closes for the quota). For paths that move bytes themselves, not through the relay.
    bool quota_allows(std::size_t& bytes, bool to_client);
    // What the relay may still move for the session's traffic counters.
    std::optional<Relay::Quota> relay_quota() const;
    // Metrics: a refusal decided outside admit() (SOCKS5's early password check).
    void count_refusal(proxycfg::Verdict verdict);
    // Takes the session's connlim budgets on its first admission; false when one is spent.
    bool charge_conn_limits(const AclClock& clock);
    // After an admission: the cached login it used, or the login to cache.
    void remember_login(const proxycfg::Decision& decision, const proxycfg::AccessRequest& request,
                        const std::optional<AuthCache::Login>& cached);

    // Resolves record_.target_host (unless target_address is already set) → on_resolved.
    void resolve_target();
    // What most on_resolved overrides do: with the target resolved, admit the request,
    // then connect. On a failure `refuse(what, code, reason)` answers the client in its
    // protocol: `what` is "cannot resolve host" or "access denied"; code and reason are
    // for the log.
    using Refuse = std::function<void(std::string_view what, int code, std::string reason)>;
    void admit_and_connect(const std::string& resolve_error, const Refuse& refuse);
    // Connects to record_.target_address, then the other addresses of the lookup, from
    // the service's external address (-e) → on_connected / on_connect_failed.
    void connect_upstream();
    void start_relay(std::string to_upstream = {}, std::string to_client = {});
    // Watches upstream_ (a socket the protocol opened itself): its events reach
    // on_upstream_event in the custom phase. False when the loop refused it.
    bool watch_upstream();
    // Why the upstream could not be reached, for the log: the parent that failed, or
    // "connect to TARGET: ERROR".
    std::string upstream_failure(int err) const;
    // Bytes the destination sent behind the last parent's reply (they go to the client).
    std::string take_chain_leftover() {
        return chain_dial_ ? std::exchange(chain_dial_->in, {}) : std::string();
    }
    // The `http` parent an HTTP request is forwarded to as a proxy request, if any.
    const proxycfg::Parent* http_parent() const { return http_parent_; }
    // The parents admission chose from (the deciding entry's), for the connection key of
    // a kept-alive upstream.
    const proxycfg::ParentList* chain_parents() const { return parents_; }
    void write_log(int code, std::string_view reason) { write_log_for(record_, code, reason); }
    void write_log_for(const SessionRecord& record, int code, std::string_view reason);

    // An idle timeout: every byte either way restarts it.
    void set_timeout(std::chrono::seconds timeout, int code);
    // A deadline: bytes trickling in do not move it (a handshake must finish in time).
    void set_deadline(std::chrono::seconds timeout, int code);
    bool deadline_running() const { return deadline_; }
    void touch();  // activity: restarts an idle timeout, never a deadline
    std::chrono::seconds timeout_of(std::uint32_t seconds) const {
        return std::chrono::seconds(seconds);
    }
    const proxycfg::Timeouts& timeouts() const;

    SessionHost& host_;
    SnapshotPtr config_;
    const proxycfg::Service* service_;
    SessionRecord record_;
    UniqueFd client_;
    UniqueFd upstream_;
    Phase phase_ = Phase::handshake;
    // HttpSession: true for requests it forwards itself (not CONNECT), which an `http`
    // last hop takes as they are.
    bool forward_to_http_parent_ = false;
    std::vector<proxycfg::IpAddress> candidates_;  // addresses of the target, in try order

  private:
    struct Endpoint final : IoHandler {
        explicit Endpoint(Session& s) : session(s) {}
        // Which socket it watches follows from which of the two it is.
        void on_io(std::uint32_t events) override {
            session.dispatch(this == &session.upstream_endpoint_, events);
        }
        Session& session;
    };
    void dispatch(bool upstream, std::uint32_t events);
    void connect_next();
    void finish_connect(std::uint32_t events);
    void upstream_failed(int code, int err);
    // Parent chains (parent_chain.cpp).
    struct Hop {
        const proxycfg::Parent* parent = nullptr;
        parent::TypeInfo type;
        std::vector<proxycfg::IpAddress> addresses;
    };
    void start_chain();
    void resolve_hop(std::size_t index);
    void dial_chain();
    void begin_hop();
    void chain_pump();
    void chain_failed(std::string why, int err);
    parent::Destination hop_destination(std::size_t index) const;
    parent::Credentials hop_login(const proxycfg::Parent& p) const;
    void pump_relay();
    void linger();
    void end_first_handshake();

    // Fields ordered by size, the small ones last and together: with 10,000 idle sessions
    // every padding byte counts ten thousand times.
    std::string client_out_;
    std::size_t client_out_off_ = 0;
    const proxycfg::ParentList* parents_ = nullptr;  // of the deciding ACL entry
    // Dialing through parents: out of line, as most sessions never have any, and dropped
    // once the relay starts.
    struct ChainDial {
        std::vector<Hop> hops;
        std::vector<proxycfg::IpAddress> target_candidates;  // candidates_ while hops use it
        std::size_t handshakes = 0;  // hops that need a handshake (a final tcp/http hop does not)
        std::size_t hop = 0;         // the hop being resolved, connected or spoken to
        std::unique_ptr<parent::Handshake> handshake;
        std::string in;
        std::string failure;
    };
    ChainDial& chain_dial() {
        if (!chain_dial_) chain_dial_ = std::make_unique<ChainDial>();
        return *chain_dial_;
    }
    std::unique_ptr<ChainDial> chain_dial_;
    std::vector<const proxycfg::Parent*> chain_;  // the drawn chain, for re-checks
    const proxycfg::Parent* http_parent_ = nullptr;
    std::size_t next_candidate_ = 0;
    std::uint64_t lookup_ = 0;
    Resolver* lookup_resolver_ = nullptr;  // the one lookup_ runs on (a reload may retire it)
    // Before relay_, which points at them.
    std::unique_ptr<Throttle> throttle_out_;
    std::unique_ptr<Throttle> throttle_in_;
    std::optional<EventLoop::TimerId> throttle_timer_;
    std::optional<Relay> relay_;
    Clock::time_point timer_start_;
    std::chrono::seconds timeout_{30};
    Clock::time_point accepted_at_;
    std::optional<std::string> revoked_;  // reason, once a reload revoked the session
    ConnLimiter::Hold conn_hold_;         // connlim counts, released at close
    std::vector<CounterUse> counted_;     // traffic counters (empty for most sessions)
    std::uint64_t accounted_in_ = 0;      // record_.bytes_in already counted
    std::uint64_t accounted_out_ = 0;
    std::string linger_reason_;
    Endpoint client_endpoint_{*this};
    Endpoint upstream_endpoint_{*this};
    // The host's metrics block of this session's service, looked up on first use.
    ServiceMetrics* service_metrics();
    ServiceMetrics* metrics_ = nullptr;
    std::uint64_t reported_in_ = 0;  // record_.bytes_in already in the metrics
    std::uint64_t reported_out_ = 0;
    int chain_attempts_ = 0;  // chains left to try
    int timeout_code_ = 0;
    int linger_code_ = 0;
    std::uint32_t connect_events_ = 0;  // while on_connected runs: the event that ended it
    std::uint16_t dial_port_ = 0;       // the port connect_next dials: the target's or a parent's
    bool chain_active_ = false;
    bool chain_known_ = false;
    bool deadline_ = false;
    bool in_first_handshake_ = false;
    bool silent_ = false;
    bool conn_limits_charged_ = false;
    // The client's socket was left empty by the last read, and no event since said it
    // has more: the edge-triggered loop reports the next byte or FIN as a new event, so
    // reading before one could only say EAGAIN.
    bool client_drained_ = false;
    // The client sent urgent data: a read stops short at its mark with bytes still queued,
    // so from then on a short read proves nothing.
    bool client_urgent_ = false;
    // The session has read the client's socket at least once. Until then (tcppm reads
    // nothing before its relay) client_events_ holds every event the socket reported since
    // it joined the epoll set, which is all there is to know about what it holds.
    bool client_read_ = false;
    std::uint32_t client_events_ = 0;
};

}  // namespace proxyd
