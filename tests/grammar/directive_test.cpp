// Directives that keep no tokens: a line of bare words is split again from the source when
// a LexedDirective is made, and must give exactly the tokens the lexer gave at parse time.
#include <catch2/catch.hpp>

#include <deque>
#include <filesystem>
#include <string>
#include <vector>

#include "grammar_rules.hpp"
#include "lexer.hpp"
#include "proxycfg/parse.hpp"

namespace {

namespace fs = std::filesystem;
using proxycfg::Directive;
using proxycfg::LexedDirective;
using proxycfg::Token;

proxycfg::ParseResult parse(std::string text) {
    return proxycfg::parse_text("test.cfg", std::move(text));
}

struct Word {
    std::string text;
    std::uint32_t line;
    std::uint32_t column;
    std::uint32_t length;
    bool operator==(const Word&) const = default;
};

std::vector<Word> words_of(const Directive& d) {
    LexedDirective lexed(d);
    std::vector<Word> out;
    for (const Token& t : lexed.tokens)
        out.push_back({std::string(t.text()), t.span().line, t.span().column, t.span().length});
    return out;
}

// The words of a line as the PEGTL grammar reads them (offset, raw text), without the
// lexer's shortcut for lines without quotes.
struct GrammarWord {
    std::size_t offset;
    std::string text;
};
template <typename Rule>
struct collect : proxycfg::grammar::pegtl::nothing<Rule> {};
template <>
struct collect<proxycfg::grammar::token> {
    template <typename Input>
    static void apply(const Input& in, const char* base, std::vector<GrammarWord>& out) {
        out.push_back({static_cast<std::size_t>(in.begin() - base), in.string()});
    }
};
std::vector<GrammarWord> grammar_words(std::string_view line) {
    namespace pegtl = proxycfg::grammar::pegtl;
    pegtl::memory_input in(line.data(), line.size(), "");
    std::vector<GrammarWord> out;
    REQUIRE(pegtl::parse<proxycfg::grammar::command_line, collect>(in, line.data(), out));
    return out;
}

}  // namespace

TEST_CASE("directive: a line of bare words keeps no tokens and splits back exactly") {
    auto r = parse("nserver 8.8.8.8\n  \nallow\tu1,u2  *\t* 80,443\r\n");
    REQUIRE(r.config.directives.size() == 2);
    for (const auto& d : r.config.directives) CHECK_FALSE(d.keeps_tokens());
    CHECK(words_of(r.config.directives[0]) ==
          std::vector<Word>{{"nserver", 1, 1, 7}, {"8.8.8.8", 1, 9, 7}});
    // Tabs and runs of spaces separate; the CR of a CRLF is not part of the last word.
    CHECK(words_of(r.config.directives[1]) == std::vector<Word>{{"allow", 3, 1, 5},
                                                                {"u1,u2", 3, 7, 5},
                                                                {"*", 3, 14, 1},
                                                                {"*", 3, 16, 1},
                                                                {"80,443", 3, 18, 6}});
    const Directive& allow = r.config.directives[1];
    CHECK(allow.name() == "allow");
    CHECK(allow.argc() == 4);
    CHECK(LexedDirective(allow).argc() == 4);
}

TEST_CASE("directive: columns after a byte order mark count its three bytes") {
    auto r = parse("\xEF\xBB\xBFnserver 8.8.8.8\n");
    REQUIRE(r.config.directives.size() == 1);
    CHECK_FALSE(r.config.directives[0].keeps_tokens());
    CHECK(words_of(r.config.directives[0]) ==
          std::vector<Word>{{"nserver", 1, 4, 7}, {"8.8.8.8", 1, 12, 7}});
}

TEST_CASE("directive: a line with more words than fit inline") {
    std::string line = "users";
    std::vector<Word> expected{{"users", 1, 1, 5}};
    std::uint32_t column = 7;
    for (int i = 0; i < 40; ++i) {
        std::string word = "u" + std::to_string(i) + ":CL:p";
        line += " " + word;
        expected.push_back({word, 1, column, static_cast<std::uint32_t>(word.size())});
        column += static_cast<std::uint32_t>(word.size()) + 1;
    }
    auto r = parse(line + "\n");
    REQUIRE(r.config.directives.size() == 1);
    CHECK_FALSE(r.config.directives[0].keeps_tokens());
    CHECK(r.config.directives[0].argc() == 40);
    CHECK(words_of(r.config.directives[0]) == expected);
}

TEST_CASE("directive: quoted, $ and suppressed lines keep the parser's tokens") {
    auto r = parse(
        "logformat \"L%t %U\"\n"
        "users $missing\n"
        "nserver 1.1.1.1 # proxyctl: disable=PX305\n");
    REQUIRE(r.config.directives.size() == 3);
    const auto& format = r.config.directives[0];
    CHECK(format.keeps_tokens());
    LexedDirective lexed(format);
    REQUIRE(lexed.tokens.size() == 2);
    CHECK(lexed.tokens[1].text() == "L%t %U");
    CHECK(lexed.tokens[1].quoted);
    CHECK(r.config.directives[1].keeps_tokens());
    // The comment is not a word of the line; the stored tokens say so.
    const auto& nserver = r.config.directives[2];
    CHECK(nserver.keeps_tokens());
    CHECK(nserver.argc() == 1);
    CHECK(words_of(nserver) == std::vector<Word>{{"nserver", 3, 1, 7}, {"1.1.1.1", 3, 9, 7}});
}

TEST_CASE("directive: a quoted command word is the name without its quotes") {
    auto r = parse("\"nserver\" 8.8.8.8\n");
    REQUIRE(r.config.directives.size() == 1);
    CHECK(r.config.directives[0].keeps_tokens());
    CHECK(r.config.directives[0].name() == "nserver");
}

// Every line of the real-world corpus that keeps no tokens splits into what the grammar
// makes of it.
TEST_CASE("directive: bare-word lines of the corpus split as the grammar reads them") {
    proxycfg::ParseOptions options;
    options.follow_includes = false;
    std::size_t bare = 0;
    for (const auto& entry : fs::directory_iterator(PROXY_CORPUS_DIR)) {
        auto r = proxycfg::parse_file(entry.path().string(), options);
        for (const auto& d : r.config.directives) {
            if (d.keeps_tokens()) continue;
            ++bare;
            std::string_view text = r.config.file(d.span.file).line_text(d.span.line);
            text = text.substr(d.span.column - 1);
            std::vector<Word> expected;
            for (const auto& w : grammar_words(text))
                expected.push_back({w.text, d.span.line,
                                    static_cast<std::uint32_t>(w.offset) + d.span.column,
                                    static_cast<std::uint32_t>(w.text.size())});
            INFO(entry.path().filename().string() << ":" << d.span.line);
            CHECK(words_of(d) == expected);
            CHECK(d.name() == expected.front().text);
            CHECK(d.argc() + 1 == expected.size());
        }
    }
    CHECK(bare > 1000);
}

// The lexer's shortcut for lines without quotes must read every such line as the grammar
// does: random lines over the characters that matter.
TEST_CASE("directive: the lexer's shortcut for lines without quotes reads as the grammar") {
    // Other control bytes and bytes above 0x7F are word bytes; words long enough to be
    // read eight bytes at a time.
    static constexpr char kAlphabet[] = {'a',  'b',  'c',  'd', 'e', 'f', ' ',    ' ',    '\t',
                                         '\r', '\v', '\f', '$', '#', ',', '\x01', '\x7F', '\xC3'};
    std::uint32_t seed = 12345;
    auto next = [&seed] {
        seed = seed * 1103515245 + 12345;
        return (seed >> 16) & 0x7FFF;
    };
    for (int round = 0; round < 20000; ++round) {
        std::string line;
        for (std::size_t n = next() % 48; n > 0; --n) line += kAlphabet[next() % sizeof kAlphabet];
        std::deque<std::string> arena;
        std::vector<proxycfg::LexToken> lexed;
        proxycfg::LexError error;
        REQUIRE(proxycfg::lex(line, proxycfg::LexMode::line, arena, lexed, error));
        auto expected = grammar_words(line);
        INFO("line '" << line << "'");
        REQUIRE(lexed.size() == expected.size());
        for (std::size_t i = 0; i < lexed.size(); ++i) {
            CHECK(lexed[i].offset == expected[i].offset);
            CHECK(lexed[i].raw == expected[i].text);
            CHECK(lexed[i].text == expected[i].text);
            CHECK(lexed[i].dollar == expected[i].text.find('$'));
            CHECK_FALSE(lexed[i].quoted);
        }
    }
}

namespace {

// A line of `refs` references to one $file of `words` one-letter words.
proxycfg::ParseResult parse_expanded(std::size_t refs, std::size_t words) {
    std::string list;
    for (std::size_t i = 0; i < words; ++i) list += i ? " a" : "a";
    proxycfg::ParseOptions options;
    options.read_file = [list](const std::string&, std::string& text, std::string&) {
        text = list;
        return true;
    };
    std::string line = "users";
    for (std::size_t i = 0; i < refs; ++i) line += " $w";
    return proxycfg::parse_text("test.cfg", line + "\n", options);
}

}  // namespace

TEST_CASE("directive: a line whose bytes changed since the parse gives the words counted") {
    // Only a mapped file whose lease the kernel broke can change under a parse; readers
    // must still get the count of words they were promised.
    std::string line = "allow alice 10.0.0.0/8 * 80";
    Directive d;
    d.span = {0, 1, 1, static_cast<std::uint32_t>(line.size())};
    d.set_line(line.data(), 5);
    REQUIRE(words_of(d).size() == 5);
    line.replace(0, line.size(), std::string(line.size(), ' '));
    line.replace(0, 5, "allow");
    auto words = words_of(d);
    REQUIRE(words.size() == 5);
    CHECK(words[0].text == "allow");
    for (std::size_t i = 1; i < words.size(); ++i) {
        CHECK(words[i].text.empty());
        CHECK(words[i].length == 0);
    }
}

TEST_CASE("directive: a line's word count past 16 bits is exact") {
    auto r = parse_expanded(3, 30000);  // 90,001 words
    REQUIRE(r.config.directives.size() == 1);
    const Directive& d = r.config.directives[0];
    CHECK(d.keeps_tokens());
    CHECK(d.argc() == 90000);
    CHECK(d.id == proxycfg::DirectiveId::users);
    CHECK(LexedDirective(d).tokens.size() == 90001);
}

TEST_CASE("directive: words past the most a directive holds are reported, not wrapped") {
    // 130 x 32,767 words: more than Directive::max_words (2^22 - 1).
    auto r = parse_expanded(130, 32767);
    REQUIRE(r.config.directives.size() == 1);
    CHECK(r.config.directives[0].argc() == Directive::max_words - 1);
    bool reported = false;
    for (const auto& diag : r.config.diagnostics)
        if (diag.code == "PX022" && diag.message.find("after $file expansion") != std::string::npos)
            reported = true;
    CHECK(reported);
}
