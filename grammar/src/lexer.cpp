#include "lexer.hpp"

#include "bare_words.hpp"
#include "grammar_rules.hpp"

namespace proxycfg {
namespace {

struct LexState {
    const char* base;
    LexMode mode;
    std::deque<std::string>& arena;
    std::vector<LexToken>& out;
};

// Removes quotes, unescapes "" and finds the first unquoted '$'.
void finish_token(LexState& st, std::string_view raw, std::uint32_t offset) {
    LexToken tok;
    tok.raw = raw;
    tok.offset = offset;
    bool included = st.mode == LexMode::included_file;
    bool has_quote = raw.find('"') != std::string_view::npos;
    if (!has_quote) {
        tok.text = raw;
        if (included && raw.front() == '$')
            tok.text.remove_prefix(1);
        else if (!included)
            tok.dollar = raw.find('$');
        st.out.push_back(tok);
        return;
    }
    tok.quoted = true;
    tok.quirk = raw.size() >= 2 && raw[0] == '"' && raw[1] == '"';
    std::string text;
    text.reserve(raw.size());
    bool in_quotes = false;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == '"') {
            if (in_quotes && i + 1 < raw.size() && raw[i + 1] == '"') {
                text.push_back('"');
                ++i;
            } else {
                in_quotes = !in_quotes;
            }
            continue;
        }
        if (c == '$' && !in_quotes) {
            if (included) {
                if (i == 0) continue;  // 3proxy drops a '$' that starts a token in a $file
            } else if (tok.dollar == std::string_view::npos) {
                tok.dollar = text.size();
            }
        }
        text.push_back(c);
    }
    st.arena.push_back(std::move(text));
    tok.text = st.arena.back();
    st.out.push_back(tok);
}

template <typename Rule>
struct action : grammar::pegtl::nothing<Rule> {};

template <>
struct action<grammar::token> {
    template <typename Input>
    static void apply(const Input& in, LexState& st) {
        finish_token(st, std::string_view(in.begin(), in.size()),
                     static_cast<std::uint32_t>(in.begin() - st.base));
    }
};

// Finds the quote that opened the run still open at the end of the input.
std::uint32_t unterminated_quote_offset(std::string_view input) {
    bool in_quotes = false;
    std::size_t opened = 0;
    for (std::size_t i = 0; i < input.size(); ++i) {
        if (input[i] == '\n' && in_quotes) return static_cast<std::uint32_t>(opened);
        if (input[i] != '"') continue;
        if (in_quotes && i + 1 < input.size() && input[i + 1] == '"') {
            ++i;
        } else {
            in_quotes = !in_quotes;
            if (in_quotes) opened = i;
        }
    }
    return static_cast<std::uint32_t>(opened);
}

// A command line without quotes, nearly every line of a large file, is its runs of bare
// characters between separators: the grammar's reading, without its machinery. False
// (nothing appended) for a line the grammar must read.
bool split_bare_line(std::string_view input, std::vector<LexToken>& out) {
    std::size_t before = out.size();
    bool bare = for_each_bare_word(input, [&](std::size_t offset, std::size_t length) {
        LexToken tok;
        tok.raw = tok.text = input.substr(offset, length);
        tok.offset = static_cast<std::uint32_t>(offset);
        tok.dollar = tok.raw.find('$');
        out.push_back(tok);
    });
    if (!bare) out.resize(before);
    return bare;
}

}  // namespace

bool lex(std::string_view input, LexMode mode, std::deque<std::string>& arena,
         std::vector<LexToken>& out, LexError& error) {
    if (mode == LexMode::line && split_bare_line(input, out)) return true;
    namespace pegtl = grammar::pegtl;
    LexState st{input.data(), mode, arena, out};
    pegtl::memory_input<pegtl::tracking_mode::lazy, pegtl::eol::lf_crlf> in(input.data(),
                                                                            input.size(), "");
    std::size_t before = out.size();
    try {
        bool ok = mode == LexMode::line
                      ? pegtl::parse<grammar::command_line, action, grammar::control>(in, st)
                      : pegtl::parse<grammar::included_text, action, grammar::control>(in, st);
        if (ok) return true;
        error.offset = 0;
        error.message = "cannot tokenize this line";
    } catch (const pegtl::parse_error& e) {
        error.offset = unterminated_quote_offset(input);
        error.message = std::string(e.message());
    }
    out.resize(before);
    return false;
}

}  // namespace proxycfg
