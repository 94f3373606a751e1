// proxyctl metrics: proxyd's Prometheus metrics, as the admin service's /metrics serves
// them. The text is printed as proxyd wrote it, so it can be piped to promtool or saved
// for the node exporter's textfile collector.
#include <iostream>

#include "commands.hpp"
#include "control_client.hpp"

namespace proxyctl {
namespace {

int show_metrics(const nlohmann::json& result, const LiveOptions& o) {
    auto text = result.is_object() ? result.find("text") : result.end();
    if (!result.is_object() || text == result.end() || !text->is_string())
        return malformed_result("metrics", "no \"text\" string", o.json);
    if (o.json) {
        print_ok_json({{"text", *text}});
        return exit_ok;
    }
    std::cout << text->get_ref<const std::string&>();
    return exit_ok;
}

}  // namespace

void register_metrics(CLI::App& app, Runner& runner) {
    add_live_command(app, runner.status, "metrics",
                     "Print proxyd's metrics in the Prometheus text exposition format",
                     "Exit status: 0 printed, 1 refused by proxyd, 3 proxyd unreachable.\n"
                     "Examples:\n"
                     "  proxyctl metrics | grep '^proxyd_sessions_open'\n"
                     "  proxyctl metrics | promtool check metrics\n"
                     "  proxyctl metrics > /var/lib/node_exporter/textfile/proxyd.prom.$$ &&\n"
                     "      mv /var/lib/node_exporter/textfile/proxyd.prom.$$ "
                     "/var/lib/node_exporter/textfile/proxyd.prom",
                     show_metrics);
}

}  // namespace proxyctl
