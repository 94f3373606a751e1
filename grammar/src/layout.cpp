#include "proxycfg/layout.hpp"

#include <deque>
#include <vector>

#include "lexer.hpp"
#include "proxycfg/directives.hpp"

namespace proxycfg {
namespace {

// 3proxy's line buffer: a longer line is cut there and the rest read as a new command,
// so respacing it could move the cut.
constexpr std::size_t kMaxLine = 65534;

bool blank_char(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view rstrip(std::string_view s) {
    while (!s.empty() && blank_char(s.back())) s.remove_suffix(1);
    return s;
}

bool needs_quotes(std::string_view text) {
    if (text.front() == '#') return true;  // an unquoted '#' word is a comment marker
    for (char c : text) {
        if (blank_char(c) || c == '"') return true;
    }
    return false;
}

std::string canonical_word(const LexToken& t) {
    // A '$' inside or outside quotes decides whether a file is included: keep it as is.
    if (!t.quoted || t.quirk || t.text.empty() || t.text.find('$') != std::string_view::npos)
        return std::string(t.raw);
    if (!needs_quotes(t.text)) return std::string(t.text);
    std::string out = "\"";
    for (char c : t.text) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + '"';
}

enum class Kind { blank, comment, service, other };

struct Line {
    Kind kind;
    std::string text;
    bool dollar = false;  // an unquoted '$' word: a $FILE inclusion
};

Line lay_out(std::string_view raw) {
    if (rstrip(raw).empty()) return {Kind::blank, {}};
    if (raw.size() > kMaxLine) return {Kind::other, std::string(raw)};
    if (raw.front() == '#') return {Kind::comment, std::string(rstrip(raw))};
    if (raw.front() == ' ' || raw.front() == '\t') return {Kind::other, std::string(rstrip(raw))};
    std::deque<std::string> arena;
    std::vector<LexToken> words;
    LexError error;
    if (!lex(raw, LexMode::line, arena, words, error) || words.empty())
        return {Kind::other, std::string(raw)};
    Line line{Kind::other, {}};
    for (const auto& w : words) {
        if (!line.text.empty()) line.text += ' ';
        line.text += canonical_word(w);
        if (w.dollar != std::string_view::npos) line.dollar = true;
    }
    const DirectiveInfo* info = words[0].quoted ? nullptr : find_directive(words[0].text);
    if (info && info->scope == Scope::service) line.kind = Kind::service;
    return line;
}

}  // namespace

std::string canonical_layout(std::string_view text, const LayoutOptions& options) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n'))
            return std::string(text);
    }
    std::vector<Line> lines;
    std::string_view eol;
    for (std::size_t start = 0; start < text.size();) {
        std::size_t end = text.find('\n', start);
        bool terminated = end != std::string_view::npos;
        if (!terminated) end = text.size();
        std::string_view raw = text.substr(start, end - start);
        if (terminated && eol.empty()) eol = !raw.empty() && raw.back() == '\r' ? "\r\n" : "\n";
        if (terminated && !raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
        lines.push_back(lay_out(raw));
        start = end + 1;
    }
    if (eol.empty()) eol = "\n";
    // A $FILE on a last line without a newline is a name to 3proxy, not an inclusion.
    bool keep_unterminated =
        !text.empty() && text.back() != '\n' && !lines.empty() && lines.back().dollar;

    std::string out;
    out.reserve(text.size());
    bool pending_blank = false;
    Kind previous = Kind::blank;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const Line& line = lines[i];
        if (line.kind == Kind::blank) {
            pending_blank = previous != Kind::blank;
            continue;
        }
        bool block_ends =
            options.separate_blocks && previous == Kind::service && line.kind != Kind::service;
        if ((pending_blank || block_ends) && !out.empty()) out += eol;
        pending_blank = false;
        out += line.text;
        if (i + 1 < lines.size() || !keep_unterminated) out += eol;
        previous = line.kind;
    }
    return out;
}

}  // namespace proxycfg
