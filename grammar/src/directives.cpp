#include "proxycfg/directives.hpp"

#include <algorithm>
#include <array>
#include <unordered_map>

namespace proxycfg {
namespace {

constexpr std::uint16_t U = unlimited_args;
using S = Scope;
using P = Support;

// Argument counts follow 3proxy's command table (src/conf.c), minus the command word.
constexpr std::array kDirectives = {
    DirectiveInfo{"proxy", 0, U, S::service, P::implemented, "proxy [OPTIONS]"},
    DirectiveInfo{"socks", 0, U, S::service, P::implemented, "socks [OPTIONS]"},
    DirectiveInfo{"tcppm", 3, U, S::service, P::implemented, "tcppm [OPTIONS] LPORT HOST RPORT"},
    DirectiveInfo{"udppm", 3, U, S::service, P::unsupported, "udppm [OPTIONS] LPORT HOST RPORT"},
    DirectiveInfo{"pop3p", 0, U, S::service, P::unsupported, "pop3p [OPTIONS]"},
    DirectiveInfo{"ftppr", 0, U, S::service, P::unsupported, "ftppr [OPTIONS]"},
    DirectiveInfo{"admin", 0, U, S::service, P::unsupported, "admin [OPTIONS]"},
    DirectiveInfo{"dnspr", 0, U, S::service, P::unsupported, "dnspr [OPTIONS]"},
    DirectiveInfo{"smtpp", 0, U, S::service, P::unsupported, "smtpp [OPTIONS]"},
    DirectiveInfo{"auto", 0, U, S::service, P::unsupported, "auto [OPTIONS]"},
    DirectiveInfo{"tlspr", 0, U, S::service, P::unsupported, "tlspr [OPTIONS]"},
    DirectiveInfo{"internal", 1, 1, S::snapshot, P::implemented, "internal IP"},
    DirectiveInfo{"external", 1, 1, S::snapshot, P::implemented, "external IP"},
    DirectiveInfo{"log", 0, U, S::snapshot, P::implemented, "log [TARGET [ROTATION]]"},
    DirectiveInfo{"service", 0, 0, S::noop, P::ignored, "service"},
    DirectiveInfo{"daemon", 0, 0, S::immediate, P::implemented, "daemon"},
    DirectiveInfo{"config", 1, 1, S::global, P::implemented, "config PATH"},
    DirectiveInfo{"include", 1, 1, S::immediate, P::implemented, "include PATH"},
    DirectiveInfo{"archiver", 2, U, S::global, P::ignored, "archiver EXT COMMAND [ARGS...]"},
    DirectiveInfo{"counter", 1, 3, S::global, P::unsupported, "counter FILE [TYPE REPORT]"},
    DirectiveInfo{"rotate", 1, 1, S::global, P::ignored, "rotate N"},
    DirectiveInfo{"logformat", 1, 1, S::snapshot, P::implemented, "logformat FORMAT"},
    DirectiveInfo{"timeouts", 1, U, S::global, P::implemented, "timeouts T1 [T2 ... T10]"},
    DirectiveInfo{"auth", 1, U, S::snapshot, P::implemented, "auth TYPE [TYPE...]"},
    DirectiveInfo{"users", 0, U, S::global, P::implemented, "users NAME:TYPE:PASSWORD..."},
    DirectiveInfo{"maxconn", 1, 1, S::snapshot, P::implemented, "maxconn N"},
    DirectiveInfo{"flush", 0, 0, S::snapshot, P::implemented, "flush"},
    DirectiveInfo{"nserver", 1, 1, S::global, P::implemented, "nserver IP[:PORT][/tcp]"},
    DirectiveInfo{"fakeresolve", 0, 0, S::global, P::implemented, "fakeresolve"},
    DirectiveInfo{"nscache", 1, 1, S::global, P::ignored, "nscache N"},
    DirectiveInfo{"nscache6", 1, 1, S::global, P::ignored, "nscache6 N"},
    DirectiveInfo{"nsrecord", 2, 2, S::global, P::unsupported, "nsrecord NAME ADDRESS"},
    DirectiveInfo{"dialer", 1, 1, S::global, P::unsupported, "dialer PROGRAM"},
    DirectiveInfo{"system", 1, 1, S::immediate, P::unsupported, "system COMMAND"},
    DirectiveInfo{"pidfile", 1, 1, S::immediate, P::implemented, "pidfile PATH"},
    DirectiveInfo{"monitor", 1, 1, S::global, P::implemented, "monitor PATH"},
    DirectiveInfo{"parent", 4, U, S::snapshot, P::unsupported,
                  "parent WEIGHT TYPE HOST PORT [USER [PASSWORD]]"},
    DirectiveInfo{"allow", 0, U, S::snapshot, P::implemented,
                  "allow [USERS [SOURCES [TARGETS [PORTS [OPERATIONS [WEEKDAYS [PERIODS]]]]]]]"},
    DirectiveInfo{"deny", 0, U, S::snapshot, P::implemented,
                  "deny [USERS [SOURCES [TARGETS [PORTS [OPERATIONS [WEEKDAYS [PERIODS]]]]]]]"},
    DirectiveInfo{"redirect", 2, U, S::snapshot, P::unsupported, "redirect IP PORT [ACL...]"},
    DirectiveInfo{"bandlimin", 1, U, S::global, P::unsupported, "bandlimin RATE [ACL...]"},
    DirectiveInfo{"bandlimout", 1, U, S::global, P::unsupported, "bandlimout RATE [ACL...]"},
    DirectiveInfo{"nobandlimin", 0, U, S::global, P::unsupported, "nobandlimin [ACL...]"},
    DirectiveInfo{"nobandlimout", 0, U, S::global, P::unsupported, "nobandlimout [ACL...]"},
    DirectiveInfo{"countin", 3, U, S::global, P::unsupported, "countin N TYPE LIMIT [ACL...]"},
    DirectiveInfo{"countout", 3, U, S::global, P::unsupported, "countout N TYPE LIMIT [ACL...]"},
    DirectiveInfo{"countall", 3, U, S::global, P::unsupported, "countall N TYPE LIMIT [ACL...]"},
    DirectiveInfo{"nocountin", 0, U, S::global, P::unsupported, "nocountin [ACL...]"},
    DirectiveInfo{"nocountout", 0, U, S::global, P::unsupported, "nocountout [ACL...]"},
    DirectiveInfo{"nocountall", 0, U, S::global, P::unsupported, "nocountall [ACL...]"},
    DirectiveInfo{"connlim", 3, U, S::global, P::unsupported, "connlim RATE PERIOD USERS [ACL...]"},
    DirectiveInfo{"noconnlim", 0, U, S::global, P::unsupported, "noconnlim [ACL...]"},
    DirectiveInfo{"plugin", 2, U, S::immediate, P::unsupported,
                  "plugin LIBRARY FUNCTION [ARGS...]"},
    DirectiveInfo{"logdump", 1, 2, S::snapshot, P::ignored, "logdump IN [OUT]"},
    DirectiveInfo{"filtermaxsize", 1, 1, S::global, P::ignored, "filtermaxsize N"},
    DirectiveInfo{"nolog", 0, 0, S::snapshot, P::implemented, "nolog"},
    DirectiveInfo{"weight", 1, 1, S::snapshot, P::ignored, "weight N"},
    DirectiveInfo{"authcache", 1, 2, S::global, P::unsupported, "authcache TYPES [SECONDS]"},
    DirectiveInfo{"delimchar", 1, 1, S::global, P::ignored, "delimchar C"},
    DirectiveInfo{"authnserver", 1, 1, S::global, P::unsupported, "authnserver IP[:PORT]"},
    DirectiveInfo{"stacksize", 1, 1, S::snapshot, P::ignored, "stacksize N"},
    DirectiveInfo{"force", 0, 0, S::snapshot, P::implemented, "force"},
    DirectiveInfo{"noforce", 0, 0, S::snapshot, P::implemented, "noforce"},
    DirectiveInfo{"parentretries", 1, 1, S::global, P::ignored, "parentretries N"},
    DirectiveInfo{"radius", 2, U, S::global, P::unsupported, "radius SECRET SERVER..."},
    DirectiveInfo{"setuid", 1, 1, S::immediate, P::implemented, "setuid USER"},
    DirectiveInfo{"setgid", 1, 1, S::immediate, P::implemented, "setgid GROUP"},
    DirectiveInfo{"chroot", 1, 3, S::immediate, P::unsupported, "chroot DIR [USER [GROUP]]"},
    DirectiveInfo{"end", 0, 0, S::immediate, P::implemented, "end"},
    DirectiveInfo{"writable", 0, 0, S::noop, P::ignored, "writable"},
};

}  // namespace

std::span<const DirectiveInfo> all_directives() {
    return kDirectives;
}

const DirectiveInfo* find_directive(std::string_view name) {
    // Called for every line by the parser, the resolver and several rules.
    static const std::unordered_map<std::string_view, const DirectiveInfo*> index = [] {
        std::unordered_map<std::string_view, const DirectiveInfo*> m;
        for (const auto& d : kDirectives) m.emplace(d.name, &d);
        return m;
    }();
    auto it = index.find(name);
    return it == index.end() ? nullptr : it->second;
}

}  // namespace proxycfg
