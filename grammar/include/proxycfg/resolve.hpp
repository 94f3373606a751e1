// The resolver: replays the directives top to bottom with 3proxy's positional (sticky)
// semantics and produces the effective Model.
#pragma once

#include "proxycfg/ast.hpp"
#include "proxycfg/model.hpp"

namespace proxycfg {

// Semantic errors found while replaying (bad ACL fields, bad service options, parent
// chaining errors, ...) are appended to `diagnostics` with PX0xx codes.
// Service lines 3proxy refuses (a bad option, an error reported) start nothing and are left
// out of the model, unless `keep_refused` asks to keep them, marked `refused`, for the lint
// rules: one bad -e must not hide what else is wrong with the service.
Model resolve(const ParsedConfig& config, Diagnostics& diagnostics, bool keep_refused = false);

// Removes the services resolve() kept with keep_refused, so the model is what starts.
void drop_refused_services(Model& model);

}  // namespace proxycfg
