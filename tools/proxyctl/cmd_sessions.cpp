// proxyctl sessions: the live sessions of the running proxyd, as a table for people.
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "control_client.hpp"

namespace proxyctl {
namespace {

struct SessionsOptions {
    LiveOptions live;
    std::string service;
    std::string user;
    std::string source;
};

void print_table(const std::vector<std::vector<std::string>>& rows) {
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
        std::cout << line << '\n';
    }
}

int run_sessions(const SessionsOptions& o) {
    nlohmann::json args = nlohmann::json::object();
    if (!o.service.empty()) args["service"] = o.service;
    if (!o.user.empty()) args["user"] = o.user;
    if (!o.source.empty()) args["source"] = o.source;
    int status = exit_ok;
    auto result = call("sessions", o.live, "sessions", status, args);
    if (!result) return status;
    if (o.live.json) {
        std::cout << result->dump(2) << '\n';
        return exit_ok;
    }
    // The result is the list itself, or {"sessions":[...]}.
    const nlohmann::json& list =
        result->is_object() && result->contains("sessions") ? result->at("sessions") : *result;
    std::vector<control::SessionInfo> sessions;
    try {
        sessions = list.get<std::vector<control::SessionInfo>>();
    } catch (const nlohmann::json::exception& e) {
        std::cerr << "proxyctl sessions: malformed sessions reply: " << e.what() << '\n';
        return exit_unreachable;
    }
    if (sessions.empty()) {
        std::cout << "no sessions\n";
        return exit_ok;
    }
    std::int64_t now = now_ms();
    std::vector<std::vector<std::string>> rows;
    rows.push_back(
        {"ID", "SERVICE", "USER", "CLIENT", "TARGET", "IN", "OUT", "AGE", "IDLE", "GEN"});
    for (const auto& s : sessions) {
        rows.push_back({std::to_string(s.id), s.service, s.user.empty() ? "-" : s.user, s.client,
                        s.target.empty() ? "-" : s.target, human_bytes(s.bytes_in),
                        human_bytes(s.bytes_out), human_duration(now - s.started_at_ms),
                        human_duration(now - s.last_activity_ms), std::to_string(s.generation)});
    }
    print_table(rows);
    return exit_ok;
}

}  // namespace

void register_sessions(CLI::App& app, Runner& runner) {
    auto o = std::make_shared<SessionsOptions>();
    auto* cmd = app.add_subcommand("sessions", "List the live sessions of the running proxyd");
    cmd->add_option("--service", o->service, "Only sessions of this service (e.g. socks:1080)");
    cmd->add_option("--user", o->user, "Only sessions of this user");
    cmd->add_option("--source", o->source, "Only sessions from clients in this CIDR")
        ->type_name("CIDR");
    add_live_options(cmd, o->live);
    cmd->footer(
        "IN is bytes from the client, OUT bytes to it; GEN the generation it was admitted "
        "under.\nExit status: 0 ok, 1 refused by proxyd, 3 proxyd unreachable.");
    cmd->callback([o, &runner] { runner.status = run_sessions(*o); });
}

}  // namespace proxyctl
