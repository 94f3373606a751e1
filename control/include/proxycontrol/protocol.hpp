// The control protocol between proxyd and proxyctl: newline-delimited JSON over a Unix
// stream socket, one request line, one reply line (HAProxy's runtime API in spirit).
// A library of its own so proxyctl uses the same types without linking daemon code.
// docs/schemas/control-reply.schema.json is the published shape of every reply.
//
//   request: {"command":"status"}                          (\n-terminated, <= 64 KiB)
//            {"command":"reload","args":{"dry_run":true}}
//            {"command":"sessions","args":{"service":"socks:1080","user":"bob"}}
//            {"command":"diff"}
//            {"command":"kill","args":{"ids":[12,13]}}
//            {"command":"reopen-logs"}
//   reply:   {"ok":true,"result":{...},"error":null}
//            {"ok":false,"result":null,"error":{"code":"unknown_command","message":"...",
//                                               "diagnostics":[...],"record":null}}
//
// Every reply has the three keys whatever happens; a value that does not exist is null,
// never "" or 0 (a session without a user, a file that is gone, a diagnostic without a
// position).
// Results: status -> Status; reload -> ReloadRecord (a refused reload is ok:false with code
// reload_failed, the diagnostics, and the record under error.record); sessions ->
// {"sessions":[SessionInfo...]} filtered by service (label), user and source (a CIDR);
// diff -> DiffResult; kill -> {"killed":[ids],"not_found":[ids]};
// reopen-logs -> {"reopened":true,"generation":N} (log files closed, nothing reloaded).
// A model change is {"kind":"added|removed|changed","area","subject","before","after",
// "file","line"} (proxycfg::model_change_json; never a secret). Paths in Status are absolute.
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
    std::string user;    // "" when none (null on the wire)
    std::string client;  // "" when unknown (null on the wire)
    std::string reason;  // "user removed", "password changed", "ACL now denies", "service removed"
};
void to_json(nlohmann::json& j, const ClosedSession& c);
void from_json(const nlohmann::json& j, ClosedSession& c);

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

// What a reload did to the auth cache: the logins it dropped because the new
// configuration no longer grants them, and how many remain.
struct AuthCacheCounts {
    std::uint64_t dropped = 0;
    std::uint64_t entries = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AuthCacheCounts, dropped, entries)

// One reload attempt, whatever its trigger and result (proxyd(8), RELOAD).
struct ReloadRecord {
    std::uint64_t generation = 0;    // the generation running after the attempt
    std::string trigger;             // "start", "usr1", "hup", "control", "monitor"
    std::int64_t started_at_ms = 0;  // unix time
    std::uint64_t duration_us = 0;
    std::string result;  // "ok", "failed", "dry_run"
    // Encoded by proxycfg::diagnostic_json and proxycfg::model_change_json, the one codec of
    // each; kept as JSON here because proxyctl reads them without the sources.
    nlohmann::json diagnostics = nlohmann::json::array();
    nlohmann::json changes = nlohmann::json::array();
    SessionCounts sessions;
    ListenerCounts listeners;
    AuthCacheCounts auth_cache;
};
// Reading one normalizes its diagnostics and changes (normalized_diagnostics(),
// normalized_changes()), so proxyctl writes the published shape whatever it was sent.
void to_json(nlohmann::json& j, const ReloadRecord& r);
void from_json(const nlohmann::json& j, ReloadRecord& r);

// One traffic counter's usage in the current period (status).
struct CounterUsage {
    std::uint32_t number = 0;  // N; 0: not saved in the counter file
    std::string comment;
    std::string kind;    // "in", "out", "all"
    std::string period;  // "never", "minutely", "hourly", "daily", "weekly", "monthly", "annually"
    std::uint64_t bytes = 0;
    std::uint64_t limit_bytes = 0;
    std::int64_t period_start_ms = 0;  // 0 for "never"
    std::string acl;                   // the ACL fields as written ("" for all)
    std::string file;
    std::uint32_t line = 0;
};
void to_json(nlohmann::json& j, const CounterUsage& c);
void from_json(const nlohmann::json& j, CounterUsage& c);

// A live session whose bandwidth limit a reload would change (diff); 0 is no limit.
struct RateChange {
    std::uint64_t id = 0;
    std::string service;
    std::string user;  // "" when none (null on the wire)
    std::uint64_t to_client_bps_before = 0;
    std::uint64_t to_client_bps_after = 0;
    std::uint64_t to_server_bps_before = 0;
    std::uint64_t to_server_bps_after = 0;
};
void to_json(nlohmann::json& j, const RateChange& c);
void from_json(const nlohmann::json& j, RateChange& c);

// A generation a reload superseded that live sessions still count under: the ones it
// admitted, unless a re-checking reload since held them to a later one.
struct PinnedGeneration {
    std::uint64_t generation = 0;
    std::uint64_t sessions = 0;
    std::int64_t superseded_at_ms = 0;
    std::int64_t drain_deadline_ms = 0;  // when they are closed; 0 (null): never
};
void to_json(nlohmann::json& j, const PinnedGeneration& p);
void from_json(const nlohmann::json& j, PinnedGeneration& p);

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
    std::uint64_t auth_cache_entries = 0;                           // cached logins
    std::uint64_t dns_cache_names = 0;  // names with a cached DNS answer (nsrecord aside)
    // Generations with sessions on services the running configuration marks force: the
    // ones a re-checking reload would hold to the current users and ACLs. Absent (nullopt)
    // from a daemon that predates the field.
    std::optional<std::vector<std::uint64_t>> generations_with_force_sessions;
    std::vector<CounterUsage> counters;  // traffic counters, in file order
    std::string counter_file;            // where they are kept ("" for nowhere)
    // Superseded generations still pinned, oldest first (absent: a daemon that predates
    // the field), and proxyd's --drain-timeout (0, null: none).
    std::optional<std::vector<PinnedGeneration>> pinned_generations;
    std::int64_t drain_timeout_ms = 0;
};

struct SessionInfo {
    std::uint64_t id = 0;
    std::string service;
    std::string user;    // "" when none (null on the wire)
    std::string client;  // "127.0.0.1:53211"
    std::string target;  // "example.com:443"; "" before the request named one (null)
    std::string operation;
    // As the access log's %I and %O (docs/design.md, "Bytes in and out").
    std::uint64_t bytes_in = 0;   // from the server, relayed to the client
    std::uint64_t bytes_out = 0;  // from the client, relayed to the server
    std::int64_t started_at_ms = 0;
    std::int64_t last_activity_ms = 0;
    std::uint64_t generation = 0;
    // Bandwidth limits the session is held to now, bits per second; 0: none (null).
    std::uint64_t limit_to_client_bps = 0;
    std::uint64_t limit_to_server_bps = 0;
};
void to_json(nlohmann::json& j, const SessionInfo& s);
void from_json(const nlohmann::json& j, SessionInfo& s);

struct FileChange {
    std::string path;
    std::string loaded_sha256;
    std::string current_sha256;  // "" when the file is gone (null on the wire)
    std::int64_t loaded_mtime_ns = 0;
    std::int64_t current_mtime_ns = 0;  // null on the wire when the file is gone
};
void to_json(nlohmann::json& j, const FileChange& f);
void from_json(const nlohmann::json& j, FileChange& f);

struct DiffResult {
    bool differs = false;
    std::vector<FileChange> files;
    nlohmann::json changes = nlohmann::json::array();      // proxycfg::model_change_json
    std::vector<ClosedSession> impact;                     // sessions a reload would close
    std::uint64_t auth_cache_dropped = 0;                  // cached logins it would drop
    std::vector<RateChange> rate_changes;                  // bandwidth limits it would change
    nlohmann::json diagnostics = nlohmann::json::array();  // when the files on disk are broken
};
void to_json(nlohmann::json& j, const DiffResult& d);
void from_json(const nlohmann::json& j, DiffResult& d);

// optional<> needs hand-written conversions in nlohmann 3.11.
void to_json(nlohmann::json& j, const Status& s);
void from_json(const nlohmann::json& j, Status& s);

// Fields of a reply read leniently, for proxyctl: missing, null or of another type gives
// the fallback ("" or 0), so a value the protocol marks absent never throws.
std::string string_field(const nlohmann::json& j, const char* key);
std::uint64_t number_field(const nlohmann::json& j, const char* key);

// Diagnostics (proxyctl check's json entries) and model changes in their published shape
// (docs/schemas/control-reply.schema.json): every key present, no other key, and "" or 0
// for a value that does not exist made null, as an older daemon or a hand-made reply may
// send them. Entries that are not objects are dropped.
nlohmann::json normalized_diagnostics(const nlohmann::json& diagnostics);
nlohmann::json normalized_changes(const nlohmann::json& changes);

// "" as null: the wire form of a value that does not exist.
inline nlohmann::json string_or_null(const std::string& s) {
    return s.empty() ? nlohmann::json() : nlohmann::json(s);
}

// Parses one protocol line. Malformed JSON and nesting deeper than max_nesting both give a
// discarded value; `too_deep` tells the two apart for the error message.
nlohmann::json parse_line(std::string_view line, bool* too_deep = nullptr);

// The one envelope of every reply: ok, result and error are always there, the one that
// does not apply is null. error.record is the refused attempt's ReloadRecord for
// reload_failed, else null.
nlohmann::json ok_reply(nlohmann::json result);
nlohmann::json error_reply(const std::string& code, const std::string& message,
                           nlohmann::json diagnostics = nlohmann::json::array(),
                           nlohmann::json record = nullptr);

// Root's default control socket: inside the systemd unit's RuntimeDirectory, so proxyd,
// proxyctl, the unit, logrotate and the Ansible role agree without options. CMake compiles
// the configured path (PROXYD_CONTROL_SOCKET) into this library.
const char* system_socket_path();

// Root: system_socket_path(); other users: their XDG runtime directory.
std::string default_socket_path();

// The defaults as --help shows them, whoever asks.
std::string default_socket_help();

}  // namespace control
