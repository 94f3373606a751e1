// The access log: one line per finished session, in 3proxy's `logformat` language.
// Shared by every worker; lines are written whole under a lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "fd.hpp"
#include "log_loss.hpp"
#include "proxycfg/model.hpp"
#include "session_record.hpp"

namespace proxyd {

// Result codes for the %E field. 0 and the 1-9 authentication codes follow 3proxy
// (src/auth.c); the rest are proxyd's, grouped so that a log reader can tell the stage.
namespace result {
constexpr int ok = 0;
constexpr int acl_denied = 1;
constexpr int acl_no_match = 3;
constexpr int no_credentials = 4;
constexpr int unknown_user = 5;
constexpr int bad_password = 6;
constexpr int unsupported_auth = 9;
constexpr int maxconn = 10;
constexpr int connlim = 10;              // 3proxy's code for a connlim refusal
constexpr int traffic_quota = 10;        // 3proxy's code for a counter at its limit
constexpr int handshake_displaced = 11;  // a newer client needed the slot (Worker::accept)
constexpr int cached_elsewhere = 12;     // authcache limit: the login is cached for another address
constexpr int protocol_error = 20;       // malformed or unsupported request
constexpr int header_too_large = 21;
constexpr int command_unsupported = 22;
constexpr int resolve_failed = 30;
constexpr int connect_failed = 31;
constexpr int upstream_error = 32;  // upstream broke the protocol (HTTP)
constexpr int parent_failed = 33;   // a parent proxy could not be reached, or refused
constexpr int bind_failed = 34;     // SOCKS BIND: no listening socket, or a stranger connected
constexpr int handshake_timeout = 91;
constexpr int idle_timeout = 92;  // 3proxy's code for the same event
constexpr int connect_timeout = 93;
constexpr int bind_timeout = 94;  // SOCKS BIND: nobody connected in time
constexpr int shutdown = 95;
constexpr int closed_by_operator = 96;  // kill / reload re-check
constexpr int io_error = 97;
constexpr int drain_timeout = 98;  // kept on a superseded generation past --drain-timeout
}  // namespace result

// Everything a log line can show.
struct LogFields {
    std::chrono::system_clock::time_point time;
    std::string_view service;       // %N
    std::uint16_t port = 0;         // %p
    int error = 0;                  // %E
    std::string_view reason;        // %e (proxyd extension: the result in words)
    std::string_view user;          // %U ("-" when none)
    std::string client_ip;          // %C
    std::uint16_t client_port = 0;  // %c
    std::string remote_host;        // %R (address if known, else the requested name)
    std::uint16_t remote_port = 0;  // %r
    std::string hostname;           // %n (the requested name or address)
    std::uint64_t bytes_in = 0;     // %I (from the remote side)
    std::uint64_t bytes_out = 0;    // %O (from the client)
    std::string_view request;       // %T
    std::uint64_t session_id = 0;   // %i (proxyd extension)
};

// The format used when the configuration has no `logformat`.
constexpr std::string_view default_log_format =
    "L%Y-%m-%d %H:%M:%S %N %p %E %U %C:%c %n:%r %I %O %e %T";

// Expands a 3proxy logformat. A leading 'L' (local time) or 'G' (GMT) selects the clock;
// an optional "-CHARS+" prefix lists characters to replace with '+' inside fields (3proxy
// uses it to keep fields space-free). Unknown % letters are copied as they are.
std::string format_log_line(std::string_view format, const LogFields& fields);

LogFields log_fields_for(const SessionRecord& record, int error, std::string_view reason,
                         std::chrono::system_clock::time_point now);

class AccessLog {
  public:
    explicit AccessLog(
        std::chrono::seconds loss_report_interval = LogLossReporter::default_interval)
        : losses_(loss_report_interval) {}

    // Writes the line to the service's log target (LogSettings): stdout when the target is
    // empty, nothing for /dev/null or when logging is off, else the file (opened on first
    // use, appended). A line that cannot be written is reported on stderr, rate-limited.
    void write(const proxycfg::LogSettings& settings, const LogFields& fields);
    // Closes files so the next line reopens them (SIGHUP, log rotation).
    void reopen();

  private:
    // -1 with `error` set when the file cannot be opened.
    int fd_for(const std::string& target, std::string& error);
    std::mutex mutex_;
    std::map<std::string, UniqueFd> files_;
    LogLossReporter losses_;
};

}  // namespace proxyd
