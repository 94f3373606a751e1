// Process-level chores of a daemon: detaching from the terminal, the pidfile, and the
// file descriptor limit that 10,000 sessions need.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace proxyd {

// fork + setsid; the parent exits 0 once the child runs. stdin, stdout and stderr become
// /dev/null (nobody reads them after we detach).
bool daemonize(std::string& error);

// The config's `setgid GROUP` / `setuid USER` (names or numbers; empty: unchanged), applied
// once everything privileged is done (listeners, control socket, pidfile). Supplementary
// groups are dropped too, so no trace of root's groups stays behind.
bool drop_privileges(const std::string& user_name, const std::string& group_name,
                     std::string& error);

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
