// A sample `view` for the admin status page (proxyd/admin_page.hpp), shared by the
// renderer's unit tests and the headless-browser tests. Strings that a user or a config
// author controls carry markup, so a test can tell escaped text from a live tag.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace testing {

inline constexpr const char* kEvilUser = "<img src=x onerror=alert(1)>";
inline constexpr const char* kEvilTarget = "\"quoted\" 'single' </script><script>alert(2)</script>";
inline constexpr const char* kEvilLabel = "socks <b>bold</b> & co";
inline constexpr std::int64_t kSampleNow = 1795880530000;  // 2026-11-28 15:42:10 UTC

inline nlohmann::json sample_session(std::int64_t id, const std::string& user,
                                     const std::string& target) {
    return {{"id", id},
            {"service", "socks1080"},
            {"user", user},
            {"client", "127.0.0.1:50" + std::to_string(id)},
            {"target", target},
            {"operation", "CONNECT"},
            {"bytes_in", 1536},
            {"bytes_out", 3 * 1024 * 1024 + 100},
            {"started_at_ms", kSampleNow - 125000},   // 2m 05s ago
            {"last_activity_ms", kSampleNow - 4000},  // idle 4s
            {"generation", 3}};
}

inline nlohmann::json sample_view(bool writable = false, bool edited = false,
                                  bool failed = false) {
    using nlohmann::json;
    json reload_ok = {{"generation", 3},
                      {"trigger", "control"},
                      {"started_at_ms", kSampleNow - 60000},
                      {"duration_us", 12345},
                      {"result", "ok"},
                      {"diagnostics", json::array()},
                      {"changes", json::array({json::object(), json::object()})},
                      {"sessions", {{"checked", 4}, {"kept", 3}, {"closed", 1},
                                    {"closed_sessions", json::array()}}},
                      {"listeners", {{"kept", 2}, {"opened", 0}, {"closed", 0}}},
                      {"auth_cache", {{"dropped", 0}, {"entries", 1}}}};
    json reload_failed = reload_ok;
    reload_failed["generation"] = 2;
    reload_failed["trigger"] = "hup";
    reload_failed["result"] = "failed";
    reload_failed["started_at_ms"] = kSampleNow - 3600000;
    reload_failed["duration_us"] = 850;
    reload_failed["changes"] = json::array();
    reload_failed["sessions"]["closed"] = 0;
    json status = {
        {"protocol", 1},
        {"pid", 4242},
        {"version", "0.9.1-test"},
        {"config", "/etc/proxyd/proxyd.cfg"},
        {"generation", 3},
        {"started_at_ms", kSampleNow - (3 * 3600 + 2 * 60) * 1000LL},  // up 3h 02m
        {"files", json::array()},
        {"last_reload", reload_ok},
        {"sessions_total", 2},
        {"sessions_by_service", {{"socks1080", 2}}},
        {"generations_with_sessions", {3}},
        {"generations_with_force_sessions", json::array()},
        {"auth_cache_entries", 1},
        {"counters",
         {{{"number", 1},
           {"comment", "monthly <quota>"},
           {"kind", "all"},
           {"period", "monthly"},
           {"bytes", 512LL * 1024 * 1024},
           {"limit_bytes", 1024LL * 1024 * 1024},
           {"period_start_ms", kSampleNow - 86400000},
           {"acl", "* * *"},
           {"source", {{"file", "/etc/proxyd/proxyd.cfg"}, {"line", 7}}}},
          {{"number", 2},
           {"comment", "over"},
           {"kind", "in"},
           {"period", "daily"},
           {"bytes", 3LL * 1024 * 1024},
           {"limit_bytes", 2LL * 1024 * 1024},
           {"period_start_ms", kSampleNow - 3600000},
           {"acl", ""},
           {"source", {{"file", "/etc/proxyd/proxyd.cfg"}, {"line", 8}}}}}},
        {"counter_file", "/var/lib/proxyd/counters"}};
    json banner = {{"edited_files", json::array()},
                   {"last_reload_failed", failed},
                   {"last_failure", failed ? json("proxyd.cfg:3: unknown command <evil>") : json()}};
    if (edited) banner["edited_files"] = {"/etc/proxyd/<users>.cfg", "/etc/proxyd/proxyd.cfg"};
    return {{"status", status},
            {"services",
             {{{"label", kEvilLabel},
               {"listener", "127.0.0.1:1080"},
               {"type", "socks"},
               {"auth", "strong cache"},
               {"force", true},
               {"maxconn", 100},
               {"sessions", 2}},
              {{"label", "proxy3128"},
               {"listener", "*:3128"},
               {"type", "proxy"},
               {"auth", "none"},
               {"force", false},
               {"maxconn", 500},
               {"sessions", 0}}}},
            {"sessions",
             {sample_session(17, kEvilUser, kEvilTarget),
              sample_session(18, "alice", "example.org:443")}},
            {"reloads", {reload_ok, reload_failed}},
            {"banner", banner},
            {"now_ms", kSampleNow},
            {"writable", writable},
            {"csrf", writable ? json("tok-123") : json()}};
}

}  // namespace testing
