#include "acl_read_ahead.hpp"

#include <algorithm>

namespace proxycfg {
AclReadAhead::AclReadAhead(const ParsedConfig& config, std::size_t min_lines, TextPool& pool)
    : config_(config), pool_(pool) {
    std::size_t count = 0;
    for (const auto& d : config.directives) count += reads(d);
    if (count == 0 || count < min_lines || count >= kNone) return;
    count_ = static_cast<std::uint32_t>(count);
    ring_ = std::vector<Slot>(std::min<std::size_t>(kRing, count));
    thread_ = std::jthread([this](const std::stop_token& stop) { run(stop); });
}

AclReadAhead::~AclReadAhead() {
    if (!thread_.joinable()) return;
    // Wakes the thread if it waits for room; the jthread then stops and joins.
    thread_.request_stop();
    taken_.store(kStop, std::memory_order_release);
    taken_.notify_all();
}

void AclReadAhead::run(const std::stop_token& stop) {
    // How far past the replay the thread goes on when the replay has caught up with it
    // (is fewer than kClose lines behind): reading the lines the replay is about to read
    // would be work done twice, and the two would go on in step.
    constexpr std::uint32_t kLead = 256;
    constexpr std::uint32_t kClose = 4;
    constexpr std::uint32_t kCheckEvery = 16;
    constexpr std::uint32_t kNear = 256;
    const auto& directives = config_.directives;
    const auto ring = static_cast<std::uint32_t>(ring_.size());
    std::uint32_t j = 0;  // the next line to read, among the ACL lines...
    std::size_t at = 0;   // ...and where in the directives to look for it
    auto skip_to_next_line = [&] {
        while (at < directives.size() && !reads(directives[at])) ++at;
    };
    try {
        std::uint64_t taken = 0;
        std::uint32_t since_check = 0;
        while (j < count_ && !stop.stop_requested()) {
            // Where the replay is. The replay writes it on every line, and reading it
            // as often would move its cache line back and forth between the cores, so
            // far ahead of the replay it is looked up every few lines only; near it, on
            // every line, or the lines the replay passes meanwhile are read for nothing.
            bool near = j - std::min(j, static_cast<std::uint32_t>(taken >> 32)) < kNear;
            if (since_check == 0 || near) taken = taken_.load(std::memory_order_acquire);
            since_check = (since_check + 1) % kCheckEvery;
            if (taken == kStop) return;
            const auto passed = static_cast<std::uint32_t>(taken >> 32);
            if (j < passed + kClose) {
                // From the replay's next line, which is at or after the directive
                // after the last one it passed.
                j = passed;
                at = static_cast<std::uint32_t>(taken);
                for (std::uint32_t k = 0; k < kLead && j < count_; ++k, ++j, ++at)
                    skip_to_next_line();
                since_check = 0;
                continue;
            }
            if (j - passed >= ring) {
                // Says it waits, then looks again: the replay stores where it is, then
                // looks whether the thread waits (all seq_cst), so either the replay
                // sees this flag at its next wake-up point or this load sees the replay
                // has moved on.
                waiting_.store(true, std::memory_order_seq_cst);
                taken = taken_.load(std::memory_order_seq_cst);
                if (taken != kStop && j - static_cast<std::uint32_t>(taken >> 32) >= ring)
                    taken_.wait(taken, std::memory_order_acquire);
                waiting_.store(false, std::memory_order_relaxed);
                since_check = 0;
                continue;
            }
            skip_to_next_line();
            if (at >= directives.size()) return;
            // The replay has passed line j - ring, the slot's last one (the acquire that
            // read `taken` orders its reads of the slot before these writes).
            Slot& slot = ring_[j % ring];
            slot.directive = static_cast<std::uint32_t>(at);
            slot.result.entry = AclEntry{};
            LexedDirective d(directives[at]);
            slot.result.error = read_acl_fields(d, 0, slot.result.entry, &pool_);
            slot.line.store(j, std::memory_order_release);
            ++j;
            ++at;
        }
    } catch (...) {
        // The replay reads the remaining lines itself, and meets the failure there.
    }
}

bool AclReadAhead::take(std::uint32_t directive, Result& out) {
    if (next_ >= count_) return false;
    const std::uint32_t j = next_++;
    const auto ring = static_cast<std::uint32_t>(ring_.size());
    Slot& slot = ring_[j % ring];
    bool ready = slot.line.load(std::memory_order_acquire) == j && slot.directive == directive;
    if (ready) out = std::move(slot.result);
    taken_.store((std::uint64_t{j + 1} << 32) | (directive + 1), std::memory_order_seq_cst);
    // A wake is a system call: only for a thread that waits for room (then a quarter
    // ring is free), and at the last line.
    if (((j + 1) % (ring / 4 + 1) == 0 && waiting_.load(std::memory_order_seq_cst)) ||
        j + 1 == count_)
        taken_.notify_one();
    return ready;
}

}  // namespace proxycfg
