#include "proxycfg/directives.hpp"

#include <algorithm>
#include <array>
#include <unordered_map>

namespace proxycfg {
namespace {

constexpr std::uint16_t unlimited = unlimited_args;

#define PROXYCFG_DIRECTIVE(id, name, min_args, max_args, scope, support, synopsis) \
    DirectiveInfo{DirectiveId::id,  name,    min_args, max_args, Scope::scope,     \
                  Support::support, synopsis},
constexpr std::array kDirectives = {
#include "proxycfg/directives.def"
};
#undef PROXYCFG_DIRECTIVE

// directive_info indexes the table by id.
constexpr bool rows_in_order() {
    for (std::size_t i = 0; i < kDirectives.size(); ++i)
        if (static_cast<std::size_t>(kDirectives[i].id) != i) return false;
    return kDirectives.size() == static_cast<std::size_t>(DirectiveId::unknown);
}
static_assert(rows_in_order());

}  // namespace

std::span<const DirectiveInfo> all_directives() {
    return kDirectives;
}

const DirectiveInfo& directive_info(DirectiveId id) {
    return kDirectives[static_cast<std::size_t>(id)];
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
