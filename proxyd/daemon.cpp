#include "daemon.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include "fd.hpp"
#include "file_replace.hpp"

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

namespace {

// A user or group as a number, else by name through `by_name`; nullopt when it is neither
// (a number too large for the id type included).
template <class Id, class ByName>
std::optional<Id> id_of(const std::string& text, ByName by_name) {
    Id n{};
    const char* end = text.data() + text.size();
    if (auto r = std::from_chars(text.data(), end, n);
        !text.empty() && r.ec == std::errc() && r.ptr == end)
        return n;
    if (text.find_first_not_of("0123456789") == std::string::npos) return std::nullopt;
    return by_name(text.c_str());
}

std::optional<gid_t> group_id(const std::string& name) {
    return id_of<gid_t>(name, [](const char* n) -> std::optional<gid_t> {
        if (const struct group* g = ::getgrnam(n)) return g->gr_gid;
        return std::nullopt;
    });
}

std::optional<uid_t> user_id(const std::string& name) {
    return id_of<uid_t>(name, [](const char* n) -> std::optional<uid_t> {
        if (const struct passwd* p = ::getpwnam(n)) return p->pw_uid;
        return std::nullopt;
    });
}

}  // namespace

std::optional<Account> look_up_account(const std::string& user_name, const std::string& group_name,
                                       std::string& error) {
    Account a{user_name, group_name, std::nullopt, std::nullopt};
    if (!group_name.empty() && !(a.gid = group_id(group_name))) {
        error = "setgid " + group_name + ": no such group";
        return std::nullopt;
    }
    if (!user_name.empty() && !(a.uid = user_id(user_name))) {
        error = "setuid " + user_name + ": no such user";
        return std::nullopt;
    }
    return a;
}

bool drop_privileges(const Account& account, std::string& error) {
    if (!account.uid && !account.gid) return true;
    if (::geteuid() == 0 && ::setgroups(0, nullptr) != 0) {
        error = std::string("setgroups: ") + std::strerror(errno);
        return false;
    }
    if (account.gid && ::setgid(*account.gid) != 0) {
        error = "setgid " + account.group_name + ": " + std::strerror(errno);
        return false;
    }
    if (account.uid && ::setuid(*account.uid) != 0) {
        error = "setuid " + account.user_name + ": " + std::strerror(errno);
        return false;
    }
    return true;
}

std::optional<Pidfile> Pidfile::create(const std::string& path, std::string& error) {
    // A reader sees no file or the whole pid, never an empty file.
    if (!replace_file(path, std::to_string(::getpid()) + "\n", 0644, error)) {
        error = "cannot write pidfile " + path + ": " + error.substr(error.find(": ") + 2);
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
