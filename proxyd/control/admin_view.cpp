#include "control/admin_view.hpp"

#include "proxycfg/render.hpp"
#include "proxycfg/util.hpp"
#include "reload.hpp"

namespace proxyd {

namespace {

using nlohmann::json;

std::string listener(const proxycfg::Service& s) {
    return proxycfg::host_port(s.listens_everywhere() ? "*" : s.bind_address.value, s.port.value);
}

json result_of(const json& reply, const char* key) {
    if (!reply.value("ok", false)) return json::array();
    return reply["result"].value(key, json::array());
}

}  // namespace

json admin_view(control_cmd::Context& context, bool writable, const std::string& csrf) {
    json view;
    json status = control_cmd::run(context, "status", json::object());
    view["status"] = status.value("ok", false) ? status["result"] : json::object();
    view["sessions"] = result_of(control_cmd::run(context, "sessions", json::object()), "sessions");
    view["reloads"] = result_of(control_cmd::run(context, "reloads", json::object()), "reloads");

    const auto& model = *context.engine.current()->model;
    const json& counts = view["status"].value("sessions_by_service", json::object());
    json services = json::array();
    for (const auto& s : model.services) {
        services.push_back({{"label", s.label},
                            {"type", proxycfg::to_string(s.type)},
                            {"listener", listener(s)},
                            {"auth", proxycfg::render_auth(s.auth.value)},
                            {"force", s.force().value},
                            {"maxconn", s.maxconn.value},
                            {"sessions", counts.value(s.label, 0)}});
    }
    view["services"] = std::move(services);

    json edited = json::array();
    for (const auto& f : context.engine.changed_files(true))
        edited.push_back(proxycfg::canonical_path(f.path));
    const auto& last = context.engine.last_reload();
    bool failed = last && last->result == ReloadOutcome::Result::failed;
    json failure;
    if (failed) {
        const auto& d = last->load.file.diagnostics;
        auto first_error = std::find_if(d.begin(), d.end(), [](const proxycfg::Diagnostic& x) {
            return x.severity == proxycfg::Severity::error;
        });
        if (first_error != d.end())
            failure = first_error->message;
        else if (!last->refusals.empty())
            failure = last->refusals.front().message;
    }
    view["banner"] = {{"edited_files", std::move(edited)},
                      {"last_reload_failed", failed},
                      {"last_failure", failure}};
    view["now_ms"] = proxycfg::unix_ms(std::chrono::system_clock::now());
    view["writable"] = writable;
    view["csrf"] = writable ? json(csrf) : json();
    return view;
}

}  // namespace proxyd
