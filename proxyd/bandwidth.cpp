#include "bandwidth.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>

namespace proxyd {

void TokenBucket::set_rate(std::uint64_t bits_per_second) {
    std::lock_guard lock(mutex_);
    rate_ = std::max<std::uint64_t>(bits_per_second, 1);
    bytes_per_second_ = static_cast<double>(rate_) / 8.0;
    tokens_ = std::min(tokens_, capacity());  // a lowered rate does not keep the old burst
}

std::uint64_t TokenBucket::rate() const {
    std::lock_guard lock(mutex_);
    return rate_;
}

// A tenth of a second of traffic (at least a few packets' worth): the most an idle
// bucket saves up, so a transfer measured over a second or two keeps to the rate.
double TokenBucket::capacity() const {
    return std::max(bytes_per_second_ / 10.0, 2048.0);
}

std::size_t TokenBucket::slice() const {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(std::max(bytes_per_second_ / 40.0, 512.0));
}

void TokenBucket::refill(Clock::time_point now) {
    if (!started_) {
        started_ = true;
        last_ = now;
        return;
    }
    if (now <= last_) return;
    double seconds = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    tokens_ = std::min(capacity(), tokens_ + seconds * bytes_per_second_);
}

Clock::time_point TokenBucket::book(std::size_t bytes, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    refill(now);
    tokens_ -= static_cast<double>(bytes);
    if (tokens_ >= 0) return now;
    return now + std::chrono::duration_cast<Clock::duration>(
                     std::chrono::duration<double>(-tokens_ / bytes_per_second_));
}

void TokenBucket::refund(std::size_t bytes) {
    std::lock_guard lock(mutex_);
    tokens_ = std::min(capacity(), tokens_ + static_cast<double>(bytes));
}

std::size_t Throttle::grant(std::size_t want, Clock::time_point now, Clock::time_point& retry) {
    if (credit_ == 0) {
        std::size_t slice = SIZE_MAX;
        for (const auto& b : buckets_) slice = std::min(slice, b->slice());
        ready_ = now;
        for (auto& b : buckets_) ready_ = std::max(ready_, b->book(slice, now));
        credit_ = slice;
    }
    if (ready_ > now) {
        retry = ready_;
        return 0;
    }
    return std::min(want, credit_);
}

void Throttle::consume(std::size_t bytes) {
    credit_ -= std::min(bytes, credit_);
}

void Throttle::release() {
    if (credit_ == 0) return;
    for (auto& b : buckets_) b->refund(credit_);
    credit_ = 0;
}

std::uint64_t Throttle::rate() const {
    std::uint64_t lowest = 0;
    for (const auto& b : buckets_) {
        auto r = b->rate();
        if (lowest == 0 || r < lowest) lowest = r;
    }
    return lowest;
}

std::vector<std::shared_ptr<TokenBucket>> BandwidthLimits::buckets_for(
    const proxycfg::Model& model) const {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<TokenBucket>> out;
    out.reserve(model.globals.bandlimits.size());
    for (const auto& b : model.globals.bandlimits) {
        if (b.exception) {
            out.emplace_back();
            continue;
        }
        auto it = by_key_.find(b.key);
        out.push_back(it != by_key_.end() ? it->second : std::make_shared<TokenBucket>(b.rate));
    }
    return out;
}

void BandwidthLimits::commit(const proxycfg::Model& model,
                             const std::vector<std::shared_ptr<TokenBucket>>& buckets) {
    std::lock_guard lock(mutex_);
    std::map<std::string, std::shared_ptr<TokenBucket>> next;
    const auto& limits = model.globals.bandlimits;
    for (std::size_t i = 0; i < limits.size() && i < buckets.size(); ++i) {
        if (!buckets[i]) continue;
        buckets[i]->set_rate(limits[i].rate);
        next.emplace(limits[i].key, buckets[i]);
    }
    by_key_ = std::move(next);
}

}  // namespace proxyd
