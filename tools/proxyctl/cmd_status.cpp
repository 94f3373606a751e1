// proxyctl status: what the running proxyd loaded, when, and how its last reload went.
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "control_client.hpp"

namespace proxyctl {
namespace {

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
