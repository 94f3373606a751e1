// The daemon's side of traffic counters that no session drives: loading the counter file
// at start, saving it (every few seconds while counts move, and at exit), starting new
// periods and writing reports, and closing the sessions of a counter that another
// session pushed over its limit. Runs on the control thread.
#pragma once

#include <cstdint>
#include <string>

namespace proxyd {

class ReloadEngine;

class CounterKeeper {
  public:
    // `outside` is prefixed to the counter file's path until the process is confined:
    // the configuration names it as it is inside a chroot.
    CounterKeeper(ReloadEngine& engine, std::string outside) : engine_(engine), outside_(std::move(outside)) {}

    // Reads the counter file the running configuration names (none: nothing to do).
    // False with `error` set when it exists and cannot be read as one.
    bool load(std::string& error);
    // Confined now: paths are as the configuration writes them.
    void confined() { outside_.clear(); }
    void on_tick();
    // Saves now if anything changed (clean exit).
    void flush();

  private:
    void save(std::int64_t now);
    void close_spent_sessions();

    ReloadEngine& engine_;
    std::string outside_;
    std::int64_t last_second_ = 0;
    std::int64_t last_save_ = 0;
    std::uint64_t generation_ = 1;
    std::string last_error_;  // said once until it changes or clears
};

}  // namespace proxyd
