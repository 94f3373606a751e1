#include "log_loss.hpp"

namespace proxyd {

namespace {
std::string lines(std::uint64_t n) {
    return std::to_string(n) + (n == 1 ? " line" : " lines");
}
}  // namespace

std::optional<std::string> LogLossReporter::lost(const std::string& target, std::string_view why,
                                                 TimePoint now) {
    auto [it, first] = failing_.try_emplace(target);
    Failing& f = it->second;
    ++f.unreported;
    ++f.total;
    if (!first && now - f.last_report < interval_) return std::nullopt;
    std::string message = "log " + target + ": " + std::string(why) + "; " + lines(f.unreported) +
                          " lost" +
                          (first ? " (reported at most every " + std::to_string(interval_.count()) +
                                       " s until it recovers)"
                                 : " since the last report");
    f.last_report = now;
    f.unreported = 0;
    return message;
}

std::optional<std::string> LogLossReporter::written(const std::string& target) {
    if (failing_.empty()) return std::nullopt;  // the common case costs no lookup
    auto it = failing_.find(target);
    if (it == failing_.end()) return std::nullopt;
    std::string message =
        "log " + target + ": writing again; " + lines(it->second.total) + " lost in all";
    if (it->second.unreported != 0)
        message += " (" + lines(it->second.unreported) + " since the last report)";
    failing_.erase(it);
    return message;
}

}  // namespace proxyd
