// proxyctl show: the effective model per service, like `sshd -T`. Each setting is printed
// as a configuration-like line with the file:line that gave it (or "default"), so an
// operator can see which line above a service decided its auth, ACL or force flag.
// Secrets never appear: users are listed by name and password type, parents without
// their passwords.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "proxycfg/format.hpp"
#include "proxycfg/lint.hpp"
#include "proxycfg/source.hpp"
#include "proxycfg/util.hpp"

namespace proxyctl {
namespace {

using Json = nlohmann::ordered_json;
using namespace proxycfg;

struct ShowOptions {
    std::string file;
    bool json = false;
    std::string dialect = "proxyd";
    std::string root;
};

using proxycfg::printable;

// A word as it would be written in the configuration: quoted when it has spaces or quotes.
std::string word(std::string_view s) {
    std::string p = printable(s);
    if (!p.empty() && p.find_first_of(" \t\"#") == std::string::npos) return p;
    std::string out = "\"";
    for (char c : p) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string ip_range(const IpRange& r) {
    if (r.first == r.last) return r.first.to_string();
    const std::size_t bits = r.first.family == IpAddress::Family::v4 ? 32 : 128;
    auto bit = [](const IpAddress& a, std::size_t i) {
        return (a.bytes[i / 8] >> (7 - i % 8)) & 1;
    };
    // A CIDR block: first and last agree on a prefix, then first is all 0s and last all 1s.
    std::size_t prefix = 0;
    while (prefix < bits && bit(r.first, prefix) == bit(r.last, prefix)) ++prefix;
    bool cidr = r.first.family == r.last.family;
    for (std::size_t i = prefix; cidr && i < bits; ++i)
        cidr = bit(r.first, i) == 0 && bit(r.last, i) == 1;
    if (cidr) return r.first.to_string() + "/" + std::to_string(prefix);
    return r.first.to_string() + "-" + r.last.to_string();
}

std::string port_range(const PortRange& p) {
    if (p.first == p.last) return std::to_string(p.first);
    return std::to_string(p.first) + "-" + std::to_string(p.last);
}

std::string weekdays(std::uint8_t mask) {
    std::string out;
    for (int d = 0; d < 7; ++d) {
        if (!(mask & (1u << d))) continue;
        int end = d;
        while (end + 1 < 7 && (mask & (1u << (end + 1)))) ++end;
        if (!out.empty()) out += ',';
        out += std::to_string(d);
        if (end > d) out += "-" + std::to_string(end);
        d = end;
    }
    return out;
}

std::string clock(std::uint32_t seconds) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02u:%02u:%02u", seconds / 3600, seconds / 60 % 60,
                  seconds % 60);
    return buf;
}

template <typename List, typename F>
std::string join(const List& items, F render, std::string_view empty = "*") {
    if (items.empty()) return std::string(empty);
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += ',';
        out += render(item);
    }
    return out;
}

// The ACL fields of an entry as strings, '*' for any, in 3proxy's argument order.
std::vector<std::string> acl_fields(const AclEntry& e) {
    std::vector<std::string> targets;
    for (const auto& a : e.target_addresses()) targets.push_back(ip_range(a));
    for (const auto& h : e.target_hosts()) targets.push_back(printable(h.to_string()));
    std::vector<std::string> f;
    f.push_back(join(e.users(), [](std::string_view u) { return printable(u); }));
    f.push_back(join(e.sources(), ip_range));
    f.push_back(join(targets, [](const std::string& t) { return t; }));
    f.push_back(join(e.ports(), port_range));
    f.push_back(e.operations == 0 ? "*" : operations_to_string(e.operations));
    f.push_back(e.weekdays == 0 ? "*" : weekdays(e.weekdays));
    f.push_back(
        join(e.periods(), [](const TimePeriod& p) { return clock(p.from) + "-" + clock(p.to); }));
    return f;
}

// "allow alice,bob * * 80,443": trailing '*' fields are left out, as people write them.
std::string acl_line(const AclEntry& e) {
    auto f = acl_fields(e);
    while (f.size() > 1 && f.back() == "*") f.pop_back();
    std::string out(to_string(e.action));
    for (const auto& s : f) out += " " + s;
    return out;
}

// "countin 1/alice daily 1024 alice": the counter with its period spelled out and LIMIT
// in MiB as written.
std::string counter_line(const TrafficCounter& c) {
    std::string t = std::string(c.exception ? "nocount" : "count") + std::string(to_string(c.kind));
    if (!c.exception) {
        t += " " + std::to_string(c.number);
        if (!c.comment.empty()) t += "/" + printable(c.comment);
        t += " " + std::string(to_string(c.period)) + " " +
             std::to_string(c.limit / (1024 * 1024));
    }
    if (!c.acl_text.empty()) t += " " + printable(c.acl_text);
    return t;
}

// "connlim 10 0 alice": the limit as written, trailing '*' fields left out (USERS stays).
std::string connlim_line(const ConnLimit& l) {
    auto f = acl_fields(l.match);
    while (f.size() > 1 && f.back() == "*") f.pop_back();
    std::string out = l.exception
                          ? "noconnlim"
                          : "connlim " + std::to_string(l.rate) + " " + std::to_string(l.period);
    if (l.exception && f.size() == 1 && f[0] == "*") return out;
    for (const auto& s : f) out += " " + s;
    return out;
}

std::string parent_line(const Parent& p) {
    std::string out = "parent " + std::to_string(p.weight) + " " + word(p.type) + " " +
                      word(p.host) + " " + std::to_string(p.port);
    if (!p.user.empty()) out += " " + word(p.user) + " <password hidden>";
    return out;
}

std::string auth_chain(const Service& s) {
    std::string out;
    for (std::string_view name : s.auth.value.names()) {
        if (!out.empty()) out += ' ';
        out += printable(name);
    }
    return out;
}

std::string listen_address(const Service& s) {
    std::string addr = s.bind_address.value.empty() ? "0.0.0.0" : printable(s.bind_address.value);
    return host_port(addr, s.port.value);
}

// A service option's value, if the option is given ("-s" -> "", "-s0" -> "0").
std::optional<std::string> option(const Service& s, const char* name) {
    auto it = s.options.find(name);
    if (it == s.options.end()) return std::nullopt;
    return std::string(it->second);
}

// -s on udppm and dnspr: single-packet mode ("-s0" turns it off).
bool single_packet(const Service& s) {
    auto v = option(s, "-s");
    return v && *v != "0";
}

// What the UDP parts of a service do: udppm's sessions, dnspr's answers, the address a
// socks UDP ASSOCIATE reply reports. Empty for services with none.
std::string udp_text(const Service& s, const Model& model) {
    const auto& t = model.globals.timeouts.value;
    switch (s.type) {
        case ServiceType::udppm:
            return single_packet(s) ? "udp single-packet: a session ends with the first reply, "
                                      "or after " +
                                          std::to_string(t.byte_long()) + "s"
                                    : "udp session per client address, idle timeout " +
                                          std::to_string(t.string_long()) + "s";
        case ServiceType::dnspr: {
            std::string to = model.globals.nservers.empty()
                                 ? std::string("nowhere (no nserver: SERVFAIL)")
                                 : printable(model.globals.nservers.front().value);
            return single_packet(s) ? "dns every query forwarded to " + to + " (-s)"
                                    : "dns A and AAAA answered by the resolver, other types "
                                      "forwarded to " +
                                          to;
        }
        case ServiceType::socks: {
            auto nat = option(s, "-N");
            return "udp-associate relay on the control connection's address" +
                   (nat ? ", reported as " + printable(*nat) + " (-N)" : std::string());
        }
        default:
            return {};
    }
}

// pop3p, smtpp and ftppr: the client names its server in the login (USER name@host).
bool logs_in_to_host(ServiceType t) {
    return t == ServiceType::pop3p || t == ServiceType::smtpp || t == ServiceType::ftppr;
}

// The -hHOST[:PORT] of such a service as host and port; null without one.
Json default_host_json(const Service& s) {
    auto h = s.options.find("-h");
    if (h == s.options.end()) return nullptr;
    std::string host(h->second);
    std::uint16_t port = default_port(s.type);
    auto colon = host.rfind(':');
    bool bracketed = !host.empty() && host.front() == '[';
    if (colon != std::string::npos && (bracketed || host.find(':') == colon)) {
        auto digits = host.substr(colon + 1);
        if (!digits.empty() && digits.size() <= 5 &&
            digits.find_first_not_of("0123456789") == std::string::npos) {
            port = static_cast<std::uint16_t>(std::stoul(digits));
            host.resize(colon);
        }
    }
    if (bracketed && host.size() >= 2 && host.back() == ']') host = host.substr(1, host.size() - 2);
    return {{"host", host}, {"port", port}};
}

std::string timeouts_text(const Timeouts& t) {
    std::string out;
    for (auto v : t.values) {
        if (!out.empty()) out += ' ';
        out += std::to_string(v);
    }
    return out;
}

class Renderer {
  public:
    Renderer(const Loaded& loaded, std::string display_path)
        : loaded_(loaded), display_path_(std::move(display_path)) {}

    // "examples/proxyd.cfg:23", or "" for a setting nobody wrote (a default).
    std::string where(const SourceSpan& span) const {
        if (!span.valid()) return "";
        return printable(path(span.file)) + ":" + std::to_string(span.line);
    }

    Json where_json(const SourceSpan& span) const {
        if (!span.valid()) return nullptr;
        return Json{{"file", path(span.file)}, {"line", span.line}};
    }

    void text(std::ostream& out) const {
        const Model& m = loaded_.model;
        out << "# effective configuration of " << printable(display_path_) << ": "
            << m.services.size() << " service(s), " << m.users.size() << " user(s)\n";
        for (const auto& s : m.services) service_text(out, s);
        out << "\nglobal\n";
        const Globals& g = m.globals;
        for (const auto& ns : g.nservers) line(out, "nserver " + word(ns.value), ns.span);
        if (g.nservers.empty()) line(out, "nserver (system resolver)", {});
        line(out, "timeouts " + timeouts_text(g.timeouts.value), g.timeouts.span);
        line(out, "pidfile " + (g.pidfile.value.empty() ? "(none)" : word(g.pidfile.value)),
             g.pidfile.span);
        for (const auto& f : g.monitor_files) line(out, "monitor " + word(f.value), f.span);
        if (g.monitor_files.empty()) line(out, "monitor (none)", {});
        if (g.daemon.span.valid()) line(out, "daemon", g.daemon.span);
        if (g.fakeresolve.span.valid()) line(out, "fakeresolve", g.fakeresolve.span);
        if (g.delimchar.span.valid())
            line(out, "delimchar " + word(std::string(1, g.login_delimiter())), g.delimchar.span);
        // Only where it matters: some entry has parents, or the line was written.
        bool chains = std::any_of(m.services.begin(), m.services.end(), [](const Service& s) {
            auto entries = s.acl.entries();
            return std::any_of(entries.begin(), entries.end(),
                               [](const AclEntry& e) { return !e.parents.empty(); });
        });
        if (chains || g.parentretries.span.valid())
            line(out, "parentretries " + std::to_string(g.parentretries.value),
                 g.parentretries.span);
        // Only where it matters: a cache is read, or the line was written.
        if (m.any_service_uses(AuthMethod::cache) || g.authcache.span.valid())
            line(out, "authcache " + g.authcache.value.to_string(), g.authcache.span);
        if (g.config_path.span.valid())
            line(out, "config " + word(g.config_path.value), g.config_path.span);
        if (g.chroot.span.valid()) {
            std::string c = "chroot " + word(g.chroot.value.dir);
            if (!g.chroot.value.user.empty()) c += " " + word(g.chroot.value.user);
            if (!g.chroot.value.group.empty()) c += " " + word(g.chroot.value.group);
            line(out, c, g.chroot.span);
        }
        if (g.setuid.span.valid()) line(out, "setuid " + word(g.setuid.value), g.setuid.span);
        if (g.setgid.span.valid()) line(out, "setgid " + word(g.setgid.value), g.setgid.span);
        for (const auto& c : g.system_commands) line(out, "system " + word(c.value), c.span);
        if (g.nscache.span.valid())
            line(out, "nscache " + std::to_string(g.nscache.value), g.nscache.span);
        if (g.nscache6.span.valid())
            line(out, "nscache6 " + std::to_string(g.nscache6.value), g.nscache6.span);
        for (const auto& r : g.ns_records)
            line(out, "nsrecord " + word(r.name) + " " + r.address.to_string(), r.span);
        // One list for every service, checked in this order (noconnlim ends the walk).
        for (const auto& l : g.connlims) line(out, connlim_line(l), l.match.span());
        for (const auto& b : g.bandlimits) {
            std::string t =
                std::string(b.exception ? "no" : "") + "bandlim" + (b.out ? "out" : "in");
            if (!b.exception) t += " " + std::to_string(b.rate);
            if (!b.acl_text.empty()) t += " " + printable(b.acl_text);
            line(out, t, b.acl.span());
        }
        if (g.counter_file.span.valid()) {
            const auto& f = g.counter_file.value;
            std::string t = "counter " + word(f.path);
            if (!f.report.empty())
                t += " " + std::string(to_string(f.report_period)) + " report " + word(f.report);
            line(out, t, g.counter_file.span);
        }
        for (const auto& c : g.counters) line(out, counter_line(c), c.acl.span());
        out << "\nusers\n";
        for (const User* u : users()) {
            line(out, "user " + printable(u->name()) + " " + std::string(to_string(u->type)),
                 u->span());
        }
        if (m.users.empty()) out << "    (none)\n";
    }

    Json json() const {
        const Model& m = loaded_.model;
        Json services = Json::array();
        for (const auto& s : m.services) services.push_back(service_json(s));
        Json users_j = Json::array();
        for (const User* u : users())
            users_j.push_back({{"name", u->name()},
                               {"type", to_string(u->type)},
                               {"source", where_json(u->span())}});
        const Globals& g = m.globals;
        Json globals;
        globals["nserver"] = Json::array();
        for (const auto& ns : g.nservers)
            globals["nserver"].push_back({{"address", ns.value}, {"source", where_json(ns.span)}});
        globals["timeouts"] = {{"values", g.timeouts.value.values},
                               {"source", where_json(g.timeouts.span)}};
        globals["pidfile"] = setting(
            g.pidfile.value.empty() ? Json(nullptr) : Json(g.pidfile.value), g.pidfile.span);
        globals["monitor"] = Json::array();
        for (const auto& f : g.monitor_files)
            globals["monitor"].push_back({{"file", f.value}, {"source", where_json(f.span)}});
        globals["daemon"] = setting(g.daemon.value, g.daemon.span);
        globals["fakeresolve"] = setting(g.fakeresolve.value, g.fakeresolve.span);
        globals["nscache"] = setting(g.nscache.value, g.nscache.span);
        globals["nscache6"] = setting(g.nscache6.value, g.nscache6.span);
        globals["delimchar"] = setting(std::string(1, g.login_delimiter()), g.delimchar.span);
        globals["nsrecord"] = Json::array();
        for (const auto& r : g.ns_records)
            globals["nsrecord"].push_back({{"name", r.name},
                                           {"address", r.address.to_string()},
                                           {"source", where_json(r.span)}});
        globals["parentretries"] = setting(g.parentretries.value, g.parentretries.span);
        globals["bandlimits"] = Json::array();
        for (const auto& b : g.bandlimits)
            globals["bandlimits"].push_back(
                {{"direction", b.out ? "out" : "in"},
                 {"exception", b.exception},
                 {"rate_bps", b.exception ? Json(nullptr) : Json(b.rate)},
                 {"acl", b.acl_text},
                 {"source", where_json(b.acl.span())}});
        if (g.chroot.span.valid())
            globals["chroot"] = {{"dir", g.chroot.value.dir},
                                 {"user", g.chroot.value.user},
                                 {"group", g.chroot.value.group},
                                 {"source", where_json(g.chroot.span)}};
        globals["system"] = Json::array();
        for (const auto& c : g.system_commands)
            globals["system"].push_back({{"command", c.value}, {"source", where_json(c.span)}});
        globals["connlim"] = Json::array();
        for (const auto& l : g.connlims) {
            Json j{{"exception", l.exception},
                   {"fields", acl_fields(l.match)},
                   {"source", where_json(l.match.span())}};
            if (!l.exception) {
                j["rate"] = l.rate;
                j["period"] = l.period;
            }
            globals["connlim"].push_back(std::move(j));
        }
        if (g.counter_file.span.valid()) {
            const auto& f = g.counter_file.value;
            globals["counter"] = {{"file", f.path},
                                  {"report", text_or_null(f.report)},
                                  {"report_period", to_string(f.report_period)},
                                  {"source", where_json(g.counter_file.span)}};
        }
        globals["counters"] = Json::array();
        for (const auto& c : g.counters) {
            Json j{{"kind", to_string(c.kind)},
                   {"exception", c.exception},
                   {"acl", c.acl_text},
                   {"source", where_json(c.acl.span())}};
            if (!c.exception) {
                j["number"] = c.number;
                j["comment"] = c.comment;
                j["period"] = to_string(c.period);
                j["limit_bytes"] = c.limit;
            }
            globals["counters"].push_back(std::move(j));
        }
        globals["authcache"] = {{"types", g.authcache.value.types()},
                                {"seconds", g.authcache.value.seconds},
                                {"source", where_json(g.authcache.span)}};
        Json root;
        root["version"] = 1;
        root["ok"] = true;
        root["file"] = display_path_;
        root["diagnostics"] = Json::array();
        root["services"] = std::move(services);
        root["users"] = std::move(users_j);
        root["globals"] = std::move(globals);
        return root;
    }

  private:
    const Loaded& loaded_;
    std::string display_path_;

    const std::string& path(FileId id) const {
        const auto& sources = loaded_.parse.config.sources;
        if (id == loaded_.parse.config.main_file || !sources || id >= sources->size())
            return display_path_;
        return sources->file(id).path;
    }

    // "" as null: a value nobody set and that has no default.
    static Json text_or_null(const std::string& text) { return text.empty() ? Json() : Json(text); }

    // "2 connlim, 1 bandlim, 3 counter lines": the limit lines any session can meet.
    std::string limit_lines() const {
        const auto& g = loaded_.model.globals;
        auto rules = [](const auto& lines) {
            return std::count_if(lines.begin(), lines.end(),
                                 [](const auto& l) { return !l.exception; });
        };
        std::string out;
        auto add = [&](long n, const char* what) {
            if (n == 0) return;
            if (!out.empty()) out += ", ";
            out += std::to_string(n) + " " + what;
        };
        add(rules(g.connlims), "connlim");
        add(rules(g.bandlimits), "bandlim");
        add(rules(g.counters), "count");
        if (!out.empty()) out += " line(s)";
        return out;
    }

    Json setting(Json value, const SourceSpan& span) const {
        return Json{{"value", std::move(value)}, {"source", where_json(span)}};
    }

    // The user table in file order of each user's effective (last) definition.
    std::vector<const User*> users() const {
        std::vector<const User*> out = loaded_.model.effective_users();
        std::sort(out.begin(), out.end(), [](const User* a, const User* b) {
            return std::tuple(a->span().file, a->span().line, a->span().column, a->name()) <
                   std::tuple(b->span().file, b->span().line, b->span().column, b->name());
        });
        return out;
    }

    // "    maxconn 200                          # proxyd.cfg:22"
    void line(std::ostream& out, const std::string& setting, const SourceSpan& span,
              std::string_view why_default = "default") const {
        std::string text = "    " + setting;
        std::string comment = span.valid() ? where(span) : std::string(why_default);
        if (!comment.empty()) {
            if (text.size() < 44)
                text.resize(44, ' ');
            else
                text += "  ";
            text += "# " + comment;
        }
        out << text << '\n';
    }

    void service_text(std::ostream& out, const Service& s) const {
        out << "\nservice " << printable(s.label) << "    # " << where(s.span) << '\n';
        line(out, "type " + std::string(to_string(s.type)), s.span);
        std::string listen_from = where(s.port.span.valid() ? s.port.span : s.span);
        if (s.bind_address.span.valid() && s.bind_address.span.line != s.span.line)
            listen_from += ", address from " + where(s.bind_address.span);
        line(out, "listen " + listen_address(s), {}, listen_from);
        if (s.type == ServiceType::tcppm || s.type == ServiceType::udppm)
            line(out, "map " + printable(s.map_host) + ":" + std::to_string(s.map_port), s.span);
        if (auto udp = udp_text(s, loaded_.model); !udp.empty()) line(out, udp, s.span);
        if (logs_in_to_host(s.type)) {
            auto h = s.options.find("-h");
            line(out,
                 "default-host " + (h == s.options.end()
                                        ? std::string("(none: logins name the host)")
                                        : printable(h->second)),
                 s.span);
        }
        line(out, "auth " + auth_chain(s), s.auth.span, "default (3proxy starts with iponly)");
        if (s.acl.empty()) {
            line(out, "acl (none: every request is allowed)", s.acl_flush_span(),
                 "no allow/deny before this service");
        } else {
            if (s.acl_flush_span().valid()) line(out, "flush", s.acl_flush_span());
            for (const auto& e : s.acl.entries()) {
                line(out, acl_line(e), e.span());
                for (const auto& p : e.parents) line(out, "  " + parent_line(p), p.span);
                if (e.nolog) line(out, "  nolog", {}, "");
                if (e.weight != 0) line(out, "  weight " + std::to_string(e.weight), {}, "");
            }
            line(out, "acl-default deny", {}, "a request no entry matches is refused");
        }
        line(out, "maxconn " + std::to_string(s.maxconn.value), s.maxconn.span);
        // The limit lists are global: every line can hold this service's sessions.
        if (auto n = limit_lines(); !n.empty()) line(out, "limits " + n, {}, "global lists, below");
        line(out, s.force().value ? "force" : "noforce", s.force().span,
             "default (3proxy starts every load with force)");
        line(out, "timeouts " + timeouts_text(loaded_.model.globals.timeouts.value),
             loaded_.model.globals.timeouts.span);
        if (s.log().enabled) {
            line(out,
                 "log " + (s.log().target.empty() ? "(stdout)" : word(s.log().target)) +
                     (s.log().rotation.empty() ? "" : " " + word(s.log().rotation)),
                 s.log().log_span);
            line(out, "logformat " + (s.log().format.empty() ? "(default)" : word(s.log().format)),
                 s.log().format_span);
        } else {
            line(out, "log (off)", {}, "no log line before this service");
        }
        line(out,
             "external " +
                 (s.external_v4().value.empty() ? "(system)" : word(s.external_v4().value)),
             s.external_v4().span);
        if (!s.external_v6().value.empty())
            line(out, "external " + word(s.external_v6().value), s.external_v6().span);
        if (!s.options.empty()) {
            std::string opts = "options";
            for (const auto& [k, v] : s.options) opts += " " + word(std::string(k).append(v));
            line(out, opts, s.span);
        }
    }

    Json service_json(const Service& s) const {
        Json j;
        j["label"] = s.label;
        j["type"] = to_string(s.type);
        j["source"] = where_json(s.span);
        j["listen"] = {{"address", s.bind_address.value.empty() ? "0.0.0.0" : s.bind_address.value},
                       {"port", s.port.value},
                       {"source", where_json(s.port.span.valid() ? s.port.span : s.span)},
                       {"address_source", where_json(s.bind_address.span)}};
        if (s.type == ServiceType::tcppm || s.type == ServiceType::udppm)
            j["map"] = {{"host", s.map_host}, {"port", s.map_port}};
        if (auto udp = udp_text(s, loaded_.model); !udp.empty()) j["udp"] = udp;
        if (logs_in_to_host(s.type)) j["default_host"] = default_host_json(s);
        j["auth"] = setting(Json(s.auth.value.names()), s.auth.span);
        Json acl = Json::array();
        for (const auto& e : s.acl.entries()) {
            auto f = acl_fields(e);
            Json je;
            je["action"] = to_string(e.action);
            static constexpr const char* names[] = {"users",      "sources",  "targets", "ports",
                                                    "operations", "weekdays", "periods"};
            for (std::size_t i = 0; i < f.size(); ++i) je[names[i]] = f[i];
            je["text"] = acl_line(e);
            je["parents"] = Json::array();
            for (const auto& p : e.parents)
                je["parents"].push_back({{"weight", p.weight},
                                         {"type", p.type},
                                         {"host", p.host},
                                         {"port", p.port},
                                         {"user", text_or_null(p.user)},
                                         {"source", where_json(p.span)}});
            je["nolog"] = e.nolog;
            je["weight"] = e.weight;
            je["source"] = where_json(e.span());
            acl.push_back(std::move(je));
        }
        j["acl"] = std::move(acl);
        j["acl_flush"] = where_json(s.acl_flush_span());
        j["maxconn"] = setting(s.maxconn.value, s.maxconn.span);
        const auto& g = loaded_.model.globals;
        auto rules = [](const auto& lines) {
            return std::count_if(lines.begin(), lines.end(),
                                 [](const auto& l) { return !l.exception; });
        };
        j["limits"] = {{"connlim", rules(g.connlims)},
                       {"bandlimits", rules(g.bandlimits)},
                       {"counters", rules(g.counters)}};
        j["force"] = setting(s.force().value, s.force().span);
        j["timeouts"] = setting(loaded_.model.globals.timeouts.value.values,
                                loaded_.model.globals.timeouts.span);
        // Without a log, its target, rotation and format do not exist: null. An enabled
        // log with a null target writes to standard output.
        const bool logs = s.log().enabled;
        j["log"] = {{"enabled", logs},
                    {"target", logs ? text_or_null(s.log().target) : Json()},
                    {"rotation", logs ? text_or_null(s.log().rotation) : Json()},
                    {"format", logs ? text_or_null(s.log().format) : Json()},
                    {"source", where_json(s.log().log_span)},
                    {"format_source", where_json(s.log().format_span)}};
        j["external"] = {
            {"v4", setting(text_or_null(s.external_v4().value), s.external_v4().span)},
            {"v6", setting(text_or_null(s.external_v6().value), s.external_v6().span)}};
        j["options"] = Json::object();
        for (const auto& [k, v] : s.options) j["options"][std::string(k)] = v;
        return j;
    }
};

bool color_for_stderr() {
    return proxycfg::color_enabled(STDERR_FILENO);
}

int run_show(const ShowOptions& o) {
    LoadOptions load;
    load.lint.dialect = o.dialect == "3proxy" ? Dialect::threeproxy : Dialect::proxyd;
    load.parse.root = o.root;
    load.parse.map_bytes = map_file_bytes;
    std::string display = o.file == "-" ? "<stdin>" : o.file;
    Loaded loaded;
    if (o.file == "-") {
        std::string text = proxycfg::read_standard_input();
        loaded = load_config_text(display, std::move(text), load);
    } else {
        loaded = load_config(o.file, load);
    }
    // A model with errors is not what proxyd would run: show the errors instead.
    if (!loaded.readable() || has_errors(loaded.diagnostics)) {
        CheckedFile cf;
        cf.sources = loaded.parse.config.sources.get();
        cf.display_path = display;
        for (const auto& d : loaded.diagnostics)
            if (d.severity == Severity::error) cf.diagnostics.push_back(d);
        FormatOptions fo;
        fo.color = color_for_stderr();
        write_diagnostics(std::cerr, OutputFormat::text, {cf}, fo);
        if (o.json) {
            // Scripts still get one document: no model (null), the errors as check's
            // json entries.
            Json diagnostics = Json::array();
            for (const auto& d : cf.diagnostics) diagnostics.push_back(diagnostic_json(cf, d));
            Json root;
            root["version"] = 1;
            root["ok"] = false;
            root["file"] = display;
            root["diagnostics"] = std::move(diagnostics);
            root["services"] = nullptr;
            root["users"] = nullptr;
            root["globals"] = nullptr;
            std::cout << root.dump(2, ' ', false, Json::error_handler_t::replace) << '\n';
        }
        std::cerr << "proxyctl show: " << printable(display)
                  << (loaded.readable() ? " has errors; no effective configuration to show\n"
                                        : " cannot be read\n");
        return loaded.readable() ? exit_findings : exit_usage;
    }
    Renderer r(loaded, display);
    if (o.json) {
        std::cout << r.json().dump(2, ' ', false, Json::error_handler_t::replace) << '\n';
    } else {
        r.text(std::cout);
    }
    return exit_ok;
}

}  // namespace

void register_show(CLI::App& app, Runner& runner) {
    auto o = std::make_shared<ShowOptions>();
    auto* cmd = app.add_subcommand("show", "Print the effective settings of every service");
    cmd->add_option("file", o->file, "Configuration file; '-' reads standard input")
        ->required()
        ->type_name("FILE");
    cmd->add_flag("--json", o->json, "Print the model as JSON for scripts");
    cmd->add_option("--dialect", o->dialect, "proxyd (default) or 3proxy")
        ->check(CLI::IsMember({"proxyd", "3proxy"}));
    cmd->add_option("--root", o->root, "Resolve relative include and $file paths against DIR")
        ->type_name("DIR");
    cmd->footer(
        "Each setting is followed by the file:line that gave it, or 'default'.\n"
        "Passwords are never shown.\n"
        "Exit status: 0 shown, 1 the configuration has errors (printed), 2 unreadable.\n"
        "Examples:\n"
        "  proxyctl show /etc/proxyd/proxyd.cfg\n"
        "  proxyctl show --json /etc/proxyd/proxyd.cfg | jq '.services[].force'");
    cmd->callback([o, &runner] { runner.status = run_show(*o); });
}

}  // namespace proxyctl
