// proxyctl explain: what would happen to one connection and which line decides, on the
// files (offline), on the generation proxyd runs (--live), or for a live session
// (--session). Exit status: 0 allowed, 1 denied, 2 usage or configuration error.
#include <ctime>
#include <iostream>
#include <sstream>
#include <string>

#include "commands.hpp"
#include "control_client.hpp"
#include "proxycfg/diagnostic.hpp"
#include "proxycfg/explain.hpp"
#include "proxycfg/format.hpp"
#include "proxycfg/lint.hpp"
#include "proxycfg/util.hpp"

namespace proxyctl {
namespace {

using Json = nlohmann::json;

struct ExplainOptions {
    LiveOptions live;
    std::string file;
    std::string user;
    std::string password;
    std::string from;
    std::string to;
    std::string service;
    std::string port;
    std::string operation;
    std::string at;
    bool has_user = false;
    bool has_password = false;
    bool use_live = false;
    std::uint64_t session = 0;
    bool has_session = false;
};

int usage(const std::string& message) {
    std::cerr << "proxyctl explain: " << message << '\n';
    return exit_usage;
}

// The request fields as the control command takes them: text, parsed by proxyd with the
// same functions the offline command uses.
Json request_args(const ExplainOptions& o) {
    Json args = Json::object();
    if (o.has_user) args["user"] = o.user;
    if (o.has_password) args["password"] = o.password;
    args["from"] = o.from;
    if (!o.to.empty()) args["to"] = o.to;
    if (!o.service.empty()) args["service"] = o.service;
    if (!o.port.empty()) args["service"] = o.port;
    if (!o.operation.empty()) args["operation"] = o.operation;
    if (!o.at.empty()) args["at"] = o.at;
    return args;
}

int status_of(const Json& explanation) {
    return explanation.is_object() && explanation.value("allowed", false) ? exit_ok : exit_findings;
}

void print_json(const Json& j) {
    std::cout << j.dump(2, ' ', false, Json::error_handler_t::replace) << '\n';
}

int run_offline(const ExplainOptions& o) {
    proxycfg::ExplainRequest request;
    std::string error;
    auto client = proxycfg::IpAddress::parse(o.from);
    if (!client) return usage("--from '" + proxycfg::printable(o.from) + "' is not an IP address");
    request.client = *client;
    if (o.has_user) request.user = o.user;
    if (o.has_password) request.password = o.password;
    if (!o.to.empty() && !proxycfg::parse_target(o.to, request, error))
        return usage("--to " + error);
    if (!o.operation.empty()) {
        auto bits = proxycfg::operation_from(o.operation);
        if (!bits)
            return usage("--op '" + proxycfg::printable(o.operation) +
                         "' is not an operation (CONNECT, BIND, UDPASSOC, HTTP_GET, ...)");
        request.operation = *bits;
    }
    if (o.at.empty()) {
        std::time_t t = std::time(nullptr);
        std::tm tm{};
        ::localtime_r(&t, &tm);
        request.weekday = tm.tm_wday;
        request.seconds_of_day = tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
    } else if (!proxycfg::parse_when(o.at, request, error)) {
        return usage("--at " + error);
    }

    proxycfg::LoadOptions load;
    load.parse.map_bytes = map_file_bytes;
    proxycfg::Loaded loaded = proxycfg::load_config(o.file, load);
    if (!loaded.readable() || proxycfg::has_errors(loaded.diagnostics)) {
        proxycfg::CheckedFile cf;
        cf.sources = loaded.parse.config.sources.get();
        cf.display_path = o.file;
        for (const auto& d : loaded.diagnostics)
            if (d.severity == proxycfg::Severity::error) cf.diagnostics.push_back(d);
        proxycfg::write_diagnostics(std::cerr, proxycfg::OutputFormat::text, {cf}, {});
        return usage(proxycfg::printable(o.file) + (loaded.readable()
                                                        ? " has errors; proxyd would not load it"
                                                        : " cannot be read"));
    }
    std::string selector = !o.service.empty() ? o.service : o.port;
    auto choice = proxycfg::choose_service(loaded.model, selector, request);
    if (!choice.service) return usage(choice.error);
    auto explanation = proxycfg::explain(loaded.model, *choice.service, request);
    const auto* sources = loaded.parse.config.sources.get();
    auto lookup = [sources](const proxycfg::SourceSpan& span) -> std::string {
        if (!sources || span.file >= sources->size()) return {};
        return std::string(sources->file(span.file).line_text(span.line));
    };
    Json j =
        proxycfg::explanation_json(loaded.model, explanation, request, choice.candidates, lookup);
    if (o.live.json)
        print_json(j);
    else
        proxycfg::write_explanation_text(std::cout, j);
    return status_of(j);
}

void print_live_text(std::ostream& out, const Json& result, bool session) {
    if (!session) {
        proxycfg::write_explanation_text(out, result);
        return;
    }
    const Json& s = result.at("session");
    out << "session " << s.at("id").get<std::uint64_t>() << " on "
        << s.at("service").get<std::string>() << ", admitted under generation "
        << s.at("generation").get<std::uint64_t>() << "\n\n";
    out << "now (generation " << result.at("generation").get<std::uint64_t>()
        << "): " << result.at("now_outcome").get<std::string>() << '\n';
    if (result.at("now").is_object()) proxycfg::write_explanation_text(out, result.at("now"));
    const Json& disk = result.at("on_disk");
    out << "\nthe files on disk: " << disk.at("outcome").get<std::string>() << '\n';
    if (disk.at("explanation").is_object())
        proxycfg::write_explanation_text(out, disk.at("explanation"));
}

int run_live(const ExplainOptions& o) {
    int status = exit_ok;
    Json args = o.has_session ? Json{{"session", o.session}} : request_args(o);
    auto result = call("explain", o.live, "explain", status, args);
    if (!result) return status;
    if (!result->is_object())
        return malformed_result("explain", "the result is not an object", o.live.json);
    if (o.live.json) {
        print_json(*result);
    } else {
        // Rendered whole before printing: a reply of another shape (another proxyd
        // version) is a clear error, not half a page.
        std::ostringstream out;
        try {
            print_live_text(out, *result, o.has_session);
        } catch (const Json::exception& e) {
            return malformed_result("explain", e.what(), false);
        }
        std::cout << out.str();
    }
    if (o.has_session) return result->value("kept", false) ? exit_ok : exit_findings;
    return status_of(*result);
}

int run_explain(const ExplainOptions& o) {
    if (o.has_session) {
        if (!o.file.empty() || o.has_user || !o.from.empty() || !o.to.empty())
            return usage("--session takes no FILE and no request fields: the session's are used");
        return run_live(o);
    }
    if (o.from.empty()) return usage("--from ADDR is required (the client's address)");
    if (!o.service.empty() && !o.port.empty()) return usage("give --service or --port, not both");
    if (o.use_live) {
        if (!o.file.empty()) return usage("--live explains on what proxyd runs: give no FILE");
        return run_live(o);
    }
    if (o.file.empty()) return usage("a configuration FILE is required (or --live)");
    return run_offline(o);
}

}  // namespace

void register_explain(CLI::App& app, Runner& runner) {
    auto o = std::make_shared<ExplainOptions>();
    auto* cmd = app.add_subcommand(
        "explain", "Show what would happen to a connection, and which line decides");
    cmd->add_option("file", o->file, "Configuration file (not with --live or --session)")
        ->type_name("FILE");
    auto* user = cmd->add_option("--user", o->user, "Username the client gives (none: no login)");
    auto* password = cmd->add_option("--password", o->password, "Password the client gives");
    cmd->add_option("--from", o->from, "Client address")->type_name("ADDR");
    cmd->add_option("--to", o->to, "Target, HOST:PORT or [IPv6]:PORT")->type_name("HOST:PORT");
    cmd->add_option("--service", o->service,
                    "The service that receives it: label or TYPE:PORT (e.g. socks:1080)")
        ->type_name("LABEL");
    cmd->add_option("--port", o->port, "The service listening on this port")->type_name("N");
    cmd->add_option("--op", o->operation,
                    "Operation: CONNECT (default), BIND, UDPASSOC, HTTP_GET, HTTP_POST, ...")
        ->type_name("OP");
    cmd->add_option("--at", o->at,
                    "When: HH:MM[:SS], optionally after a weekday (\"Mon 14:00\"); default now")
        ->type_name("TIME");
    cmd->add_flag("--live", o->use_live, "Explain on the generation the running proxyd has loaded");
    auto* session = cmd->add_option("--session", o->session,
                                    "Why a live session is admitted, and whether the files on "
                                    "disk would still admit it")
                        ->type_name("ID");
    cmd->add_option("--socket", o->live.socket,
                    "proxyd control socket, with --live or --session (default: "
                    "$PROXYCTL_SOCKET, else " +
                        control::default_socket_help() + ")")
        ->type_name("PATH");
    cmd->add_flag("--json", o->live.json,
                  "Print the explanation as JSON, for scripts (the same offline and live)");
    cmd->footer(
        "Prints the service that receives the connection, each auth step, the ACL entry that\n"
        "decides (file:line and its text) or the default, the parents and the limits.\n"
        "Exit status: 0 allowed (a session: kept by a reload), 1 denied, 2 usage or\n"
        "configuration error, 3 proxyd unreachable.\n"
        "Examples:\n"
        "  proxyctl explain proxyd.cfg --user bob --password secret --from 10.0.0.5 "
        "--to example.com:443\n"
        "  proxyctl explain --live --from 10.0.0.5 --to 192.0.2.1:80 --port 3128 --op HTTP_GET\n"
        "  proxyctl explain --session 42 --json");
    cmd->callback([o, user, password, session, &runner] {
        o->has_user = user->count() > 0;
        o->has_password = password->count() > 0;
        o->has_session = session->count() > 0;
        runner.status = run_explain(*o);
    });
}

}  // namespace proxyctl
