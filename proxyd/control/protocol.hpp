// The control protocol between proxyd and proxyctl: newline-delimited JSON over a Unix
// stream socket, one request line, one reply line (HAProxy's runtime API in spirit).
// Header-only so proxyctl can use the same types without linking daemon code.
//
//   request: {"command":"status"}                          (\n-terminated, <= 64 KiB)
//            {"command":"reload","args":{"dry_run":true}}
//            {"command":"sessions","args":{"service":"socks:1080","user":"bob"}}
//            {"command":"diff"}
//            {"command":"kill","args":{"ids":[12,13]}}
//            {"command":"reopen-logs"}
//   reply:   {"ok":true,"result":{...}}
//            {"ok":false,"error":{"code":"unknown_command","message":"...","diagnostics":[...]}}
//
// Results: status -> Status; reload -> ReloadRecord (a refused reload is ok:false with code
// reload_failed, the diagnostics, and the record under error.record); sessions ->
// {"sessions":[SessionInfo...]} filtered by service (label), user and source (a CIDR);
// diff -> DiffResult; kill -> {"killed":[ids],"not_found":[ids]};
// reopen-logs -> {"reopened":true,"generation":N} (log files closed, nothing reloaded).
// A model change is {"kind":"added|removed|changed","area","subject","before","after",
// "file","line"} (proxycfg::ModelChange; never a secret). Paths in Status are absolute.
// Every reload attempt, whatever its trigger (usr1, hup, control, monitor), updates
// Status::last_reload.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <unistd.h>

namespace control {

inline constexpr std::size_t max_request_bytes = 64 * 1024;
// Requests nest three levels ({"args":{"ids":[...]}}); replies a few more. Anything deeper
// is refused while parsing: deep values are never built, so nothing walks them
// recursively (a copy or a dump of 30,000 nested arrays overflows a thread's stack).
inline constexpr int max_nesting = 16;
inline constexpr int protocol_version = 1;

// Error codes in replies.
inline constexpr const char* err_bad_json = "bad_json";
inline constexpr const char* err_unknown_command = "unknown_command";
inline constexpr const char* err_bad_args = "bad_args";
inline constexpr const char* err_too_large = "request_too_large";
inline constexpr const char* err_forbidden = "forbidden";
inline constexpr const char* err_reload_failed = "reload_failed";
inline constexpr const char* err_busy = "reload_in_progress";
inline constexpr const char* err_busy_clients = "too_many_connections";

struct LoadedFileInfo {
    std::string path;
    std::string sha256;
    std::int64_t mtime_ns = 0;
    std::uint64_t size = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LoadedFileInfo, path, sha256, mtime_ns, size)

struct ClosedSession {
    std::uint64_t id = 0;
    std::string service;
    std::string user;
    std::string client;
    std::string reason;  // "user removed", "password changed", "ACL now denies", "service removed"
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ClosedSession, id, service, user, client, reason)

struct SessionCounts {
    std::uint64_t checked = 0;
    std::uint64_t kept = 0;
    std::uint64_t closed = 0;
    std::vector<ClosedSession> closed_sessions;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SessionCounts, checked, kept, closed,
                                                closed_sessions)

struct ListenerCounts {
    std::uint64_t kept = 0;
    std::uint64_t opened = 0;
    std::uint64_t closed = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ListenerCounts, kept, opened, closed)

// One reload attempt (DESIGN.md section 4).
struct ReloadRecord {
    std::uint64_t generation = 0;    // the generation running after the attempt
    std::string trigger;             // "start", "usr1", "hup", "control", "monitor"
    std::int64_t started_at_ms = 0;  // unix time
    std::uint64_t duration_us = 0;
    std::string result;                                    // "ok", "failed", "dry_run"
    nlohmann::json diagnostics = nlohmann::json::array();  // proxyctl check's json entries
    nlohmann::json changes = nlohmann::json::array();      // proxycfg::ModelChange entries
    SessionCounts sessions;
    ListenerCounts listeners;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ReloadRecord, generation, trigger, started_at_ms,
                                                duration_us, result, diagnostics, changes, sessions,
                                                listeners)

struct Status {
    int protocol = protocol_version;
    std::int64_t pid = 0;
    std::string version;
    std::string config;
    std::uint64_t generation = 0;
    std::int64_t started_at_ms = 0;
    std::vector<LoadedFileInfo> files;
    std::optional<ReloadRecord> last_reload;  // the last attempt, whatever its result
    std::uint64_t sessions_total = 0;
    nlohmann::json sessions_by_service = nlohmann::json::object();  // label -> count
    std::vector<std::uint64_t> generations_with_sessions;           // still pinned
    // Generations with sessions on services the running configuration marks force: the
    // ones a re-checking reload would hold to the current users and ACLs. Absent (nullopt)
    // from a daemon that predates the field.
    std::optional<std::vector<std::uint64_t>> generations_with_force_sessions;
};

struct SessionInfo {
    std::uint64_t id = 0;
    std::string service;
    std::string user;    // "" when none
    std::string client;  // "127.0.0.1:53211"
    std::string target;  // "example.com:443"
    std::string operation;
    std::uint64_t bytes_in = 0;   // from the client
    std::uint64_t bytes_out = 0;  // to the client
    std::int64_t started_at_ms = 0;
    std::int64_t last_activity_ms = 0;
    std::uint64_t generation = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SessionInfo, id, service, user, client, target,
                                                operation, bytes_in, bytes_out, started_at_ms,
                                                last_activity_ms, generation)

struct FileChange {
    std::string path;
    std::string loaded_sha256;
    std::string current_sha256;  // "" when the file is gone
    std::int64_t loaded_mtime_ns = 0;
    std::int64_t current_mtime_ns = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(FileChange, path, loaded_sha256, current_sha256,
                                                loaded_mtime_ns, current_mtime_ns)

struct DiffResult {
    bool differs = false;
    std::vector<FileChange> files;
    nlohmann::json changes = nlohmann::json::array();      // proxycfg::ModelChange entries
    std::vector<ClosedSession> impact;                     // sessions a reload would close
    nlohmann::json diagnostics = nlohmann::json::array();  // when the files on disk are broken
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DiffResult, differs, files, changes, impact,
                                                diagnostics)

// optional<> needs hand-written conversions in nlohmann 3.11.
inline void to_json(nlohmann::json& j, const Status& s) {
    j = nlohmann::json{
        {"protocol", s.protocol},
        {"pid", s.pid},
        {"version", s.version},
        {"config", s.config},
        {"generation", s.generation},
        {"started_at_ms", s.started_at_ms},
        {"files", s.files},
        {"last_reload", s.last_reload ? nlohmann::json(*s.last_reload) : nlohmann::json()},
        {"sessions_total", s.sessions_total},
        {"sessions_by_service", s.sessions_by_service},
        {"generations_with_sessions", s.generations_with_sessions},
        {"generations_with_force_sessions", s.generations_with_force_sessions
                                                ? nlohmann::json(*s.generations_with_force_sessions)
                                                : nlohmann::json()}};
}

inline void from_json(const nlohmann::json& j, Status& s) {
    s.protocol = j.value("protocol", protocol_version);
    s.pid = j.value("pid", std::int64_t{0});
    s.version = j.value("version", "");
    s.config = j.value("config", "");
    s.generation = j.value("generation", std::uint64_t{0});
    s.started_at_ms = j.value("started_at_ms", std::int64_t{0});
    if (j.contains("files")) s.files = j.at("files").get<std::vector<LoadedFileInfo>>();
    if (j.contains("last_reload") && !j.at("last_reload").is_null())
        s.last_reload = j.at("last_reload").get<ReloadRecord>();
    s.sessions_total = j.value("sessions_total", std::uint64_t{0});
    s.sessions_by_service = j.value("sessions_by_service", nlohmann::json::object());
    if (j.contains("generations_with_sessions"))
        s.generations_with_sessions =
            j.at("generations_with_sessions").get<std::vector<std::uint64_t>>();
    if (j.contains("generations_with_force_sessions") &&
        !j.at("generations_with_force_sessions").is_null())
        s.generations_with_force_sessions =
            j.at("generations_with_force_sessions").get<std::vector<std::uint64_t>>();
}

// Parses one protocol line. Malformed JSON and nesting deeper than max_nesting both give a
// discarded value; `too_deep` tells the two apart for the error message.
inline nlohmann::json parse_line(std::string_view line, bool* too_deep = nullptr) {
    bool deep = false;
    auto limit_depth = [&deep](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
        bool opens = event == nlohmann::json::parse_event_t::object_start ||
                     event == nlohmann::json::parse_event_t::array_start;
        if (opens && depth > max_nesting) deep = true;
        // A discarded start skips the whole value: nothing below it is stored.
        return !deep;
    };
    nlohmann::json value = nlohmann::json::parse(line, limit_depth, false);
    if (too_deep) *too_deep = deep;
    if (deep) return nlohmann::json(nlohmann::json::value_t::discarded);
    return value;
}

inline nlohmann::json ok_reply(nlohmann::json result) {
    return {{"ok", true}, {"result", std::move(result)}};
}

inline nlohmann::json error_reply(const std::string& code, const std::string& message,
                                  nlohmann::json diagnostics = nlohmann::json::array()) {
    return {
        {"ok", false},
        {"error", {{"code", code}, {"message", message}, {"diagnostics", std::move(diagnostics)}}}};
}

// Root's default control socket: inside the systemd unit's RuntimeDirectory, so proxyd,
// proxyctl, the unit, logrotate and the Ansible role agree without options. CMake passes
// the configured path (PROXYD_CONTROL_SOCKET) to every target.
#ifndef PROXYD_CONTROL_SOCKET
#define PROXYD_CONTROL_SOCKET "/run/proxyd/proxyd.sock"
#endif
inline constexpr const char* system_socket_path = PROXYD_CONTROL_SOCKET;

// Root: system_socket_path; other users: their XDG runtime directory.
inline std::string default_socket_path() {
    if (::geteuid() == 0) return system_socket_path;
    if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg && *xdg)
        return std::string(xdg) + "/proxyd.sock";
    return "/run/user/" + std::to_string(::geteuid()) + "/proxyd.sock";
}

// The defaults as --help shows them, whoever asks.
inline std::string default_socket_help() {
    return std::string(system_socket_path) + " for root, else $XDG_RUNTIME_DIR/proxyd.sock";
}

}  // namespace control
