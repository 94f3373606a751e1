// The parsed form of a configuration: directives (command lines) in the order 3proxy
// executes them, with `include` and `$file` already expanded.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "proxycfg/diagnostic.hpp"
#include "proxycfg/directives.hpp"
#include "proxycfg/source.hpp"

namespace proxycfg {

// 24 bytes: a large configuration has millions of tokens. Lines longer than 65534 bytes
// are refused before they are split (PX015, as 3proxy's fgets buffer), and a `$file` is
// read up to 65534 bytes, so a token's size, column and length fit 16 bits.
class Token {
  public:
    // The unquoted text; points into a SourceFile or the arena.
    std::string_view text() const { return {text_data_, text_size_}; }
    void set_text(std::string_view t) {
        text_data_ = t.data();
        text_size_ = narrow(t.size());
    }
    // The token as written, quotes included.
    SourceSpan span() const { return {file_, line_, column_, length_}; }
    void set_span(const SourceSpan& s) {
        file_ = s.file;
        line_ = s.line;
        column_ = narrow(s.column);
        length_ = narrow(s.length);
    }

  private:
    const char* text_data_ = nullptr;
    FileId file_ = 0;
    std::uint32_t line_ = 0;
    std::uint16_t text_size_ = 0;
    std::uint16_t column_ = 0;
    std::uint16_t length_ = 0;
    static std::uint16_t narrow(std::size_t n) {
        return static_cast<std::uint16_t>(n < 0xFFFF ? n : 0xFFFF);
    }

  public:
    bool quoted : 1 = false;      // contained at least one quoted run
    bool from_file : 1 = false;   // came out of a `$file` expansion
    bool has_dollar : 1 = false;  // contained an unquoted '$' (an inclusion, even if failed)

    // The one rule for pointing inside a token: text() is the source as written (not
    // quoted, not from a $file, not rewritten), so an offset into it is a column.
    bool verbatim() const { return !quoted && !from_file && length_ == text_size_; }
    // The span of text()[offset, offset + length) for a verbatim token; otherwise the
    // whole token, as nothing finer maps onto the source. Length 0 is an insertion point.
    SourceSpan sub_span(std::size_t offset, std::size_t length) const {
        if (!verbatim()) return span();
        return {file_, line_, static_cast<std::uint32_t>(column_ + offset),
                static_cast<std::uint32_t>(length)};
    }
};
static_assert(sizeof(Token) == 24);

// One command line. Most lines keep no tokens: a line of bare words (no quotes, no `$`,
// no trailing suppression comment) is split again from the source text when a reader
// asks, which is cheaper than holding 24 bytes per word for the whole load. The other
// lines keep the tokens the parser made. LexedDirective gives a directive's tokens.
struct Directive {
    // Words a directive holds: 3proxy reads 4095 of a line, `$file` expansion may give
    // more, and the parser keeps at most this many (PX022 says so).
    static constexpr std::size_t max_words = (std::size_t{1} << 22) - 1;

    SourceSpan span;                        // the whole line
    std::uint32_t index = 0;                // position in ParsedConfig::directives
    DirectiveId id = DirectiveId::unknown;  // of the command word, whatever the arity
    // 32 bytes a directive (millions in a large file): the flags and the word count share
    // the bytes after `id`.
    bool well_formed : 1 = true;  // known directive with a valid argument count

    std::string_view name() const;  // the command word (unquoted)
    std::size_t argc() const { return count_ == 0 ? 0 : count_ - 1; }
    // Whether the line kept its tokens: only such lines have quoted, `$` or $file tokens.
    bool keeps_tokens() const { return stored_; }

    // How the parser records the tokens: `line` is the start of the line's text in its
    // SourceFile (at span.column), split again on demand into `count` bare words...
    void set_line(const char* line, std::size_t count) {
        source_ = line;
        count_ = words(count);
        stored_ = false;
    }
    // ...or tokens kept in storage that outlives the directive.
    void set_tokens(std::span<const Token> tokens) {
        source_ = tokens.data();
        count_ = words(tokens.size());
        stored_ = true;
    }

  private:
    friend class LexedDirective;
    std::uint32_t count_ : 22 = 0;
    bool stored_ : 1 = false;
    const void* source_ = nullptr;  // const char* line, or const Token* when stored_

    static std::uint32_t words(std::size_t count) {
        if (count > max_words) throw std::length_error("directive: more than max_words words");
        return static_cast<std::uint32_t>(count);
    }
};
static_assert(sizeof(Directive) <= 32);

// A directive with its tokens at hand: split from the source line, or the stored ones.
// Tokens are self-contained values (their texts point into the sources or the arena),
// so copies of them outlive this object; the span does not. Not copyable: the span may
// point into this object.
class LexedDirective : public Directive {
  public:
    explicit LexedDirective(const Directive& d);
    ~LexedDirective() = default;
    // A view of tokens the caller holds (the parser's current line).
    LexedDirective(const Directive& d, std::span<const Token> words)
        : Directive(d), tokens(words) {}
    LexedDirective(const LexedDirective&) = delete;
    LexedDirective& operator=(const LexedDirective&) = delete;

    std::span<const Token> tokens;  // tokens[0] is the command word

    std::string_view name() const { return tokens.empty() ? std::string_view{} : tokens[0].text(); }
    std::span<const Token> args() const { return tokens.empty() ? tokens : tokens.subspan(1); }
    std::size_t argc() const { return tokens.empty() ? 0 : tokens.size() - 1; }

  private:
    static constexpr std::size_t kInline = 16;  // most lines have fewer words
    // Left uninitialised (a union member is not constructed): a reader builds millions of
    // these, and only the words a line has are written.
    union {
        std::array<Token, kInline> inline_;
    };
    std::vector<Token> overflow_;
};

// A `# proxyctl: disable=PX101,PX102` comment. A comment on a line of its own applies to
// the next command line, or, for each code a later `# proxyctl: enable=` of the same file
// names, to every line up to that enable (a block). A trailing one applies to its own
// line; `disable-file=` to the whole file.
struct Suppression {
    FileId file = 0;
    std::uint32_t line = 0;  // the line it applies to (not for a block's codes)
    std::vector<std::string> codes;
    // Per code: the word it was read from (a code or a rule name, as written).
    std::vector<SourceSpan> code_spans;
    // Per code: the line of the `enable=` that ends its block, or 0 for no block.
    std::vector<std::uint32_t> block_end;
    bool whole_file = false;  // "# proxyctl: disable-file=..."
    // The comment itself: the whole line (newline included) for a comment on a line of
    // its own, from after the last word to the end of the line for a trailing one. Removing
    // this span removes the suppression.
    SourceSpan comment;
    std::uint32_t comment_line = 0;

    // Whether a finding of `code` on `at` is suppressed (same file assumed).
    bool covers(std::string_view code, std::uint32_t at) const {
        for (std::size_t i = 0; i < codes.size(); ++i)
            if (code_covers(i, code, at)) return true;
        return false;
    }
    // Whether its i-th code alone suppresses a finding of `code` on `at`.
    bool code_covers(std::size_t i, std::string_view code, std::uint32_t at) const {
        if (codes[i] != code && codes[i] != "all") return false;
        if (whole_file) return true;
        std::uint32_t end = i < block_end.size() ? block_end[i] : 0;
        return end != 0 ? at > comment_line && at < end : at == line;
    }
};

struct IncludedFile {
    FileId file;
    SourceSpan site;  // the include / $file token that pulled it in (invalid for the main file)
    bool inline_dollar = false;
};

struct ParsedConfig {
    std::shared_ptr<SourceManager> sources;
    FileId main_file = 0;
    std::vector<Directive> directives;
    std::vector<IncludedFile> files;  // main file first, then in inclusion order
    std::vector<Suppression> suppressions;
    // Trailing "# proxyctl: disable=..." comments removed from directives (3proxy itself
    // would read them as arguments; the 3proxy dialect reports them).
    std::vector<SourceSpan> inline_suppressions;
    // Indented lines whose first word is a directive (3proxy ignores them).
    std::vector<SourceSpan> indented_directives;
    // Indices of the directives with a word after the command that starts with '#' as
    // written (unquoted): 3proxy reads it as an argument, not a comment. Found while the
    // line is lexed, so the lint need not read every line again.
    std::vector<std::uint32_t> hash_word_directives;
    bool plugin_seen = false;
    // The main file was taken for binary data and not parsed (PX016): its missing
    // services say nothing more.
    bool main_file_binary = false;
    Diagnostics diagnostics;  // syntax (PX0xx) findings

    // Storage behind the tokens of lines that keep theirs, and unquoted texts; stable
    // addresses. Tokens live in chunks that never reallocate, so directives can point
    // into them while parsing goes on.
    std::vector<std::vector<Token>> token_chunks;
    std::deque<std::string> arena;

    const SourceFile& file(FileId id) const { return sources->file(id); }
};

}  // namespace proxycfg
