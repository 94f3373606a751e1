// The `%` fields of a logformat template: the one list of what proxyd expands (its access
// log writer, the lint rule and proxyd.cfg(5) follow it) and what 3proxy documents.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace proxycfg {

struct LogField {
    char letter;               // 'U' for %U
    std::string_view meaning;  // "user name, '-' when none"
};

// Every field proxyd expands, in the order proxyd.cfg(5) lists them. "%%" is a percent
// sign and not listed.
std::span<const LogField> proxyd_log_fields();
bool proxyd_log_field(char letter);
// 3proxy's documented letters: the ones proxyd lacks are written literally by proxyd.
bool threeproxy_log_field(char letter);
// "%Y %y %m ..." for messages.
std::string proxyd_log_field_list();

// A template's body after its optional clock letter (L or G) and "-CHARS+" prefix.
std::string_view log_format_body(std::string_view format);

}  // namespace proxycfg
