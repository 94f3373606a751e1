// proxyctl status: what the running proxyd loaded, when, and how its last reload went.
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "control_client.hpp"

namespace proxyctl {
namespace {

// "counters (kept in /var/lib/proxyd/traffic):" and one line per counter:
// "  in  1/alice  daily  712.0 MiB of 1.0 GiB (69%)  since 2026-11-28 00:00  proxyd.cfg:12".
void print_counters(const control::Status& s) {
    if (s.counters.empty()) return;
    std::cout << "counters";
    if (!s.counter_file.empty())
        std::cout << " (kept in " << s.counter_file << ")";
    else
        std::cout << " (no counter file: a restart starts them from zero)";
    std::cout << ":\n";
    for (const auto& c : s.counters) {
        std::string name = std::to_string(c.number);
        if (!c.comment.empty()) name += "/" + c.comment;
        auto percent = c.limit_bytes ? c.bytes * 100 / c.limit_bytes : 0;
        std::cout << "  " << c.kind << "  " << name << "  " << c.period << "  "
                  << human_bytes(c.bytes) << " of " << human_bytes(c.limit_bytes) << " ("
                  << percent << "%" << (c.bytes >= c.limit_bytes ? ", spent" : "") << ")";
        if (c.period_start_ms != 0) std::cout << "  since " << local_time_ms(c.period_start_ms);
        if (!c.acl.empty()) std::cout << "  " << c.acl;
        if (c.line != 0) std::cout << "  " << c.file << ":" << c.line;
        std::cout << '\n';
    }
}

// "pinned generations:" and one line per superseded generation sessions still count under:
// "  3  2 sessions  superseded 2026-11-29 07:12:03 (5m ago)  closed at 07:42:03 (in 25m)".
void print_pinned(const control::Status& s, std::int64_t now) {
    if (s.drain_timeout_ms)
        std::cout << "drain timeout: " << human_duration(s.drain_timeout_ms) << '\n';
    if (!s.pinned_generations || s.pinned_generations->empty()) return;
    std::cout << "pinned generations:\n";
    for (const auto& p : *s.pinned_generations) {
        std::cout << "  " << p.generation << "  " << p.sessions
                  << (p.sessions == 1 ? " session" : " sessions") << "  superseded "
                  << local_time_ms(p.superseded_at_ms) << " ("
                  << human_duration(now - p.superseded_at_ms) << " ago)";
        if (p.drain_deadline_ms) {
            std::cout << "  closed at " << local_time_ms(p.drain_deadline_ms);
            if (p.drain_deadline_ms > now)
                std::cout << " (in " << human_duration(p.drain_deadline_ms - now) << ")";
        } else {
            std::cout << "  no drain deadline";
        }
        std::cout << '\n';
    }
}

int show_status(const control::Status& s, const LiveOptions& o) {
    if (o.json) {
        // Through the type: an older daemon's reply gets the fields it lacks as null.
        print_ok_json(s);
        return exit_ok;
    }
    std::int64_t now = now_ms();
    std::cout << "proxyd " << s.version << ", pid " << s.pid << '\n'
              << "config:     " << s.config << '\n'
              << "generation: " << s.generation << '\n'
              << "uptime:     " << human_duration(now - s.started_at_ms) << " (since "
              << local_time_ms(s.started_at_ms) << ")\n";
    std::cout << "files:\n";
    for (const auto& f : s.files) {
        std::cout << "  " << short_hash(f.sha256) << "  " << local_time_ms(f.mtime_ns / 1000000)
                  << "  " << human_bytes(f.size) << "  " << f.path << '\n';
    }
    if (s.last_reload) {
        std::cout << "last reload:\n";
        std::ostringstream record;
        print_record(record, *s.last_reload);
        std::string line;
        std::istringstream lines(record.str());
        while (std::getline(lines, line)) std::cout << "  " << line << '\n';
        if (s.last_reload->result == "failed")
            print_diagnostics(std::cout, s.last_reload->diagnostics);
    } else {
        std::cout << "last reload: none since start\n";
    }
    std::cout << "sessions:   " << s.sessions_total << '\n';
    if (s.sessions_by_service.is_object()) {
        for (const auto& [service, count] : s.sessions_by_service.items())
            std::cout << "  " << service << ": " << count.dump() << '\n';
    }
    if (s.auth_cache_entries > 0)
        std::cout << "auth cache: " << s.auth_cache_entries << " logins\n";
    if (s.dns_cache_names > 0) std::cout << "dns cache:  " << s.dns_cache_names << " names\n";
    if (s.generations_with_sessions.size() > 1 ||
        (s.generations_with_sessions.size() == 1 &&
         s.generations_with_sessions[0] != s.generation)) {
        std::cout << "generations with sessions:";
        for (auto g : s.generations_with_sessions) std::cout << ' ' << g;
        std::cout << '\n';
    }
    print_pinned(s, now);
    print_counters(s);
    return exit_ok;
}

}  // namespace

void register_status(CLI::App& app, Runner& runner) {
    add_live_command(app, runner.status, "status",
                     "Show the running proxyd: generation, files, last reload",
                     "Exit status: 0 ok, 3 proxyd unreachable.\n"
                     "Examples:\n"
                     "  proxyctl status\n"
                     "  proxyctl status --socket /tmp/proxyd.sock --json | jq .result.generation",
                     show_status);
}

}  // namespace proxyctl
