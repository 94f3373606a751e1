// proxyd: loads a 3proxy-language configuration through libproxycfg (exactly what
// `proxyctl check` validates) and serves its socks, proxy and tcppm services.
#include <ares.h>
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
#include "daemon.hpp"
#include "listener.hpp"
#include "proxycfg/diagnostic.hpp"
#include "proxycfg/format.hpp"
#include "proxycfg/lint.hpp"
#include "worker.hpp"

namespace {

constexpr const char* default_config = "/etc/proxyd/proxyd.cfg";

struct Options {
    std::string config = default_config;
    bool daemon = false;
    bool check = false;
    unsigned workers = 0;
};

bool served(proxycfg::ServiceType type) {
    using proxycfg::ServiceType;
    return type == ServiceType::socks || type == ServiceType::proxy || type == ServiceType::tcppm;
}

void print_diagnostics(std::ostream& out, int fd, const proxycfg::Loaded& loaded,
                       const std::string& path) {
    proxycfg::CheckedFile file;
    file.sources = loaded.parse.config.sources.get();
    file.display_path = path;
    file.diagnostics = loaded.diagnostics;
    proxycfg::FormatOptions format;
    format.color = ::isatty(fd) && std::getenv("NO_COLOR") == nullptr;
    format.tool_version = PROXY_VERSION;
    proxycfg::write_diagnostics(out, proxycfg::OutputFormat::text, {file}, format);
}

int serve(const Options& options, proxycfg::Loaded loaded) {
    auto model = std::make_shared<const proxycfg::Model>(std::move(loaded.model));
    for (const auto& s : model->services)
        if (!served(s.type))
            std::fprintf(stderr, "proxyd: warning: %s: service type %s is not served by proxyd\n",
                         s.label.c_str(), std::string(proxycfg::to_string(s.type)).c_str());

    if (options.daemon || model->globals.daemon.value) {
        std::string error;
        if (!proxyd::daemonize(error)) {
            std::fprintf(stderr, "proxyd: %s\n", error.c_str());
            return 1;
        }
    }
    proxyd::raise_fd_limit();

    // Signals are taken synchronously by the main thread (sigwait); workers never see them.
    ::signal(SIGPIPE, SIG_IGN);
    sigset_t signals;
    sigemptyset(&signals);
    for (int s : {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2}) sigaddset(&signals, s);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    unsigned workers =
        options.workers ? options.workers : std::max(1u, std::thread::hardware_concurrency());
    // Every worker gets its own socket per service (SO_REUSEPORT); all are bound before
    // any is used, so a port in use refuses the start instead of serving half the config.
    std::vector<std::vector<proxyd::BoundSocket>> sockets(workers);
    for (unsigned w = 0; w < workers; ++w) {
        for (const auto& service : model->services) {
            if (!served(service.type)) continue;
            std::string error;
            auto fd = proxyd::bind_listener(service, error);
            if (!fd) {
                std::fprintf(stderr, "proxyd: cannot listen for %s: %s\n", service.label.c_str(),
                             error.c_str());
                return 1;
            }
            sockets[w].push_back({service.index, std::move(*fd)});
        }
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
        proxyd::AccessLog access_log;
        auto snapshot = std::make_shared<const proxyd::ConfigSnapshot>(model, 1, options.config);
        std::vector<std::unique_ptr<proxyd::Worker>> pool;
        for (unsigned w = 0; w < workers; ++w)
            pool.push_back(
                std::make_unique<proxyd::Worker>(w, snapshot, access_log, std::move(sockets[w])));
        for (auto& worker : pool) worker->start();
        std::fprintf(stderr, "proxyd: serving %s with %u worker%s\n", options.config.c_str(),
                     workers, workers == 1 ? "" : "s");

        for (;;) {
            int sig = 0;
            if (sigwait(&signals, &sig) != 0) continue;
            if (sig == SIGTERM || sig == SIGINT) break;
            if (sig == SIGHUP) {
                access_log.reopen();
                std::fprintf(stderr,
                             "proxyd: SIGHUP: log files reopened (configuration reload is not "
                             "implemented yet)\n");
            } else {
                std::fprintf(
                    stderr,
                    "proxyd: signal %d ignored (configuration reload is not implemented yet)\n",
                    sig);
            }
        }
        for (auto& worker : pool) worker->request_stop();
        for (auto& worker : pool) worker->join();
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
    app.add_option("--workers,-w", options.workers, "worker threads (default: number of cores)")
        ->check(CLI::Range(1u, 1024u));
    app.set_version_flag("--version,-V", std::string("proxyd ") + PROXY_VERSION);
    app.footer(
        "Examples:\n"
        "  proxyd /etc/proxyd/proxyd.cfg            serve in the foreground (systemd)\n"
        "  proxyd --check /etc/proxyd/proxyd.cfg    validate only; exit 1 on errors\n"
        "  proxyd --daemon --workers 4 proxyd.cfg   detach, four event loops\n"
        "\n"
        "Signals: SIGTERM/SIGINT exit cleanly; SIGHUP reopens log files.");
    CLI11_PARSE(app, argc, argv);

    proxycfg::Loaded loaded = proxycfg::load_config(options.config);
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
