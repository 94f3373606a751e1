// The client side of proxyd's control socket (docs/design.md, "Control protocol"): one JSON request
// line out, one JSON reply line back, over a Unix stream socket. Failures are values: the commands
// decide what to print and which exit status they mean.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

// The control protocol's own library: proxyctl links no daemon code.
#include "proxycontrol/protocol.hpp"

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
    nlohmann::json record;  // a refused reload's ReloadRecord (error.record), else null
    bool permission_denied = false;  // connect(2) said EACCES: the daemon runs, this user may not
};

// The error codes of failures on proxyctl's side, in --json output as error.code.
inline constexpr const char* err_unreachable = "unreachable";
inline constexpr const char* err_timeout = "timeout";
inline constexpr const char* err_bad_reply = "bad_reply";

// The failure as a reply envelope, as the daemon's own refusals are: what --json prints.
// `extra` members (reload's "signal") are added to the envelope.
nlohmann::json error_envelope(const ControlError& error, const nlohmann::json& extra = nullptr);

// A reply whose result is not what the command expects: reported on stderr, and with
// --json as a bad_reply envelope on stdout. Returns exit_unreachable, as any bad reply.
int malformed_result(const std::string& command_name, const std::string& what, bool json);

// Prints {"ok":true,"result":RESULT,"error":null} for --json, indented unless `one_line`.
// `extra` members (reload's "signal") are added to the envelope.
void print_ok_json(const nlohmann::json& result, bool one_line = false,
                   const nlohmann::json& extra = nullptr);

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

// Sends the request and, on failure, reports it on stderr and stores the exit status; with
// --json the failure's envelope goes to stdout too, so scripts always get one document.
std::optional<nlohmann::json> call(const std::string& command_name, const LiveOptions& options,
                                   const std::string& command, int& status,
                                   const nlohmann::json& args = nullptr,
                                   const nlohmann::json& extra = nullptr);

// call() with the result decoded as T (control::Status, control::DiffResult): a result of
// another shape is reported as malformed_result reports it, and gives nullopt too.
template <class T>
std::optional<T> call_as(const std::string& command, const LiveOptions& options, int& status) {
    auto result = call(command, options, command, status);
    if (!result) return std::nullopt;
    try {
        return result->get<T>();
    } catch (const nlohmann::json::exception& e) {
        status = malformed_result(command, e.what(), options.json);
        return std::nullopt;
    }
}

// A live command with no options of its own: the shared ones, its help footer, and `show`,
// which gets the reply's result decoded as Result and returns the exit status.
template <class Result>
void add_live_command(CLI::App& app, int& exit_status, const char* name, const char* description,
                      const char* footer, int (*show)(const Result&, const LiveOptions&)) {
    auto options = std::make_shared<LiveOptions>();
    auto* cmd = app.add_subcommand(name, description);
    add_live_options(cmd, *options);
    cmd->footer(footer);
    cmd->callback([options, name, show, &exit_status] {
        int status = 0;
        auto result = call_as<Result>(name, *options, status);
        exit_status = result ? show(*result, *options) : status;
    });
}

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
