// The resolver: replays the directives top to bottom with 3proxy's positional (sticky)
// semantics and produces the effective Model.
#pragma once

#include "proxycfg/ast.hpp"
#include "proxycfg/model.hpp"

namespace proxycfg {

// Semantic errors found while replaying (bad ACL fields, bad service options, parent
// chaining errors, ...) are appended to `diagnostics` with PX0xx codes.
Model resolve(const ParsedConfig& config, Diagnostics& diagnostics);

}  // namespace proxycfg
