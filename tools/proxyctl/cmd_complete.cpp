// proxyctl __complete: the dynamic values the shell completion scripts (completions/) offer,
// one per line. Hidden from --help: it is an interface for the scripts, not for people.
// A daemon that cannot be asked quickly yields no values and exit 0, so pressing TAB never
// prints an error or waits.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <set>
#include <string>

#include "commands.hpp"
#include "control_client.hpp"
#include "live_checks.hpp"
#include "proxycfg/lint.hpp"
#include "proxycfg/rules.hpp"

namespace proxyctl {
namespace {

struct CompleteOptions {
    std::string kind;
    std::string socket;
    bool describe = false;
};

// Someone is waiting at the prompt: a second at most, less when PROXYCTL_TIMEOUT says so.
std::chrono::milliseconds completion_timeout() {
    return std::min<std::chrono::milliseconds>(reply_timeout(), std::chrono::seconds(1));
}

void print_value(const std::string& value, const std::string& description, bool describe) {
    std::cout << value;
    if (describe && !description.empty()) std::cout << '\t' << description;
    std::cout << '\n';
}

void complete_rules(bool describe) {
    for (const auto& r : proxycfg::all_rules())
        print_value(std::string(r.code), std::string(r.name), describe);
}

void complete_sessions(const CompleteOptions& o) {
    ControlReply reply =
        request(socket_path(o.socket), "sessions", nlohmann::json::object(), completion_timeout());
    if (!reply.ok()) return;
    const nlohmann::json& result = *reply.result;
    const nlohmann::json& list =
        result.is_object() && result.contains("sessions") ? result.at("sessions") : result;
    if (!list.is_array()) return;
    for (const auto& entry : list) {
        control::SessionInfo s;
        try {
            s = entry.get<control::SessionInfo>();
        } catch (const nlohmann::json::exception&) {
            continue;
        }
        std::string description = s.service + " " + (s.user.empty() ? "-" : s.user) + " " +
                                  s.client + (s.target.empty() ? "" : " -> " + s.target);
        print_value(std::to_string(s.id), description, o.describe);
    }
}

// The services of the running configuration (when this user can read it) and every service
// that has sessions, as the daemon labels them.
void complete_services(const CompleteOptions& o) {
    auto status = query_live_status(o.socket, completion_timeout());
    if (!status) return;
    std::set<std::string> labels;
    if (!status->config.empty()) {
        proxycfg::Loaded loaded = proxycfg::load_config(status->config);
        if (loaded.readable())
            for (const auto& service : loaded.model.services) labels.emplace(service.label);
    }
    if (status->sessions_by_service.is_object())
        for (const auto& item : status->sessions_by_service.items()) labels.insert(item.key());
    for (const auto& label : labels) print_value(label, "", false);
}

}  // namespace

void register_complete(CLI::App& app, Runner& runner) {
    auto o = std::make_shared<CompleteOptions>();
    auto* cmd = app.add_subcommand("__complete", "Values for the shell completion scripts");
    cmd->group("");  // hidden
    cmd->add_option("kind", o->kind, "rules, sessions or services")
        ->required()
        ->check(CLI::IsMember({"rules", "sessions", "services"}));
    cmd->add_option("--socket", o->socket, "proxyd control socket")
        ->envname("PROXYCTL_SOCKET")
        ->type_name("PATH");
    cmd->add_flag("--describe", o->describe, "Follow each value by a tab and a description");
    cmd->callback([o, &runner] {
        if (o->kind == "rules") complete_rules(o->describe);
        if (o->kind == "sessions") complete_sessions(*o);
        if (o->kind == "services") complete_services(*o);
        runner.status = exit_ok;
    });
}

}  // namespace proxyctl
