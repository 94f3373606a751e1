// The reload engine (docs/design.md, "Reload semantics"): load the files, refuse them whole on any
// error, reconcile listeners, swap every worker to the new generation and, for USR1-style reloads,
// re-check every live session with proxycfg::recheck_session. It also answers the questions the
// control socket asks about generations (status, diff, dry runs).
//
// Everything here runs on the control thread; workers are reached only by posting to
// their loops (on_every_worker), so a worker never waits for the control thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "access_log.hpp"
#include "config_snapshot.hpp"
#include "listen_sockets.hpp"
#include "proxycfg/lint.hpp"
#include "proxycontrol/protocol.hpp"
#include "worker.hpp"

namespace proxyd {

class SystemdNotifier;

// Runs `task` on every worker's loop thread and returns when all have run it. The task
// gets the worker and its position in `workers`.
void on_every_worker(const std::vector<Worker*>& workers,
                     const std::function<void(Worker&, std::size_t)>& task);

// parse + resolve + lint + content hashes: the one way proxyd reads its files.
proxycfg::Loaded load_configuration(const std::string& path);
// proxyctl check's json entries for the diagnostics of a load.
nlohmann::json diagnostics_json(const proxycfg::Loaded& loaded, const std::string& path);

enum class ReloadKind : std::uint8_t {
    recheck,      // SIGUSR1, `reload`, monitor: force services' sessions are re-checked
    traditional,  // SIGHUP: new settings for new connections only, log files reopened
};

class ReloadEngine {
  public:
    ReloadEngine(SnapshotPtr initial, std::vector<Worker*> workers, AccessLog& log,
                 SystemdNotifier* notifier, ListenSockets sockets = {});

    // One reload attempt; the record is kept as the last one (and in the history) unless
    // it is a dry run, which computes the record (changes, sessions that would close,
    // listeners) without applying anything. Without `allow_drop`, a configuration that
    // would stop every service or close a listener serving live sessions is refused
    // (PX313): only an operator's explicit request confirms that.
    control::ReloadRecord reload(const std::string& trigger, ReloadKind kind, bool dry_run = false,
                                 bool allow_drop = false);

    // The running model against the files on disk now (`proxyctl diff`).
    control::DiffResult diff();

    const SnapshotPtr& current() const { return current_; }
    const std::optional<control::ReloadRecord>& last_reload() const { return last_; }
    const std::deque<control::ReloadRecord>& history() const { return history_; }
    const std::vector<Worker*>& workers() const { return workers_; }
    // The control command `reopen-logs`: log rotation without a reload.
    AccessLog& access_log() { return log_; }

  private:
    SnapshotPtr current_;
    std::vector<Worker*> workers_;
    AccessLog& log_;
    SystemdNotifier* notifier_;
    ListenSockets sockets_;  // the generation's listening sockets, one per port
    std::optional<control::ReloadRecord> last_;
    std::deque<control::ReloadRecord> history_;
};

}  // namespace proxyd
