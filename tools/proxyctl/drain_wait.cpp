#include "drain_wait.hpp"

#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include "control_client.hpp"

namespace proxyctl {

namespace {

// SIGINT and SIGTERM held for the wait and taken with sigtimedwait, so Ctrl-C ends the
// wait with a report rather than killing proxyctl mid-sentence; restored afterwards.
class HeldSignals {
  public:
    HeldSignals() {
        sigemptyset(&set_);
        sigaddset(&set_, SIGINT);
        sigaddset(&set_, SIGTERM);
        ::sigprocmask(SIG_BLOCK, &set_, &before_);
    }
    ~HeldSignals() { ::sigprocmask(SIG_SETMASK, &before_, nullptr); }
    HeldSignals(const HeldSignals&) = delete;
    HeldSignals& operator=(const HeldSignals&) = delete;
    // Sleeps up to `d`; true when a held signal arrived meanwhile.
    bool sleep_interrupted(std::chrono::milliseconds d) const {
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
        timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
        for (;;) {
            int sig = ::sigtimedwait(&set_, nullptr, &ts);
            if (sig > 0) return true;
            if (errno != EINTR) return false;  // EAGAIN: the time passed
        }
    }

  private:
    sigset_t set_{};
    sigset_t before_{};
};

}  // namespace

DrainWait wait_drained(const std::string& socket_path, std::uint64_t generation,
                       std::optional<std::chrono::milliseconds> timeout,
                       std::chrono::milliseconds interval) {
    HeldSignals held;
    DrainWait out;
    const auto start = std::chrono::steady_clock::now();
    auto elapsed = [&] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - start);
    };
    for (;;) {
        ControlReply reply = request(socket_path, "status");
        out.waited_ms = elapsed().count();
        if (!reply.ok()) {
            out.error = "status: " + reply.error.message;
            return out;
        }
        control::Status status;
        try {
            status = reply.result->get<control::Status>();
        } catch (const nlohmann::json::exception& e) {
            out.error = std::string("malformed status reply: ") + e.what();
            return out;
        }
        if (!status.pinned_generations) {
            out.error = "this proxyd does not report pinned generations (it predates them)";
            return out;
        }
        out.pinned.clear();
        for (const auto& p : *status.pinned_generations)
            if (p.generation < generation) out.pinned.push_back(p);
        if (out.pinned.empty()) {
            out.outcome = DrainWait::Outcome::drained;
            return out;
        }
        auto wait = interval;
        if (timeout) {
            auto left = *timeout - elapsed();
            if (left <= std::chrono::milliseconds(0)) {
                out.outcome = DrainWait::Outcome::timed_out;
                return out;
            }
            wait = std::min(wait, left);
        }
        if (held.sleep_interrupted(wait)) {
            out.waited_ms = elapsed().count();
            out.outcome = DrainWait::Outcome::interrupted;
            return out;
        }
    }
}

std::string describe_pinned(const std::vector<control::PinnedGeneration>& pinned) {
    std::string out;
    std::int64_t now = now_ms();
    for (const auto& p : pinned) {
        if (!out.empty()) out += "; ";
        out += "generation " + std::to_string(p.generation) + ": " + std::to_string(p.sessions) +
               (p.sessions == 1 ? " session" : " sessions") + ", superseded " +
               human_duration(now - p.superseded_at_ms) + " ago";
        if (p.drain_deadline_ms == 0)
            out += ", no drain deadline";
        else if (p.drain_deadline_ms > now)
            out += ", closed in " + human_duration(p.drain_deadline_ms - now);
        else
            out += ", drain deadline passed";
    }
    return out;
}

nlohmann::json drain_member(const DrainWait& wait) {
    return {{"drained", wait.outcome == DrainWait::Outcome::drained},
            {"waited_ms", wait.waited_ms},
            {"pinned_generations", wait.pinned}};
}

}  // namespace proxyctl
