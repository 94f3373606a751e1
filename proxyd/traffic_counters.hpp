// Traffic counters and quotas (`countin`, `countout`, `countall`): one count per counter
// line, shared by every session (on every worker) it applies to, carried across reloads
// while the line's definition is unchanged, reset at the start of each of its periods,
// and kept in the `counter` file between runs (its format: proxyd.cfg(5), `counter`).
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "proxycfg/model.hpp"

namespace proxyd {

// One counter's live count. Sessions add to it without a lock; the period it counts is
// the owner's business (TrafficCounters::roll).
struct CounterState {
    std::atomic<std::uint64_t> bytes{0};
    std::atomic<std::int64_t> period_start{0};  // unix time the current period began
    std::atomic<bool> over{false};              // at or above its limit at the last sweep
};

// A session's share in one counter: which of its directions count, and the limit it is
// held to (the limit of the generation it was matched under).
struct CounterUse {
    std::shared_ptr<CounterState> state;
    std::uint64_t limit = 0;  // bytes
    bool to_client = false;
    bool to_server = false;
    bool spent() const { return state->bytes.load(std::memory_order_relaxed) >= limit; }
};

// The start of the period that `now` falls in (local time); 0 for CounterPeriod::never.
// Weeks start on Monday.
std::int64_t period_start(proxycfg::CounterPeriod period, std::int64_t now);

// The report file name for the period that began at `start`: REPORT with its strftime
// fields filled in, or, without any, REPORT plus a date suffix as 3proxy writes it.
std::string report_name(const std::string& pattern, proxycfg::CounterPeriod period,
                        std::int64_t start);

class TrafficCounters {
  public:
    // One state per counter of `model` (null for exceptions), index-aligned with
    // model.globals.counters: the state already kept for the same key, else a new one
    // (seeded from the loaded file). Changes nothing here: a dry run may call it.
    std::vector<std::shared_ptr<CounterState>> states_for(const proxycfg::Model& model,
                                                          std::int64_t now) const;
    // The generation that `states` were made for is live: its counters are the ones
    // saved, reported and reset from now on; the others are forgotten.
    void commit(std::shared_ptr<const proxycfg::Model> model,
                std::vector<std::shared_ptr<CounterState>> states);

    // Reads the counter file (a missing file is an empty one). Counts whose period has
    // ended since they were saved start from zero. False with `error` set when the file
    // exists but cannot be read as a counter file.
    // Counters already committed take their saved counts.
    bool load(const std::string& path, std::string& error);
    // Writes the committed counters with a number (N > 0) atomically: a crash leaves the
    // old file or the new one. Keeps what the file held for counters not configured now.
    bool save(const std::string& path, std::int64_t now, std::string& error);

    // Starts a new period for every counter whose period has ended, and, when the report
    // period has ended, writes the report of the period that ended (before any reset).
    // Returns the reports written and any error in `error`.
    std::vector<std::string> roll(std::int64_t now, std::string& error);

    // Counters that reached their limit since the last call (each reported once per
    // crossing): the sessions they count may have to close.
    bool newly_spent();

    struct Usage {
        const proxycfg::TrafficCounter* line = nullptr;  // in the committed model
        std::uint64_t bytes = 0;
        std::int64_t period_start = 0;
    };
    std::vector<Usage> usage() const;
    // Whether anything was counted or reset since the last save.
    bool dirty() const;
    const proxycfg::Model* model() const { return model_.get(); }

  private:
    struct Saved {
        std::uint64_t bytes = 0;
        std::int64_t period_start = 0;
    };
    bool write_report(const proxycfg::CounterFile& file, std::int64_t start, std::int64_t end,
                      std::string& error) const;

    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<CounterState>> by_key_;
    std::map<std::string, Saved> saved_;  // from the file, for counters not (yet) configured
    std::shared_ptr<const proxycfg::Model> model_;  // the committed generation's
    std::vector<std::shared_ptr<CounterState>> states_;
    std::int64_t report_start_ = 0;
    std::uint64_t saved_total_ = 0;  // the sum of the counts at the last save
    bool reset_since_save_ = false;
};

}  // namespace proxyd
