#include <iostream>

#include "commands.hpp"

int main(int argc, char** argv) {
    CLI::App app{
        "proxyctl - lint, inspect and control 3proxy-style proxy configurations and proxyd"};
    app.set_version_flag("--version", std::string("proxyctl ") + PROXY_VERSION);
    app.require_subcommand(1);
    app.footer(
        "Examples:\n"
        "  proxyctl check /etc/proxyd/proxyd.cfg\n"
        "  proxyctl check --format github --werror configs/*.cfg\n"
        "  proxyctl show /etc/proxyd/proxyd.cfg\n"
        "  proxyctl reload && proxyctl sessions --user bob\n"
        "  source <(proxyctl completion bash)\n"
        "\nExit status: 0 success; 1 findings at or above --severity, a refused reload, a\n"
        "diff that differs or a session id not found; 2 usage or I/O error; 3 daemon\n"
        "unreachable.");
    proxyctl::Runner runner;
    proxyctl::register_check(app, runner);
    proxyctl::register_show(app, runner);
    proxyctl::register_fmt(app, runner);
    proxyctl::register_rules(app, runner);
    proxyctl::register_status(app, runner);
    proxyctl::register_sessions(app, runner);
    proxyctl::register_diff(app, runner);
    proxyctl::register_reload(app, runner);
    proxyctl::register_kill(app, runner);
    proxyctl::register_reopen_logs(app, runner);
    proxyctl::register_metrics(app, runner);
    proxyctl::register_completion(app, runner);
    proxyctl::register_complete(app, runner);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : proxyctl::exit_usage;
    }
    return runner.status;
}
