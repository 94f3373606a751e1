// Splits one configuration line (or the text of a $file) into tokens.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace proxycfg {

struct LexToken {
    std::string_view raw;      // as written, quotes included
    std::uint32_t offset = 0;  // byte offset of raw within the lexed input
    std::string_view text;     // quotes removed, "" unescaped
    bool quoted = false;
    std::size_t dollar = std::string_view::npos;  // index in text of the first unquoted '$'
    bool quirk = false;                           // a leading "" that 3proxy tokenizes differently
};

struct LexError {
    std::uint32_t offset = 0;  // where the problem starts (the opening quote)
    std::string message;
};

enum class LexMode : std::uint8_t {
    line,           // a configuration line: '$' starts an inclusion
    included_file,  // a $file's text: LF separates, a leading '$' is dropped, no nesting
};

// Appends the tokens of `input` to `out`. Texts that differ from the raw bytes are stored
// in `arena`. Returns false (and fills `error`) on an unterminated quote.
bool lex(std::string_view input, LexMode mode, std::deque<std::string>& arena,
         std::vector<LexToken>& out, LexError& error);

}  // namespace proxycfg
