// The admin service's status page: one self-contained HTML document (inline CSS and JS,
// no external assets) rendered from the same `view` object that `GET api/view` serves.
// With scripting off the server-side HTML shows everything; with it on, the page polls
// api/view every 5 s and re-renders the dynamic parts in place, inserting data only as
// text. When the view is `writable` it offers Reload and per-session Close buttons that
// POST api/reload and api/sessions/<id>/close with the view's `csrf` token in
// X-CSRF-Token.
//
// The view: {"status": control status result, "services": [{label, listener, type, auth,
// force, maxconn, sessions}], "sessions": [control Session], "reloads": [ReloadRecord,
// newest first], "banner": {"edited_files": [path], "last_reload_failed": bool,
// "last_failure": string|null}, "now_ms": int, "writable": bool, "csrf": string|null}.
// Missing or mistyped fields render as empty, never as an error.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace proxyd {

std::string render_admin_page(const nlohmann::json& view);

// `text` made safe for HTML element content and for quoted attribute values: & < > " '
// as character references, invalid UTF-8 and control characters (but tab, LF, CR) as
// U+FFFD.
std::string html_escape(std::string_view text);

// `value` as JSON that is safe inside <script type="application/json">: < > & and
// U+2028/U+2029 as \u escapes (so no "</script>" or "<!--" can appear), invalid UTF-8 as
// U+FFFD.
std::string json_for_script(const nlohmann::json& value);

}  // namespace proxyd
