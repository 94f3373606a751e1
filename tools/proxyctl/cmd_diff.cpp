// proxyctl diff: how the files on disk differ from what the running proxyd loaded, and what
// a reload would do to live sessions. Exit status as diff(1): 0 same, 1 different.
#include <iostream>

#include "commands.hpp"
#include "control_client.hpp"

namespace proxyctl {
namespace {

int show_diff(const control::DiffResult& d, const LiveOptions& o) {
    bool differs = d.differs || !d.files.empty() || (d.changes.is_array() && !d.changes.empty());
    if (o.json) {
        print_ok_json(d);
        return differs ? exit_findings : exit_ok;
    }
    if (!differs) {
        std::cout << "no differences: the files on disk are what proxyd runs\n";
        return exit_ok;
    }
    if (!d.files.empty()) {
        std::cout << "files:\n";
        for (const auto& f : d.files) {
            std::cout << "  " << f.path << ": ";
            if (f.current_sha256.empty())
                std::cout << "gone (loaded " << short_hash(f.loaded_sha256) << ")\n";
            else
                std::cout << short_hash(f.loaded_sha256) << " ("
                          << local_time_ms(f.loaded_mtime_ns / 1000000) << ") -> "
                          << short_hash(f.current_sha256) << " ("
                          << local_time_ms(f.current_mtime_ns / 1000000) << ")\n";
        }
    }
    if (d.changes.is_array() && !d.changes.empty()) {
        std::cout << "changes:\n";
        for (const auto& c : d.changes) std::cout << "  " << render_change(c) << '\n';
    } else if (d.diagnostics.empty()) {
        std::cout << "changes: none to the running model (only the bytes differ)\n";
    }
    if (d.diagnostics.is_array() && !d.diagnostics.empty()) {
        std::cout << "the files on disk would be refused by a reload:\n";
        print_diagnostics(std::cout, d.diagnostics);
    }
    if (d.impact.empty()) {
        std::cout << "impact: a reload closes no session\n";
    } else {
        std::cout << "impact: a reload would close " << d.impact.size() << " session"
                  << (d.impact.size() == 1 ? "" : "s") << ":\n";
        for (const auto& c : d.impact) {
            std::cout << "  #" << c.id << " " << c.service;
            if (!c.user.empty()) std::cout << " user " << c.user;
            if (!c.client.empty()) std::cout << " from " << c.client;
            std::cout << ": " << c.reason << '\n';
        }
    }
    if (!d.rate_changes.empty()) {
        std::cout << "bandwidth: a reload would change the limits of " << d.rate_changes.size()
                  << " session" << (d.rate_changes.size() == 1 ? "" : "s")
                  << " at once:\n";
        auto rate = [](std::uint64_t bps) {
            return bps == 0 ? std::string("none") : std::to_string(bps) + " bit/s";
        };
        for (const auto& c : d.rate_changes) {
            std::cout << "  #" << c.id << " " << c.service;
            if (!c.user.empty()) std::cout << " user " << c.user;
            if (c.to_client_bps_before != c.to_client_bps_after)
                std::cout << ": to client " << rate(c.to_client_bps_before) << " -> "
                          << rate(c.to_client_bps_after);
            if (c.to_server_bps_before != c.to_server_bps_after)
                std::cout << ": to server " << rate(c.to_server_bps_before) << " -> "
                          << rate(c.to_server_bps_after);
            std::cout << '\n';
        }
    }
    if (d.auth_cache_dropped > 0)
        std::cout << "auth cache: a reload would drop " << d.auth_cache_dropped << " cached login"
                  << (d.auth_cache_dropped == 1 ? "" : "s") << '\n';
    return exit_findings;
}

}  // namespace

void register_diff(CLI::App& app, Runner& runner) {
    add_live_command(
        app, runner.status, "diff",
        "Compare the running proxyd with the files on disk and show a reload's impact",
        "Exit status (as diff(1)): 0 no difference, 1 differences, 3 proxyd unreachable.\n"
        "Examples:\n"
        "  proxyctl diff\n"
        "  proxyctl diff >/dev/null || proxyctl reload",
        show_diff);
}

}  // namespace proxyctl
