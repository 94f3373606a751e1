// The table of every 3proxy 0.9 directive: argument counts, scope, and whether proxyd
// implements it. The parser checks arity against it; lint rules read scopes from it.
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

struct DirectiveInfo {
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

}  // namespace proxycfg
