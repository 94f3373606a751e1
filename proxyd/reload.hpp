// The reload engine (docs/design.md, "Reload semantics"): load the files, refuse them whole on any
// error, reconcile listeners, swap every worker to the new generation and, for USR1-style reloads,
// re-check every live session with proxycfg::recheck_session. It also answers the questions the
// control socket asks about generations (status, diff, dry runs).
//
// Everything here runs on the control thread; workers are reached only by posting to
// their loops (on_every_worker), so a worker never waits for the control thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "access_log.hpp"
#include "config_snapshot.hpp"
#include "listen_sockets.hpp"
#include "proxycfg/format.hpp"
#include "proxycfg/lint.hpp"
#include "proxycfg/model_diff.hpp"
#include "proxycontrol/protocol.hpp"
#include "worker.hpp"

namespace proxyd {

class Metrics;
class SystemdNotifier;

// Runs `task` on every worker's loop thread and returns when all have run it. The task
// gets the worker and its position in `workers`.
void on_every_worker(const std::vector<Worker*>& workers,
                     const std::function<void(Worker&, std::size_t)>& task);

// parse + resolve + lint + content hashes: the one way proxyd reads its files.
proxycfg::Loaded load_configuration(const std::string& path);

// What reading the files found, with the sources its positions point into (kept alive
// here, so an outcome outlives the load it came from).
struct LoadFindings {
    std::shared_ptr<const proxycfg::SourceManager> sources;
    proxycfg::CheckedFile file;                  // file.sources is sources.get()
    std::vector<proxycfg::ModelChange> changes;  // against the running model; empty if broken

    LoadFindings() = default;
    LoadFindings(const proxycfg::Loaded& loaded, const std::string& path);
};

enum class ReloadKind : std::uint8_t {
    recheck,      // SIGUSR1, `reload`, monitor: force services' sessions are re-checked
    traditional,  // SIGHUP: new settings for new connections only, log files reopened
};

// One reload attempt in the daemon's terms; the control layer (control/wire.hpp) writes it
// in the protocol's shape.
struct ReloadOutcome {
    enum class Result : std::uint8_t { ok, failed, dry_run };
    std::uint64_t generation = 0;  // the generation running after the attempt
    std::string trigger;           // "start", "usr1", "hup", "control", "monitor"
    std::chrono::system_clock::time_point started;
    std::chrono::microseconds duration{0};
    Result result = Result::failed;
    LoadFindings load;
    // What the reload itself refused (a port in use, a drop not confirmed): no file, no line.
    proxycfg::Diagnostics refusals;
    control::SessionCounts sessions;
    control::ListenerCounts listeners;
    control::AuthCacheCounts auth_cache;
};

// The files on disk against the running generation (`proxyctl diff`).
struct DiskDiff {
    bool differs = false;
    std::vector<control::FileChange> files;      // files whose bytes changed or are gone
    LoadFindings load;                           // the diagnostics when the files are broken
    std::vector<control::ClosedSession> impact;  // sessions a re-checking reload would close
    std::uint64_t auth_cache_dropped = 0;        // cached logins a reload would drop
    std::vector<control::RateChange> rate_changes;  // sessions a reload would slow or speed up
};

class ReloadEngine {
  public:
    ReloadEngine(SnapshotPtr initial, std::vector<Worker*> workers, AccessLog& log,
                 SystemdNotifier* notifier, ListenSockets sockets = {});

    // One reload attempt; the outcome is kept as the last one unless it is a dry run,
    // which computes the outcome (changes, sessions that would close,
    // listeners) without applying anything. Without `allow_drop`, a configuration that
    // would stop every service or close a listener serving live sessions is refused
    // (PX313): only an operator's explicit request confirms that.
    ReloadOutcome reload(const std::string& trigger, ReloadKind kind, bool dry_run = false,
                         bool allow_drop = false);

    // The running model against the files on disk now (`proxyctl diff`).
    DiskDiff diff();
    // The loaded files whose bytes on disk differ now (or are gone). With `trust_stat`, a
    // file whose modification time and size are unchanged is not read: cheap enough to
    // ask every few seconds.
    std::vector<control::FileChange> changed_files(bool trust_stat) const;

    const SnapshotPtr& current() const { return current_; }
    const std::optional<ReloadOutcome>& last_reload() const { return last_; }
    // Called with every reload outcome but dry runs' (the control layer keeps a history).
    void on_outcome(std::function<void(const ReloadOutcome&)> observer) {
        observer_ = std::move(observer);
    }
    const std::vector<Worker*>& workers() const { return workers_; }
    // The control command `reopen-logs`: log rotation without a reload.
    AccessLog& access_log() { return log_; }
    // Committed reload attempts are counted there from now on (null: not).
    void set_metrics(Metrics* metrics) { metrics_ = metrics; }

  private:
    SnapshotPtr current_;
    std::vector<Worker*> workers_;
    AccessLog& log_;
    SystemdNotifier* notifier_;
    ListenSockets sockets_;  // the generation's listening sockets, one per port
    std::optional<ReloadOutcome> last_;
    std::function<void(const ReloadOutcome&)> observer_;
    Metrics* metrics_ = nullptr;
};

}  // namespace proxyd
