#include "daemon.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "fd.hpp"

namespace proxyd {

bool daemonize(std::string& error) {
    pid_t pid = ::fork();
    if (pid < 0) {
        error = std::string("fork: ") + std::strerror(errno);
        return false;
    }
    if (pid > 0) std::_Exit(0);
    if (::setsid() < 0) {
        error = std::string("setsid: ") + std::strerror(errno);
        return false;
    }
    // A daemon lets go of the terminal or pipe it was started from: whoever started it
    // has returned and reads no more, so a later message (a reload's diagnostics) would
    // fill that pipe and block the daemon, or hold a caller waiting for end of file. What
    // those messages say is also in the reload record (`proxyctl status`).
    UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (null) {
        ::dup2(null.get(), STDIN_FILENO);
        ::dup2(null.get(), STDOUT_FILENO);
        ::dup2(null.get(), STDERR_FILENO);
    }
    return true;
}

std::optional<Pidfile> Pidfile::create(const std::string& path, std::string& error) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) {
        error = "cannot write pidfile " + path + ": " + std::strerror(errno);
        return std::nullopt;
    }
    std::string text = std::to_string(::getpid()) + "\n";
    if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
        error = "cannot write pidfile " + path + ": " + std::strerror(errno);
        return std::nullopt;
    }
    return Pidfile(path);
}

Pidfile::~Pidfile() {
    if (!path_.empty()) ::unlink(path_.c_str());
}

unsigned long raise_fd_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
    // Root may lift the hard limit too; 1M fds is ~160k sessions worth of headroom.
    constexpr rlim_t wanted = 1 << 20;
    if (limit.rlim_max < wanted) {
        rlimit raised{wanted, wanted};
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) return wanted;
    }
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
    return limit.rlim_cur;
}

}  // namespace proxyd
