// Small helpers the library, proxyd and proxyctl all need, each written once.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace proxycfg {

// Owns a file descriptor: every descriptor the project opens lives in one of these.
class UniqueFd {
  public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) reset(std::exchange(other.fd_, -1));
        return *this;
    }
    ~UniqueFd() { reset(); }

    int get() const { return fd_; }
    bool valid() const { return fd_ >= 0; }
    explicit operator bool() const { return valid(); }
    int release() { return std::exchange(fd_, -1); }
    void reset(int fd = -1) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

  private:
    int fd_ = -1;
};

// A file's modification time in nanoseconds since the Unix epoch, as status reports it.
inline std::int64_t mtime_ns(const struct stat& st) {
    return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

// Milliseconds since the Unix epoch: the unit of every time the control protocol reports.
inline std::int64_t unix_ms(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// realpath(3), or the path as given when it cannot be resolved (a removed file).
std::string canonical_path(const std::string& path);

// Whether to colour output on `fd`: a terminal, and NO_COLOR not set to a non-empty value
// (https://no-color.org). An explicit --color always/never is the caller's to apply.
bool color_enabled(int fd);

// Control bytes and invalid UTF-8 as \xNN: a configuration's bytes never reach a
// terminal, a log or a JSON document raw.
std::string printable(std::string_view s);

// "host:port", an IPv6 address in brackets ("[::1]:1080") so that its last group is not
// read as the port: the one way an address or name with a port is written.
inline std::string host_port(std::string_view host, unsigned port) {
    bool bracket = host.find(':') != std::string_view::npos && !host.starts_with('[');
    std::string out;
    out.reserve(host.size() + 8);
    if (bracket) out += '[';
    out += host;
    if (bracket) out += ']';
    out += ':';
    out += std::to_string(port);
    return out;
}

}  // namespace proxycfg
