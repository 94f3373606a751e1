#include "control/explain_command.hpp"

#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "proxycfg/explain.hpp"
#include "proxycfg/recheck.hpp"
#include "proxycfg/util.hpp"
#include "proxycontrol/protocol.hpp"
#include "reload.hpp"

namespace proxyd {
namespace {

using nlohmann::json;

json bad_args(const std::string& message) {
    return control::error_reply(control::err_bad_args, message);
}

std::string text_arg(const json& args, const char* key) {
    auto it = args.find(key);
    return it != args.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The explanation on `snapshot`, with what proxyd knows live: the auth cache's login for
// the client and the service's active sessions.
json explain_on(const ConfigSnapshot& snapshot, const proxycfg::Service& service,
                proxycfg::ExplainRequest request,
                const std::vector<const proxycfg::Service*>& others, bool ask_cache) {
    if (ask_cache && !request.cached_user && service.uses(proxycfg::AuthMethod::cache)) {
        auto login = snapshot.auth_cache->find(snapshot.model->globals.authcache.value, service,
                                               request.view(), Clock::now());
        if (login) {
            request.cached_user = login->user;
            request.cached_secret = login->secret;
            request.cached_other_address = login->other_address;
        }
    }
    auto e = proxycfg::explain(*snapshot.model, service, request);
    json j = proxycfg::explanation_json(*snapshot.model, e, request, others,
                                        proxycfg::loaded_file_lines(*snapshot.model));
    j["limits"]["maxconn"]["active"] = snapshot.slots.active(service.index);
    // What each counter holds so far: a quota is spent at admission, not in the files.
    const auto& counters = snapshot.model->globals.counters;
    auto usage = snapshot.counters->usage();
    for (std::size_t k = 0; k < e.counters.size(); ++k)
        for (const auto& u : usage)
            if (u.line && u.line->key == counters[e.counters[k]].key)
                j["limits"]["counters"][k]["bytes"] = u.bytes;
    j["generation"] = snapshot.generation;
    return j;
}

json explain_request(ReloadEngine& engine, const json& args) {
    proxycfg::ExplainRequest request;
    std::string error;
    auto client = proxycfg::IpAddress::parse(text_arg(args, "from"));
    if (!client) return bad_args("\"from\" must be the client's IP address");
    request.client = *client;
    if (args.contains("user")) request.user = text_arg(args, "user");
    if (args.contains("password")) request.password = text_arg(args, "password");
    if (auto to = text_arg(args, "to"); !to.empty() && !proxycfg::parse_target(to, request, error))
        return bad_args("to: " + error);
    if (auto op = text_arg(args, "operation"); !op.empty()) {
        auto bits = proxycfg::operation_from(op);
        if (!bits) return bad_args("operation '" + proxycfg::printable(op) + "' is not known");
        request.operation = *bits;
    }
    if (auto at = text_arg(args, "at"); !at.empty()) {
        if (!proxycfg::parse_when(at, request, error)) return bad_args("at: " + error);
    } else {
        AclClock now = AclClock::now();
        request.weekday = now.weekday;
        request.seconds_of_day = now.seconds_of_day;
    }
    SnapshotPtr snapshot = engine.current();
    auto choice = proxycfg::choose_service(*snapshot->model, text_arg(args, "service"), request);
    if (!choice.service) return bad_args(choice.error);
    return control::ok_reply(
        explain_on(*snapshot, *choice.service, request, choice.candidates, true));
}

// What a session was admitted with, copied out of its worker.
struct SessionCopy {
    control::SessionInfo info;
    std::string service_label;
    std::uint64_t generation = 0;
    proxycfg::ExplainRequest request;
    std::optional<std::vector<proxycfg::Parent>> chain;
};

json explain_session(ReloadEngine& engine, const json& args) {
    const json& id_arg = args.at("session");
    if (!id_arg.is_number_unsigned()) return bad_args("\"session\" must be a session id");
    auto id = id_arg.get<std::uint64_t>();
    std::optional<SessionCopy> found;
    std::mutex found_mutex;
    const AclClock clock = AclClock::now();
    on_every_worker(engine.workers(), [&](Worker& w, std::size_t) {
        Session* s = w.sessions().find(id);
        if (!s || s->closed()) return;
        SessionCopy copy;
        const auto& r = s->record();
        copy.service_label = s->service().label;
        copy.generation = r.generation;
        copy.info.id = r.id;
        copy.info.service = copy.service_label;
        copy.info.user = r.user.value_or("");
        copy.info.client = proxycfg::host_port(r.client_address.to_string(), r.client_port);
        copy.info.target = r.target_text();
        copy.info.operation = proxycfg::operations_to_string(r.operation);
        copy.info.bytes_in = r.bytes_in;
        copy.info.bytes_out = r.bytes_out;
        copy.info.started_at_ms = proxycfg::unix_ms(r.started);
        copy.info.generation = r.generation;
        auto facts = s->recheck_facts(clock);
        const auto& q = facts.request;
        auto& e = copy.request;
        if (q.user) e.user = std::string(*q.user);
        if (q.password) e.password = std::string(*q.password);
        e.client = q.client;
        e.target_given = !q.target_host.empty() || q.target_address.has_value();
        e.target_host = std::string(q.target_host);
        e.target_address = q.target_address;
        e.port = q.port;
        e.operation = q.operation;
        e.weekday = q.weekday;
        e.seconds_of_day = q.seconds_of_day;
        e.verified_secret = std::string(q.verified_secret);
        if (q.cached) {
            e.cached_user = std::string(q.cached->user);
            e.cached_secret = std::string(q.cached->secret);
            e.cached_other_address = q.cached->other_address;
        }
        if (facts.chain) {
            copy.chain.emplace();
            for (const auto* p : *facts.chain) copy.chain->push_back(*p);
        }
        std::lock_guard lock(found_mutex);
        found = std::move(copy);
    });
    if (!found) return control::error_reply("not_found", "no live session " + std::to_string(id));

    // The facts as a re-check sees them, viewing the copy.
    std::vector<const proxycfg::Parent*> chain;
    if (found->chain)
        for (const auto& p : *found->chain) chain.push_back(&p);
    proxycfg::SessionFacts facts{found->service_label, found->request.view(), std::nullopt};
    if (found->chain) facts.chain = std::span<const proxycfg::Parent* const>(chain);

    SnapshotPtr snapshot = engine.current();
    const proxycfg::Model& running = *snapshot->model;
    json result;
    result["session"] = found->info;
    result["generation"] = snapshot->generation;
    auto now = proxycfg::recheck_session(running, running, facts);
    result["now_outcome"] = now.reason();
    const auto* service = proxycfg::find_service(running, found->service_label);
    result["now"] =
        service ? explain_on(*snapshot, *service, found->request, {}, false) : json(nullptr);
    bool kept = !now.closes();

    json disk;
    proxycfg::Loaded loaded = load_configuration(snapshot->config_path);
    if (!loaded.readable() || proxycfg::has_errors(loaded.diagnostics)) {
        disk["outcome"] = "the files on disk would be refused by a reload (see proxyctl check)";
        disk["closes"] = false;
        disk["explanation"] = nullptr;
    } else {
        auto verdict = proxycfg::recheck_session(running, loaded.model, facts);
        disk["outcome"] =
            (verdict.closes() ? "a reload would close it: " : "a reload would keep it: ") +
            verdict.reason();
        disk["closes"] = verdict.closes();
        const auto* on_disk = proxycfg::find_service(loaded.model, found->service_label);
        if (on_disk) {
            auto e = proxycfg::explain(loaded.model, *on_disk, found->request);
            const auto* sources = loaded.parse.config.sources.get();
            auto lookup = [sources](const proxycfg::SourceSpan& span) -> std::string {
                if (!sources || span.file >= sources->size()) return {};
                return std::string(sources->file(span.file).line_text(span.line));
            };
            disk["explanation"] =
                proxycfg::explanation_json(loaded.model, e, found->request, {}, lookup);
        } else {
            disk["explanation"] = nullptr;
        }
        kept = kept && !verdict.closes();
    }
    result["on_disk"] = std::move(disk);
    result["kept"] = kept;
    return control::ok_reply(result);
}

}  // namespace

json explain_command(ReloadEngine& engine, const json& args) {
    if (args.contains("session")) return explain_session(engine, args);
    return explain_request(engine, args);
}

}  // namespace proxyd
