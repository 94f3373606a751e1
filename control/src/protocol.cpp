#include "proxycontrol/protocol.hpp"

#include <unistd.h>

#include <cstdlib>

namespace control {

using nlohmann::json;

std::string string_field(const json& j, const char* key) {
    if (!j.is_object()) return {};
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::uint64_t number_field(const json& j, const char* key) {
    if (!j.is_object()) return 0;
    auto it = j.find(key);
    return it != j.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

namespace {

// Whether a container in `line` has more than max_nesting containers around it. A linear
// scan of the brackets outside strings: nlohmann's parser callback could tell the same,
// but with a callback every object's end searches its parent for a value to discard,
// which makes a reply listing thousands of sessions quadratic to parse.
bool nests_too_deep(std::string_view line) {
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        char c = line[i];
        if (in_string) {
            if (c == '\\')
                ++i;  // the escaped character, a quote included
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (depth > max_nesting) return true;
            ++depth;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return false;
}

}  // namespace

json parse_line(std::string_view line, bool* too_deep) {
    bool deep = nests_too_deep(line);
    if (too_deep) *too_deep = deep;
    if (deep) return json(json::value_t::discarded);
    return json::parse(line, nullptr, false);
}

namespace {

json text_or_null(const json& j, const char* key) {
    return string_or_null(string_field(j, key));
}

// file, line, column (and length): all null without a position (line 0 or none).
void position(json& out, const json& in, bool with_length) {
    out["file"] = text_or_null(in, "file");
    std::uint64_t line = number_field(in, "line");
    out["line"] = line ? json(line) : json();
    out["column"] = line ? json(number_field(in, "column")) : json();
    if (with_length) out["length"] = line ? json(number_field(in, "length")) : json();
}

json array_of(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_array() ? *it : json::array();
}

}  // namespace

json normalized_diagnostics(const json& diagnostics) {
    json out = json::array();
    if (!diagnostics.is_array()) return out;
    for (const auto& d : diagnostics) {
        if (!d.is_object()) continue;
        json n = json::object();
        n["code"] = string_field(d, "code");
        n["severity"] = string_field(d, "severity");
        n["message"] = string_field(d, "message");
        position(n, d, true);
        n["notes"] = json::array();
        for (const auto& note : array_of(d, "notes")) {
            if (!note.is_object()) continue;
            json x = json::object();
            position(x, note, false);
            x["message"] = string_field(note, "message");
            n["notes"].push_back(std::move(x));
        }
        n["fixits"] = json::array();
        for (const auto& fix : array_of(d, "fixits")) {
            if (!fix.is_object()) continue;
            json x = json::object();
            position(x, fix, true);
            x["replacement"] = string_field(fix, "replacement");
            x["description"] = string_field(fix, "description");
            // Only `check --unsafe-fixes` applies it (a daemon that predates the flag
            // sends none).
            if (auto u = fix.find("unsafe"); u != fix.end() && u->is_boolean()) x["unsafe"] = *u;
            n["fixits"].push_back(std::move(x));
        }
        out.push_back(std::move(n));
    }
    return out;
}

json normalized_changes(const json& changes) {
    json out = json::array();
    if (!changes.is_array()) return out;
    for (const auto& c : changes) {
        if (!c.is_object()) continue;
        std::uint64_t line = number_field(c, "line");
        out.push_back({{"kind", string_field(c, "kind")},
                       {"area", string_field(c, "area")},
                       {"subject", string_field(c, "subject")},
                       {"before", text_or_null(c, "before")},
                       {"after", text_or_null(c, "after")},
                       {"file", line ? text_or_null(c, "file") : json()},
                       {"line", line ? json(line) : json()}});
    }
    return out;
}

void to_json(json& j, const ReloadRecord& r) {
    j = json{{"generation", r.generation},
             {"trigger", r.trigger},
             {"started_at_ms", r.started_at_ms},
             {"duration_us", r.duration_us},
             {"result", r.result},
             {"diagnostics", r.diagnostics},
             {"changes", r.changes},
             {"sessions", r.sessions},
             {"listeners", r.listeners},
             {"auth_cache", r.auth_cache}};
}

void from_json(const json& j, ReloadRecord& r) {
    r.generation = j.value("generation", std::uint64_t{0});
    r.trigger = string_field(j, "trigger");
    r.started_at_ms = j.value("started_at_ms", std::int64_t{0});
    r.duration_us = j.value("duration_us", std::uint64_t{0});
    r.result = string_field(j, "result");
    r.diagnostics = normalized_diagnostics(array_of(j, "diagnostics"));
    r.changes = normalized_changes(array_of(j, "changes"));
    r.sessions = j.value("sessions", SessionCounts{});
    r.listeners = j.value("listeners", ListenerCounts{});
    r.auth_cache = j.value("auth_cache", AuthCacheCounts{});
}

void to_json(json& j, const DiffResult& d) {
    j = json{{"differs", d.differs},
             {"files", d.files},
             {"changes", d.changes},
             {"impact", d.impact},
             {"auth_cache_dropped", d.auth_cache_dropped},
             {"rate_changes", d.rate_changes},
             {"diagnostics", d.diagnostics}};
}

void from_json(const json& j, DiffResult& d) {
    d.differs = j.value("differs", false);
    d.files = j.value("files", std::vector<FileChange>{});
    d.changes = normalized_changes(array_of(j, "changes"));
    d.impact = j.value("impact", std::vector<ClosedSession>{});
    d.auth_cache_dropped = number_field(j, "auth_cache_dropped");
    d.rate_changes = j.value("rate_changes", std::vector<RateChange>{});
    d.diagnostics = normalized_diagnostics(array_of(j, "diagnostics"));
}

void to_json(json& j, const CounterUsage& c) {
    j = json{{"number", c.number},
             {"comment", c.comment},
             {"kind", c.kind},
             {"period", c.period},
             {"bytes", c.bytes},
             {"limit_bytes", c.limit_bytes},
             {"period_start_ms", c.period_start_ms},
             {"acl", c.acl},
             {"source", {{"file", c.file}, {"line", c.line}}}};
}

void from_json(const json& j, CounterUsage& c) {
    c.number = static_cast<std::uint32_t>(number_field(j, "number"));
    c.comment = string_field(j, "comment");
    c.kind = string_field(j, "kind");
    c.period = string_field(j, "period");
    c.bytes = number_field(j, "bytes");
    c.limit_bytes = number_field(j, "limit_bytes");
    c.period_start_ms = j.value("period_start_ms", std::int64_t{0});
    c.acl = string_field(j, "acl");
    if (auto it = j.find("source"); it != j.end() && it->is_object()) {
        c.file = string_field(*it, "file");
        c.line = static_cast<std::uint32_t>(number_field(*it, "line"));
    }
}

void to_json(json& j, const RateChange& c) {
    auto rate = [](std::uint64_t bps) { return bps ? json(bps) : json(nullptr); };
    j = json{{"id", c.id},
             {"service", c.service},
             {"user", string_or_null(c.user)},
             {"to_client_bps", {{"before", rate(c.to_client_bps_before)},
                                {"after", rate(c.to_client_bps_after)}}},
             {"to_server_bps", {{"before", rate(c.to_server_bps_before)},
                                {"after", rate(c.to_server_bps_after)}}}};
}

void from_json(const json& j, RateChange& c) {
    c.id = number_field(j, "id");
    c.service = string_field(j, "service");
    c.user = string_field(j, "user");
    auto pair = [&](const char* key, std::uint64_t& before, std::uint64_t& after) {
        if (auto it = j.find(key); it != j.end() && it->is_object()) {
            before = number_field(*it, "before");
            after = number_field(*it, "after");
        }
    };
    pair("to_client_bps", c.to_client_bps_before, c.to_client_bps_after);
    pair("to_server_bps", c.to_server_bps_before, c.to_server_bps_after);
}

void to_json(json& j, const ClosedSession& c) {
    j = json{{"id", c.id},
             {"service", c.service},
             {"user", string_or_null(c.user)},
             {"client", string_or_null(c.client)},
             {"reason", c.reason}};
}

void from_json(const json& j, ClosedSession& c) {
    c.id = j.value("id", std::uint64_t{0});
    c.service = string_field(j, "service");
    c.user = string_field(j, "user");
    c.client = string_field(j, "client");
    c.reason = string_field(j, "reason");
}

void to_json(json& j, const SessionInfo& s) {
    j = json{{"id", s.id},
             {"service", s.service},
             {"user", string_or_null(s.user)},
             {"client", s.client},
             {"target", string_or_null(s.target)},
             {"operation", s.operation},
             {"bytes_in", s.bytes_in},
             {"bytes_out", s.bytes_out},
             {"started_at_ms", s.started_at_ms},
             {"last_activity_ms", s.last_activity_ms},
             {"generation", s.generation}};
    auto rate = [](std::uint64_t bps) { return bps ? json(bps) : json(nullptr); };
    j["limit_to_client_bps"] = rate(s.limit_to_client_bps);
    j["limit_to_server_bps"] = rate(s.limit_to_server_bps);
}

void from_json(const json& j, SessionInfo& s) {
    s.id = j.value("id", std::uint64_t{0});
    s.service = string_field(j, "service");
    s.user = string_field(j, "user");
    s.client = string_field(j, "client");
    s.target = string_field(j, "target");
    s.operation = string_field(j, "operation");
    s.bytes_in = j.value("bytes_in", std::uint64_t{0});
    s.bytes_out = j.value("bytes_out", std::uint64_t{0});
    s.started_at_ms = j.value("started_at_ms", std::int64_t{0});
    s.last_activity_ms = j.value("last_activity_ms", std::int64_t{0});
    s.generation = j.value("generation", std::uint64_t{0});
    auto rate = [&](const char* key) {
        auto it = j.find(key);
        return it != j.end() && it->is_number_unsigned() ? it->get<std::uint64_t>()
                                                         : std::uint64_t{0};
    };
    s.limit_to_client_bps = rate("limit_to_client_bps");
    s.limit_to_server_bps = rate("limit_to_server_bps");
}

void to_json(json& j, const FileChange& f) {
    bool gone = f.current_sha256.empty();
    j = json{{"path", f.path},
             {"loaded_sha256", f.loaded_sha256},
             {"current_sha256", string_or_null(f.current_sha256)},
             {"loaded_mtime_ns", f.loaded_mtime_ns},
             {"current_mtime_ns", gone ? json() : json(f.current_mtime_ns)}};
}

void from_json(const json& j, FileChange& f) {
    f.path = string_field(j, "path");
    f.loaded_sha256 = string_field(j, "loaded_sha256");
    f.current_sha256 = string_field(j, "current_sha256");
    auto number = [&j](const char* key) {
        auto it = j.find(key);
        return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
    };
    f.loaded_mtime_ns = number("loaded_mtime_ns");
    f.current_mtime_ns = number("current_mtime_ns");
}

void to_json(json& j, const PinnedGeneration& p) {
    j = json{{"generation", p.generation},
             {"sessions", p.sessions},
             {"superseded_at_ms", p.superseded_at_ms},
             {"drain_deadline_ms", p.drain_deadline_ms ? json(p.drain_deadline_ms) : json()}};
}

void from_json(const json& j, PinnedGeneration& p) {
    p.generation = j.value("generation", std::uint64_t{0});
    p.sessions = j.value("sessions", std::uint64_t{0});
    p.superseded_at_ms = j.value("superseded_at_ms", std::int64_t{0});
    auto deadline = j.find("drain_deadline_ms");
    p.drain_deadline_ms =
        deadline != j.end() && deadline->is_number_integer() ? deadline->get<std::int64_t>() : 0;
}

void to_json(json& j, const Status& s) {
    j = json{
        {"protocol", s.protocol},
        {"pid", s.pid},
        {"version", s.version},
        {"config", s.config},
        {"generation", s.generation},
        {"started_at_ms", s.started_at_ms},
        {"files", s.files},
        {"last_reload", s.last_reload ? json(*s.last_reload) : json()},
        {"sessions_total", s.sessions_total},
        {"sessions_by_service", s.sessions_by_service},
        {"generations_with_sessions", s.generations_with_sessions},
        {"auth_cache_entries", s.auth_cache_entries},
        {"dns_cache_names", s.dns_cache_names},
        {"generations_with_force_sessions",
         s.generations_with_force_sessions ? json(*s.generations_with_force_sessions) : json()},
        {"counters", s.counters},
        {"counter_file", string_or_null(s.counter_file)},
        {"pinned_generations", s.pinned_generations ? json(*s.pinned_generations) : json()},
        {"drain_timeout_ms", s.drain_timeout_ms ? json(s.drain_timeout_ms) : json()}};
}

void from_json(const json& j, Status& s) {
    s.protocol = j.value("protocol", protocol_version);
    s.pid = j.value("pid", std::int64_t{0});
    s.version = string_field(j, "version");
    s.config = string_field(j, "config");
    s.generation = j.value("generation", std::uint64_t{0});
    s.started_at_ms = j.value("started_at_ms", std::int64_t{0});
    if (j.contains("files")) s.files = j.at("files").get<std::vector<LoadedFileInfo>>();
    if (j.contains("last_reload") && !j.at("last_reload").is_null())
        s.last_reload = j.at("last_reload").get<ReloadRecord>();
    s.sessions_total = j.value("sessions_total", std::uint64_t{0});
    s.sessions_by_service = j.value("sessions_by_service", json::object());
    s.auth_cache_entries = number_field(j, "auth_cache_entries");
    s.dns_cache_names = number_field(j, "dns_cache_names");
    if (j.contains("generations_with_sessions"))
        s.generations_with_sessions =
            j.at("generations_with_sessions").get<std::vector<std::uint64_t>>();
    if (j.contains("generations_with_force_sessions") &&
        !j.at("generations_with_force_sessions").is_null())
        s.generations_with_force_sessions =
            j.at("generations_with_force_sessions").get<std::vector<std::uint64_t>>();
    s.counters = j.value("counters", std::vector<CounterUsage>{});
    s.counter_file = string_field(j, "counter_file");
    if (j.contains("pinned_generations") && j.at("pinned_generations").is_array())
        s.pinned_generations = j.at("pinned_generations").get<std::vector<PinnedGeneration>>();
    s.drain_timeout_ms = static_cast<std::int64_t>(number_field(j, "drain_timeout_ms"));
}

json ok_reply(json result) {
    return {{"ok", true}, {"result", std::move(result)}, {"error", nullptr}};
}

json error_reply(const std::string& code, const std::string& message, json diagnostics,
                 json record) {
    return {{"ok", false},
            {"result", nullptr},
            {"error",
             {{"code", code},
              {"message", message},
              {"diagnostics", std::move(diagnostics)},
              {"record", std::move(record)}}}};
}

#ifndef PROXYD_CONTROL_SOCKET
#define PROXYD_CONTROL_SOCKET "/run/proxyd/proxyd.sock"
#endif

const char* system_socket_path() {
    return PROXYD_CONTROL_SOCKET;
}

std::string default_socket_path() {
    if (::geteuid() == 0) return system_socket_path();
    if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg && *xdg)
        return std::string(xdg) + "/proxyd.sock";
    return "/run/user/" + std::to_string(::geteuid()) + "/proxyd.sock";
}

std::string default_socket_help() {
    return std::string(system_socket_path()) + " for root, else $XDG_RUNTIME_DIR/proxyd.sock";
}

}  // namespace control
