// proxyctl completion: prints a shell completion script. The scripts are the files in
// completions/, compiled in at build time (tools/CMakeLists.txt), so the printed script
// and the installed file cannot differ.
#include <iostream>
#include <string>
#include <string_view>

#include "commands.hpp"

namespace proxyctl::embedded {
// Defined in the generated completion_scripts.cpp.
extern const std::string_view bash_script;
extern const std::string_view zsh_script;
extern const std::string_view fish_script;
}  // namespace proxyctl::embedded

namespace proxyctl {

void register_completion(CLI::App& app, Runner& runner) {
    auto shell = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("completion", "Print the shell completion script");
    cmd->add_option("shell", *shell, "bash, zsh or fish")
        ->required()
        ->check(CLI::IsMember({"bash", "zsh", "fish"}));
    cmd->footer(
        "Subcommands, options, rule codes, and live session ids and services (when proxyd\n"
        "answers) are completed.\n"
        "Examples:\n"
        "  source <(proxyctl completion bash)                 # in ~/.bashrc\n"
        "  proxyctl completion zsh > \"${fpath[1]}/_proxyctl\"\n"
        "  proxyctl completion fish > ~/.config/fish/completions/proxyctl.fish");
    cmd->callback([shell, &runner] {
        std::string_view script = *shell == "bash"  ? embedded::bash_script
                                  : *shell == "zsh" ? embedded::zsh_script
                                                    : embedded::fish_script;
        std::cout << script;
        std::cout.flush();
        runner.status = std::cout ? exit_ok : exit_usage;
    });
}

}  // namespace proxyctl
