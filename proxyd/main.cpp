// proxyd: loads a 3proxy-language configuration through libproxycfg (exactly what
// `proxyctl check` validates) and serves its socks, proxy and tcppm services.
#include <ares.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "access_log.hpp"
#include "config_snapshot.hpp"
#include "control/gateway.hpp"
#include "control/server.hpp"
#include "counter_keeper.hpp"
#include "daemon.hpp"
#include "jail.hpp"
#include "listen_sockets.hpp"
#include "listener.hpp"
#include "metrics.hpp"
#include "monitor.hpp"
#include "notify.hpp"
#include "proxycfg/diagnostic.hpp"
#include "proxycfg/format.hpp"
#include "proxycfg/lint.hpp"
#include "proxycfg/util.hpp"
#include "proxycontrol/duration.hpp"
#include "reload.hpp"
#include "system_command.hpp"
#include "worker.hpp"

namespace {

constexpr const char* default_config = "/etc/proxyd/proxyd.cfg";
// Editors and `cp` write a file in several steps; a reload waits until it is quiet.
constexpr std::chrono::milliseconds monitor_quiet{200};
constexpr std::chrono::milliseconds control_tick{50};

struct Options {
    std::string config = default_config;
    bool daemon = false;
    bool check = false;
    unsigned workers = 0;
    std::string control;  // empty: control::default_socket_path(), best effort
    std::string control_group;
    std::string control_admin_group;
    unsigned control_timeout_ms = 5000;
    // Sessions on a superseded generation are closed this long after it was superseded;
    // none: they live until they end, as in 3proxy.
    std::optional<std::chrono::milliseconds> drain_timeout;
};

void print_diagnostics(std::ostream& out, int fd, const proxycfg::Loaded& loaded,
                       const std::string& path) {
    proxycfg::CheckedFile file;
    file.sources = loaded.parse.config.sources.get();
    file.display_path = path;
    file.diagnostics = loaded.diagnostics;
    proxycfg::FormatOptions format;
    format.color = proxycfg::color_enabled(fd);
    format.tool_version = PROXY_VERSION;
    proxycfg::write_diagnostics(out, proxycfg::OutputFormat::text, {file}, format);
}

// The daemon may chdir (--daemon) and status reports paths proxyctl compares with its own.
// `monitor` paths are taken relative to the configuration's directory.
std::vector<std::string> monitored_files(const proxyd::ConfigSnapshot& snapshot) {
    std::string base = snapshot.config_path.substr(0, snapshot.config_path.rfind('/') + 1);
    std::vector<std::string> out;
    for (const auto& m : snapshot.model->globals.monitor_files) {
        std::string path = m.value.empty() || m.value[0] == '/' ? m.value : base + m.value;
        out.push_back(proxycfg::canonical_path(path));
    }
    return out;
}

// The model with the files it was read from named as proxyd reaches them from inside
// `jail` (what reloads, `diff` and `status` compare against).
std::shared_ptr<const proxycfg::Model> jailed_view(const proxycfg::Model& model,
                                                   const proxyd::Jail& jail) {
    auto view = std::make_shared<proxycfg::Model>(model);
    for (auto& f : view->files) f.path = jail.inside(f.path);
    return view;
}

// Whether the configuration read from inside the jail is the one proxyd started with:
// the same files, byte for byte. nullopt if so, else the first file that differs.
std::optional<std::string> differs_inside(const proxycfg::Model& started,
                                          const proxycfg::Model& inside) {
    for (const auto& f : started.files) {
        auto same = std::find_if(inside.files.begin(), inside.files.end(), [&](const auto& g) {
            return g.path == f.path && g.content_hash == f.content_hash;
        });
        if (same == inside.files.end()) return f.path;
    }
    if (inside.files.size() != started.files.size()) return inside.files.back().path;
    return std::nullopt;
}

// chroot (if configured), then setuid/setgid. The accounts are looked up first: inside
// the jail there may be no /etc/passwd. From inside, the configuration must read as it
// did at start (its files inside the jail, as the same bytes), or every later reload
// would fail or load something else: that refuses the start.
bool confine(const proxycfg::Model& model, const proxyd::Jail& jail,
             const std::string& config_inside) {
    const auto& chroot = model.globals.chroot.value;
    std::string error;
    auto account = proxyd::look_up_account(
        chroot.user.empty() ? model.globals.setuid.value : chroot.user,
        chroot.group.empty() ? model.globals.setgid.value : chroot.group, error);
    bool ok = account.has_value();
    if (ok && jail.active()) {
        ok = jail.enter(error);
        if (ok) {
            auto loaded = proxyd::load_configuration(config_inside);
            if (!loaded.readable() || proxycfg::has_errors(loaded.diagnostics)) {
                if (loaded.readable())
                    print_diagnostics(std::cerr, STDERR_FILENO, loaded, config_inside);
                error = "after chroot " + jail.dir() + " the configuration " +
                        (loaded.readable() ? "has errors" : "is not readable") + " as " +
                        config_inside + ": reloads would fail; keep it and the files it " +
                        "names inside " + jail.dir();
                ok = false;
            } else if (auto file = differs_inside(model, loaded.model)) {
                error = "after chroot " + jail.dir() + " the configuration reads " + *file +
                        " differently than at start: name included files relative to the " +
                        "configuration, or as they are inside " + jail.dir();
                ok = false;
            }
        }
    }
    if (ok) ok = proxyd::drop_privileges(*account, error);
    if (!ok) std::fprintf(stderr, "proxyd: %s\n", error.c_str());
    return ok;
}

void warn_unserved_services(const proxycfg::Model& model) {
    for (const auto& s : model.services)
        if (!proxyd::served(s.type))
            std::fprintf(stderr, "proxyd: warning: %s: service type %s is not served by proxyd\n",
                         std::string(s.label).c_str(),
                         std::string(proxycfg::to_string(s.type)).c_str());
}

// The CPUs this process may run on (taskset, cpusets), as nproc(1) counts them: more
// workers than that only take turns on the same CPUs.
unsigned usable_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return static_cast<unsigned>(CPU_COUNT(&set));
    return std::max(1u, std::thread::hardware_concurrency());
}

// Signals are taken synchronously by the main thread (sigwait); workers never see them.
sigset_t block_signals() {
    ::signal(SIGPIPE, SIG_IGN);
    sigset_t signals;
    sigemptyset(&signals);
    for (int s : {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2}) sigaddset(&signals, s);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    return signals;
}

// False when the start must fail: a control socket asked for with --control cannot open.
bool open_control_socket(proxyd::ControlServer& control, const Options& options) {
    proxyd::ControlOptions co;
    co.path = options.control.empty() ? control::default_socket_path() : options.control;
    co.group = options.control_group;
    co.admin_group = options.control_admin_group;
    co.timeout = std::chrono::milliseconds(options.control_timeout_ms);
    std::string error;
    if (control.open(co, error)) {
        std::fprintf(stderr, "proxyd: control socket %s\n", co.path.c_str());
    } else if (!options.control.empty()) {
        std::fprintf(stderr, "proxyd: %s\n", error.c_str());
        return false;
    } else {
        // The default place may not exist (no XDG_RUNTIME_DIR): serve without one.
        std::fprintf(stderr, "proxyd: warning: no control socket: %s\n", error.c_str());
    }
    return true;
}

// Until SIGTERM or SIGINT: reloads go to the control thread, which runs them one at a
// time; log rotation happens here.
void handle_signals(const sigset_t& signals, proxyd::EventLoop& control_loop,
                    proxyd::ReloadEngine& engine, proxyd::AccessLog& access_log) {
    for (;;) {
        int sig = 0;
        if (sigwait(&signals, &sig) != 0) continue;
        if (sig == SIGTERM || sig == SIGINT) return;
        if (sig == SIGUSR1) {
            control_loop.post([&engine] { engine.reload("usr1", proxyd::ReloadKind::recheck); });
        } else if (sig == SIGHUP) {
            control_loop.post([&engine] { engine.reload("hup", proxyd::ReloadKind::traditional); });
        } else if (sig == SIGUSR2) {
            // Log rotation without a reload (logrotate): edits on disk stay unapplied.
            access_log.reopen();
            std::fprintf(stderr, "proxyd: log files reopened (usr2)\n");
        } else {
            std::fprintf(stderr, "proxyd: signal %d ignored\n", sig);
        }
    }
}

int serve(const Options& options, proxycfg::Loaded loaded) {
    auto started_at_ms = proxycfg::unix_ms(std::chrono::system_clock::now());
    auto model = std::make_shared<const proxycfg::Model>(std::move(loaded.model));
    warn_unserved_services(*model);

    if (options.daemon || model->globals.daemon.value) {
        std::string error;
        if (!proxyd::daemonize(error)) {
            std::fprintf(stderr, "proxyd: %s\n", error.c_str());
            return 1;
        }
    }
    proxyd::raise_fd_limit();

    sigset_t signals = block_signals();
    proxyd::run_system_commands(*model, "start");

    unsigned workers = options.workers ? options.workers : usable_cpus();
    // One socket per port, shared by the workers; all are bound before any is used, so a
    // port in use refuses the start instead of serving half the config.
    std::string listen_error;
    auto listening = proxyd::ListenSockets{}.bind_for_workers(
        *model, proxyd::served_services(*model), workers, listen_error);
    if (!listening) {
        std::fprintf(stderr, "proxyd: %s\n", listen_error.c_str());
        return 1;
    }

    std::optional<proxyd::Pidfile> pidfile;
    if (!model->globals.pidfile.value.empty()) {
        std::string error;
        pidfile = proxyd::Pidfile::create(model->globals.pidfile.value, error);
        if (!pidfile) {
            std::fprintf(stderr, "proxyd: %s\n", error.c_str());
            return 1;
        }
    }

    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
        std::fprintf(stderr, "proxyd: cannot initialise c-ares\n");
        return 1;
    }
    int status = 0;
    {
        // The daemon's one metrics object: workers, the reload engine and the control
        // commands update it; it outlives them all.
        proxyd::Metrics metrics;
        proxyd::AccessLog access_log;
        // With a chroot, every path proxyd reads once it runs (reloads, monitor, diff) is
        // the one by which it reaches the file from inside the jail.
        const proxyd::Jail jail(model->globals.chroot.value.dir);
        auto snapshot = std::make_shared<const proxyd::ConfigSnapshot>(
            jail.active() ? jailed_view(*model, jail) : model, 1, jail.inside(options.config));
        std::vector<std::unique_ptr<proxyd::Worker>> pool;
        std::vector<proxyd::Worker*> worker_list;
        for (unsigned w = 0; w < workers; ++w) {
            pool.push_back(std::make_unique<proxyd::Worker>(
                snapshot, access_log, std::move(listening->per_worker[w]), &metrics));
            pool.back()->set_drain_timeout(options.drain_timeout);
            worker_list.push_back(pool.back().get());
        }

        // The control thread: reloads, the control socket and `monitor` all run on its
        // loop, one at a time, so reloads never overlap.
        auto notifier = proxyd::SystemdNotifier::from_environment();
        proxyd::ReloadEngine engine(snapshot, worker_list, access_log,
                                    notifier ? &*notifier : nullptr, std::move(listening->table));
        engine.set_metrics(&metrics);
        // Traffic counts saved by an earlier run: a file that cannot be read refuses the
        // start, since the next save would overwrite what it holds.
        proxyd::CounterKeeper counter_keeper(engine, jail.active() ? jail.dir() : std::string());
        if (std::string error; !counter_keeper.load(error)) {
            std::fprintf(stderr, "proxyd: %s\n", error.c_str());
            status = 1;
        }
        proxyd::EventLoop control_loop;
        proxyd::control_cmd::Context context{engine, started_at_ms, {}, &metrics};
        engine.on_outcome([&context](const proxyd::ReloadOutcome& outcome) {
            proxyd::control_cmd::record_reload(context, outcome);
        });
        // The admin service's sessions reach the control thread through this.
        proxyd::ControlGateway gateway(control_loop, context);
        for (auto* worker : worker_list) worker->set_control_gateway(&gateway);
        proxyd::ControlServer control(control_loop, context);
        if (!open_control_socket(control, options)) status = 1;
        // Last of the privileged steps: ports, pidfile and control socket are in place.
        if (status == 0 && !confine(*snapshot->model, jail, snapshot->config_path)) status = 1;
        counter_keeper.confined();
        // Workers accept only now: no session starts, and no log file is opened, before
        // the chroot that decides where its path leads.
        if (status == 0)
            for (auto& worker : pool) worker->start();
        proxyd::FileMonitor monitor(control_loop, monitor_quiet, [&engine] {
            engine.reload("monitor", proxyd::ReloadKind::recheck);
        });
        monitor.watch(monitored_files(*snapshot));
        std::uint64_t watched_generation = snapshot->generation;
        control_loop.set_tick(control_tick, [&] {
            control.on_tick();
            monitor.on_tick();
            counter_keeper.on_tick();
            if (engine.current()->generation != watched_generation) {
                watched_generation = engine.current()->generation;
                monitor.watch(monitored_files(*engine.current()));
            }
        });
        control_loop.set_end_of_batch([&control] { control.collect(); });
        std::thread control_thread;
        if (status == 0) {
            control_thread = std::thread([&control_loop] { control_loop.run(); });
            std::fprintf(stderr, "proxyd: serving %s with %u worker%s\n", options.config.c_str(),
                         workers, workers == 1 ? "" : "s");
            if (notifier) notifier->ready();
        }

        if (status == 0) handle_signals(signals, control_loop, engine, access_log);
        if (notifier) notifier->stopping();
        // The control thread goes first: its reloads wait for the workers' loops.
        control_loop.stop();
        if (control_thread.joinable()) control_thread.join();
        for (auto& worker : pool) worker->request_stop();
        for (auto& worker : pool) worker->join();
        // After the workers: the sessions closed at shutdown have been counted.
        if (status == 0) counter_keeper.flush();
    }
    ares_library_cleanup();
    return status;
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    CLI::App app{"proxyd: a SOCKS4/4a/5 and HTTP proxy configured in the 3proxy language"};
    app.add_option("config", options.config, "configuration file")->capture_default_str();
    app.add_flag("--daemon,-d", options.daemon, "detach from the terminal after loading");
    app.add_flag("--check", options.check,
                 "validate the configuration, print its diagnostics like `proxyctl check`, exit");
    app.add_option("--workers,-w", options.workers, "worker threads (default: the CPUs proxyd may run on, as nproc counts)")
        ->check(CLI::Range(1u, 1024u));
    app.add_option("--control", options.control,
                   "control socket for proxyctl (default: " + control::default_socket_help() + ")")
        ->type_name("PATH");
    app.add_option("--control-group", options.control_group,
                   "members of GROUP may use the control socket's read-only commands (status, "
                   "sessions, diff, reloads, metrics, reload --dry-run); socket mode 0660")
        ->type_name("GROUP");
    app.add_option("--control-admin-group", options.control_admin_group,
                   "members of GROUP may also use the commands that change what runs (reload, "
                   "kill, reopen-logs), as root and proxyd's own user may")
        ->type_name("GROUP");
    app.add_option("--control-timeout", options.control_timeout_ms,
                   "disconnect control clients that send no complete request within MS")
        ->type_name("MS")
        ->check(CLI::Range(10u, 3600000u))
        ->capture_default_str();
    app.add_option_function<std::string>(
           "--drain-timeout",
           [&options](const std::string& text) {
               std::string error;
               options.drain_timeout = control::parse_duration(text, error);
               if (!options.drain_timeout) throw CLI::ValidationError("--drain-timeout", error);
           },
           "close sessions still on a configuration generation a reload superseded once "
           "DURATION has passed since that reload (30s, 5m, 1h; seconds without a unit); "
           "default: never, they run until they end")
        ->type_name("DURATION");
    app.set_version_flag("--version,-V", std::string("proxyd ") + PROXY_VERSION);
    app.footer(
        "Examples:\n"
        "  proxyd /etc/proxyd/proxyd.cfg            serve in the foreground (systemd)\n"
        "  proxyd --check /etc/proxyd/proxyd.cfg    validate only; exit 1 on errors\n"
        "  proxyd --daemon --workers 4 proxyd.cfg   detach, four event loops\n"
        "\n"
        "Signals: SIGUSR1 reloads and re-checks live sessions of force services; SIGHUP\n"
        "reloads for new connections only and reopens log files; SIGUSR2 only reopens log\n"
        "files (log rotation, no reload); SIGTERM/SIGINT exit.");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // Usage errors exit 2 as in proxyctl (CLI11's own codes, 105..., mean nothing to
        // scripts); --help and --version exit 0.
        return app.exit(e) == 0 ? 0 : 2;
    }

    if (!options.check) options.config = proxycfg::canonical_path(options.config);
    proxycfg::Loaded loaded = proxyd::load_configuration(options.config);
    bool errors = !loaded.readable() || proxycfg::has_errors(loaded.diagnostics);
    if (options.check) {
        print_diagnostics(std::cout, STDOUT_FILENO, loaded, options.config);
        return errors ? 1 : 0;
    }
    if (!loaded.diagnostics.empty())
        print_diagnostics(std::cerr, STDERR_FILENO, loaded, options.config);
    if (errors) {
        std::fprintf(stderr, "proxyd: %s has errors; not starting\n", options.config.c_str());
        return 1;
    }
    return serve(options, std::move(loaded));
}
