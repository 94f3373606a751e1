// Each subcommand lives in cmd_<name>.cpp and registers itself on the CLI here.
#pragma once

#include <cstddef>

#include <CLI/CLI.hpp>

namespace proxyctl {

// Configuration files of at least this size are mapped from the page cache instead of
// copied (proxycfg::ParseOptions::map_bytes): a command is over in moments, and a writer
// waits for it rather than changing the bytes under it.
inline constexpr std::size_t map_file_bytes = std::size_t{16} << 20;

// Exit statuses shared by every subcommand (documented in proxyctl(1)).
enum Exit : int { exit_ok = 0, exit_findings = 1, exit_usage = 2, exit_unreachable = 3 };

struct Runner {
    int status = exit_ok;
};

void register_check(CLI::App& app, Runner& runner);
void register_show(CLI::App& app, Runner& runner);
void register_fmt(CLI::App& app, Runner& runner);
void register_rules(CLI::App& app, Runner& runner);
void register_status(CLI::App& app, Runner& runner);
void register_sessions(CLI::App& app, Runner& runner);
void register_diff(CLI::App& app, Runner& runner);
void register_reload(CLI::App& app, Runner& runner);
void register_kill(CLI::App& app, Runner& runner);
void register_reopen_logs(CLI::App& app, Runner& runner);
void register_metrics(CLI::App& app, Runner& runner);
void register_explain(CLI::App& app, Runner& runner);
void register_completion(CLI::App& app, Runner& runner);
// Hidden: the dynamic values (rule codes, session ids, services) the completion scripts ask for.
void register_complete(CLI::App& app, Runner& runner);

}  // namespace proxyctl
