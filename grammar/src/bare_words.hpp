// Splitting a command line without quotes into its words: the lexer's shortcut for such
// lines, and how a directive that kept no tokens gets them back (docs/design.md, "Loading
// large configurations"). Words are runs of bytes between separators; the grammar's
// separators on a line are space, tab, CR, VT and FF.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace proxycfg {

inline bool is_line_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

// The index of the first byte at or after `i` that may end a bare word: one of 0x20 or
// below (separators, LF and other control bytes) or a quote; s.size() if none. Eight bytes
// at a time: words are long and this runs over every byte of a large file, several times.
inline std::size_t next_word_break(std::string_view s, std::size_t i) {
    if constexpr (std::endian::native == std::endian::little) {
        constexpr std::uint64_t ones = 0x0101010101010101ULL;
        constexpr std::uint64_t highs = 0x8080808080808080ULL;
        while (i + 8 <= s.size()) {
            std::uint64_t x = 0;
            std::memcpy(&x, s.data() + i, 8);
            // A byte below 0x21, or equal to '"', sets its high bit here; a borrow can only
            // flag bytes after a real match, so the lowest flag is exact.
            std::uint64_t below = (x - ones * 0x21) & ~x & highs;
            std::uint64_t q = x ^ (ones * '"');
            std::uint64_t quote = (q - ones) & ~q & highs;
            if (std::uint64_t m = below | quote) return i + (std::countr_zero(m) >> 3);
            i += 8;
        }
    }
    while (i < s.size() && static_cast<unsigned char>(s[i]) > 0x20 && s[i] != '"') ++i;
    return i;
}

// Calls word(offset, length) for each word of `line`. Returns false, after the words
// before it, at a quote or a LF: such a line is the grammar's to read.
template <typename F>
bool for_each_bare_word(std::string_view line, F&& word) {
    std::size_t i = 0, n = line.size();
    for (;;) {
        while (i < n && is_line_space(line[i])) ++i;
        if (i == n) return true;
        std::size_t start = i;
        for (;;) {
            i = next_word_break(line, i);
            if (i == n || is_line_space(line[i])) break;
            if (line[i] == '"' || line[i] == '\n') return false;
            ++i;  // another control byte: part of the word
        }
        word(start, i - start);
    }
}

}  // namespace proxycfg
