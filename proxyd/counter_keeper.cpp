#include "counter_keeper.hpp"

#include <cstdio>
#include <ctime>

#include "reload.hpp"

namespace proxyd {

namespace {
// How often moving counts reach the file: what a crash can lose.
constexpr std::int64_t save_interval_seconds = 10;
}  // namespace

bool CounterKeeper::load(std::string& error) {
    const auto& snapshot = *engine_.current();
    const auto& path = snapshot.model->globals.counter_file.value.path;
    if (path.empty()) return true;
    return snapshot.counters->load(outside_ + path, error);
}

void CounterKeeper::on_tick() {
    std::int64_t now = std::time(nullptr);
    if (now == last_second_) return;
    last_second_ = now;
    const auto& snapshot = *engine_.current();
    TrafficCounters& counters = *snapshot.counters;
    if (snapshot.model->globals.counters.empty() && counters.usage().empty()) return;
    std::string error;
    for (const auto& report : counters.roll(now, error))
        std::fprintf(stderr, "proxyd: traffic report written to %s\n", report.c_str());
    if (!error.empty()) std::fprintf(stderr, "proxyd: traffic report: %s\n", error.c_str());
    if (counters.newly_spent()) close_spent_sessions();
    // A reload may have dropped counters or named another file: saved at once.
    bool reloaded = snapshot.generation != generation_;
    generation_ = snapshot.generation;
    if (reloaded || now - last_save_ >= save_interval_seconds) save(now);
}

void CounterKeeper::flush() { save(std::time(nullptr)); }

void CounterKeeper::save(std::int64_t now) {
    const auto& snapshot = *engine_.current();
    const auto& path = snapshot.model->globals.counter_file.value.path;
    last_save_ = now;
    if (path.empty() || !snapshot.counters->dirty()) return;
    std::string error;
    if (snapshot.counters->save(outside_ + path, now, error)) {
        if (!last_error_.empty())
            std::fprintf(stderr, "proxyd: counter file %s written again\n", path.c_str());
        last_error_.clear();
        return;
    }
    if (error != last_error_)
        std::fprintf(stderr, "proxyd: counter file not saved: %s (counts are kept in memory)\n",
                     error.c_str());
    last_error_ = error;
}

void CounterKeeper::close_spent_sessions() {
    // Posted, not waited for: each worker closes its own on its next loop step.
    for (Worker* w : engine_.workers()) {
        w->loop().post([w] {
            std::vector<std::uint64_t> spent;
            w->sessions().for_each([&](Session& s) {
                if (!s.closed() && s.quota_spent()) spent.push_back(s.record().id);
            });
            for (auto id : spent)
                w->sessions().close(id, result::traffic_quota, "traffic quota exceeded");
        });
    }
}

}  // namespace proxyd
