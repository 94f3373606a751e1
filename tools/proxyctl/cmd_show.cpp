// proxyctl show: the effective model per service, like `sshd -T`.
#include "commands.hpp"

namespace proxyctl {

void register_show(CLI::App& app, Runner& runner) {
    auto* cmd = app.add_subcommand("show", "Print the effective settings of every service");
    (void)cmd;
    (void)runner;
}

}  // namespace proxyctl
