// Strings handed to machine-readable formats must be valid UTF-8 even when the
// configuration holds arbitrary bytes. Valid text (control characters included, which
// JSON escapes itself) is kept as is, so a fix-it's "\n" stays a newline; each byte that
// is not part of a valid UTF-8 sequence becomes the four characters "\xNN", as in
// printable().
#pragma once

#include <string>
#include <string_view>

#include "../text_util.hpp"

namespace proxycfg::format {

inline std::string utf8_clean(std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(s.size());
    for (;;) {
        std::size_t bad = first_invalid_utf8(s);
        if (bad == std::string_view::npos) {
            out.append(s);
            return out;
        }
        out.append(s.substr(0, bad));
        auto c = static_cast<unsigned char>(s[bad]);
        out += "\\x";
        out += hex[c >> 4];
        out += hex[c & 15];
        s.remove_prefix(bad + 1);
    }
}

}  // namespace proxycfg::format
