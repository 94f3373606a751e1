// Bandwidth limits: one token bucket per limit line, shared by every session (on every
// worker) the line applies to, and carried across reloads while the line is unchanged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "event_loop.hpp"
#include "proxycfg/model.hpp"

namespace proxyd {

// A budget of bytes refilled at a rate. Sessions book slices of it in turn: a booking
// puts the bucket into debt, and is ready when the debt before it has been repaid, so
// sessions sharing a bucket are served in the order they asked (none starves).
class TokenBucket {
  public:
    explicit TokenBucket(std::uint64_t bits_per_second) { set_rate(bits_per_second); }

    // Takes effect at once for every session drawing from the bucket.
    void set_rate(std::uint64_t bits_per_second);
    std::uint64_t rate() const;

    // The slice one booking takes: a fortieth of a second of traffic (a few packets at
    // least), so a throttled session wakes some forty times a second, not per packet.
    std::size_t slice() const;
    // Books `bytes`: when they may move (`now` if the bucket held them).
    Clock::time_point book(std::size_t bytes, Clock::time_point now);
    // Gives back bytes booked but not moved.
    void refund(std::size_t bytes);

  private:
    void refill(Clock::time_point now);
    double capacity() const;

    mutable std::mutex mutex_;
    std::uint64_t rate_ = 0;  // bits per second
    double bytes_per_second_ = 0;
    double tokens_ = 0;  // starts empty: no burst beyond the rate at a session's start
    Clock::time_point last_{};
    bool started_ = false;
};

// The buckets one direction of a session draws from (every applying limit), and the
// slice it has booked from them.
class Throttle {
  public:
    explicit Throttle(std::vector<std::shared_ptr<TokenBucket>> buckets)
        : buckets_(std::move(buckets)) {}
    ~Throttle() { release(); }
    Throttle(const Throttle&) = delete;
    Throttle& operator=(const Throttle&) = delete;

    // How many of `want` bytes may move now; 0 with `retry` set to when they may.
    std::size_t grant(std::size_t want, Clock::time_point now, Clock::time_point& retry);
    void consume(std::size_t bytes);
    // The source had nothing more: what is left of the slice goes back to the buckets.
    void release();
    std::uint64_t rate() const;  // the lowest, bits per second
    bool empty() const { return buckets_.empty(); }

  private:
    std::vector<std::shared_ptr<TokenBucket>> buckets_;
    std::size_t credit_ = 0;  // booked bytes not yet moved
    Clock::time_point ready_{};
};

// The daemon's buckets by limit key (proxycfg::BandLimit::key), internally locked.
class BandwidthLimits {
  public:
    // One bucket per limit of `model` (null for exceptions), index-aligned with
    // model.globals.bandlimits: the bucket already kept for the same key, else a new one.
    // Changes nothing here: a dry run may call it.
    std::vector<std::shared_ptr<TokenBucket>> buckets_for(const proxycfg::Model& model) const;
    // The generation that `buckets` were made for is live: their rates apply now (also
    // to sessions already open), and buckets no limit uses any more are forgotten.
    void commit(const proxycfg::Model& model,
                const std::vector<std::shared_ptr<TokenBucket>>& buckets);

  private:
    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<TokenBucket>> by_key_;
};

}  // namespace proxyd
