// proxyctl check: the linter. Works on files alone; a running proxyd adds the PX4xx findings.
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "commands.hpp"
#include "live_checks.hpp"
#include "proxycfg/format.hpp"
#include "proxycfg/lint.hpp"
#include "proxycfg/rules.hpp"
#include "proxycfg/util.hpp"

namespace proxyctl {
namespace {

struct CheckOptions {
    std::vector<std::string> files;
    std::string dialect = "proxyd";
    std::string format = "text";
    std::string severity = "warning";
    bool werror = false;
    std::vector<std::string> disable;
    bool offline = false;
    bool live = false;
    std::string socket;
    std::string root;
    std::string color = "auto";
};

bool use_color(const std::string& mode) {
    if (mode == "always") return true;
    if (mode == "never") return false;
    return proxycfg::color_enabled(STDOUT_FILENO);
}

// "file n/N" on stderr while many files are checked, for a person at a terminal only; the
// line is erased before the findings are printed, so no trace of it stays on screen.
class Progress {
  public:
    explicit Progress(std::size_t total)
        : total_(total), enabled_(total > 1 && ::isatty(STDERR_FILENO) == 1) {
        winsize size{};
        if (enabled_ && ::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
            columns_ = size.ws_col;
    }
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;
    ~Progress() { erase(); }

    void show(std::size_t index, const std::string& path) {
        if (!enabled_) return;
        std::string line = "proxyctl check: file " + std::to_string(index + 1) + "/" +
                           std::to_string(total_) + " " + path;
        // One screen line, or erasing it would leave the wrapped part behind.
        if (line.size() >= columns_) line.resize(columns_ - 1);
        std::cerr << "\r\033[K" << line << std::flush;
        shown_ = true;
    }
    void erase() {
        if (shown_) std::cerr << "\r\033[K" << std::flush;
        shown_ = false;
    }

  private:
    std::size_t total_;
    bool enabled_;
    bool shown_ = false;
    std::size_t columns_ = 80;
};

// PX4xx: only for a file that is the running daemon's config. Returns how many of the
// files are that config.
std::size_t add_live_findings(const CheckOptions& o, const control::Status& status,
                              const std::vector<std::string>& files,
                              const proxycfg::LoadOptions& load, proxycfg::Severity threshold,
                              std::vector<proxycfg::Loaded>& loaded,
                              std::vector<proxycfg::CheckedFile>& checked) {
    using namespace proxycfg;
    std::size_t matched = 0;
    for (std::size_t i = 0; i < files.size(); ++i) {
        if (!is_daemon_config(files[i], status)) continue;
        ++matched;
        if (!loaded[i].readable()) continue;
        Diagnostics live = live_diagnostics(status, loaded[i]);
        std::erase_if(live,
                      [&](const Diagnostic& d) { return load.lint.disabled.count(d.code) > 0; });
        apply_suppressions(loaded[i].parse.config, load.lint, live);
        for (auto& d : live) {
            if (o.werror && d.severity == Severity::warning) d.severity = Severity::error;
            if (d.severity >= threshold) checked[i].diagnostics.push_back(std::move(d));
        }
        sort_diagnostics(checked[i].diagnostics);
    }
    return matched;
}

int run_check(const CheckOptions& o) {
    using namespace proxycfg;
    LoadOptions load;
    load.lint.dialect = o.dialect == "3proxy" ? Dialect::threeproxy : Dialect::proxyd;
    for (const auto& list : o.disable) {
        std::size_t start = 0;
        while (start <= list.size()) {
            auto comma = list.find(',', start);
            std::string code =
                list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            if (!code.empty()) {
                if (!find_rule(code)) {
                    std::cerr << "proxyctl check: unknown rule code '" << code
                              << "' in --disable (see 'proxyctl rules')\n";
                    return exit_usage;
                }
                load.lint.disabled.insert(code);
            }
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
    }
    load.parse.root = o.root;
    Severity threshold = Severity::warning;
    parse_severity(o.severity, threshold);
    if (o.werror) threshold = Severity::warning;
    load.lint.min_severity = threshold;
    OutputFormat format = OutputFormat::text;
    parse_output_format(o.format, format);

    // --live is monitoring ("is what runs what is on disk?"): a daemon that cannot be
    // asked is an error, never a silent pass. Without FILE it checks the daemon's config.
    std::optional<control::Status> live_status;
    if (o.live) {
        std::string why;
        live_status = query_live_status(o.socket, reply_timeout(), &why);
        if (!live_status) {
            std::cerr << "proxyctl check --live: " << why
                      << "\n  --live compares the running proxyd with the files on disk; pass "
                         "--socket PATH (or set PROXYCTL_SOCKET), or check without --live\n";
            return exit_usage;
        }
        if (live_status->config.empty()) {
            std::cerr << "proxyctl check --live: proxyd did not say which configuration it runs\n";
            return exit_usage;
        }
    }

    std::vector<Loaded> loaded;
    std::vector<CheckedFile> checked;
    bool unreadable = false;
    std::vector<std::string> files = o.files;
    if (files.empty()) files.push_back(live_status ? live_status->config : "-");
    loaded.reserve(files.size());
    Progress progress(files.size());
    for (const auto& path : files) {
        progress.show(loaded.size(), path);
        if (path == "-") {
            std::string text{std::istreambuf_iterator<char>(std::cin),
                             std::istreambuf_iterator<char>()};
            loaded.push_back(load_config_text("<stdin>", std::move(text), load));
        } else {
            loaded.push_back(load_config(path, load));
        }
        Loaded& l = loaded.back();
        if (!l.readable()) unreadable = true;
        CheckedFile cf;
        cf.sources = l.parse.config.sources.get();
        cf.display_path = path == "-" ? "<stdin>" : path;
        for (const auto& d : l.diagnostics) {
            Diagnostic copy = d;
            if (o.werror && copy.severity == Severity::warning) copy.severity = Severity::error;
            if (copy.severity >= threshold || copy.is(Rule::PX000))
                cf.diagnostics.push_back(std::move(copy));
        }
        checked.push_back(std::move(cf));
    }
    progress.erase();
    if (live_status) {
        if (add_live_findings(o, *live_status, files, load, threshold, loaded, checked) == 0) {
            std::cerr << "proxyctl check --live: proxyd runs " << live_status->config
                      << ", which is none of the files given\n";
            return exit_usage;
        }
    } else if (!o.offline && std::any_of(files.begin(), files.end(),
                                         [](const std::string& f) { return f != "-"; })) {
        // A plain check asks only a daemon that answers at once, and never fails on one
        // that is not there.
        auto status = query_live_status(o.socket, std::min<std::chrono::milliseconds>(
                                                      reply_timeout(), std::chrono::seconds(2)));
        if (status) add_live_findings(o, *status, files, load, threshold, loaded, checked);
    }
    FormatOptions fo;
    fo.color = format == OutputFormat::text && use_color(o.color);
    fo.tool_version = PROXY_VERSION;
    fo.rules_hint = true;
    write_diagnostics(std::cout, format, checked, fo);
    // Live findings are shown with their severity but fail the check only with --live:
    // "edited but not reloaded" must not stop the reload that applies the edit.
    int status = exit_ok;
    for (const auto& cf : checked)
        for (const auto& d : cf.diagnostics)
            if (o.live || !is_live_rule(d.code)) status = exit_findings;
    if (unreadable) status = exit_usage;
    // Freeing the models of a large file takes a visible share of the run, and the process
    // ends here anyway: flush and let the kernel reclaim the memory.
    std::cout.flush();
    std::cerr.flush();
    std::_Exit(status);
}

}  // namespace

void register_check(CLI::App& app, Runner& runner) {
    auto o = std::make_shared<CheckOptions>();
    auto* cmd = app.add_subcommand("check", "Lint configuration files (no daemon needed)");
    cmd->add_option("files", o->files, "Configuration files; '-' reads standard input")
        ->type_name("FILE...");
    cmd->add_option("--dialect", o->dialect,
                    "proxyd (default): also report what proxyd does not "
                    "implement; 3proxy: lint for a real 3proxy")
        ->check(CLI::IsMember({"proxyd", "3proxy"}));
    cmd->add_option("--format", o->format, "Output format")
        ->check(CLI::IsMember({"text", "gcc", "json", "sarif", "github"}));
    cmd->add_option("--severity", o->severity,
                    "Report findings at or above this severity (default: warning)")
        ->check(CLI::IsMember({"error", "warning", "info"}));
    cmd->add_flag("--werror", o->werror, "Treat warnings as errors");
    cmd->add_option("--disable", o->disable,
                    "Rule codes to switch off, comma separated (PX101,PX204)")
        ->allow_extra_args(false)
        ->type_name("CODE,...");
    cmd->add_option("--root", o->root,
                    "Resolve relative include and $file paths against DIR (for checking a copy, "
                    "e.g. Ansible's validate: proxyctl check --root /etc/proxyd %s)")
        ->type_name("DIR");
    auto* offline = cmd->add_flag("--offline", o->offline,
                                  "Do not ask a running proxyd (skips the PX4xx rules)");
    cmd->add_flag("--live", o->live,
                  "Monitoring: the PX4xx findings (proxyd runs something other than the files "
                  "on disk) count toward the exit status; exit 2 when no proxyd answers. "
                  "Without FILE, checks the configuration proxyd runs")
        ->excludes(offline);
    cmd->add_option("--socket", o->socket,
                    "proxyd control socket for the PX4xx rules (default: $PROXYCTL_SOCKET, else " +
                        control::default_socket_help() + ")")
        ->envname("PROXYCTL_SOCKET")
        ->type_name("PATH");
    cmd->add_option("--color", o->color, "Colour the text output: auto (default), always, never")
        ->check(CLI::IsMember({"auto", "always", "never"}));
    cmd->footer(
        "Exit status: 0 no findings at or above the threshold, 1 findings, 2 usage or I/O error\n"
        "(with --live: also when no proxyd answers). The PX4xx findings about a running proxyd\n"
        "are reported but count only with --live, so 'check && reload' applies a valid edit.\n"
        "Suppress a finding with '# proxyctl: disable=PX101' on the line above it.\n"
        "Examples:\n"
        "  proxyctl check /etc/proxyd/proxyd.cfg && proxyctl reload\n"
        "  proxyctl check --live       (monitoring: exit 1 while proxyd runs an older config)\n"
        "  proxyctl check --dialect 3proxy --format gcc /etc/3proxy/3proxy.cfg\n"
        "  proxyctl check --format sarif configs/*.cfg > proxyctl.sarif\n"
        "  cat proxyd.cfg | proxyctl check -");
    cmd->callback([o, &runner] { runner.status = run_check(*o); });
}

}  // namespace proxyctl
