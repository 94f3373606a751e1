// The `explain` control command: proxycfg::explain on the generation proxyd runs, for a
// request given by its fields or for a live session (with what admitted it), and what
// the files on disk would decide for that session.
#pragma once

#include <nlohmann/json.hpp>

namespace proxyd {

class ReloadEngine;

// The whole reply: ok with the explanation, or an error (bad arguments, no such session).
nlohmann::json explain_command(ReloadEngine& engine, const nlohmann::json& args);

}  // namespace proxyd
