// The two-way byte pump between a client and its upstream once a session is
// established. Socket to socket goes through a pipe with splice(2), so payload never
// enters user space; bytes a handshake read ahead are sent first from a buffer.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "bandwidth.hpp"
#include "event_loop.hpp"
#include "fd.hpp"

namespace proxyd {

// Empty pipes shared by the relays of one worker. A relay holds a pipe only while bytes
// are in flight, so an idle session costs its two sockets and nothing more (10,000 idle
// sessions would otherwise pin 40,000 pipe fds), and a busy one skips pipe2() per burst.
class PipePool {
  public:
    explicit PipePool(std::size_t max_idle = 64) : max_idle_(max_idle) {}
    // An empty pipe: from the pool, or a new one (nullopt if the system has none left).
    std::optional<PipePair> take();
    // Only empty pipes may come back: leftover bytes would leak into another session.
    void give(PipePair pipe);

  private:
    std::size_t max_idle_;
    std::vector<PipePair> idle_;
};

class Relay {
  public:
    enum class Status : std::uint8_t { open, finished, failed, quota_spent };

    // Bytes each direction may still read for the session's traffic counters; `both`
    // is shared by the two directions (countall).
    struct Quota {
        std::uint64_t to_upstream = UINT64_MAX;
        std::uint64_t to_client = UINT64_MAX;
        std::uint64_t both = UINT64_MAX;
    };

    Relay(int client, int upstream, PipePool& pool)
        : pool_(pool), to_upstream_(client, upstream), to_client_(upstream, client) {}
    ~Relay();
    Relay(const Relay&) = delete;
    Relay& operator=(const Relay&) = delete;

    // Bytes already read from one side that must reach the other before anything else.
    void prime(std::string to_upstream, std::string to_client);

    // Bandwidth limits (null: none, and the direction pays nothing for them). The
    // throttles must outlive the relay or be replaced before they go.
    void limit(Throttle* to_upstream, Throttle* to_client) {
        to_upstream_.limit = to_upstream;
        to_client_.limit = to_client;
    }
    // Traffic quota for the next pump() (nullopt: none, and nothing is counted against
    // one). A direction whose quota is spent stops; pump() then says quota_spent.
    void set_quota(std::optional<Quota> quota) { quota_ = quota; }
    // Bytes read but not yet delivered: counters see delivered bytes, the quota must not
    // hand these out again.
    std::uint64_t in_flight_to_upstream() const { return in_flight(to_upstream_); }
    std::uint64_t in_flight_to_client() const { return in_flight(to_client_); }

    // After pump(): the earliest moment a direction that stopped for its limit may read
    // again, if one did.
    std::optional<Clock::time_point> throttled_until() const;

    // The epoll events one side's socket reported (0: none) since the last pump(). A
    // side with a note is known: the next pump() reads from it only if its events say
    // there may be something to read, and takes a short read as the end of what it has
    // (a later byte or FIN brings a new edge). A side without one is read until EAGAIN.
    void note_events(bool upstream_side, std::uint32_t events) {
        sides_[upstream_side ? 1 : 0] |= known_side | events;
    }

    // Moves everything that can move without blocking (the fds are edge-triggered: each
    // direction it runs moves until EAGAIN, or a short read the events vouch for). Counts
    // delivered bytes.
    Status pump(std::uint64_t& bytes_out, std::uint64_t& bytes_in);
    int error() const { return error_; }

  private:
    struct Direction {
        Direction(int f, int t) : from(f), to(t) {}
        int from;
        int to;
        PipePair pipe;
        std::size_t in_pipe = 0;
        std::string pending;  // primed bytes, or the user-space fallback buffer
        std::size_t pending_off = 0;
        bool use_splice = true;
        // Small messages go through recv/send, which say when the source is drained; a
        // read that fills the buffer marks a bulk stream, spliced from then on.
        bool bulk = false;
        // The source reported a FIN, hangup, error or urgent data: a short read is no
        // proof it is drained, so this direction reads until EAGAIN from now on.
        bool closing = false;
        // The source reported its FIN (EPOLLRDHUP, no error): everything it sent is queued,
        // so a short read is the last one before EOF.
        bool fin_queued = false;
        bool eof = false;
        bool shut = false;
        Throttle* limit = nullptr;
        std::optional<Clock::time_point> retry;  // stopped for the limit until then
    };
    enum class Step : std::uint8_t { blocked, done, failed, spent };
    // `trust_short`: a short read means the source is drained for now.
    Step pump(Direction& d, std::uint64_t& counter, bool trust_short);
    // One recv through a stack buffer and its send; nullopt: go on pumping.
    std::optional<Step> read_small(Direction& d, std::uint64_t& counter, std::size_t want,
                                   bool trust_short);
    static std::uint64_t in_flight(const Direction& d) {
        return d.in_pipe + (d.pending.size() - d.pending_off);
    }
    static bool finished(const Direction& d) { return d.eof && d.shut && in_flight(d) == 0; }
    const Direction& other(const Direction& d) const {
        return &d == &to_client_ ? to_upstream_ : to_client_;
    }
    // How much `d` may read now under the quota (UINT64_MAX without one), and the charge.
    std::uint64_t quota_left(const Direction& d) const;
    void charge_quota(const Direction& d, std::size_t bytes);
    bool ensure_pipe(Direction& d);
    void release_pipe(Direction& d);

    PipePool& pool_;
    Direction to_upstream_;
    Direction to_client_;
    int error_ = 0;
    std::optional<Quota> quota_;
    // Noted events of the client's socket and the upstream's; known_side (EPOLLET's bit,
    // which epoll never reports) marks a side noted at all.
    static constexpr std::uint32_t known_side = 1u << 31;
    std::uint32_t sides_[2] = {0, 0};
};

}  // namespace proxyd
