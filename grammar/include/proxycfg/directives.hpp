// Every 3proxy 0.9 directive as a typed id, with its argument counts, scope, and whether
// proxyd implements it. The rows live in directives.def. The parser stores the id on each
// directive and checks arity; the resolver and the lint rules switch on the id.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string_view>

namespace proxycfg {

enum class Scope : std::uint8_t {
    service,    // starts a service (socks, proxy, tcppm, ...)
    snapshot,   // copied by later service lines (auth, allow, maxconn, force, ...)
    global,     // read at run time, position irrelevant (users, nserver, bandlim, ...)
    immediate,  // acts when parsed (pidfile, system, daemon, include, ...)
    noop,       // does nothing (service, writable)
};

enum class Support : std::uint8_t {
    implemented,  // proxyd implements it
    ignored,      // proxyd accepts it and ignores it (harmless: rotate, archiver, ...)
    unsupported,  // proxyd cannot honour it (an error in the proxyd dialect)
};

enum class DirectiveId : std::uint8_t {
#define PROXYCFG_DIRECTIVE(id, ...) id,
#include "proxycfg/directives.def"
#undef PROXYCFG_DIRECTIVE
    unknown,  // a word that is not in the table (or a plugin's)
};

struct DirectiveInfo {
    DirectiveId id;
    std::string_view name;
    std::uint16_t min_args;
    std::uint16_t max_args;  // unlimited = std::numeric_limits<uint16_t>::max()
    Scope scope;
    Support support;
    std::string_view synopsis;  // "maxconn N"
};

inline constexpr std::uint16_t unlimited_args = std::numeric_limits<std::uint16_t>::max();

std::span<const DirectiveInfo> all_directives();
const DirectiveInfo* find_directive(std::string_view name);
const DirectiveInfo& directive_info(DirectiveId id);  // not for DirectiveId::unknown

}  // namespace proxycfg
