// Services, listeners and global network settings (docs/language.md, "Service lines").
#include <algorithm>
#include <map>
#include <set>

#include "../text_util.hpp"
#include "context.hpp"

namespace proxycfg::checks {
namespace {

bool is_wildcard(const std::string& address) {
    if (address.empty()) return true;
    auto ip = IpAddress::parse(address);
    return ip && ip->is_unspecified();
}

bool is_udp(ServiceType t) {
    return t == ServiceType::dnspr || t == ServiceType::udppm;
}

std::string listen_text(const Service& s) {
    std::string addr = is_wildcard(s.bind_address.value) ? "all interfaces" : s.bind_address.value;
    return addr + " port " + std::to_string(s.port.value) +
           (s.port.span.valid() ? "" : " (the default port)");
}

// Do two listen addresses accept the same connections? A wildcard takes every address of
// its family (`::` is dual-stack on Linux and takes IPv4 too).
bool addresses_overlap(const std::string& a, const std::string& b) {
    if (a == b) return true;
    auto family = [](const std::string& s) {
        if (s.empty()) return IpAddress::Family::v4;
        auto ip = IpAddress::parse(s);
        return ip ? ip->family : IpAddress::Family::v4;
    };
    auto covers = [&](const std::string& wild, const std::string& other) {
        if (!is_wildcard(wild)) return false;
        return family(wild) == IpAddress::Family::v6 || family(other) == IpAddress::Family::v4;
    };
    if (covers(a, b) || covers(b, a)) return true;
    auto ia = IpAddress::parse(a), ib = IpAddress::parse(b);
    return ia && ib && *ia == *ib;
}

// A `log` target that is a file (not stdout, syslog `@ident`, ODBC `&dsn` or radius).
bool is_log_file(std::string_view target) {
    return !target.empty() && target.front() != '@' && target.front() != '&' &&
           target != "radius" && target != "stdout" && target != "stderr";
}

void check_open_proxy(Context& ctx) {
    for (const auto& s : ctx.model.services) {
        // A refused service listens nowhere; its address may be one a bad option left.
        if (s.refused) continue;
        if (s.type != ServiceType::socks && s.type != ServiceType::proxy) continue;
        if (!is_wildcard(s.bind_address.value)) continue;
        bool none = s.uses(AuthMethod::none);
        bool iponly = std::all_of(s.auth.value.begin(), s.auth.value.end(),
                                  [](AuthMethod m) { return m == AuthMethod::iponly; });
        if (!none && !iponly) continue;
        // Under iponly a reachable allow with no source list lets anyone in; entries that
        // name users never match there (the username is hidden as '-').
        const AclEntry* open_entry = nullptr;
        if (!none) {
            bool closed = false;
            for (const auto& e : s.acl.entries()) {
                if (!matches_without_username(e)) continue;
                if (e.action == AclAction::deny) {
                    if (e.matches_everything()) {
                        closed = true;
                        break;
                    }
                    continue;
                }
                if (e.sources().empty()) {
                    open_entry = &e;
                    break;
                }
            }
            if (closed || (!open_entry && !s.acl.empty())) continue;
        }
        std::string why = none ? "auth none lets every client through"
                          : s.acl.empty()
                              ? "auth iponly with an empty ACL allows every client"
                              : "auth iponly and this allow accepts clients from any address";
        auto& d =
            ctx.report(Rule::PX301, s.span,
                       "open proxy: " + std::string(s.label) + " listens on all interfaces and " +
                           why + " (add -i127.0.0.1, auth strong, or an allow list of sources)");
        note_auth_origin(d, s, "auth for this service set here",
                         "no auth line above this service: 3proxy's default is iponly");
        if (open_entry) d.notes.push_back({open_entry->span(), "allows any source address"});
    }
}

void check_duplicate_listeners(Context& ctx) {
    std::map<std::pair<bool, std::uint16_t>, std::vector<const Service*>> by_port;
    for (const auto& s : ctx.model.services) {
        if (s.port.value == 0 || s.refused) continue;
        auto& earlier = by_port[{is_udp(s.type), s.port.value}];
        auto first = std::find_if(earlier.begin(), earlier.end(), [&](const Service* o) {
            return addresses_overlap(o->bind_address.value, s.bind_address.value);
        });
        if (first != earlier.end()) {
            const Service& o = **first;
            auto& d = ctx.report(
                Rule::PX302, s.span,
                std::string(to_string(s.type)) + " on " + listen_text(s) +
                    " shares its port with " + std::string(to_string(o.type)) + " on line " +
                    std::to_string(o.span.line) +
                    (ctx.three_proxy()
                         ? ": both bind (SO_REUSEPORT) and the kernel splits clients between them"
                         : ": proxyd binds a port once, so it cannot serve both (3proxy would "
                           "split clients between them)"));
            d.notes.push_back({o.span, "first service listening on " + listen_text(o)});
        }
        earlier.push_back(&s);
    }
}

void check_privileged_ports(Context& ctx) {
    const Directive* drop = nullptr;
    for (const auto& d : ctx.cfg.directives) {
        if (d.id == DirectiveId::setuid || d.id == DirectiveId::setgid ||
            d.id == DirectiveId::chroot) {
            drop = &d;
            break;
        }
    }
    if (!drop) return;
    for (const auto& s : ctx.model.services) {
        if (s.port.value == 0 || s.port.value >= 1024 || s.refused) continue;
        std::string msg = "port " + std::to_string(s.port.value) + " of " + std::string(s.label) +
                          " is below 1024 and the configuration drops privileges (" +
                          std::string(drop->name()) + "): ";
        msg += ctx.three_proxy()
                   ? "3proxy rebinds every listener on reload and cannot bind it again"
                   : "a reload cannot bind it if it is new or moved";
        auto& d = ctx.report(Rule::PX303, s.port.span.valid() ? s.port.span : s.span, msg);
        d.notes.push_back({drop->span, "privileges dropped here"});
    }
}

void check_globals(Context& ctx) {
    const Directive* first_log_file = nullptr;
    std::size_t nservers = 0;
    const Directive* first_nserver = nullptr;
    for (const auto& line : ctx.cfg.directives) {
        if (!line.well_formed || (line.id != DirectiveId::log && line.id != DirectiveId::nserver &&
                                  line.id != DirectiveId::timeouts))
            continue;
        const Directive& d = line;
        LexedDirective lexed(line);
        auto args = lexed.args();
        if (d.id == DirectiveId::log && !args.empty()) {
            if (args.size() > 1) {
                const Token& r = args[1];
                static constexpr std::string_view letters = "CHDWMYchdwmy";
                if (r.text().empty() || letters.find(r.text().front()) == std::string_view::npos) {
                    ctx.report(Rule::PX310, r.span(),
                               "log rotation '" + printable(r.text()) +
                                   "' is not one of C, H, D, W, M, Y (3proxy refuses the "
                                   "configuration)");
                }
            }
            if (!is_log_file(args[0].text())) continue;
            if (!first_log_file) {
                first_log_file = &d;
                continue;
            }
            auto& diag = ctx.report(
                Rule::PX304, d.span,
                "another 'log FILE': 3proxy has one log file, so the last 'log FILE' line "
                "receives every service's records (use -lFILE on a service line for a "
                "separate file)");
            diag.notes.push_back({first_log_file->span, "first log file set here"});
        } else if (d.id == DirectiveId::nserver) {
            if (!first_nserver) first_nserver = &d;
            if (++nservers == 6) {
                auto& diag = ctx.report(Rule::PX305, d.span,
                                        "sixth nserver: 3proxy uses the first 5 and ignores "
                                        "this one and any after it");
                diag.notes.push_back({first_nserver->span, "first nserver"});
            }
        } else if (d.id == DirectiveId::timeouts && args.size() > 10) {
            const Token& extra = args[10];
            auto& diag = ctx.report(Rule::PX306, extra.span(),
                                    "timeouts has " + std::to_string(args.size()) +
                                        " values; 3proxy reads 10 and ignores the rest");
            const Token& tenth = args[9];
            const Token& last = args.back();
            if (!tenth.from_file && !last.from_file && tenth.span().line == last.span().line) {
                std::uint32_t from = tenth.span().column + tenth.span().length;
                // Safe: 3proxy ignores the values after the tenth.
                diag.fixits.push_back({{tenth.span().file, tenth.span().line, from,
                                        last.span().column + last.span().length - from},
                                       "",
                                       "remove the extra values"});
            }
        }
    }
}

void check_bind_names(Context& ctx) {
    std::set<std::pair<std::uint32_t, std::uint32_t>> seen;  // one report per -i / internal
    for (const auto& s : ctx.model.services) {
        const auto& b = s.bind_address;
        if (b.value.empty() || IpAddress::parse(b.value)) continue;
        if (!seen.insert({b.span.line, b.span.column}).second) continue;
        bool option = b.span.line == s.span.line && b.span.file == s.span.file;
        ctx.report(Rule::PX307, b.span,
                   "listen address '" + printable(b.value) +
                       "' is a hostname: 3proxy resolves it once at start" +
                       (option ? "; if that fails -i is ignored and the inherited address is used"
                               : "; if that fails it listens on all interfaces"));
    }
}

void check_relative_paths(Context& ctx) {
    if (!ctx.three_proxy()) return;
    // Windows configurations (C:\3proxy\..., \\server\share) are absolute too.
    auto relative = [](std::string_view p) {
        bool drive = p.size() >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/');
        return !p.empty() && p.front() != '/' && p.front() != '\\' && !drive;
    };
    auto report = [&](SourceSpan span, std::string_view what, std::string_view path) {
        ctx.report(Rule::PX308, span,
                   std::string(what) + " path '" + printable(path) +
                       "' is relative: 3proxy resolves it against its working directory, not "
                       "the configuration's directory");
    };
    for (const auto& line : ctx.cfg.directives) {
        if (!line.well_formed || line.argc() == 0) continue;
        if (line.id != DirectiveId::include && line.id != DirectiveId::pidfile &&
            line.id != DirectiveId::log)
            continue;
        LexedDirective d(line);
        std::string_view name = d.name();
        const Token& a = d.args()[0];
        if (d.id == DirectiveId::include || d.id == DirectiveId::pidfile) {
            if (relative(a.text())) report(a.span(), name, a.text());
        } else if (d.id == DirectiveId::log) {
            if (is_log_file(a.text()) && relative(a.text())) report(a.span(), "log file", a.text());
        }
    }
    // A `$file` token is replaced by the file's contents; read its name from the source.
    for (const auto& f : ctx.cfg.files) {
        if (!f.inline_dollar || !f.site.valid()) continue;
        std::string_view line = ctx.cfg.file(f.site.file).line_text(f.site.line);
        if (f.site.column == 0 || f.site.column - 1 >= line.size()) continue;
        std::string_view raw = line.substr(f.site.column - 1, f.site.length);
        auto dollar = raw.find('$');
        if (dollar == std::string_view::npos) continue;
        std::string path(raw.substr(dollar + 1));
        path.erase(std::remove(path.begin(), path.end(), '"'), path.end());
        if (relative(path)) report(f.site, "$file", path);
    }
}

void check_dnspr(Context& ctx) {
    if (!ctx.model.globals.nservers.empty()) return;
    // 3proxy's own warning accepts nscache as a resolver too (src/conf.c:251-255).
    for (const auto& d : ctx.cfg.directives)
        if (d.id == DirectiveId::nscache || d.id == DirectiveId::nscache6) return;
    for (const auto& s : ctx.model.services) {
        if (s.type != ServiceType::dnspr) continue;
        ctx.report(Rule::PX309, s.span,
                   "dnspr with no nserver line: it has no DNS server to forward queries to");
    }
}

// A file cut short before its service lines (an editor caught mid-write, a truncated copy,
// an empty file) is otherwise valid: only this tells it would stop the proxy.
void check_no_service(Context& ctx) {
    if (!ctx.model.services.empty() || ctx.cfg.files.empty() || ctx.cfg.main_file_binary) return;
    ctx.report(Rule::PX312, {ctx.cfg.main_file, 1, 1, 0},
               "no service line (socks, proxy, tcppm, ...): this configuration serves nothing");
}

}  // namespace

void check_network(Context& ctx) {
    check_no_service(ctx);
    check_open_proxy(ctx);
    check_duplicate_listeners(ctx);
    check_privileged_ports(ctx);
    check_globals(ctx);
    check_bind_names(ctx);
    check_relative_paths(ctx);
    check_dnspr(ctx);
}

}  // namespace proxycfg::checks
