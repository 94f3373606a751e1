#include "proxycfg/explain.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>

#include "proxycfg/bandlim.hpp"
#include "proxycfg/connlim.hpp"
#include "proxycfg/counters.hpp"
#include "proxycfg/hash.hpp"
#include "proxycfg/util.hpp"

namespace proxycfg {
namespace {

using Json = nlohmann::json;

constexpr std::array<std::string_view, 7> weekday_names{"Sun", "Mon", "Tue", "Wed",
                                                        "Thu", "Fri", "Sat"};

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool parse_number(std::string_view text, unsigned max, unsigned& out) {
    if (text.empty() || text.size() > 5) return false;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size() && out <= max;
}

int weekday_from(std::string_view word) {
    static constexpr std::array<std::string_view, 7> full{
        "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
    std::string w = lower(word);
    for (int i = 0; i < 7; ++i)
        if (w == full[i] || (w.size() >= 3 && full[i].starts_with(w))) return i;
    return -1;
}

// Which service types can carry an operation (as proxyd's sessions set it).
bool carries(ServiceType type, std::uint32_t operation) {
    switch (type) {
        case ServiceType::proxy:
            return (operation & (op::HTTP | op::HTTPS | op::FTP)) == operation;
        case ServiceType::socks:
            return (operation & (op::CONNECT | op::BIND | op::UDPASSOC)) == operation;
        case ServiceType::tcppm:
        case ServiceType::pop3p:
        case ServiceType::smtpp:
            return operation == op::CONNECT;
        case ServiceType::udppm:
            return operation == op::UDPASSOC;
        case ServiceType::ftppr:
            return (operation & (op::FTP | op::CONNECT)) == operation;
        case ServiceType::dnspr:
            return operation == op::DNSRESOLVE;
        case ServiceType::admin:
            return operation == op::ADMIN;
    }
    return false;
}

// A port mapper carries a connection only to its own destination.
bool mapper_reaches(const Service& s, const ExplainRequest& r) {
    if (s.type != ServiceType::tcppm && s.type != ServiceType::udppm) return true;
    if (!r.target_given) return true;
    if (s.map_port != r.port) return false;
    auto mapped = IpAddress::parse(s.map_host);
    if (mapped) return r.target_address && *mapped == *r.target_address;
    return lower(s.map_host) == r.target_host;
}

bool selected(const Service& s, std::string_view selector) {
    if (s.label == selector) return true;
    unsigned port = 0;
    if (parse_number(selector, 65535, port)) return s.port.value == port;
    auto colon = selector.find(':');
    if (colon == std::string_view::npos) return false;
    auto type = service_type_from(selector.substr(0, colon));
    return type && *type == s.type && parse_number(selector.substr(colon + 1), 65535, port) &&
           s.port.value == port;
}

std::string time_text(std::int32_t seconds) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", seconds / 3600, seconds / 60 % 60,
                  seconds % 60);
    return buf;
}

class Renderer {
  public:
    Renderer(const Model& model, const LineLookup& lookup) : model_(model), lookup_(lookup) {}

    // {"file","line","text"} for a span, null for none (a default).
    Json where(const SourceSpan& span) const {
        if (!span.valid()) return nullptr;
        Json j;
        j["file"] =
            span.file < model_.files.size() ? Json(model_.files[span.file].path) : Json(nullptr);
        j["line"] = span.line;
        std::string text = lookup_ ? lookup_(span) : std::string();
        j["text"] = text.empty() ? Json(nullptr) : Json(printable(text));
        return j;
    }

    std::string at(const SourceSpan& span) const {
        if (!span.valid()) return "default";
        std::string file =
            span.file < model_.files.size() ? model_.files[span.file].path : std::string("?");
        return file + ":" + std::to_string(span.line);
    }

  private:
    const Model& model_;
    const LineLookup& lookup_;
};

std::string step_words(const AuthStep& s) {
    std::string user = "'" + printable(s.user) + "'";
    switch (s.method) {
        case AuthMethod::none:
            return "everyone is admitted; the ACL is not consulted";
        case AuthMethod::iponly:
            if (s.verdict == Verdict::allowed) return "the ACL allows (names are not looked at)";
            return s.verdict == Verdict::acl_denied ? "the ACL denies; the next method is tried"
                                                    : "no ACL entry matches; the next method is "
                                                      "tried";
        case AuthMethod::useronly:
            if (s.verdict == Verdict::no_credentials)
                return "no username given; the next method is tried";
            return "user " + user + " (no password checked): the ACL decides";
        case AuthMethod::strong:
            if (s.verdict == Verdict::no_credentials)
                return "no username given; the next method is tried";
            if (s.verdict == Verdict::unknown_user)
                return "unknown user " + user + "; the next method is tried";
            if (s.verdict == Verdict::bad_password)
                return "wrong password for " + user + "; the next method is tried";
            return "password of " + user + " is right: the ACL decides";
        case AuthMethod::cache:
            if (!s.cache_hit)
                return "cache miss: no login cached for this client; the next "
                       "method is tried";
            if (s.verdict == Verdict::cached_elsewhere)
                return "cache hit for " + user +
                       ", but cached for another address (authcache limit): refused";
            if (s.cache_user_gone)
                return "cache hit for " + user +
                       std::string(s.verdict == Verdict::unknown_user
                                       ? ", but the user is gone"
                                       : ", but the password has changed") +
                       "; the next method is tried";
            return "cache hit: " + user + " logged in before: the ACL decides";
        case AuthMethod::dnsname:
        case AuthMethod::radius:
        case AuthMethod::plugin:
            return "not supported by proxyd; the next method is tried";
    }
    return "?";
}

std::string reason_words(const Decision& d, const std::string& entry_at, const Service& service) {
    switch (d.verdict) {
        case Verdict::allowed:
            if (d.method == AuthMethod::none) return "allowed: auth none admits everyone";
            if (d.entry) return "allowed by the ACL entry at " + entry_at;
            return service.acl.empty() ? "allowed: the ACL is empty, which allows everything"
                                       : "allowed";
        case Verdict::acl_denied:
            return "denied by the ACL entry at " + entry_at;
        case Verdict::acl_no_match:
            return "denied: no ACL entry matches, and a non-empty ACL denies the rest";
        case Verdict::no_credentials:
            return "denied: a username (and password) is required and none was given";
        case Verdict::unknown_user:
            return "denied: unknown user";
        case Verdict::bad_password:
            return "denied: wrong password";
        case Verdict::unsupported:
            return "denied: the auth methods left are not supported by proxyd";
        case Verdict::cached_elsewhere:
            return "denied: the user's login is cached for another address (authcache limit)";
        default:
            return "denied: " + std::string(describe(d.verdict));
    }
}

const char* text_or(const Json& j, const char* key, const char* fallback) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get_ref<const std::string&>().c_str() : fallback;
}

// "file:line: text" of a where() object, or `fallback` for null.
std::string where_text(const Json& w, const std::string& fallback = "default") {
    if (!w.is_object()) return fallback;
    std::string out =
        std::string(text_or(w, "file", "?")) + ":" + std::to_string(w.value("line", 0u));
    if (w.contains("text") && w["text"].is_string()) out += ": " + w["text"].get<std::string>();
    return out;
}

}  // namespace

LineLookup loaded_file_lines(const Model& model) {
    // Read on first use, kept for the lookup's life: one explanation shows a few lines.
    auto texts = std::make_shared<std::map<FileId, std::string>>();
    return [&model, texts](const SourceSpan& span) -> std::string {
        if (span.file >= model.files.size()) return {};
        auto [it, fresh] = texts->try_emplace(span.file);
        if (fresh) {
            const LoadedFile& f = model.files[span.file];
            std::ifstream in(f.path, std::ios::binary);
            std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
            if (in.bad() || sha256_hex(bytes) != f.content_hash) bytes.clear();
            it->second = std::move(bytes);
        }
        std::string_view text = it->second;
        for (std::uint32_t line = 1; line < span.line; ++line) {
            auto nl = text.find('\n');
            if (nl == std::string_view::npos) return {};
            text.remove_prefix(nl + 1);
        }
        text = text.substr(0, text.find('\n'));
        if (text.ends_with('\r')) text.remove_suffix(1);
        return std::string(text);
    };
}

AccessRequest ExplainRequest::view() const {
    AccessRequest r;
    if (user) r.user = *user;
    if (password) r.password = *password;
    r.client = client;
    r.target_host = target_host;
    r.target_address = target_address;
    r.port = port;
    r.operation = operation;
    r.weekday = weekday;
    r.seconds_of_day = seconds_of_day;
    r.verified_secret = verified_secret;
    if (cached_user) r.cached = CachedLogin{*cached_user, cached_secret, cached_other_address};
    return r;
}

bool parse_when(std::string_view text, ExplainRequest& request, std::string& error) {
    std::string_view clock = text;
    int weekday = request.weekday;
    if (auto space = text.find(' '); space != std::string_view::npos) {
        weekday = weekday_from(text.substr(0, space));
        clock = text.substr(text.find_first_not_of(' ', space));
        if (weekday < 0) {
            error = "'" + printable(text.substr(0, space)) + "' is not a weekday (Mon, Tue, ...)";
            return false;
        }
    }
    unsigned parts[3] = {0, 0, 0};
    const unsigned max[3] = {23, 59, 59};
    std::size_t n = 0;
    while (n < 3) {
        auto colon = clock.find(':');
        if (!parse_number(clock.substr(0, colon), max[n], parts[n])) break;
        ++n;
        if (colon == std::string_view::npos) {
            clock = {};
            break;
        }
        clock.remove_prefix(colon + 1);
    }
    if (n < 2 || !clock.empty()) {
        error = "'" + printable(text) + "' is not a time: HH:MM[:SS], optionally after a weekday";
        return false;
    }
    request.weekday = weekday;
    request.seconds_of_day = static_cast<std::int32_t>(parts[0] * 3600 + parts[1] * 60 + parts[2]);
    return true;
}

bool parse_target(std::string_view text, ExplainRequest& request, std::string& error) {
    std::string_view host;
    std::string_view port_text;
    if (text.starts_with('[')) {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            error = "'" + printable(text) + "' is not HOST:PORT ([ADDRESS]:PORT for IPv6)";
            return false;
        }
        host = text.substr(1, close - 1);
        port_text = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos ||
            text.substr(0, colon).find(':') != std::string_view::npos) {
            error = "'" + printable(text) + "' is not HOST:PORT ([ADDRESS]:PORT for IPv6)";
            return false;
        }
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
    }
    unsigned port = 0;
    if (host.empty() || !parse_number(port_text, 65535, port) || port == 0) {
        error = "'" + printable(text) + "' is not HOST:PORT with a port from 1 to 65535";
        return false;
    }
    request.target_given = true;
    request.port = static_cast<std::uint16_t>(port);
    if (auto ip = IpAddress::parse(host)) {
        request.target_address = *ip;
        request.target_host.clear();
    } else {
        request.target_address.reset();
        request.target_host = lower(host);
    }
    return true;
}

ServiceChoice choose_service(const Model& model, std::string_view selector,
                             const ExplainRequest& request) {
    ServiceChoice choice;
    for (const auto& s : model.services) {
        if (s.refused) continue;
        if (!selector.empty() ? selected(s, selector)
                              : carries(s.type, request.operation) && mapper_reaches(s, request))
            choice.candidates.push_back(&s);
    }
    if (!choice.candidates.empty()) {
        choice.service = choice.candidates.front();
        return choice;
    }
    std::string known;
    for (const auto& s : model.services)
        if (!s.refused) known += (known.empty() ? "" : ", ") + std::string(s.label);
    if (known.empty())
        choice.error = "the configuration starts no service";
    else if (!selector.empty())
        choice.error = "no service '" + printable(selector) + "'; the services are: " + known +
                       " (or TYPE:PORT, e.g. socks:1080, or a port number)";
    else
        choice.error = "no service carries " + operations_to_string(request.operation) +
                       (request.target_given ? " to that target" : std::string()) +
                       "; the services are: " + known;
    return choice;
}

Explanation explain(const Model& model, const Service& service, const ExplainRequest& request) {
    Explanation e;
    e.service = &service;
    AccessRequest r = request.view();
    e.decision = evaluate(model, service, r, &e.trace);
    if (!e.decision.allowed()) return e;
    // The limits see the login that was admitted: a cached one when the cache decided.
    if (e.decision.method == AuthMethod::cache && r.cached) r.user = r.cached->user;
    e.connlims = applicable_connlims(model.globals.connlims, r);
    e.bandlims = match_bandlimits(model, r);
    e.counters = applicable_counters(model, r);
    return e;
}

Json explanation_json(const Model& model, const Explanation& e, const ExplainRequest& request,
                      const std::vector<const Service*>& others, const LineLookup& line_text) {
    Renderer where(model, line_text);
    const Service& service = *e.service;
    const Decision& d = e.decision;
    Json j;
    j["version"] = 1;

    Json req;
    req["user"] = request.user ? Json(printable(*request.user)) : Json(nullptr);
    req["password_given"] = request.password.has_value();
    req["from"] = request.client.to_string();
    if (request.target_given)
        req["to"] = host_port(
            request.target_address ? request.target_address->to_string() : request.target_host,
            request.port);
    else
        req["to"] = nullptr;
    req["operation"] = operations_to_string(request.operation);
    req["weekday"] =
        request.weekday >= 0 && request.weekday < 7
            ? Json(std::string(weekday_names[static_cast<std::size_t>(request.weekday)]))
            : Json(nullptr);
    req["time"] =
        request.seconds_of_day >= 0 ? Json(time_text(request.seconds_of_day)) : Json(nullptr);
    req["cached_login"] =
        request.cached_user ? Json(printable(*request.cached_user)) : Json(nullptr);
    j["request"] = std::move(req);

    j["service"] = {{"label", service.label},
                    {"type", std::string(to_string(service.type))},
                    {"port", service.port.value},
                    {"source", where.where(service.span)}};
    Json other_labels = Json::array();
    for (const auto* s : others)
        if (s != &service) other_labels.push_back(s->label);
    j["other_services"] = std::move(other_labels);

    Json methods = Json::array();
    for (auto m : service.auth.value) methods.push_back(std::string(to_string(m)));
    Json steps = Json::array();
    for (const auto& s : e.trace.steps) {
        Json step;
        step["method"] = std::string(to_string(s.method));
        step["outcome"] = std::string(to_string(s.verdict));
        step["decided"] = s.decided;
        step["user"] = s.user.empty() ? Json(nullptr) : Json(printable(s.user));
        step["cache"] =
            s.method == AuthMethod::cache ? Json(s.cache_hit ? "hit" : "miss") : Json(nullptr);
        step["acl_checked"] = s.acl_checked;
        std::string words = step_words(s);
        // The last method has no next one: the worst failure of the chain is the answer.
        constexpr std::string_view next = "; the next method is tried";
        if (&s == &e.trace.steps.back() && words.ends_with(next))
            words.replace(words.size() - next.size(), next.size(), "; no method is left");
        step["detail"] = std::move(words);
        steps.push_back(std::move(step));
    }
    j["auth"] = {{"methods", std::move(methods)},
                 {"source", where.where(service.auth.span)},
                 {"steps", std::move(steps)}};

    auto entries = service.acl.entries();
    Json acl;
    acl["entries"] = entries.size();
    acl["flush"] = where.where(service.acl_flush_span());
    bool consulted = d.entry != nullptr || d.verdict == Verdict::acl_no_match ||
                     (d.allowed() && d.method != AuthMethod::none);
    acl["consulted"] = consulted;
    if (d.entry) {
        Json entry = where.where(d.entry->span());
        entry["index"] = d.entry_index + 1;
        entry["action"] = std::string(to_string(d.entry->action));
        acl["decided_by"] = std::move(entry);
    } else {
        acl["decided_by"] = nullptr;
    }
    if (consulted && !d.entry)
        acl["default"] = entries.empty() ? "allow" : "deny";
    else
        acl["default"] = nullptr;
    j["acl"] = std::move(acl);

    j["verdict"] = std::string(to_string(d.verdict));
    j["allowed"] = d.allowed();
    j["reason"] = reason_words(d, d.entry ? where.at(d.entry->span()) : std::string(), service);

    // The parents, cut into the groups pick_chain draws one parent from each.
    Json groups = Json::array();
    if (d.allowed() && d.entry) {
        const auto& parents = d.entry->parents;
        std::size_t i = 0;
        while (i < parents.size()) {
            int sum = 0;
            Json list = Json::array();
            for (; i < parents.size() && sum < 1000; ++i) {
                const Parent& p = parents[i];
                sum += p.weight;
                list.push_back({{"type", p.type},
                                {"host", p.host},
                                {"port", p.port},
                                {"weight", p.weight},
                                {"source", where.where(p.span)}});
            }
            groups.push_back(
                {{"parents", std::move(list)}, {"skip_chance", std::max(0, 1000 - sum)}});
        }
    }
    j["parents"] = std::move(groups);

    const auto& g = model.globals;
    Json limits;
    limits["maxconn"] = {{"limit", service.maxconn.value},
                         {"source", where.where(service.maxconn.span)}};
    Json connlims = Json::array();
    for (auto i : e.connlims) {
        const ConnLimit& c = g.connlims[i];
        connlims.push_back(
            {{"rate", c.rate}, {"period", c.period}, {"source", where.where(c.match.span())}});
    }
    limits["connlim"] = std::move(connlims);
    Json to_client = Json::array();
    Json to_server = Json::array();
    for (auto i : e.bandlims.in)
        to_client.push_back({{"rate_bps", g.bandlimits[i].rate},
                             {"source", where.where(g.bandlimits[i].acl.span())}});
    for (auto i : e.bandlims.out)
        to_server.push_back({{"rate_bps", g.bandlimits[i].rate},
                             {"source", where.where(g.bandlimits[i].acl.span())}});
    limits["bandlim"] = {{"to_client", std::move(to_client)}, {"to_server", std::move(to_server)}};
    Json counters = Json::array();
    for (auto i : e.counters) {
        const TrafficCounter& c = g.counters[i];
        counters.push_back({{"number", c.number},
                            {"kind", std::string(to_string(c.kind))},
                            {"period", std::string(to_string(c.period))},
                            {"limit_bytes", c.limit},
                            {"source", where.where(c.acl.span())}});
    }
    limits["counters"] = std::move(counters);
    j["limits"] = std::move(limits);
    return j;
}

void write_explanation_text(std::ostream& out, const Json& j) {
    const Json& r = j.at("request");
    out << "connection: ";
    if (r.at("user").is_string())
        out << "user " << r["user"].get<std::string>()
            << (r.value("password_given", false) ? " (password given)" : " (no password)");
    else
        out << "no username";
    out << " from " << text_or(r, "from", "?");
    if (r.at("to").is_string()) out << " to " << r["to"].get<std::string>();
    out << ", " << text_or(r, "operation", "?");
    if (r.at("weekday").is_string() || r.at("time").is_string()) {
        out << ", at";
        if (r["weekday"].is_string()) out << ' ' << r["weekday"].get<std::string>();
        if (r["time"].is_string()) out << ' ' << r["time"].get<std::string>();
    }
    if (r.at("cached_login").is_string())
        out << "; the auth cache holds a login of " << r["cached_login"].get<std::string>();
    out << '\n';

    const Json& s = j.at("service");
    out << "service: " << text_or(s, "label", "?") << " ("
        << where_text(s.at("source"), "no source line") << ")\n";
    if (j.contains("other_services") && !j["other_services"].empty()) {
        out << "  other services could receive it too:";
        for (const auto& o : j["other_services"]) out << ' ' << o.get<std::string>();
        out << "\n  choose one with --service LABEL or --port N\n";
    }

    const Json& a = j.at("auth");
    out << "auth:";
    for (const auto& m : a.at("methods")) out << ' ' << m.get<std::string>();
    out << " (" << where_text(a.at("source"), "default: no auth line, iponly") << ")\n";
    int n = 1;
    for (const auto& step : a.at("steps"))
        out << "  " << n++ << ". " << text_or(step, "method", "?") << ": "
            << text_or(step, "detail", "") << '\n';

    const Json& acl = j.at("acl");
    if (acl.value("consulted", false)) {
        out << "acl: " << acl.value("entries", 0u) << " entr"
            << (acl.value("entries", 0u) == 1 ? "y" : "ies");
        if (acl.at("flush").is_object()) out << " since the flush at " << where_text(acl["flush"]);
        out << '\n';
        if (acl.at("decided_by").is_object()) {
            const Json& e = acl["decided_by"];
            out << "  entry " << e.value("index", 0u) << " (" << text_or(e, "action", "?")
                << ") decides: " << where_text(e) << '\n';
        } else if (acl.at("default").is_string()) {
            out << (acl["default"] == "allow"
                        ? "  no entries: an empty ACL allows everything\n"
                        : "  no entry matches: a non-empty ACL denies what it does not allow\n");
        }
    } else {
        out << "acl: not consulted\n";
    }

    out << "verdict: " << text_or(j, "verdict", "?") << " - " << text_or(j, "reason", "") << '\n';
    if (!j.value("allowed", false)) return;

    const Json& groups = j.at("parents");
    if (groups.empty()) {
        out << "parents: none, it connects directly\n";
    } else {
        out << "parents (one drawn from each group, in order):\n";
        int k = 1;
        for (const auto& group : groups) {
            out << "  group " << k++ << ":";
            for (const auto& p : group.at("parents")) {
                char pct[16];
                std::snprintf(pct, sizeof pct, "%g%%", p.value("weight", 0) / 10.0);
                out << ' ' << pct << ' ' << text_or(p, "type", "?") << ' '
                    << host_port(p.value("host", std::string()), p.value("port", 0u)) << ';';
            }
            if (int skip = group.value("skip_chance", 0); skip > 0) {
                char pct[16];
                std::snprintf(pct, sizeof pct, "%g%%", skip / 10.0);
                out << " skipped " << pct << " of the time;";
            }
            out << '\n';
        }
    }

    const Json& l = j.at("limits");
    out << "limits:\n";
    const Json& mc = l.at("maxconn");
    out << "  at most " << mc.value("limit", 0) << " sessions at once on the service (maxconn, "
        << where_text(mc.at("source")) << ")";
    if (mc.contains("active")) out << "; " << mc["active"].get<int>() << " active now";
    out << '\n';
    for (const auto& c : l.at("connlim")) {
        unsigned period = c.value("period", 0u);
        out << "  connlim: " << c.value("rate", 0u)
            << (period == 0 ? std::string(" connections at once")
                            : " connections per " + std::to_string(period) + "s")
            << ", shared by all it matches (" << where_text(c.at("source")) << ")\n";
    }
    auto bands = [&](const char* key, const char* direction) {
        for (const auto& b : l.at("bandlim").at(key))
            out << "  bandwidth " << direction << ": "
                << rate_text(b.value("rate_bps", std::uint64_t{0})) << " ("
                << where_text(b.at("source")) << ")\n";
    };
    bands("to_client", "to the client");
    bands("to_server", "to the server");
    for (const auto& c : l.at("counters")) {
        out << "  counted in counter " << c.value("number", 0u) << " (" << text_or(c, "kind", "?")
            << ", " << text_or(c, "period", "?") << "), ";
        std::uint64_t limit = c.value("limit_bytes", std::uint64_t{0});
        if (limit == 0)
            out << "no limit";
        else
            out << "refused once " << limit / (1024 * 1024) << " MiB are reached";
        if (c.contains("bytes"))
            out << "; " << c["bytes"].get<std::uint64_t>() << " bytes counted so far";
        out << " (" << where_text(c.at("source")) << ")\n";
    }
    if (l.at("connlim").empty() && l.at("bandlim").at("to_client").empty() &&
        l.at("bandlim").at("to_server").empty() && l.at("counters").empty())
        out << "  no connlim, bandwidth limit or traffic counter applies\n";
}

}  // namespace proxycfg
