// The client side of proxyd's control socket (docs/design.md, "Control protocol"): one JSON request
// line out, one JSON reply line back, over a Unix stream socket. Failures are values: the commands
// decide what to print and which exit status they mean.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

// proxyd's control protocol types are header-only so proxyctl uses them without linking
// daemon code.
#include "control/protocol.hpp"

namespace proxyctl {

struct ControlError {
    enum class Kind : std::uint8_t {
        unreachable,  // no socket, connection refused, permission denied
        timeout,      // connected, but no complete reply in time
        bad_reply,    // the reply is not the protocol's JSON
        refused,      // {"ok":false,...}: the daemon answered with an error
    };
    Kind kind = Kind::unreachable;
    std::string socket_path;
    std::string message;
    std::string code;                                      // the reply's error.code
    nlohmann::json diagnostics = nlohmann::json::array();  // check's json entries
};

struct ControlReply {
    std::optional<nlohmann::json> result;  // set when the daemon said ok
    ControlError error;                    // meaningful when !result
    bool ok() const { return result.has_value(); }
};

// --socket, else PROXYCTL_SOCKET, else control::default_socket_path().
std::string socket_path(const std::string& from_option);

// How long to wait for a reply: PROXYCTL_TIMEOUT (seconds, fractions allowed), else 10 s
// (a reload re-checks every session and may take a while).
std::chrono::milliseconds reply_timeout();

// Connects, sends {"command":..,"args":..}, reads one reply line. `args` null = none.
ControlReply request(const std::string& path, const std::string& command,
                     const nlohmann::json& args = nullptr,
                     std::chrono::milliseconds timeout = reply_timeout());

// Prints the failure for people on `err` (message, hint, diagnostics) and returns the exit
// status it means: 1 when the daemon refused, 3 when it could not be asked.
int report(const ControlError& error, const std::string& command_name, std::ostream& err);

// Renders diagnostics in `proxyctl check`'s json entry format as check's text output,
// with the source line and caret when the file can still be read.
void print_diagnostics(std::ostream& out, const nlohmann::json& diagnostics);

// The options every live command shares.
struct LiveOptions {
    std::string socket;
    bool json = false;
};
void add_live_options(CLI::App* cmd, LiveOptions& options);

// Sends the request and, on failure, reports it on stderr and stores the exit status.
std::optional<nlohmann::json> call(const std::string& command_name, const LiveOptions& options,
                                   const std::string& command, int& status,
                                   const nlohmann::json& args = nullptr);

// --- rendering helpers for people -----------------------------------------------------
std::string human_bytes(std::uint64_t bytes);       // "512 B", "1.5 KiB", "3.2 GiB"
std::string human_duration(std::int64_t ms);        // "850ms", "12s", "4m05s", "3h02m", "2d04h"
std::string human_micros(std::uint64_t us);         // "840us", "12.3ms", "1.20s"
std::string local_time_ms(std::int64_t unix_ms);    // "2025-01-31 14:02:11"; "-" for 0
std::string short_hash(const std::string& sha256);  // the first 12 hex digits
std::int64_t now_ms();
// One model change ({"kind","area","subject","before","after"}) as "+ area subject ...".
std::string render_change(const nlohmann::json& change);
void print_record(std::ostream& out, const control::ReloadRecord& record);

}  // namespace proxyctl
