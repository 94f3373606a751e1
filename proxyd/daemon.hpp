// Process-level chores of a daemon: detaching from the terminal, the pidfile, and the
// file descriptor limit that 10,000 sessions need.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>

namespace proxyd {

// fork + setsid; the parent exits 0 once the child runs. stdin, stdout and stderr become
// /dev/null (nobody reads them after we detach).
bool daemonize(std::string& error);

// The ids of the config's `setuid USER` / `setgid GROUP` (or chroot's USER GROUP), names
// or numbers; empty: unchanged. Looked up before a chroot, which hides /etc/passwd.
struct Account {
    std::string user_name;
    std::string group_name;
    std::optional<uid_t> uid;
    std::optional<gid_t> gid;
};
std::optional<Account> look_up_account(const std::string& user_name, const std::string& group_name,
                                       std::string& error);

// Becomes `account`, once everything privileged is done (listeners, control socket,
// pidfile, chroot). Supplementary groups are dropped too, so no trace of root's groups
// stays behind.
bool drop_privileges(const Account& account, std::string& error);

// Writes our pid; removes the file on destruction (clean exit).
class Pidfile {
  public:
    static std::optional<Pidfile> create(const std::string& path, std::string& error);
    Pidfile(Pidfile&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
    Pidfile& operator=(Pidfile&& other) noexcept {
        std::swap(path_, other.path_);
        return *this;
    }
    Pidfile(const Pidfile&) = delete;
    ~Pidfile();

  private:
    explicit Pidfile(std::string path) : path_(std::move(path)) {}
    std::string path_;
};

// Raises RLIMIT_NOFILE as far as allowed (each session holds 2 sockets and up to 4 pipe
// ends). Returns the soft limit now in force.
unsigned long raise_fd_limit();

}  // namespace proxyd
