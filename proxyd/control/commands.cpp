#include "control/commands.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include "control/explain_command.hpp"
#include "control/service_filter.hpp"
#include "control/wire.hpp"
#include "metrics.hpp"
#include "proxycfg/util.hpp"
#include "proxycontrol/protocol.hpp"
#include "reload.hpp"

namespace proxyd::control_cmd {

namespace {

using nlohmann::json;

using proxycfg::unix_ms;

std::string client_text(const SessionRecord& r) {
    return proxycfg::host_port(r.client_address.to_string(), r.client_port);
}

control::SessionInfo info_of(const Session& s, Clock::time_point now_steady,
                             std::chrono::system_clock::time_point now_wall) {
    const SessionRecord& r = s.record();
    control::SessionInfo i;
    i.id = r.id;
    i.service = s.service().label;
    i.user = r.user.value_or("");
    i.client = client_text(r);
    i.target = r.target_text();
    i.operation = proxycfg::operations_to_string(r.operation);
    i.bytes_in = r.bytes_in;    // %I: from the server, to the client
    i.bytes_out = r.bytes_out;  // %O: from the client, to the server
    i.started_at_ms = unix_ms(r.started);
    auto idle = std::chrono::duration_cast<std::chrono::system_clock::duration>(now_steady -
                                                                                r.last_activity);
    i.last_activity_ms = unix_ms(now_wall - idle);
    i.generation = r.generation;
    i.limit_to_client_bps = r.bandlim_in;
    i.limit_to_server_bps = r.bandlim_out;
    return i;
}

json bad_args(const std::string& message) {
    return control::error_reply(control::err_bad_args, message);
}

// ---- handlers ---------------------------------------------------------------------------

json cmd_status(Context& c, const json&) {
    const auto& snapshot = *c.engine.current();
    control::Status s;
    s.pid = ::getpid();
    s.version = PROXY_VERSION;
    // Paths in replies are absolute: proxyctl compares them with files it reads itself.
    s.config = proxycfg::canonical_path(snapshot.config_path);
    s.generation = snapshot.generation;
    s.started_at_ms = c.started_at_ms;
    for (const auto& f : snapshot.model->files)
        s.files.push_back({proxycfg::canonical_path(f.path), f.content_hash, f.mtime_ns, f.size});
    if (const auto& last = c.engine.last_reload()) s.last_reload = reload_record(*last);
    std::vector<std::map<std::string, std::uint64_t>> by_service(c.engine.workers().size());
    std::vector<std::set<std::uint64_t>> generations(c.engine.workers().size());
    std::vector<std::set<std::uint64_t>> forced(c.engine.workers().size());
    // Force as the running configuration has it: that is what a re-check would apply.
    std::set<std::string, std::less<>> force_labels;
    for (const auto& service : snapshot.model->services)
        if (service.force().value) force_labels.emplace(service.label);
    std::vector<std::vector<PinnedGeneration>> pinned_by_worker(c.engine.workers().size());
    on_every_worker(c.engine.workers(), [&](Worker& w, std::size_t i) {
        w.sessions().for_each([&](Session& session) {
            ++by_service[i][std::string(session.service().label)];
            generations[i].insert(session.record().generation);
            if (force_labels.contains(session.service().label))
                forced[i].insert(session.record().generation);
        });
        pinned_by_worker[i] = w.pinned();
    });
    // Every worker was superseded by the same reload, a moment apart: the earliest counts.
    std::map<std::uint64_t, control::PinnedGeneration> superseded;
    std::optional<std::chrono::milliseconds> drain_timeout;
    if (!c.engine.workers().empty()) drain_timeout = c.engine.workers().front()->drain_timeout();
    for (const auto& list : pinned_by_worker)
        for (const auto& p : list) {
            auto at = unix_ms(p.superseded);
            auto [it, added] = superseded.try_emplace(p.generation);
            auto& out = it->second;
            out.generation = p.generation;
            out.sessions += p.sessions;
            if (added || at < out.superseded_at_ms) out.superseded_at_ms = at;
        }
    s.pinned_generations.emplace();
    for (auto& [generation, p] : superseded) {
        if (drain_timeout) p.drain_deadline_ms = p.superseded_at_ms + drain_timeout->count();
        s.pinned_generations->push_back(p);
    }
    if (drain_timeout) s.drain_timeout_ms = drain_timeout->count();
    std::map<std::string, std::uint64_t> counts;
    std::set<std::uint64_t> pinned;
    std::set<std::uint64_t> pinned_forced;
    for (std::size_t i = 0; i < by_service.size(); ++i) {
        for (const auto& [label, n] : by_service[i]) counts[label] += n;
        pinned.insert(generations[i].begin(), generations[i].end());
        pinned_forced.insert(forced[i].begin(), forced[i].end());
    }
    for (const auto& [label, n] : counts) {
        s.sessions_by_service[label] = n;
        s.sessions_total += n;
    }
    s.generations_with_sessions.assign(pinned.begin(), pinned.end());
    s.auth_cache_entries = snapshot.auth_cache->size();
    s.dns_cache_names = snapshot.dns_cache->names();
    s.generations_with_force_sessions.emplace(pinned_forced.begin(), pinned_forced.end());
    s.counter_file = snapshot.model->globals.counter_file.value.path;
    for (const auto& u : snapshot.counters->usage()) {
        const auto& line = *u.line;
        control::CounterUsage usage;
        usage.number = line.number;
        usage.comment = line.comment;
        usage.kind = std::string(proxycfg::to_string(line.kind));
        usage.period = std::string(proxycfg::to_string(line.period));
        usage.bytes = u.bytes;
        usage.limit_bytes = line.limit;
        usage.period_start_ms = u.period_start * 1000;
        usage.acl = line.acl_text;
        if (line.acl.span().file < snapshot.model->files.size())
            usage.file = proxycfg::canonical_path(snapshot.model->files[line.acl.span().file].path);
        usage.line = line.acl.span().line;
        s.counters.push_back(std::move(usage));
    }
    return control::ok_reply(s);
}

json cmd_reload(Context& c, const json& args) {
    bool dry_run = false;
    if (args.contains("dry_run")) {
        if (!args.at("dry_run").is_boolean()) return bad_args("dry_run must be true or false");
        dry_run = args.at("dry_run").get<bool>();
    }
    bool allow_drop = false;
    if (args.contains("allow_drop")) {
        if (!args.at("allow_drop").is_boolean())
            return bad_args("allow_drop must be true or false");
        allow_drop = args.at("allow_drop").get<bool>();
    }
    control::ReloadRecord record =
        reload_record(c.engine.reload("control", ReloadKind::recheck, dry_run, allow_drop));
    if (record.result == "failed") {
        return control::error_reply(control::err_reload_failed,
                                    "the new configuration was refused; generation " +
                                        std::to_string(record.generation) + " keeps serving",
                                    record.diagnostics, record);
    }
    return control::ok_reply(record);
}

json cmd_sessions(Context& c, const json& args) {
    std::string service = args.value("service", std::string());
    std::string user = args.value("user", std::string());
    std::optional<proxycfg::IpRange> source;
    if (auto s = args.value("source", std::string()); !s.empty()) {
        source = proxycfg::parse_ip_range(s);
        if (!source) return bad_args("source '" + s + "' is not an address or CIDR range");
    }
    auto filter = parse_service_filter(service);
    auto now_steady = Clock::now();
    auto now_wall = std::chrono::system_clock::now();
    std::vector<std::vector<control::SessionInfo>> per_worker(c.engine.workers().size());
    std::vector<int> named(c.engine.workers().size(), 0);  // sessions of a service it names
    on_every_worker(c.engine.workers(), [&](Worker& w, std::size_t i) {
        w.sessions().for_each([&](Session& s) {
            const auto& r = s.record();
            if (!service.empty() && !service_matches(service, filter, s.service())) return;
            ++named[i];
            if (!user.empty() && r.user.value_or("") != user) return;
            if (source && !source->contains(r.client_address)) return;
            per_worker[i].push_back(info_of(s, now_steady, now_wall));
        });
    });
    bool none_named = std::all_of(named.begin(), named.end(), [](int n) { return n == 0; });
    if (!service.empty() && none_named) {
        // No session of it: fine for a service that runs, a mistake for any other name.
        const auto& services = c.engine.current()->model->services;
        bool runs = std::any_of(services.begin(), services.end(), [&](const auto& candidate) {
            return service_matches(service, filter, candidate);
        });
        if (!runs) {
            std::string known;
            for (const auto& candidate : services)
                known += (known.empty() ? "" : ", ") + std::string(candidate.label);
            return bad_args("no service '" + proxycfg::printable(service) +
                            "'; the services are: " + (known.empty() ? "none" : known) +
                            " (or TYPE:PORT, e.g. socks:1080)");
        }
    }
    std::vector<control::SessionInfo> all;
    for (auto& v : per_worker)
        for (auto& s : v) all.push_back(std::move(s));
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return control::ok_reply({{"sessions", all}});
}

json cmd_diff(Context& c, const json&) {
    return control::ok_reply(diff_result(c.engine.diff()));
}

json cmd_kill(Context& c, const json& args) {
    if (!args.contains("ids") || !args.at("ids").is_array())
        return bad_args("kill needs \"ids\": an array of session ids");
    std::vector<std::uint64_t> ids;
    for (const auto& id : args.at("ids")) {
        if (!id.is_number_unsigned()) return bad_args("session ids are unsigned integers");
        ids.push_back(id.get<std::uint64_t>());
    }
    std::vector<std::vector<std::uint64_t>> killed(c.engine.workers().size());
    on_every_worker(c.engine.workers(), [&](Worker& w, std::size_t i) {
        for (auto id : ids)
            if (w.sessions().close(id, result::closed_by_operator, "killed by operator"))
                killed[i].push_back(id);
    });
    std::set<std::uint64_t> done;
    for (auto& v : killed) done.insert(v.begin(), v.end());
    json k = json::array(), missing = json::array();
    for (auto id : ids) (done.count(id) ? k : missing).push_back(id);
    return control::ok_reply({{"killed", k}, {"not_found", missing}});
}

// Log rotation: the files close and the next line opens them anew. Nothing is reloaded,
// so an edit waiting on disk is not applied behind the operator's back.
json cmd_reopen_logs(Context& c, const json&) {
    c.engine.access_log().reopen();
    std::uint64_t generation = c.engine.current()->generation;
    std::fprintf(stderr, "proxyd: log files reopened (control); generation %llu keeps serving\n",
                 static_cast<unsigned long long>(generation));
    return control::ok_reply({{"reopened", true}, {"generation", generation}});
}

// The last reloads, newest first: what the admin page and scripts show as history.
json cmd_reloads(Context& c, const json&) {
    json list = json::array();
    for (auto it = c.reloads.rbegin(); it != c.reloads.rend(); ++it) list.push_back(*it);
    return control::ok_reply({{"reloads", list}});
}

// Whether a loaded file's size or mtime on disk is not what was loaded (or it is gone).
// stat() only, no reading or hashing: a scrape stays cheap. A touch without a change
// counts as stale, which a reload settles; a file newly included by an edit is seen
// through the edit of the file that includes it.
bool config_stale(const ConfigSnapshot& snapshot) {
    for (const auto& f : snapshot.model->files) {
        struct stat st {};
        if (::stat(f.path.c_str(), &st) != 0) return true;
        if (proxycfg::mtime_ns(st) != f.mtime_ns ||
            static_cast<std::uint64_t>(st.st_size) != f.size)
            return true;
    }
    return false;
}

json cmd_metrics(Context& c, const json&) {
    const auto& snapshot = *c.engine.current();
    ScrapeInput in;
    in.version = PROXY_VERSION;
    in.started_at_ms = c.started_at_ms;
    in.generation = snapshot.generation;
    for (const auto& service : snapshot.model->services) in.services.emplace_back(service.label);
    for (const auto& u : snapshot.counters->usage())
        in.counters.push_back({static_cast<unsigned>(in.counters.size() + 1), u.line->number,
                               std::string(proxycfg::to_string(u.line->kind)), u.bytes,
                               u.line->limit});
    in.config_stale = config_stale(snapshot);
    static const Metrics none;  // without the daemon's: the engine's facts, counters at 0
    return control::ok_reply({{"text", (c.metrics ? *c.metrics : none).render(in)}});
}

// Read-only: what the running generation (and, for a session, the files on disk) would
// decide, step by step.
json cmd_explain(Context& c, const json& args) {
    return explain_command(c.engine, args);
}

json cmd_help(Context&, const json&);

Level reload_level(const json& args) {
    auto dry = args.find("dry_run");
    return dry != args.end() && dry->is_boolean() && dry->get<bool>() ? Level::read
                                                                       : Level::admin;
}

constexpr Command commands[] = {
    {"status", "pid, version, generation, loaded files and hashes, last reload, sessions",
     Level::read, cmd_status},
    {"reload",
     "load the files again and re-check live sessions (args: dry_run, allow_drop: apply even "
     "if it stops every service or closes listeners with live sessions)",
     Level::admin, cmd_reload, reload_level},
    {"sessions", "live sessions (args: service, user, source CIDR)", Level::read, cmd_sessions},
    {"reloads", "the last reloads applied or refused, newest first", Level::read, cmd_reloads},
    {"diff", "the files on disk against the running generation, and a reload's impact",
     Level::read, cmd_diff},
    {"kill", "close sessions (args: ids)", Level::admin, cmd_kill},
    {"reopen-logs", "close the log files so the next line opens them anew; no reload",
     Level::admin, cmd_reopen_logs},
    {"metrics", "Prometheus metrics in the text exposition format (result: text)", Level::read,
     cmd_metrics},
    {"explain",
     "why a connection is allowed or denied, and which line decides (args: from, user, "
     "password, to, service, operation, at; or session: an id)",
     Level::read, cmd_explain},
    {"help", "this list", Level::read, cmd_help},
};

json cmd_help(Context&, const json&) {
    json list = json::array();
    for (const auto& c : commands)
        list.push_back({{"name", std::string(c.name)},
                        {"help", std::string(c.help)},
                        {"level", std::string(level_name(c.level))}});
    return control::ok_reply({{"commands", list}});
}

const Command* find_command(std::string_view name) {
    const auto* found = std::find_if(std::begin(commands), std::end(commands),
                                     [&](const Command& c) { return c.name == name; });
    return found == std::end(commands) ? nullptr : found;
}

json run_found(Context& context, const Command* command, std::string_view wanted,
               const json& args) {
    if (!command)
        return control::error_reply(control::err_unknown_command,
                                    "unknown command '" + std::string(wanted) + "' (try \"help\")");
    try {
        return command->handler(context, args);
    } catch (const json::exception& e) {
        return bad_args(e.what());
    }
}

}  // namespace

void record_reload(Context& context, const ReloadOutcome& outcome) {
    context.reloads.push_back(reload_record(outcome));
    if (context.reloads.size() > Context::reloads_kept) context.reloads.pop_front();
}

std::span<const Command> table() {
    return commands;
}

std::string_view level_name(Level level) {
    return level == Level::admin ? "admin" : "read";
}

json dispatch(Context& context, std::string_view line, const Peer& peer) {
    bool too_deep = false;
    json request = control::parse_line(line, &too_deep);
    if (too_deep)
        return control::error_reply(
            control::err_bad_json,
            "the request nests deeper than " + std::to_string(control::max_nesting) + " levels");
    if (request.is_discarded() || !request.is_object())
        return control::error_reply(control::err_bad_json,
                                    "the request is not a JSON object on one line");
    auto name = request.find("command");
    if (name == request.end() || !name->is_string())
        return control::error_reply(control::err_bad_json, "the request has no \"command\" string");
    // By reference: the arguments are the client's, and are never copied.
    static const json no_args = json::object();
    auto found = request.find("args");
    const json& args = found == request.end() ? no_args : *found;
    if (!args.is_object()) return bad_args("\"args\" must be an object");
    const auto& wanted = name->get_ref<const std::string&>();
    const Command* command = find_command(wanted);
    // Requests on the socket are counted; the admin service's own calls are not.
    if (context.metrics) context.metrics->control_request(wanted, command != nullptr);
    if (command) {
        Level needed = command->level_for ? command->level_for(args) : command->level;
        if (needed == Level::admin && peer.level != Level::admin) {
            std::fprintf(stderr,
                         "proxyd: control: denied %s to uid %u pid %d: it needs the admin "
                         "level, the peer has %s\n",
                         wanted.c_str(), peer.uid, peer.pid,
                         std::string(level_name(peer.level)).c_str());
            return control::error_reply(
                control::err_forbidden,
                "'" + wanted +
                    "' needs the admin level (root, proxyd's own user or a member of "
                    "--control-admin-group); uid " +
                    std::to_string(peer.uid) + " has the " +
                    std::string(level_name(peer.level)) + " level");
        }
    }
    return run_found(context, command, wanted, args);
}

json run(Context& context, std::string_view wanted, const json& args) {
    return run_found(context, find_command(wanted), wanted, args);
}

}  // namespace proxyd::control_cmd
