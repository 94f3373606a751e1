#include "reload.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <string_view>
#include <thread>

#include "metrics.hpp"
#include "notify.hpp"
#include "proxycfg/diagnostic.hpp"
#include "proxycfg/format.hpp"
#include "proxycfg/hash.hpp"
#include "proxycfg/model_diff.hpp"
#include "proxycfg/recheck.hpp"
#include "proxycfg/util.hpp"
#include "system_command.hpp"

namespace proxyd {

namespace {

// ---- listeners --------------------------------------------------------------------------

// Listeners are the same when they accept the same protocol on the same address and port;
// anything else about a service (ACL, auth, force...) can change under a kept socket.
struct ListenerKey {
    proxycfg::ServiceType type;
    std::string address;
    std::uint16_t port;
    auto operator<=>(const ListenerKey&) const = default;
};

ListenerKey key_of(const proxycfg::Service& s) {
    std::string address = s.bind_address.value;
    if (auto ip = proxycfg::IpAddress::parse(address)) address = ip->to_string();
    if (address.empty()) address = "0.0.0.0";
    return {s.type, address, s.port.value};
}

struct ListenerPlan {
    std::vector<std::optional<std::size_t>> kept;  // old service index -> new index
    std::vector<std::size_t> opened;               // new service indices to bind
    control::ListenerCounts counts;
};

ListenerPlan plan_listeners(const proxycfg::Model& before, const proxycfg::Model& after) {
    // Duplicate keys (two services on one port) are matched in file order.
    std::map<ListenerKey, std::deque<std::size_t>> wanted;
    for (const auto& s : after.services)
        if (served(s.type)) wanted[key_of(s)].push_back(s.index);
    ListenerPlan plan;
    plan.kept.resize(before.services.size());
    for (const auto& s : before.services) {
        if (!served(s.type)) continue;
        auto it = wanted.find(key_of(s));
        if (it != wanted.end() && !it->second.empty()) {
            plan.kept[s.index] = it->second.front();
            it->second.pop_front();
            ++plan.counts.kept;
        } else {
            ++plan.counts.closed;
        }
    }
    for (auto& [key, indices] : wanted)
        for (auto index : indices) plan.opened.push_back(index);
    plan.counts.opened = plan.opened.size();
    return plan;
}

// ---- re-check ---------------------------------------------------------------------------

control::ClosedSession closed_session(const Session& s, std::string reason) {
    const SessionRecord& r = s.record();
    control::ClosedSession c;
    c.id = r.id;
    c.service = s.service().label;
    c.user = r.user.value_or("");
    c.client = proxycfg::host_port(r.client_address.to_string(), r.client_port);
    c.reason = std::move(reason);
    return c;
}

// Re-checks the admitted sessions of one worker against `next`; with `apply`, every
// refused session's client is cut right here, on its loop, idle or not, and the rest of
// the teardown (upstream socket, log line) is posted to run right after this loop step.
// Sessions still in their handshake are checked when they are admitted (Session::admit).
// Sessions of force services are also held to `next`'s traffic counters (`states`,
// index-aligned with them): a lowered quota already spent closes them.
control::SessionCounts recheck_worker(Worker& worker, const proxycfg::Model& next,
                                      const std::vector<std::shared_ptr<CounterState>>& states,
                                      bool apply) {
    control::SessionCounts counts;
    // ACL time periods are judged at the moment of the reload, as at admission.
    const AclClock clock = AclClock::now();
    // Few services, many sessions: each session's service (of whichever generation
    // admitted it) is matched to `next`'s by label once, then by pointer.
    std::vector<std::pair<const proxycfg::Service*, const proxycfg::Service*>> services;
    auto service_now = [&](const proxycfg::Service& before) {
        for (const auto& [old, now] : services)
            if (old == &before) return now;
        const proxycfg::Service* now = nullptr;
        for (const auto& s : next.services)
            if (s.label == before.label) {
                now = &s;
                break;
            }
        services.emplace_back(&before, now);
        return now;
    };
    // The refused, with why: their records are written once every refused client has been
    // cut, so formatting them delays no FIN.
    std::vector<std::pair<Session*, std::string>> refused;
    worker.sessions().for_each([&](Session& s) {
        if (!s.record().admitted || s.closed()) return;
        ++counts.checked;
        auto verdict = proxycfg::recheck_session(&s.service(), service_now(s.service()), next,
                                                 s.recheck_facts(clock));
        std::string reason;
        if (verdict.closes()) {
            reason = verdict.reason();
        } else if (verdict.outcome == proxycfg::RecheckOutcome::kept_allowed) {
            if (s.quota_spent_under(next, states, clock))
                reason = proxycfg::describe(proxycfg::Verdict::quota_exceeded);
            else if (apply)
                s.count_under(next, states, clock);
        }
        if (reason.empty()) {
            ++counts.kept;
            // Re-checked and still allowed: the session is held to the new rules, so it
            // drains with the new generation, not the one that admitted it.
            if (apply && verdict.outcome == proxycfg::RecheckOutcome::kept_allowed)
                worker.hold_to_current(s);
            return;
        }
        ++counts.closed;
        // The client's connection is cut the moment its session is found revoked, before
        // the rest are checked: its FIN leaves now.
        if (apply) s.revoke();
        refused.emplace_back(&s, std::move(reason));
    });
    // Nothing ran on this loop since the pass: every refused session is still here.
    std::vector<std::uint64_t> ids;
    ids.reserve(refused.size());
    counts.closed_sessions.reserve(refused.size());
    for (auto& [session, reason] : refused) {
        ids.push_back(session->record().id);
        if (apply) session->set_revoked_reason(reason);
        counts.closed_sessions.push_back(closed_session(*session, std::move(reason)));
    }
    if (!apply || ids.empty()) return counts;
    // The rest of the teardown (upstream socket, log line) right after this loop step; by
    // id, not pointer: anything that ends one of them first also frees it.
    worker.loop().post([&worker, ids = std::move(ids)] {
        for (auto id : ids) worker.sessions().close(id, result::closed_by_operator, {});
    });
    return counts;
}

// The live sessions of one worker whose bandwidth limits `next` would change: every
// reload applies new limits to open sessions, whatever their service's force flag.
std::vector<control::RateChange> rate_changes(Worker& worker, const proxycfg::Model& next) {
    std::vector<control::RateChange> out;
    if (next.globals.bandlimits.empty() && worker.config()->model->globals.bandlimits.empty())
        return out;
    const AclClock clock = AclClock::now();
    worker.sessions().for_each([&](Session& s) {
        if (!s.relaying()) return;
        const SessionRecord& r = s.record();
        auto [in, out_rate] = s.bandlimits_under(next, clock);
        if (in == r.bandlim_in && out_rate == r.bandlim_out) return;
        out.push_back({r.id, std::string(s.service().label), r.user.value_or(""), r.bandlim_in, in,
                       r.bandlim_out, out_rate});
    });
    return out;
}

void merge(control::SessionCounts& into, control::SessionCounts&& from) {
    into.checked += from.checked;
    into.kept += from.kept;
    into.closed += from.closed;
    for (auto& c : from.closed_sessions) into.closed_sessions.push_back(std::move(c));
}

// A finding of the reload itself (not of a file): no file and no position.
proxycfg::Diagnostic refusal(proxycfg::Rule rule, const std::string& message) {
    return proxycfg::make_diagnostic(rule, {}, message);
}

// Why applying `plan` would take service away from clients: every listener closing, or a
// listener closing while its service has live sessions. Empty when it would not.
std::string drop_reason(const proxycfg::Model& before, const proxycfg::Model& after,
                        const ListenerPlan& plan, const std::vector<Worker*>& workers) {
    auto served_count = [](const proxycfg::Model& m) {
        return std::count_if(m.services.begin(), m.services.end(),
                             [](const proxycfg::Service& s) { return served(s.type); });
    };
    if (served_count(after) == 0 && served_count(before) > 0)
        return "the new configuration serves nothing: every listener would close";
    if (plan.counts.closed == 0) return {};
    std::set<std::string, std::less<>> closing;
    for (const auto& s : before.services)
        if (served(s.type) && !plan.kept[s.index]) closing.emplace(s.label);
    std::vector<std::map<std::string, std::size_t, std::less<>>> live(workers.size());
    on_every_worker(workers, [&](Worker& w, std::size_t i) {
        w.sessions().for_each([&](Session& session) {
            if (!session.closed() && closing.contains(session.service().label))
                ++live[i][std::string(session.service().label)];
        });
    });
    std::map<std::string, std::size_t, std::less<>> total;
    for (const auto& m : live)
        for (const auto& [label, n] : m) total[label] += n;
    std::string out;
    for (const auto& [label, n] : total)
        out += (out.empty() ? "" : "; ") + std::string("listener ") + label + " would close with " +
               std::to_string(n) + " live session" + (n == 1 ? "" : "s");
    return out;
}

std::string read_bytes(const std::string& path, bool& ok) {
    std::ifstream in(path, std::ios::binary);
    ok = static_cast<bool>(in);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

// ---- helpers shared with the control commands -------------------------------------------

void on_every_worker(const std::vector<Worker*>& workers,
                     const std::function<void(Worker&, std::size_t)>& task) {
    struct Countdown {
        std::mutex mutex;
        std::condition_variable done;
        std::size_t left;
    };
    auto countdown = std::make_shared<Countdown>();
    countdown->left = workers.size();
    for (std::size_t i = 0; i < workers.size(); ++i) {
        Worker* w = workers[i];
        w->loop().post([countdown, w, i, &task] {
            task(*w, i);
            std::lock_guard lock(countdown->mutex);
            if (--countdown->left == 0) countdown->done.notify_all();
        });
    }
    // Workers outlive the control thread (they are stopped after it), so every posted
    // task runs: the wait is bounded by the slowest worker's current batch.
    std::unique_lock lock(countdown->mutex);
    countdown->done.wait(lock, [&] { return countdown->left == 0; });
}

namespace {

// A file written in place (not renamed over) can be read half-written. What was read is
// trusted once every file still has the size and mtime it had when it was read, and that
// mtime is at least `settle` old: a writer still at work changes one or the other.
constexpr std::chrono::milliseconds settle{100};
constexpr int read_attempts = 20;  // ~2 s of a file that keeps changing, then refused

enum class FileState : std::uint8_t { settled, fresh, changed };

FileState state_of(const proxycfg::LoadedFile& f, std::int64_t now_ns) {
    struct stat st {};
    if (::stat(f.path.c_str(), &st) != 0) return FileState::changed;
    if (proxycfg::mtime_ns(st) != f.mtime_ns || static_cast<std::uint64_t>(st.st_size) != f.size)
        return FileState::changed;
    auto settle_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(settle).count();
    return now_ns - f.mtime_ns < settle_ns ? FileState::fresh : FileState::settled;
}

std::int64_t wall_now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

proxycfg::Loaded load_configuration(const std::string& path) {
    for (int attempt = 1;; ++attempt) {
        proxycfg::Loaded loaded = proxycfg::load_config(path);
        if (!loaded.readable()) return loaded;
        proxycfg::fill_file_hashes(loaded.model, loaded.parse.config);
        // Wait out files written moments ago; re-read any that changed meanwhile.
        const proxycfg::LoadedFile* unsettled = nullptr;
        for (int wait = 0; wait < read_attempts; ++wait) {
            unsettled = nullptr;
            bool fresh = false;
            auto now = wall_now_ns();
            for (const auto& f : loaded.model.files) {
                auto st = state_of(f, now);
                if (st == FileState::changed) {
                    unsettled = &f;
                    break;
                }
                fresh = fresh || st == FileState::fresh;
            }
            if (unsettled || !fresh) break;
            std::this_thread::sleep_for(settle);
        }
        if (!unsettled) return loaded;
        if (attempt < read_attempts) {
            std::this_thread::sleep_for(settle);
            continue;
        }
        loaded.diagnostics.push_back(proxycfg::make_diagnostic(
            proxycfg::Rule::PX026, {loaded.parse.config.main_file, 0, 0, 0},
            unsettled->path + " kept changing while it was read (" + std::to_string(read_attempts) +
                " attempts); nothing was applied"));
        return loaded;
    }
}

LoadFindings::LoadFindings(const proxycfg::Loaded& loaded, const std::string& path)
    : sources(loaded.parse.config.sources) {
    file.sources = sources.get();
    file.display_path = path;
    file.diagnostics = loaded.diagnostics;
}

// ---- the engine -------------------------------------------------------------------------

ReloadEngine::ReloadEngine(SnapshotPtr initial, std::vector<Worker*> workers, AccessLog& log,
                           SystemdNotifier* notifier, ListenSockets sockets)
    : current_(std::move(initial)),
      workers_(std::move(workers)),
      log_(log),
      notifier_(notifier),
      sockets_(std::move(sockets)) {}

namespace {

// The refusal of a broken configuration as the journal shows it: the reason on the first
// line, then one line per diagnostic with its severity first, errors before warnings
// before infos, so the cause is not lost among the notes that did not refuse anything.
void log_refusal(const ReloadOutcome& outcome, const std::string& path) {
    const proxycfg::CheckedFile& file = outcome.load.file;
    proxycfg::Diagnostics ordered = file.diagnostics;
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const auto& a, const auto& b) { return a.severity > b.severity; });
    auto errors = std::count_if(ordered.begin(), ordered.end(), [](const auto& d) {
        return d.severity == proxycfg::Severity::error;
    });
    std::string why =
        errors == 0 ? "cannot read " + path
                    : std::to_string(errors) + (errors == 1 ? " error" : " errors") + " in " + path;
    std::fprintf(stderr,
                 "proxyd: reload (%s) refused: %s; running configuration kept (generation "
                 "%llu)\n",
                 outcome.trigger.c_str(), proxycfg::printable(why).c_str(),
                 static_cast<unsigned long long>(outcome.generation));
    for (const auto& d : ordered) {
        std::string where = proxycfg::printable(file.path(d.span.file));
        if (d.span.line != 0) where += ':' + std::to_string(d.span.line);
        std::fprintf(stderr, "proxyd: %s: %s: %s [%s]\n",
                     std::string(proxycfg::to_string(d.severity)).c_str(), where.c_str(),
                     proxycfg::printable(d.message).c_str(), d.code.c_str());
    }
}

}  // namespace

ReloadOutcome ReloadEngine::reload(const std::string& trigger, ReloadKind kind, bool dry_run,
                                   bool allow_drop) {
    auto t0 = std::chrono::steady_clock::now();
    ReloadOutcome outcome;
    outcome.trigger = trigger;
    outcome.started = std::chrono::system_clock::now();
    outcome.generation = current_->generation;
    auto finish = [&](ReloadOutcome::Result result) {
        outcome.result = result;
        outcome.duration = std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::steady_clock::now() - t0);
        if (!dry_run) {
            last_ = outcome;
            if (observer_) observer_(outcome);
            if (notifier_) notifier_->ready();
            if (metrics_)
                metrics_->reload_finished(
                    trigger, result == ReloadOutcome::Result::ok ? "ok" : "failed",
                    std::chrono::duration<double>(outcome.duration).count(),
                    std::chrono::duration<double>(outcome.started.time_since_epoch()).count());
        }
        return outcome;
    };
    if (!dry_run && notifier_) notifier_->reloading();
    // logrotate's SIGHUP must reach the log files even when the edited configuration is
    // refused: the old generation keeps serving and keeps logging, into the new files.
    if (!dry_run && kind == ReloadKind::traditional) log_.reopen();

    // 1. Parse and resolve everything. Any error: the running generation stays.
    const std::string& path = current_->config_path;
    proxycfg::Loaded loaded = load_configuration(path);
    outcome.load = LoadFindings(loaded, path);
    if (!loaded.readable() || proxycfg::has_errors(loaded.diagnostics)) {
        log_refusal(outcome, path);
        return finish(ReloadOutcome::Result::failed);
    }
    const proxycfg::Model& before = *current_->model;
    outcome.load.changes = proxycfg::diff_models(before, loaded.model);

    // 2. Listeners: kept ones keep their sockets; new ones are bound now, for every worker,
    // before anything is swapped, so a port in use refuses the reload as a whole.
    ListenerPlan plan = plan_listeners(before, loaded.model);
    outcome.listeners = plan.counts;
    // A file cut short, or an edit that drops a service in use, is refused unless the
    // caller confirmed it: signals and `monitor` never do.
    if (!allow_drop) {
        if (auto why = drop_reason(before, loaded.model, plan, workers_); !why.empty()) {
            std::fprintf(stderr, "proxyd: reload (%s) refused: %s\n", trigger.c_str(), why.c_str());
            outcome.refusals.push_back(refusal(
                proxycfg::Rule::PX313,
                why + "; nothing was applied (confirm with 'proxyctl reload --allow-drop')"));
            return finish(ReloadOutcome::Result::failed);
        }
    }
    // The configuration is going to be applied: its `system` commands run now, before its
    // listeners are bound, as 3proxy runs them while it reads the file.
    if (!dry_run) run_system_commands(loaded.model, trigger.c_str());
    // A port this proxyd holds is handed over, not bound again: the kernel would refuse
    // the second socket, since other processes must not share it.
    std::optional<ListenSockets::Bound> next_sockets;
    if (!dry_run) {
        std::string message;
        next_sockets =
            sockets_.bind_for_workers(loaded.model, plan.opened, workers_.size(), message);
        if (!next_sockets) {
            std::fprintf(stderr, "proxyd: reload (%s) refused: %s\n", trigger.c_str(),
                         message.c_str());
            outcome.refusals.push_back(refusal(proxycfg::Rule::PX311, message));
            return finish(ReloadOutcome::Result::failed);
        }
    }

    // 3. Every worker swaps to the new snapshot and re-checks its own sessions in the same
    // loop step, so there is no moment where a revoked session can relay under the new
    // generation. A SIGHUP reload swaps only.
    auto next_model = std::make_shared<const proxycfg::Model>(std::move(loaded.model));
    bool recheck = kind == ReloadKind::recheck;
    // The auth cache goes on with the new generation, without the logins it no longer
    // grants (a dry run only counts them).
    AuthCache& cache = *current_->auth_cache;
    outcome.auth_cache.dropped =
        dry_run ? cache.count_ungranted(*next_model) : cache.drop_ungranted(*next_model);
    outcome.auth_cache.entries = cache.size();
    auto snapshot = std::make_shared<ConfigSnapshot>(
        next_model, dry_run ? current_->generation : current_->generation + 1, path,
        current_.get());
    // The DNS cache keeps its answers (as 3proxy's does) and takes new sizes and nsrecord
    // lines; unchanged limits keep their budgets and counters their counts, and a new rate
    // holds open sessions at once.
    if (!dry_run) snapshot->commit();
    // maxconn counts per service across generations: a kept service's live sessions of
    // the old generation still count against its limit.
    snapshot->slots.carry(current_->slots, plan.kept);
    snapshot->recheck_generation = recheck ? snapshot->generation : current_->recheck_generation;
    SnapshotPtr next = std::move(snapshot);
    std::vector<control::SessionCounts> per_worker(workers_.size());
    on_every_worker(workers_, [&](Worker& w, std::size_t i) {
        if (!dry_run) w.adopt(next, plan.kept, std::move(next_sockets->per_worker[i]));
        if (recheck)
            per_worker[i] = recheck_worker(w, *next_model, next->counter_states, !dry_run);
    });
    for (auto& c : per_worker) merge(outcome.sessions, std::move(c));

    if (dry_run) return finish(ReloadOutcome::Result::dry_run);
    current_ = next;
    sockets_ = std::move(next_sockets->table);  // ports no service listens on any more close here
    sockets_.settle(*next_model);
    outcome.generation = next->generation;
    std::fprintf(stderr,
                 "proxyd: reload (%s): generation %llu; sessions %llu checked, %llu kept, %llu "
                 "closed; listeners %llu kept, %llu opened, %llu closed\n",
                 trigger.c_str(), static_cast<unsigned long long>(outcome.generation),
                 static_cast<unsigned long long>(outcome.sessions.checked),
                 static_cast<unsigned long long>(outcome.sessions.kept),
                 static_cast<unsigned long long>(outcome.sessions.closed),
                 static_cast<unsigned long long>(outcome.listeners.kept),
                 static_cast<unsigned long long>(outcome.listeners.opened),
                 static_cast<unsigned long long>(outcome.listeners.closed));
    return finish(ReloadOutcome::Result::ok);
}

std::vector<control::FileChange> ReloadEngine::changed_files(bool trust_stat) const {
    std::vector<control::FileChange> out;
    for (const auto& f : current_->model->files) {
        struct stat st {};
        bool exists = ::stat(f.path.c_str(), &st) == 0;
        if (trust_stat && exists && proxycfg::mtime_ns(st) == f.mtime_ns &&
            static_cast<std::uint64_t>(st.st_size) == f.size)
            continue;
        bool ok = false;
        std::string bytes = exists ? read_bytes(f.path, ok) : std::string();
        std::string now = ok ? proxycfg::sha256_hex(bytes) : std::string();
        if (now == f.content_hash) continue;
        control::FileChange change;
        change.path = f.path;
        change.loaded_sha256 = f.content_hash;
        change.current_sha256 = now;
        change.loaded_mtime_ns = f.mtime_ns;
        if (ok) change.current_mtime_ns = proxycfg::mtime_ns(st);
        out.push_back(std::move(change));
    }
    return out;
}

DiskDiff ReloadEngine::diff() {
    DiskDiff out;
    out.files = changed_files(false);
    proxycfg::Loaded loaded = load_configuration(current_->config_path);
    out.load = LoadFindings(loaded, current_->config_path);
    if (!loaded.readable() || proxycfg::has_errors(loaded.diagnostics)) {
        out.differs = true;
        return out;
    }
    // Only a broken load's diagnostics are part of the answer.
    out.load.file.diagnostics.clear();
    out.load.changes = proxycfg::diff_models(*current_->model, loaded.model);
    const proxycfg::Model& disk = loaded.model;
    auto states = current_->counters->states_for(disk, std::time(nullptr));
    std::vector<control::SessionCounts> per_worker(workers_.size());
    std::vector<std::vector<control::RateChange>> rates(workers_.size());
    on_every_worker(workers_, [&](Worker& w, std::size_t i) {
        per_worker[i] = recheck_worker(w, disk, states, false);
        rates[i] = rate_changes(w, disk);
    });
    for (auto& r : rates)
        out.rate_changes.insert(out.rate_changes.end(), r.begin(), r.end());
    for (auto& c : per_worker)
        for (auto& s : c.closed_sessions) out.impact.push_back(std::move(s));
    out.auth_cache_dropped = current_->auth_cache->count_ungranted(disk);
    out.differs = !out.files.empty() || !out.load.changes.empty();
    return out;
}

}  // namespace proxyd
