// Rules as people name them on the command line and in .proxyctl.toml: a code ("PX101")
// or a name ("force-after-last-service"), in any case.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace proxyctl {

// The code of the rule `word` names, or nullopt with `error` saying what is unknown and
// the nearest code or name.
std::optional<std::string> resolve_rule(std::string_view word, std::string& error);

// Adds the rules of a comma separated list to `codes`; false with `error` at the first
// unknown one.
bool add_rule_list(std::string_view list, std::set<std::string>& codes, std::string& error);

}  // namespace proxyctl
