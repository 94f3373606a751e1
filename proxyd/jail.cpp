#include "jail.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "proxycfg/util.hpp"

namespace proxyd {

Jail::Jail(const std::string& dir) {
    if (dir.empty()) return;
    dir_ = proxycfg::canonical_path(dir);
    while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
}

std::string Jail::inside(const std::string& host_path) const {
    if (!active() || dir_ == "/") return host_path;
    if (host_path == dir_) return "/";
    if (host_path.size() > dir_.size() && host_path.compare(0, dir_.size(), dir_) == 0 &&
        host_path[dir_.size()] == '/')
        return host_path.substr(dir_.size());
    return host_path;
}

bool Jail::enter(std::string& error) const {
    if (::chroot(dir_.c_str()) != 0) {
        error = "chroot " + dir_ + ": " + std::strerror(errno);
        return false;
    }
    if (::chdir("/") != 0) {
        error = "chdir / in chroot " + dir_ + ": " + std::strerror(errno);
        return false;
    }
    return true;
}

}  // namespace proxyd
