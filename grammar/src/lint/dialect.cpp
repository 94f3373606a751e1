// What proxyd does not implement (proxyd dialect), and 3proxy defects proxyd fixes that a
// 3proxy user must know about (3proxy dialect). docs/design.md, "Where proxyd differs from 3proxy".
#include <algorithm>

#include "../text_util.hpp"
#include "context.hpp"
#include "proxycfg/directives.hpp"

namespace proxycfg::checks {
namespace {

// "socks, proxy, tcppm and dnspr": the service types the directive table marks served.
std::string served_services() {
    std::vector<std::string_view> names;
    for (const auto& info : all_directives())
        if (info.scope == Scope::service && info.support == Support::implemented)
            names.push_back(info.name);
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) out += i + 1 == names.size() ? " and " : ", ";
        out += names[i];
    }
    return out;
}

void check_proxyd_directives(Context& ctx) {
    for (const auto& d : ctx.cfg.directives) {
        const DirectiveInfo* info = info_of(d);
        if (!info || info->support == Support::implemented) continue;
        const Token cmd = LexedDirective(d).tokens[0];
        std::string name(info->name);
        if (info->scope == Scope::service) {
            if (info->support == Support::unsupported)
                ctx.report(Rule::PX501, cmd.span(),
                           "proxyd does not implement the '" + name +
                               "' service (it serves " + served_services() + ")");
        } else if (info->support == Support::ignored) {
            // No-ops in 3proxy too: nothing is lost, so nothing to say.
            if (d.id == DirectiveId::service || d.id == DirectiveId::writable ||
                d.id == DirectiveId::end)
                continue;
            ctx.report(Rule::PX502, cmd.span(), "proxyd accepts '" + name + "' and ignores it");
        } else {
            ctx.report(Rule::PX503, cmd.span(), "proxyd cannot honour '" + name + "'");
        }
    }
}

// proxyd speaks to parents over HTTP CONNECT, SOCKS4/4a/5, plain TCP and as an HTTP
// proxy client; 3proxy's other parent types are refused per type.
void check_proxyd_parents(Context& ctx) {
    static constexpr std::string_view served[] = {"tcp",    "http",    "connect", "connect+",
                                                  "socks4", "socks4+", "socks5",  "socks5+"};
    for (const auto& line : ctx.cfg.directives) {
        if (line.id != DirectiveId::parent || !line.well_formed || line.argc() < 2) continue;
        LexedDirective d(line);
        const Token& type = d.args()[1];
        if (std::find(std::begin(served), std::end(served), type.text()) != std::end(served))
            continue;
        ctx.report(Rule::PX509, type.span(),
                   "proxyd does not serve parent type '" + printable(type.text()) +
                       "' (it serves tcp, http, connect, socks4 and socks5, and their + forms): "
                       "connections that draw this parent fail");
    }
}

void check_proxyd_passwords(Context& ctx) {
    for (const auto& u : ctx.model.user_definitions) {
        if (u.type != PasswordType::nt) continue;
        ctx.report(Rule::PX504, u.span(),
                   "user '" + printable(u.name()) +
                       "' has an NT: password, which proxyd does not support: the user cannot "
                       "log in");
    }
}

void check_proxyd_auth(Context& ctx) {
    for (const auto& line : ctx.cfg.directives) {
        if (line.id != DirectiveId::auth || !line.well_formed) continue;
        LexedDirective d(line);
        for (const auto& t : d.args()) {
            auto m = auth_method_from(t.text());
            // Unknown words without a plugin are a syntax error (PX021); with one they are
            // plugin auth types.
            if (!m && !ctx.cfg.plugin_seen) continue;
            if (m &&
                (*m == AuthMethod::none || *m == AuthMethod::iponly || *m == AuthMethod::useronly ||
                 *m == AuthMethod::strong || *m == AuthMethod::cache))
                continue;
            ctx.report(Rule::PX505, t.span(),
                       "proxyd does not implement auth type '" + printable(t.text()) +
                           "': requests that reach it fail");
        }
    }
}

// 3proxy re-checks force sessions with the old service's ACL (docs/language.md, "Reload and force
// in 3proxy"): tightening an ACL never closes an existing session. Said once, where it first
// matters.
void check_force_ignores_acl(Context& ctx) {
    for (const auto& s : ctx.model.services) {
        bool none = s.uses(AuthMethod::none);
        if (!s.force().value || none) continue;  // under auth none the ACL is not checked
        auto entries = s.acl.entries();
        auto it = std::find_if(entries.begin(), entries.end(), [](const AclEntry& e) {
            return !e.users().empty() || !e.any_target();
        });
        if (it == entries.end()) continue;
        auto& d = ctx.report(Rule::PX506, s.span,
                             "on reload 3proxy re-checks sessions of force service " +
                                 std::string(s.label) +
                                 " against the new users and passwords only: a tightened ACL "
                                 "does not close existing sessions");
        d.notes.push_back({it->span(), "ACL entry whose edits would not reach open sessions"});
        return;
    }
}

void check_3proxy_crypt(Context& ctx) {
    for (const auto& u : ctx.model.user_definitions) {
        std::string_view secret = u.secret();
        if (u.type != PasswordType::cr || secret.size() < 4 || secret[0] != '$') continue;
        if (secret.rfind("$1$", 0) == 0) continue;
        auto end = secret.find('$', 1);
        // Malformed values are PX215's; this is about well-formed hashes 3proxy cannot check.
        if (end == std::string::npos || secret.find('$', end + 1) == std::string::npos) continue;
        ctx.report(Rule::PX507, u.span(),
                   "user '" + printable(u.name()) + "' has a " +
                       std::string(secret.substr(0, end + 1)) +
                       " hash: 3proxy only verifies $1$ (MD5-crypt), so this password never "
                       "matches there");
    }
}

// 3proxy opens the counter file when it reads the `counter` line and fills in saved counts
// only for count lines read after it: those above start from zero at every start.
void check_3proxy_counter_order(Context& ctx) {
    const Directive* counter = nullptr;
    for (const auto& d : ctx.cfg.directives)
        if (d.id == DirectiveId::counter && d.well_formed && !counter) counter = &d;
    if (!counter) return;
    for (const auto& d : ctx.cfg.directives) {
        if (d.index > counter->index) break;
        if (!d.well_formed ||
            (d.id != DirectiveId::countin && d.id != DirectiveId::countout &&
             d.id != DirectiveId::countall))
            continue;
        ctx.report(Rule::PX510, LexedDirective(d).tokens[0].span(),
                   "'" + std::string(d.name()) +
                       "' above 'counter': 3proxy does not load its saved "
                       "count, so it starts from zero at every start and reload")
            .notes.push_back({counter->span, "the counter file is opened here"});
    }
}

}  // namespace

// 3proxy's cache keeps a removed user's login for its whole time (PX217 there); proxyd's
// does not. Said once per auth line, so an operator moving a 3proxy config knows.
void check_proxyd_cache(Context& ctx) {
    for (const auto& line : ctx.cfg.directives) {
        if (line.id != DirectiveId::auth || !line.well_formed) continue;
        LexedDirective d(line);
        for (const auto& t : d.args()) {
            if (auth_method_from(t.text()) != AuthMethod::cache) continue;
            ctx.report(Rule::PX508, t.span(),
                       "auth cache in proxyd: a reload drops the cached logins the new "
                       "configuration no longer grants (user removed, password changed), and "
                       "every use of a cached login is checked against the current ACL; "
                       "3proxy keeps them until they expire");
            break;
        }
    }
}

void check_dialect(Context& ctx) {
    if (ctx.three_proxy()) {
        check_force_ignores_acl(ctx);
        check_3proxy_crypt(ctx);
        check_3proxy_counter_order(ctx);
        return;
    }
    check_proxyd_directives(ctx);
    check_proxyd_parents(ctx);
    check_proxyd_passwords(ctx);
    check_proxyd_auth(ctx);
    check_proxyd_cache(ctx);
}

}  // namespace proxycfg::checks
