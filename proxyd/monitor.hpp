// `monitor FILE`: inotify watches on the directories of the monitored files (editors and
// config management replace files by rename, which a watch on the file itself would miss),
// debounced so that a burst of writes gives one reload once the files have been quiet.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "event_loop.hpp"
#include "fd.hpp"

namespace proxyd {

class FileMonitor final : public IoHandler {
  public:
    FileMonitor(EventLoop& loop, std::chrono::milliseconds quiet, std::function<void()> on_change);
    ~FileMonitor();
    FileMonitor(const FileMonitor&) = delete;
    FileMonitor& operator=(const FileMonitor&) = delete;

    // Replaces the watched set (after every reload: the files may have changed).
    void watch(const std::vector<std::string>& files);
    void on_io(std::uint32_t events) override;
    void on_tick();  // fires on_change once the quiet period has passed

  private:
    EventLoop& loop_;
    std::chrono::milliseconds quiet_;
    std::function<void()> on_change_;
    UniqueFd fd_;
    std::map<int, std::string> directories_;  // watch descriptor -> directory
    std::set<std::string> files_;             // absolute paths
    std::optional<Clock::time_point> due_;
};

}  // namespace proxyd
