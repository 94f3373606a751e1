#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "commands.hpp"
#include "suggest.hpp"

namespace {

// CLI11 reports a mistyped subcommand as "A subcommand is required"; name the word and the
// subcommand it is closest to instead. Only --help and --version come before a subcommand,
// so the first word that is not an option is where the subcommand belongs.
bool unknown_subcommand(CLI::App& app, int argc, char** argv) {
    if (argc < 2) return false;
    std::string word = argv[1];
    if (word.empty() || word[0] == '-') return false;
    std::vector<std::string> visible;
    for (const auto* sub : app.get_subcommands([](CLI::App*) { return true; })) {
        if (sub->get_name() == word) return false;
        if (!sub->get_group().empty()) visible.push_back(sub->get_name());
    }
    std::cerr << "proxyctl: unknown command '" << word << "'"
              << proxyctl::did_you_mean(word, visible) << '\n';
    // 'proxyctl proxyd.cfg': the command was left out, not mistyped.
    std::error_code ec;
    if (std::filesystem::exists(word, ec))
        std::cerr << "  to lint that file: proxyctl check " << word << '\n';
    std::cerr << "  run 'proxyctl --help' for the list of commands\n";
    return true;
}

// A large configuration file is mapped under a read lease, which holds writers off while
// it is read (map_file_bytes). Only a lease the kernel broke (held past
// /proc/sys/fs/lease-break-time, say while the command was stopped) lets another process
// shrink the file under it, and then reading the lost pages raises SIGBUS: end with a
// sentence and the usage/I-O status instead of "Bus error". Any other SIGBUS is left to
// its default action.
void on_sigbus(int sig, siginfo_t* info, void*) {
    if (info->si_code == BUS_ADRERR) {
        static constexpr char message[] =
            "proxyctl: a configuration file was truncated while it was being read; "
            "run the command again\n";
        [[maybe_unused]] auto n = ::write(STDERR_FILENO, message, sizeof message - 1);
        ::_exit(proxyctl::exit_usage);
    }
    ::raise(sig);  // SA_RESETHAND: the default action now
}

void handle_truncated_files() {
    struct sigaction action {};
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_RESETHAND;
    ::sigemptyset(&action.sa_mask);
    ::sigaction(SIGBUS, &action, nullptr);
}

// proxyctl is one short command whose peak memory is the size of what it loads. The
// checks of a large file run on two threads; with glibc's default, the second allocates
// from an arena of its own, which only adds to the peak (about 5 MB on a 50 MB file), while
// the main heap has the room the checks need and the time spent waiting on the allocator's
// lock is too small to measure.
void one_heap() {
    ::mallopt(M_ARENA_MAX, 1);
}

}  // namespace

int main(int argc, char** argv) {
    handle_truncated_files();
    one_heap();
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
    proxyctl::register_explain(app, runner);
    proxyctl::register_completion(app, runner);
    proxyctl::register_complete(app, runner);
    if (unknown_subcommand(app, argc, argv)) return proxyctl::exit_usage;
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : proxyctl::exit_usage;
    } catch (const std::length_error& e) {
        // An input past a limit a command does not check for itself.
        std::cerr << "proxyctl: " << e.what() << '\n';
        return proxyctl::exit_usage;
    } catch (const std::runtime_error& e) {
        // Standard input that cannot be read (proxycfg::read_standard_input).
        std::cerr << "proxyctl: " << e.what() << '\n';
        return proxyctl::exit_usage;
    }
    return runner.status;
}
