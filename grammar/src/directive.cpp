// Tokens of lines that keep none: their bare words, split again from the source text.
#include <memory>

#include "bare_words.hpp"
#include "proxycfg/ast.hpp"

namespace proxycfg {

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
    std::string_view line(static_cast<const char*>(source_), span.length);
    std::size_t k = 0;
    for_each_bare_word(line, [&](std::size_t offset, std::size_t length) {
        if (k == count_) return;
        Token& t = *std::construct_at(out + k++);
        t.set_text(line.substr(offset, length));
        t.set_span({span.file, span.line, static_cast<std::uint32_t>(span.column + offset),
                    static_cast<std::uint32_t>(length)});
    });
    // The parse counted these words in the same bytes, so k is count_. A mapped file's
    // bytes can only change under a lease the kernel has broken (SourceManager::read); even
    // then every reader gets the count_ words the parse promised, empty ones at the end.
    for (; k < count_; ++k)
        std::construct_at(out + k)->set_span(
            {span.file, span.line, static_cast<std::uint32_t>(span.column + line.size()), 0});
    tokens = {out, k};
}

}  // namespace proxycfg
