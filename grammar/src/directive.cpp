// Tokens of lines that keep none: their bare words, split again from the source text.
#include <cassert>
#include <memory>

#include "proxycfg/ast.hpp"

namespace proxycfg {
namespace {

// The lexer's separators on a command line (grammar_rules.hpp, line_space).
bool is_line_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

}  // namespace

std::string_view Directive::name() const {
    if (count_ == 0) return {};
    if (stored_) return static_cast<const Token*>(source_)[0].text();
    const char* line = static_cast<const char*>(source_);
    std::size_t i = 0;
    while (i < span.length && is_line_space(line[i])) ++i;
    std::size_t start = i;
    while (i < span.length && !is_line_space(line[i])) ++i;
    return {line + start, i - start};
}

LexedDirective::LexedDirective(const Directive& d) : Directive(d) {
    if (stored_) {
        tokens = {static_cast<const Token*>(source_), count_};
        return;
    }
    Token* out = inline_.data();
    if (count_ > kInline) {
        overflow_.resize(count_);
        out = overflow_.data();
    }
    // The parser kept no tokens only for lines of bare words: no quotes, no '$', so the
    // words are exactly the runs between separators.
    const char* line = static_cast<const char*>(source_);
    std::size_t n = span.length, i = 0, k = 0;
    while (k < count_) {
        while (i < n && is_line_space(line[i])) ++i;
        if (i == n) break;
        std::size_t start = i;
        while (i < n && !is_line_space(line[i])) ++i;
        Token& t = *std::construct_at(out + k++);
        t.set_text({line + start, i - start});
        t.set_span({span.file, span.line, static_cast<std::uint32_t>(span.column + start),
                    static_cast<std::uint32_t>(i - start)});
    }
    assert(k == count_);
    tokens = {out, k};
}

}  // namespace proxycfg
