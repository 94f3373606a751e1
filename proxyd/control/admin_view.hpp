// Everything the `admin` page shows, as one JSON object built on the control thread: the
// status, services, sessions and reload replies of the control protocol, and the banner
// facts `proxyctl check` reports live (files edited but not reloaded, a failed reload).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "control/commands.hpp"

namespace proxyd {

// `csrf`: the token mutating requests must carry, shown only when `writable`.
nlohmann::json admin_view(control_cmd::Context& context, bool writable, const std::string& csrf);

}  // namespace proxyd
