// proxyctl sessions: the live sessions of the running proxyd, as a table for people;
// --watch refreshes it like watch(1) until interrupted.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "commands.hpp"
#include "control_client.hpp"
#include "proxycfg/bandlim.hpp"

namespace proxyctl {
namespace {

struct SessionsOptions {
    LiveOptions live;
    std::string service;
    std::string user;
    std::string source;
    std::vector<std::string> watch;  // given: refresh every watch[0] (default 2) seconds
    bool watching = false;
};

constexpr double default_watch_seconds = 2;

// The LIMIT column: "down R" (towards the client), "up R" (towards the server), or "-".
std::string limit_text(const control::SessionInfo& s) {
    std::string out;
    if (s.limit_to_client_bps) out = "down " + proxycfg::rate_text(s.limit_to_client_bps);
    if (s.limit_to_server_bps)
        out += (out.empty() ? "up " : ", up ") + proxycfg::rate_text(s.limit_to_server_bps);
    return out.empty() ? "-" : out;
}

void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width;
    for (const auto& row : rows) {
        width.resize(std::max(width.size(), row.size()), 0);
        for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    }
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            std::string cell = row[i];
            if (i + 1 < row.size()) cell.resize(width[i] + 2, ' ');
            line += cell;
        }
        out << line << '\n';
    }
}

// One look at the sessions, rendered into `out`; the exit status (errors already reported).
int render_sessions(const SessionsOptions& o, std::ostream& out) {
    nlohmann::json args = nlohmann::json::object();
    if (!o.service.empty()) args["service"] = o.service;
    if (!o.user.empty()) args["user"] = o.user;
    if (!o.source.empty()) args["source"] = o.source;
    int status = exit_ok;
    auto result = call("sessions", o.live, "sessions", status, args);
    if (!result) return status;
    // The result is the list itself, or {"sessions":[...]}.
    const nlohmann::json& list =
        result->is_object() && result->contains("sessions") ? result->at("sessions") : *result;
    std::vector<control::SessionInfo> sessions;
    try {
        sessions = list.get<std::vector<control::SessionInfo>>();
    } catch (const nlohmann::json::exception& e) {
        return malformed_result("sessions", e.what(), o.live.json);
    }
    if (o.live.json) {
        // Always {"sessions":[...]}, whichever form the daemon sent. Watching, one document
        // per line so a reader can take each refresh as it comes.
        nlohmann::json envelope = control::ok_reply({{"sessions", sessions}});
        out << envelope.dump(o.watching ? -1 : 2, ' ', false,
                             nlohmann::json::error_handler_t::replace)
            << '\n';
        return exit_ok;
    }
    if (sessions.empty()) {
        out << "no sessions\n";
        return exit_ok;
    }
    std::int64_t now = now_ms();
    std::vector<std::vector<std::string>> rows;
    rows.push_back(
        {"ID", "SERVICE", "USER", "CLIENT", "TARGET", "IN", "OUT", "AGE", "IDLE", "GEN", "LIMIT"});
    for (const auto& s : sessions) {
        rows.push_back({std::to_string(s.id), s.service, s.user.empty() ? "-" : s.user, s.client,
                        s.target.empty() ? "-" : s.target, human_bytes(s.bytes_in),
                        human_bytes(s.bytes_out), human_duration(now - s.started_at_ms),
                        human_duration(now - s.last_activity_ms), std::to_string(s.generation),
                        limit_text(s)});
    }
    print_table(out, rows);
    return exit_ok;
}

int run_sessions(const SessionsOptions& o) {
    if (!o.watching) return render_sessions(o, std::cout);
    double seconds = default_watch_seconds;
    if (!o.watch.empty()) {
        std::size_t used = 0;
        try {
            seconds = std::stod(o.watch.front(), &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != o.watch.front().size() || !std::isfinite(seconds) || seconds < 0.1 ||
            seconds > 86400) {
            std::cerr << "proxyctl sessions: --watch takes seconds between 0.1 and 86400, not '"
                      << o.watch.front() << "'\n";
            return exit_usage;
        }
    }
    // Redraw in place only for a person at a terminal; a pipe or file gets every refresh.
    const bool tty = ::isatty(STDOUT_FILENO) == 1;
    const auto interval = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::duration<double>(seconds));
    for (bool first = true;; first = false) {
        std::ostringstream frame;
        int status = render_sessions(o, frame);
        if (status != exit_ok) return status;
        if (tty) {
            std::ostringstream every;
            every << seconds;
            std::cout << "\033[H\033[2J"
                      << "Every " << every.str() << "s: proxyctl sessions    "
                      << local_time_ms(now_ms()) << "\n\n";
        } else if (!first && !o.live.json) {
            std::cout << '\n';
        }
        std::cout << frame.str() << std::flush;
        std::this_thread::sleep_for(interval);
    }
}

}  // namespace

void register_sessions(CLI::App& app, Runner& runner) {
    auto o = std::make_shared<SessionsOptions>();
    auto* cmd = app.add_subcommand("sessions", "List the live sessions of the running proxyd");
    cmd->add_option("--service", o->service, "Only sessions of this service (e.g. socks:1080)");
    cmd->add_option("--user", o->user, "Only sessions of this user");
    cmd->add_option("--source", o->source, "Only sessions from clients in this CIDR")
        ->type_name("CIDR");
    auto* watch = cmd->add_option("--watch", o->watch,
                                  "Refresh every SECONDS (default 2) until interrupted; with "
                                  "--json, one JSON document per line and refresh")
                      ->expected(0, 1)
                      ->type_name("[SECONDS]");
    add_live_options(cmd, o->live);
    cmd->footer(
        "IN is bytes from the server to the client, OUT bytes from the client to the server "
        "(the access log's %I and %O); GEN the generation it was admitted under.\nExit status: 0 "
        "ok, 1 refused by proxyd, 3 proxyd unreachable.\n"
        "Examples:\n"
        "  proxyctl sessions\n"
        "  proxyctl sessions --service socks:127.0.0.1:1080 --user bob\n"
        "  proxyctl sessions --source 10.0.0.0/8 --json | jq '.result.sessions[]'\n"
        "  proxyctl sessions --watch 5");
    cmd->callback([o, watch, &runner] {
        o->watching = watch->count() > 0;
        runner.status = run_sessions(*o);
    });
}

}  // namespace proxyctl
