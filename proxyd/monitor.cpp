#include "monitor.hpp"

#include <sys/epoll.h>
#include <sys/inotify.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace proxyd {

namespace {
constexpr std::uint32_t watched_events =
    IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_ATTRIB;

std::string directory_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}
}  // namespace

FileMonitor::FileMonitor(EventLoop& loop, std::chrono::milliseconds quiet,
                         std::function<void()> on_change)
    : loop_(loop), quiet_(quiet), on_change_(std::move(on_change)) {}

FileMonitor::~FileMonitor() {
    if (fd_) loop_.remove(fd_.get());
}

void FileMonitor::watch(const std::vector<std::string>& files) {
    std::set<std::string> wanted(files.begin(), files.end());
    if (wanted == files_) return;
    if (fd_) loop_.remove(fd_.get());
    fd_.reset();
    directories_.clear();
    files_ = std::move(wanted);
    if (files_.empty()) return;
    fd_ = UniqueFd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!fd_) {
        std::fprintf(stderr, "proxyd: monitor: inotify: %s\n", std::strerror(errno));
        return;
    }
    std::set<std::string> dirs;
    for (const auto& f : files_) dirs.insert(directory_of(f));
    for (const auto& d : dirs) {
        int wd = ::inotify_add_watch(fd_.get(), d.c_str(), watched_events);
        if (wd < 0) {
            std::fprintf(stderr, "proxyd: monitor: cannot watch %s: %s\n", d.c_str(),
                         std::strerror(errno));
            continue;
        }
        directories_[wd] = d;
    }
    loop_.add(fd_.get(), EPOLLIN, this);
}

void FileMonitor::on_io(std::uint32_t) {
    alignas(inotify_event) char buffer[8192];
    for (;;) {
        ssize_t n = ::read(fd_.get(), buffer, sizeof buffer);
        if (n <= 0) return;
        for (char* p = buffer; p < buffer + n;) {
            auto* e = reinterpret_cast<inotify_event*>(p);
            p += sizeof(inotify_event) + e->len;
            auto dir = directories_.find(e->wd);
            if (dir == directories_.end() || e->len == 0) continue;
            std::string path =
                dir->second == "/" ? "/" + std::string(e->name) : dir->second + "/" + e->name;
            // Every event restarts the quiet period: one reload per burst of writes.
            if (files_.count(path)) due_ = Clock::now() + quiet_;
        }
    }
}

void FileMonitor::on_tick() {
    if (!due_ || Clock::now() < *due_) return;
    due_.reset();
    on_change_();
}

}  // namespace proxyd
