// proxyctl reopen-logs: log rotation for proxyd. The daemon closes its log files and the
// next line opens them anew; unlike a reload, nothing on disk is applied.
#include <iostream>

#include "commands.hpp"
#include "control_client.hpp"

namespace proxyctl {
namespace {

int show_reopened(const nlohmann::json& result, const LiveOptions& o) {
    if (!result.is_object()) return malformed_result("reopen-logs", "not an object", o.json);
    if (o.json) {
        auto reopened = result.find("reopened");
        print_ok_json({{"reopened", reopened == result.end() || *reopened != false},
                       {"generation", control::number_field(result, "generation")}});
        return exit_ok;
    }
    std::cout << "proxyd reopened its log files; generation "
              << control::number_field(result, "generation") << " keeps serving (no reload)\n";
    return exit_ok;
}

}  // namespace

void register_reopen_logs(CLI::App& app, Runner& runner) {
    add_live_command(
        app, runner.status, "reopen-logs",
        "Make proxyd reopen its log files (log rotation), without a reload",
        "Exit status: 0 reopened, 1 refused by proxyd, 3 proxyd unreachable.\n"
        "The same as SIGUSR2 to proxyd. Unlike SIGHUP, it never applies an edit on disk.\n"
        "Examples:\n"
        "  mv /var/log/proxyd/proxyd.log /var/log/proxyd/proxyd.log.1 && proxyctl reopen-logs\n"
        "  proxyctl reopen-logs --socket /tmp/proxyd.sock --json",
        show_reopened);
}

}  // namespace proxyctl
