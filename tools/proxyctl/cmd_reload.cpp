// proxyctl reload: ask the running proxyd to load its files again, through the control
// socket (the reload record comes back) or, with --signal, by SIGUSR1/SIGHUP to the pid in
// the config's pidfile (for daemons without a control socket, a real 3proxy included).
#include <signal.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <thread>

#include "commands.hpp"
#include "control_client.hpp"
#include "drain_wait.hpp"
#include "proxycfg/lint.hpp"
#include "proxycontrol/duration.hpp"

namespace proxyctl {
namespace {

constexpr const char* default_config = "/etc/proxyd/proxyd.cfg";
// --wait-drained: the reload was applied but sessions of older generations outlived the
// wait (4), or the wait was interrupted (130, as a shell reports Ctrl-C).
constexpr int exit_not_drained = 4;
constexpr int exit_interrupted = 130;

struct ReloadOptions {
    LiveOptions live;
    bool dry_run = false;
    bool allow_drop = false;
    bool signal = false;
    std::string signal_name;
    std::string config;
    bool wait_drained = false;
    std::string wait_drained_for;  // TIMEOUT of --wait-drained=TIMEOUT; empty: forever
};

// USR1 (default), HUP, with or without SIG and in any case; 0 when not a signal name.
int parse_signal(std::string name) {
    for (auto& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (name.rfind("SIG", 0) == 0) name.erase(0, 3);
    if (name.empty() || name == "USR1") return SIGUSR1;
    if (name == "HUP") return SIGHUP;
    return 0;
}

// The --json document of every outcome is a reply envelope with two more members:
// "dry_run", whether --dry-run asked that nothing be applied, and "signal", null through
// the control socket, {"name","pid","pidfile"} with --signal (never a dry run).
nlohmann::json signal_member(const char* name = nullptr, long long pid = 0,
                             const std::string& pidfile = {}) {
    if (!name) return {{"dry_run", false}, {"signal", nullptr}};
    return {{"dry_run", false}, {"signal", {{"name", name}, {"pid", pid}, {"pidfile", pidfile}}}};
}

nlohmann::json socket_members(bool dry_run) {
    nlohmann::json members = signal_member();
    members["dry_run"] = dry_run;
    return members;
}

// A failure of the --signal path, as the envelope scripts get with --json.
void print_signal_failure(bool json, const std::string& code, const std::string& message,
                          const nlohmann::json& signal = signal_member()) {
    if (!json) return;
    nlohmann::json envelope = control::error_reply(code, message);
    for (const auto& [key, value] : signal.items()) envelope[key] = value;
    std::cout << envelope.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

int print_reload_result(const nlohmann::json& result, bool json,
                        const nlohmann::json& signal = signal_member()) {
    control::ReloadRecord record;
    try {
        record = result.get<control::ReloadRecord>();
    } catch (const nlohmann::json::exception& e) {
        std::cerr << "proxyctl reload: malformed reload record: " << e.what() << '\n';
        print_signal_failure(json, err_bad_reply,
                             std::string("malformed reload record: ") + e.what(), signal);
        return exit_unreachable;
    }
    if (json) {
        // A failed attempt seen through status is refused as the control command refuses.
        nlohmann::json envelope =
            record.result == "failed"
                ? control::error_reply(control::err_reload_failed,
                                       "the new configuration was refused; generation " +
                                           std::to_string(record.generation) + " keeps serving",
                                       record.diagnostics, record)
                : control::ok_reply(record);
        for (const auto& [key, value] : signal.items()) envelope[key] = value;
        std::cout << envelope.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    } else {
        print_record(std::cout, record);
        if (record.result == "failed") print_diagnostics(std::cout, record.diagnostics);
    }
    return record.result == "failed" ? exit_findings : exit_ok;
}

// The last reload as status reports it, to tell when a signalled reload has happened.
struct ReloadMark {
    std::uint64_t generation = 0;
    std::int64_t started_at_ms = 0;
    bool operator==(const ReloadMark&) const = default;
};

std::optional<std::pair<ReloadMark, nlohmann::json>> last_reload(
    const std::string& path, std::chrono::milliseconds timeout) {
    ControlReply reply = request(path, "status", nullptr, timeout);
    if (!reply.ok()) return std::nullopt;
    try {
        auto s = reply.result->get<control::Status>();
        ReloadMark mark{s.generation, s.last_reload ? s.last_reload->started_at_ms : 0};
        nlohmann::json record = s.last_reload ? nlohmann::json(*s.last_reload) : nlohmann::json();
        return std::make_pair(mark, std::move(record));
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
}

int run_signal(const ReloadOptions& o, int sig) {
    const char* sig_name = sig == SIGHUP ? "SIGHUP" : "SIGUSR1";
    std::string config = o.config.empty() ? default_config : o.config;
    const bool json = o.live.json;
    // Every failure below is also one JSON document on stdout with --json.
    auto fail = [json](int status, const std::string& message,
                       const nlohmann::json& signal = signal_member()) {
        print_signal_failure(json, "signal_failed", message, signal);
        return status;
    };
    proxycfg::Loaded loaded = proxycfg::load_config(config);
    if (!loaded.readable()) {
        std::cerr << "proxyctl reload: cannot read " << config;
        if (!loaded.diagnostics.empty()) std::cerr << ": " << loaded.diagnostics.front().message;
        std::cerr << '\n';
        return fail(exit_usage, "cannot read " + config);
    }
    const std::string& pidfile = loaded.model.globals.pidfile.value;
    if (pidfile.empty()) {
        std::cerr << "proxyctl reload: " << config
                  << " has no 'pidfile' directive, so --signal cannot find proxyd's pid\n"
                     "  add 'pidfile PATH' to the config, or reload through the control socket "
                     "(without --signal)\n";
        return fail(exit_usage, config + " has no 'pidfile' directive");
    }
    std::ifstream in(pidfile);
    long long pid = 0;
    if (!in) {
        std::string reason = std::strerror(errno);
        std::cerr << "proxyctl reload: cannot read pidfile " << pidfile << " (named in " << config
                  << "): " << reason << "\n  is proxyd running?\n";
        return fail(exit_unreachable, "cannot read pidfile " + pidfile + ": " + reason);
    }
    if (!(in >> pid) || pid <= 1) {
        std::cerr << "proxyctl reload: pidfile " << pidfile << " does not hold a process id\n";
        return fail(exit_unreachable, "pidfile " + pidfile + " does not hold a process id");
    }
    if (::kill(static_cast<pid_t>(pid), 0) != 0) {
        bool denied = errno == EPERM;
        if (denied)
            std::cerr << "proxyctl reload: not permitted to signal pid " << pid << " (from "
                      << pidfile << "): run as proxyd's user or root\n";
        else
            std::cerr << "proxyctl reload: stale pidfile " << pidfile << ": no process " << pid
                      << " (proxyd is not running?)\n";
        return fail(exit_unreachable, (denied ? "not permitted to signal pid " : "no process ") +
                                          std::to_string(pid) + " (from " + pidfile + ")");
    }
    if (proxycfg::has_errors(loaded.diagnostics))
        std::cerr << "proxyctl reload: warning: " << config
                  << " has errors; proxyd will refuse it (see 'proxyctl check " << config << "')\n";

    // Only a daemon with a reachable socket can tell us the reload happened; ask it quickly.
    std::string path = socket_path(o.live.socket);
    auto before = last_reload(path, std::chrono::milliseconds(1000));
    if (::kill(static_cast<pid_t>(pid), sig) != 0) {
        std::string reason = std::strerror(errno);
        std::cerr << "proxyctl reload: kill(" << pid << ", " << sig_name << "): " << reason << '\n';
        return fail(exit_unreachable, std::string("kill(") + sig_name + "): " + reason);
    }
    const nlohmann::json sent = signal_member(sig_name, pid, pidfile);
    if (!before) {
        // Sent, but no daemon to say what came of it: the record is unknown (null).
        if (json)
            print_ok_json(nullptr, false, sent);
        else
            std::cout << "sent " << sig_name << " to pid " << pid << " (from " << pidfile
                      << "); no control socket at " << path << " to confirm the reload\n";
        return exit_ok;
    }
    auto deadline = std::chrono::steady_clock::now() + reply_timeout();
    while (std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        auto after = last_reload(path, std::chrono::milliseconds(1000));
        if (after && !(after->first == before->first) && !after->second.is_null()) {
            if (!o.live.json) std::cout << "sent " << sig_name << " to pid " << pid << '\n';
            return print_reload_result(after->second, json, sent);
        }
    }
    std::cerr << "proxyctl reload: sent " << sig_name << " to pid " << pid
              << ", but proxyd reported no new reload within "
              << std::chrono::duration_cast<std::chrono::seconds>(reply_timeout()).count()
              << " s (PROXYCTL_TIMEOUT sets the limit)\n";
    print_signal_failure(json, err_timeout,
                         std::string("sent ") + sig_name + ", but proxyd reported no new reload",
                         sent);
    return exit_findings;
}

// --wait-drained after an applied reload: the record at once (text) or with the outcome
// of the wait in a "drained" member (--json), then the wait's exit status.
int wait_after_reload(const ReloadOptions& o, const nlohmann::json& result,
                      std::optional<std::chrono::milliseconds> wait_for) {
    std::uint64_t generation = 0;
    try {
        auto record = result.get<control::ReloadRecord>();
        if (record.result != "ok") return print_reload_result(result, o.live.json);
        generation = record.generation;
    } catch (const nlohmann::json::exception&) {
        return print_reload_result(result, o.live.json);  // reports the malformed record
    }
    if (!o.live.json) {
        print_reload_result(result, false);
        std::cout.flush();
    }
    DrainWait wait = wait_drained(socket_path(o.live.socket), generation, wait_for);
    if (o.live.json) {
        nlohmann::json members = socket_members(false);
        members["drained"] = drain_member(wait);
        print_reload_result(result, true, members);
    }
    auto waited = human_duration(wait.waited_ms);
    switch (wait.outcome) {
        case DrainWait::Outcome::drained:
            if (!o.live.json)
                std::cout << "drained: no session of a generation before " << generation
                          << " remains (waited " << waited << ")\n";
            return exit_ok;
        case DrainWait::Outcome::timed_out:
            std::cerr << "proxyctl reload: not drained after " << waited
                      << "; still pinned: " << describe_pinned(wait.pinned) << '\n';
            return exit_not_drained;
        case DrainWait::Outcome::interrupted:
            std::cerr << "proxyctl reload: interrupted after " << waited
                      << "; still pinned: " << describe_pinned(wait.pinned) << '\n';
            return exit_interrupted;
        case DrainWait::Outcome::failed:
            break;
    }
    std::cerr << "proxyctl reload: cannot wait for the drain: " << wait.error << '\n';
    return exit_unreachable;
}

int run_reload(ReloadOptions o) {
    // A usage error: the message (and a hint for people) on stderr, the envelope with --json.
    auto usage_error = [&o](const std::string& message, const std::string& hint) {
        std::cerr << "proxyctl reload: " << message << hint << '\n';
        print_signal_failure(o.live.json, "usage", message, socket_members(o.dry_run));
        return exit_usage;
    };
    if (o.signal) {
        int sig = parse_signal(o.signal_name);
        if (sig == 0) {
            // `reload --signal CONFIG`: the optional value was the config file.
            if (!o.config.empty()) {
                return usage_error("unknown signal '" + o.signal_name + "' (USR1 or HUP)", "");
            }
            o.config = o.signal_name;
            sig = SIGUSR1;
        }
        if (o.dry_run) {
            return usage_error("--dry-run works through the control socket only",
                               " (use 'proxyctl check' or 'proxyctl diff')");
        }
        if (o.allow_drop) {
            return usage_error("--allow-drop works through the control socket only",
                               " (a signalled reload never drops services in use)");
        }
        if (o.wait_drained) {
            return usage_error("--wait-drained works through the control socket only", "");
        }
        return run_signal(o, sig);
    }
    int status = exit_ok;
    nlohmann::json args = nlohmann::json::object();
    if (o.dry_run) args["dry_run"] = true;
    if (o.allow_drop) args["allow_drop"] = true;
    std::optional<std::chrono::milliseconds> wait_for;
    if (o.wait_drained) {
        if (o.dry_run)
            return usage_error("--wait-drained waits for an applied reload",
                               " (--dry-run applies nothing)");
        if (!o.wait_drained_for.empty()) {
            std::string error;
            wait_for = control::parse_duration(o.wait_drained_for, error);
            if (!wait_for) return usage_error("--wait-drained: " + error, "");
        }
    }
    auto result = call("reload", o.live, "reload", status, args, socket_members(o.dry_run));
    if (!result) return status;
    if (!o.wait_drained)
        return print_reload_result(*result, o.live.json, socket_members(o.dry_run));
    return wait_after_reload(o, *result, wait_for);
}

}  // namespace

void register_reload(CLI::App& app, Runner& runner) {
    auto o = std::make_shared<ReloadOptions>();
    auto* cmd = app.add_subcommand("reload", "Reload the running proxyd and show what changed");
    cmd->add_flag("--dry-run", o->dry_run, "Check and compute the reload without applying it");
    cmd->add_flag("--allow-drop", o->allow_drop,
                  "Apply the configuration even if it stops every service or closes listeners "
                  "that serve live sessions (refused otherwise, PX313)");
    auto* sig = cmd->add_option("--signal", o->signal_name,
                                "Send SIGUSR1 (default) or SIGHUP to the pid in CONFIG's pidfile "
                                "instead of using the control socket")
                    ->expected(0, 1)
                    ->type_name("[USR1|HUP]");
    cmd->add_option("config", o->config,
                    std::string("Configuration whose pidfile --signal reads (default ") +
                        default_config + ")")
        ->type_name("CONFIG");
    auto* wait = cmd->add_option("--wait-drained", o->wait_drained_for,
                                 "After the reload, wait until no session of an older "
                                 "generation remains; with TIMEOUT (30s, 5m, 1h) give up "
                                 "after it, exit 4 and list what still pins (default: wait "
                                 "as long as it takes; Ctrl-C stops, exit 130)")
                     ->expected(0, 1)
                     ->type_name("[TIMEOUT]");
    add_live_options(cmd, o->live);
    cmd->footer(
        "Exit status: 0 reloaded, 1 proxyd refused the new configuration (diagnostics shown),\n"
        "2 usage error, 3 proxyd unreachable, 4 --wait-drained=TIMEOUT passed with sessions of\n"
        "older generations left, 130 --wait-drained interrupted.\n"
        "Examples:\n"
        "  proxyctl reload --dry-run\n"
        "  proxyctl reload --wait-drained=5m     reload, then wait for older sessions to end\n"
        "  proxyctl reload --allow-drop          after removing a service that has sessions\n"
        "  proxyctl reload --signal HUP /etc/proxyd/proxyd.cfg");
    cmd->callback([o, sig, wait, &runner] {
        o->signal = sig->count() > 0;
        o->wait_drained = wait->count() > 0;
        runner.status = run_reload(*o);
    });
}

}  // namespace proxyctl
