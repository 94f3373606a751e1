// The admin service's HTML page, rendered from the view the control thread builds.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace proxyd {

std::string render_admin_page(const nlohmann::json& view);

}  // namespace proxyd
