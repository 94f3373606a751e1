// The semantic difference between two effective models (the running generation and the
// files on disk): what `proxyctl diff` prints and a reload record summarises.
#pragma once

#include <string>
#include <vector>

#include "proxycfg/model.hpp"

namespace proxycfg {

struct ModelChange {
    enum class Kind : std::uint8_t { added, removed, changed };
    Kind kind = Kind::changed;
    std::string area;  // "service", "listener", "user", "acl", "auth", "force", "maxconn", "global"
    std::string subject;  // service label, user name, setting name
    std::string before;   // rendered old value (empty when added)
    std::string after;    // rendered new value (empty when removed)
    SourceSpan span;      // where the new value is written (invalid when removed)
};

std::string_view to_string(ModelChange::Kind k);

// Never includes secrets: a changed password is reported as "password changed".
std::vector<ModelChange> diff_models(const Model& before, const Model& after);

}  // namespace proxycfg
