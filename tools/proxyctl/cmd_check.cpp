// proxyctl check: the linter. Works on files alone; a running proxyd adds the PX4xx findings.
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "baseline.hpp"
#include "check_fix.hpp"
#include "commands.hpp"
#include "file_write.hpp"
#include "live_checks.hpp"
#include "project_config.hpp"
#include "proxycfg/format.hpp"
#include "proxycfg/lint.hpp"
#include "proxycfg/rules.hpp"
#include "proxycfg/source.hpp"
#include "proxycfg/util.hpp"
#include "rule_select.hpp"
#include "tree_walk.hpp"
#include "unified_diff.hpp"

namespace proxyctl {
namespace {

struct CheckOptions {
    std::vector<std::string> files;
    std::string dialect = "proxyd";
    std::string format = "text";
    std::string severity = "warning";
    bool werror = false;
    std::string fail_on;  // empty: any finding reported fails the check
    std::vector<std::string> disable;
    bool dialect_given = false;
    bool severity_given = false;
    bool quiet = false;
    bool no_config = false;
    std::string baseline;
    std::string write_baseline;
    std::string stdin_filename;
    bool offline = false;
    bool live = false;
    std::string socket;
    std::string root;
    std::string color = "auto";
    bool fix = false;
    bool diff = false;
    bool unsafe_fixes = false;
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

// The findings by severity, "no findings" when there are none, for the summary line.
std::string count_findings(const std::vector<proxycfg::CheckedFile>& checked) {
    using proxycfg::Severity;
    std::size_t counts[3] = {0, 0, 0};
    for (const auto& cf : checked)
        for (const auto& d : cf.diagnostics) ++counts[static_cast<int>(d.severity)];
    std::string out;
    auto add = [&out](std::size_t n, const char* one, const char* many) {
        if (n == 0) return;
        out += (out.empty() ? "" : ", ") + std::to_string(n) + " " + (n == 1 ? one : many);
    };
    add(counts[static_cast<int>(Severity::error)], "error", "errors");
    add(counts[static_cast<int>(Severity::warning)], "warning", "warnings");
    add(counts[static_cast<int>(Severity::info)], "info", "infos");
    return out.empty() ? "no findings" : out;
}

// Writes the fixed text only if the file still holds what the fixes were made from: an
// edit made meanwhile is never overwritten.
bool replace_unchanged(const std::string& path, const std::string& before, const std::string& after,
                       std::string& error) {
    std::string now;
    if (!read_config_text(path, now, error)) return false;
    if (now != before) {
        error = "it changed while it was being fixed";
        return false;
    }
    return replace_file(path, after, error);
}

std::string elapsed_since(std::chrono::steady_clock::time_point start) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
    if (us < 1000000) return std::to_string((us + 500) / 1000) + " ms";
    char text[32];
    std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(us) / 1e6);
    return text;
}

// Where to look for .proxyctl.toml: the first file's directory, a directory itself, or
// for standard input the directory of --stdin-filename, else the working directory.
std::string config_search_start(const std::vector<std::string>& files,
                                const std::string& stdin_filename) {
    namespace fs = std::filesystem;
    std::string first = files.empty() ? "-" : files.front();
    if (first == "-") first = stdin_filename.empty() ? "" : stdin_filename;
    if (first.empty()) return ".";
    std::error_code ec;
    if (fs::is_directory(first, ec)) return first;
    std::string parent = fs::path(first).parent_path().string();
    return parent.empty() ? "." : parent;
}

int run_check(const CheckOptions& o) {
    using namespace proxycfg;
    const auto started = std::chrono::steady_clock::now();
    LoadOptions load;
    load.parse.map_bytes = map_file_bytes;
    for (const auto& list : o.disable) {
        std::string error;
        if (!add_rule_list(list, load.lint.disabled, error)) {
            std::cerr << "proxyctl check: --disable: " << error << '\n';
            return exit_usage;
        }
    }

    if (o.unsafe_fixes && !o.fix && !o.diff) {
        std::cerr << "proxyctl check: --unsafe-fixes goes with --fix or --diff\n";
        return exit_usage;
    }
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
    std::vector<std::string> arguments = o.files;
    if (arguments.empty()) arguments.push_back(live_status ? live_status->config : "-");

    // The project's defaults; what the command line says wins.
    std::optional<ProjectConfig> project;
    if (!o.no_config) {
        if (auto path = find_project_config(config_search_start(arguments, o.stdin_filename))) {
            std::string error;
            project.emplace();
            if (!load_project_config(*path, *project, error)) {
                std::cerr << "proxyctl check: " << error << '\n';
                return exit_usage;
            }
        }
    }
    std::string dialect = o.dialect;
    std::string severity = o.severity;
    std::string fail_on = o.fail_on;
    bool werror = o.werror;
    std::string baseline_path = o.baseline;
    if (project) {
        if (!o.dialect_given && project->dialect) dialect = *project->dialect;
        if (!o.severity_given && project->severity) severity = *project->severity;
        if (fail_on.empty() && project->fail_on) fail_on = *project->fail_on;
        if (!werror && project->werror) werror = *project->werror;
        if (baseline_path.empty()) baseline_path = project->baseline;
        load.lint.disabled.insert(project->disable.begin(), project->disable.end());
    }
    load.lint.dialect = dialect == "3proxy" ? Dialect::threeproxy : Dialect::proxyd;
    load.parse.root = o.root;
    Severity threshold = Severity::warning;
    parse_severity(severity, threshold);
    if (werror) threshold = Severity::warning;
    load.lint.min_severity = threshold;
    // --fail-on: only findings at or above it fail the check; the others are still shown.
    std::optional<Severity> fail_threshold;
    if (!fail_on.empty()) {
        Severity level = Severity::error;
        parse_severity(fail_on, level);
        fail_threshold = level;
    }
    OutputFormat format = OutputFormat::text;
    parse_output_format(o.format, format);

    // A directory stands for the configuration files under it.
    std::vector<std::string> files;
    for (const auto& argument : arguments) {
        std::error_code ec;
        if (argument == "-" || !std::filesystem::is_directory(argument, ec)) {
            files.push_back(argument);
            continue;
        }
        auto found = config_files_under(argument, [&project](const std::string& path, bool is_dir) {
            return project && project->excluded(path, is_dir);
        });
        if (found.empty()) {
            std::cerr << "proxyctl check: " << argument
                      << ": no configuration files (*.cfg, *.conf) in this directory";
            if (project && !project->exclude.empty())
                std::cerr << " that " << project->path << " does not exclude";
            std::cerr << '\n';
            return exit_usage;
        }
        files.insert(files.end(), found.begin(), found.end());
    }

    const std::string stdin_name = o.stdin_filename.empty() ? "<stdin>" : o.stdin_filename;
    auto options_for = [&](const std::string& name) {
        LoadOptions file_load = load;
        if (project) {
            for (const auto* over : project->overrides_for(name)) {
                if (!o.dialect_given && over->dialect)
                    file_load.lint.dialect =
                        *over->dialect == "3proxy" ? Dialect::threeproxy : Dialect::proxyd;
                file_load.lint.disabled.insert(over->disable.begin(), over->disable.end());
            }
        }
        return file_load;
    };

    // --fix and --diff come first: the check below then reports what is left (--fix) or,
    // with standard output holding the diff, only sets the exit status.
    std::optional<std::string> stdin_text;
    bool unwritten = false;
    if (o.fix || o.diff) {
        if (o.fix && std::find(files.begin(), files.end(), "-") != files.end()) {
            std::cerr << "proxyctl check: --fix rewrites files and cannot rewrite standard "
                         "input: name the file, or use --diff\n";
            return exit_usage;
        }
        Fixer fixer(
            [werror, threshold](const Diagnostic& d) {
                if (d.is(Rule::PX000)) return false;
                bool raised = werror && d.severity == Severity::warning;
                return (raised ? Severity::error : d.severity) >= threshold;
            },
            o.unsafe_fixes);
        for (const auto& path : files) {
            if (path != "-") {
                fixer.fix(path, options_for(path));
                continue;
            }
            if (!stdin_text) stdin_text.emplace(proxycfg::read_standard_input());
            fixer.fix(stdin_name, options_for(stdin_name), &*stdin_text);
        }
        std::vector<std::string> failed;
        for (const auto& c : fixer.changed()) {
            if (o.diff) std::cout << unified_diff(diff_path(c.path), c.before, c.after);
            if (!o.fix) continue;
            std::string error;
            if (!replace_unchanged(c.path, c.before, c.after, error)) {
                std::cerr << "proxyctl check: " << c.path << ": not fixed: " << error
                          << " (the file is as it was)\n";
                failed.push_back(c.path);
            }
        }
        std::cout.flush();
        unwritten = !failed.empty();
        if (!o.quiet)
            for (const auto& line : fixer.report(!o.fix, failed))
                std::cerr << "proxyctl check: " << line << '\n';
    }

    std::vector<Loaded> loaded;
    std::vector<CheckedFile> checked;
    bool unreadable = false;
    loaded.reserve(files.size());
    Progress progress(files.size());
    for (const auto& path : files) {
        progress.show(loaded.size(), path);
        const bool from_stdin = path == "-";
        const std::string& name = from_stdin ? stdin_name : path;
        LoadOptions file_load = options_for(name);
        if (from_stdin && stdin_text) {
            loaded.push_back(load_config_text(stdin_name, *stdin_text, file_load));
        } else if (from_stdin) {
            // A person who typed `proxyctl check` alone would otherwise wait on a silent
            // terminal.
            if (::isatty(STDIN_FILENO) == 1 && !o.quiet)
                std::cerr << "proxyctl check: reading the configuration from standard input; "
                             "end it with Ctrl-D (or give FILE)\n";
            std::string text = proxycfg::read_standard_input();
            loaded.push_back(load_config_text(stdin_name, std::move(text), file_load));
        } else {
            loaded.push_back(load_config(path, file_load));
        }
        Loaded& l = loaded.back();
        if (!l.readable()) unreadable = true;
        CheckedFile cf;
        cf.sources = l.parse.config.sources.get();
        cf.display_path = name;
        for (const auto& d : l.diagnostics) {
            Diagnostic copy = d;
            if (werror && copy.severity == Severity::warning) copy.severity = Severity::error;
            if (copy.severity >= threshold || copy.is(Rule::PX000))
                cf.diagnostics.push_back(std::move(copy));
        }
        checked.push_back(std::move(cf));
    }
    progress.erase();
    CheckOptions effective = o;
    effective.werror = werror;
    if (live_status) {
        if (add_live_findings(effective, *live_status, files, load, threshold, loaded, checked) ==
            0) {
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
        if (status) add_live_findings(effective, *status, files, load, threshold, loaded, checked);
    }

    FormatOptions fo;
    fo.color = format == OutputFormat::text && use_color(o.color);
    fo.tool_version = PROXY_VERSION;
    fo.rules_hint = !o.quiet;
    if (!o.write_baseline.empty()) {
        // A baseline missing the findings of a file that could not be read would pass
        // them later as new: report the file and write nothing.
        if (unreadable) {
            write_diagnostics(std::cout, format, checked, fo);
            std::cerr << "proxyctl check: baseline " << o.write_baseline
                      << " not written: a file could not be read\n";
            return exit_usage;
        }
        // What the daemon runs changes by the minute: only the files' own findings are kept.
        std::vector<CheckedFile> recorded = checked;
        std::size_t count = 0;
        for (auto& cf : recorded) {
            std::erase_if(cf.diagnostics, [](const Diagnostic& d) { return is_live_rule(d.code); });
            count += cf.diagnostics.size();
        }
        std::string error;
        if (!write_baseline(o.write_baseline, recorded, error)) {
            std::cerr << "proxyctl check: " << error << '\n';
            return exit_usage;
        }
        if (!o.quiet)
            std::cerr << "proxyctl check: wrote " << count << " finding" << (count == 1 ? "" : "s")
                      << " to the baseline " << o.write_baseline << '\n';
        return exit_ok;
    }
    std::size_t baselined = 0;
    if (!baseline_path.empty()) {
        Baseline baseline;
        std::string error;
        if (!baseline.read(baseline_path, error)) {
            std::cerr << "proxyctl check: " << error << '\n';
            return exit_usage;
        }
        baselined = baseline.remove_known(checked);
    }

    // With --diff, standard output is the diff alone.
    std::ostream discard(nullptr);
    write_diagnostics(o.diff ? discard : std::cout, format, checked, fo);
    // Live findings are shown with their severity but fail the check only with --live:
    // "edited but not reloaded" must not stop the reload that applies the edit.
    int status = exit_ok;
    for (const auto& cf : checked)
        for (const auto& d : cf.diagnostics)
            if ((o.live || !is_live_rule(d.code)) &&
                (!fail_threshold || d.severity >= *fail_threshold))
                status = exit_findings;
    if (unreadable || unwritten) status = exit_usage;
    // Seen at a terminal only: pipes and the CI formats stay exactly the findings.
    const bool summary =
        !o.quiet && !o.diff && format == OutputFormat::text && ::isatty(STDOUT_FILENO) == 1;
    if (summary) {
        std::cout << "proxyctl check: " << files.size() << " file" << (files.size() == 1 ? "" : "s")
                  << " checked, " << count_findings(checked);
        if (baselined > 0) std::cout << ", " << baselined << " in the baseline";
        std::cout << " (" << elapsed_since(started) << ")\n";
    } else if (baselined > 0 && !o.quiet) {
        std::cerr << "proxyctl check: " << baselined << " finding" << (baselined == 1 ? "" : "s")
                  << " in the baseline " << baseline_path << " not shown\n";
    }
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
    cmd->add_option("files", o->files,
                    "Configuration files, or directories to check every *.cfg and *.conf "
                    "under; '-' (or no FILE) reads standard input")
        ->type_name("FILE|DIR...");
    auto* dialect = cmd->add_option("--dialect", o->dialect,
                                    "proxyd (default): also report what proxyd does not "
                                    "implement; 3proxy: lint for a real 3proxy")
                        ->check(CLI::IsMember({"proxyd", "3proxy"}));
    cmd->add_option("--format", o->format, "Output format")
        ->check(CLI::IsMember({"text", "gcc", "json", "sarif", "github"}));
    auto* severity = cmd->add_option("--severity", o->severity,
                                     "Report findings at or above this severity (default: warning)")
                         ->check(CLI::IsMember({"error", "warning", "info"}));
    cmd->add_flag("--werror", o->werror, "Treat warnings as errors");
    cmd->add_option("--fail-on", o->fail_on,
                    "Exit 1 only for findings at or above this severity; the others are still "
                    "reported (default: any finding reported)")
        ->check(CLI::IsMember({"error", "warning", "info"}));
    cmd->add_option("--disable", o->disable,
                    "Rules to switch off by code or name, any case, comma separated "
                    "(PX101,unknown-directive)")
        ->allow_extra_args(false)
        ->type_name("RULE,...");
    cmd->add_flag("-q,--quiet", o->quiet,
                  "No summary line at a terminal and no notes on standard error; only findings");
    cmd->add_option("--stdin-filename", o->stdin_filename,
                    "The name standard input is reported under (default <stdin>); also where "
                    ".proxyctl.toml and its overrides are looked up for it")
        ->type_name("NAME");
    auto* baseline =
        cmd->add_option("--baseline", o->baseline,
                        "Report only findings that are not in FILE (written by --write-baseline)")
            ->type_name("FILE");
    cmd->add_option("--write-baseline", o->write_baseline,
                    "Record the current findings in FILE and exit 0: later checks with "
                    "--baseline FILE fail only on new ones")
        ->type_name("FILE")
        ->excludes(baseline);
    cmd->add_flag("--no-config", o->no_config,
                  "Ignore .proxyctl.toml (the project defaults otherwise found upward from the "
                  "first FILE, or the working directory for standard input)");
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
    auto* fix = cmd->add_flag("--fix", o->fix,
                              "Apply the safe fix-its in place (atomically), then report what "
                              "is left; not for standard input");
    auto* diff = cmd->add_flag("--diff", o->diff,
                               "Print the fixes --fix would make as a unified diff (patch -p1) "
                               "and change nothing; with --fix, print what it changed");
    cmd->add_flag("--unsafe-fixes", o->unsafe_fixes,
                  "With --fix or --diff: also the fixes that change which requests are allowed "
                  "or how sessions are treated");
    fix->excludes("--write-baseline");
    diff->excludes("--write-baseline");
    cmd->add_option("--color", o->color, "Colour the text output: auto (default), always, never")
        ->check(CLI::IsMember({"auto", "always", "never"}));
    cmd->footer(
        "Exit status: 0 no findings at or above the threshold (--fail-on, else --severity),\n"
        "1 findings, 2 usage or I/O error (with --live: also when no proxyd answers).\n"
        "The PX4xx findings about a running proxyd are reported but count only with --live,\n"
        "so 'check && reload' applies a valid edit.\n"
        "Suppress a finding with '# proxyctl: disable=PX101' on the line above it (a rule's\n"
        "name works as well as its code); a later '# proxyctl: enable=PX101' makes it a block,\n"
        "'disable-file=' covers the file. A suppression that hides nothing is PX029.\n"
        "--fix applies the fix-its that keep what 3proxy does; --unsafe-fixes adds those that\n"
        "change which requests are allowed or how sessions are treated ('proxyctl rules CODE'\n"
        "says which). Of two fixes that overlap the first is applied and the other in a\n"
        "later round; up to four rounds, so fixes that enable others converge in one run.\n"
        "--diff prints the same changes as a unified diff and writes\n"
        "nothing: standard output is the diff alone, the exit status is that of the files as\n"
        "they are. --fix --diff writes the files and prints the diff of what it wrote.\n"
        "At a terminal, text output ends with a summary line (files, findings, time); piped\n"
        "output and the other formats hold the findings only. Standard input read from a\n"
        "terminal is announced on standard error. Project defaults (dialect, severity, fail-on,\n"
        "disabled rules, per-path overrides, excludes, baseline) come from .proxyctl.toml;\n"
        "options given here win (see proxyctl(1), FILES).\n"
        "Examples:\n"
        "  proxyctl check /etc/proxyd/proxyd.cfg && proxyctl reload\n"
        "  proxyctl check configs/           (every *.cfg and *.conf below, in order)\n"
        "  proxyctl check --live       (monitoring: exit 1 while proxyd runs an older config)\n"
        "  proxyctl check --dialect 3proxy --format gcc /etc/3proxy/3proxy.cfg\n"
        "  proxyctl check --disable unknown-directive,PX204 proxyd.cfg\n"
        "  proxyctl check --severity info --fail-on error configs/   (show all, fail on errors)\n"
        "  proxyctl check --format sarif configs/*.cfg > proxyctl.sarif\n"
        "  proxyctl check --write-baseline baseline.json configs/   (then --baseline)\n"
        "  git show HEAD:proxyd.cfg | proxyctl check --stdin-filename proxyd.cfg -\n"
        "  proxyctl check --diff proxyd.cfg | patch -p1   (same as: proxyctl check --fix)");
    cmd->callback([o, dialect, severity, &runner] {
        o->dialect_given = dialect->count() > 0;
        o->severity_given = severity->count() > 0;
        runner.status = run_check(*o);
    });
}

}  // namespace proxyctl
