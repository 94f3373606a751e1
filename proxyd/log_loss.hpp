// Reports of access-log lines that could not be written. A target that fails (disk full,
// EIO, a directory made read-only) must not lose lines silently, nor flood standard error
// with a message per line: each failing target is reported at once, then at most once per
// interval with the number of lines lost since the last report, and once more when
// it takes lines again.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace proxyd {

class LogLossReporter {
  public:
    using TimePoint = std::chrono::steady_clock::time_point;
    static constexpr std::chrono::seconds default_interval{10};

    explicit LogLossReporter(std::chrono::seconds interval = default_interval)
        : interval_(interval) {}

    // A line for `target` was lost; `why` says how ("write: No space left on device").
    // Returns the message to print now, if one is due.
    std::optional<std::string> lost(const std::string& target, std::string_view why, TimePoint now);
    // A line for `target` was written: the recovery message if the target was failing.
    std::optional<std::string> written(const std::string& target);

  private:
    struct Failing {
        TimePoint last_report;
        std::uint64_t unreported = 0;  // lines lost since the last report
        std::uint64_t total = 0;       // lines lost since the target began to fail
    };
    std::chrono::seconds interval_;
    std::map<std::string, Failing> failing_;
};

}  // namespace proxyd
