#include "admin_page.hpp"

namespace proxyd {

// A placeholder until the page lands: the view as JSON text, escaped.
std::string render_admin_page(const nlohmann::json& view) {
    std::string text = view.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    std::string escaped;
    for (char c : text) {
        if (c == '<')
            escaped += "&lt;";
        else if (c == '&')
            escaped += "&amp;";
        else
            escaped += c;
    }
    return "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>proxyd</title><pre>" +
           escaped + "</pre></html>\n";
}

}  // namespace proxyd
