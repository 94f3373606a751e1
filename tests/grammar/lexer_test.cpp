// Lexical level (docs/language.md): how 3proxy splits a file into command lines and a
// line into words, checked through parse_text.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "proxycfg/parse.hpp"
#include "text_util.hpp"

namespace {

using proxycfg::LexedDirective;
using proxycfg::ParsedConfig;
using proxycfg::Token;

proxycfg::ParseResult parse(std::string text) {
    return proxycfg::parse_text("test.cfg", std::move(text));
}

std::vector<std::string> words(const ParsedConfig& c, std::size_t directive) {
    std::vector<std::string> out;
    if (directive >= c.directives.size()) return out;
    LexedDirective d(c.directives[directive]);
    for (const auto& t : d.tokens) out.emplace_back(t.text());
    return out;
}

using W = std::vector<std::string>;

std::size_t count_code(const ParsedConfig& c, std::string_view code) {
    return static_cast<std::size_t>(std::count_if(c.diagnostics.begin(), c.diagnostics.end(),
                                                  [&](const auto& d) { return d.code == code; }));
}

const proxycfg::Diagnostic* find(const ParsedConfig& c, std::string_view code) {
    for (const auto& d : c.diagnostics)
        if (d.code == code) return &d;
    return nullptr;
}

}  // namespace

TEST_CASE("a '#' starts a comment only in column 1", "[grammar][lexer]") {
    auto r = parse("# a comment\nallow * # note\n");
    REQUIRE(r.config.directives.size() == 1);
    CHECK(words(r.config, 0) == W{"allow", "*", "#", "note"});
    CHECK(r.config.directives[0].span.line == 2);
}

TEST_CASE("an indented line is ignored whatever it contains", "[grammar][lexer]") {
    auto r = parse("   bogus\n\tbogus\n  allow bob\nsocks\n");
    REQUIRE(r.config.directives.size() == 1);
    CHECK(words(r.config, 0) == W{"socks"});
    // Only the indented directive is reported, at the column of the word.
    REQUIRE(count_code(r.config, "PX012") == 1);
    const auto* d = find(r.config, "PX012");
    CHECK(d->span.line == 3);
    CHECK(d->span.column == 3);
    CHECK(d->severity == proxycfg::Severity::warning);
    REQUIRE(d->fixits.size() == 1);
    CHECK(d->fixits[0].replacement.empty());
    REQUIRE(r.config.indented_directives.size() == 1);
}

TEST_CASE("quoting can start and stop inside a word", "[grammar][lexer]") {
    auto r = parse("system x\"y z\"w\n");
    REQUIRE(r.config.directives.size() == 1);
    CHECK(words(r.config, 0) == W{"system", "xy zw"});
    const Token tok = LexedDirective(r.config.directives[0]).tokens[1];
    CHECK(tok.quoted);
    CHECK(tok.span().column == 8);
    CHECK(tok.span().length == 7);  // as written, quotes included
}

TEST_CASE("a doubled quote inside quotes is one literal quote", "[grammar][lexer]") {
    auto r = parse("logformat \"He said \"\"hi\"\"\"\n");
    REQUIRE(r.config.directives.size() == 1);
    CHECK(words(r.config, 0) == W{"logformat", "He said \"hi\""});
    CHECK(r.config.diagnostics.empty());
}

TEST_CASE("whitespace and '$' inside quotes are literal", "[grammar][lexer]") {
    auto r = parse("users \"bob:CR:$1$salt$hash\" \"a b\"\n");
    REQUIRE(r.config.directives.size() == 1);
    CHECK(words(r.config, 0) == W{"users", "bob:CR:$1$salt$hash", "a b"});
    CHECK_FALSE(LexedDirective(r.config.directives[0]).tokens[1].has_dollar);
    CHECK(r.config.diagnostics.empty());
}

TEST_CASE("backslashes are literal", "[grammar][lexer]") {
    auto r = parse("log c:\\3proxy\\logs\\3proxy.log D\n");
    CHECK(words(r.config, 0) == W{"log", "c:\\3proxy\\logs\\3proxy.log", "D"});
}

TEST_CASE("CRLF line endings and trailing whitespace are plain separators", "[grammar][lexer]") {
    auto r = parse("socks -p1080  \t\r\nproxy -p3128\r\n\r\n");
    REQUIRE(r.config.directives.size() == 2);
    CHECK(words(r.config, 0) == W{"socks", "-p1080"});
    CHECK(words(r.config, 1) == W{"proxy", "-p3128"});
    CHECK(r.config.directives[1].span.line == 2);
    CHECK(r.config.diagnostics.empty());
}

TEST_CASE("a CR inside a line separates words", "[grammar][lexer]") {
    auto r = parse("socks\r-p1080\n");
    CHECK(words(r.config, 0) == W{"socks", "-p1080"});
}

TEST_CASE("a file without a final newline keeps its last line", "[grammar][lexer]") {
    auto r = parse("flush\nsocks -p1080");
    REQUIRE(r.config.directives.size() == 2);
    CHECK(words(r.config, 1) == W{"socks", "-p1080"});
    CHECK(r.config.diagnostics.empty());
}

TEST_CASE("tabs and runs of separators count as one", "[grammar][lexer]") {
    auto r = parse("allow\t\t*   10.0.0.0/8\n");
    CHECK(words(r.config, 0) == W{"allow", "*", "10.0.0.0/8"});
}

TEST_CASE("an unterminated quote is PX003 at the opening quote", "[grammar][lexer]") {
    auto r = parse("logformat \"L%t %U\n");
    REQUIRE(count_code(r.config, "PX003") == 1);
    const auto* d = find(r.config, "PX003");
    CHECK(d->span.line == 1);
    CHECK(d->span.column == 11);
    CHECK(d->severity == proxycfg::Severity::error);
    REQUIRE_FALSE(d->fixits.empty());
    CHECK(d->fixits[0].replacement == "\"");
    CHECK(r.config.directives.empty());
}

TEST_CASE("a quote never spans lines and parsing recovers at the next line", "[grammar][lexer]") {
    auto r = parse("system \"a\nsocks -p1080\nlogformat x \"\"\"\"\"\" y \"z\nproxy\n");
    // Line 1 and line 3 are both reported in one run; lines 2 and 4 are parsed.
    std::vector<std::uint32_t> lines;
    for (const auto& d : r.config.diagnostics)
        if (d.code == "PX003") lines.push_back(d.span.line);
    CHECK(lines == std::vector<std::uint32_t>{1, 3});
    REQUIRE(r.config.directives.size() == 2);
    CHECK(words(r.config, 0) == W{"socks", "-p1080"});
    CHECK(words(r.config, 1) == W{"proxy"});
    // Line 3: the quote that stays open is the one before z (column 22).
    for (const auto& d : r.config.diagnostics)
        if (d.code == "PX003" && d.span.line == 3) CHECK(d.span.column == 22);
}

TEST_CASE("a quote closed by a doubled quote at the end is still open", "[grammar][lexer]") {
    auto r = parse("system \"abc\"\"\n");
    REQUIRE(count_code(r.config, "PX003") == 1);
    CHECK(find(r.config, "PX003")->span.column == 8);
}

TEST_CASE("a word that starts with an empty quoted string is flagged", "[grammar][lexer]") {
    auto r = parse("users a \"\" b\n");
    CHECK(count_code(r.config, "PX017") == 1);
    CHECK(find(r.config, "PX017")->span.column == 9);
}

TEST_CASE("several errors are reported in one run", "[grammar][lexer]") {
    auto r = parse("og /var/log\nsystem \"x\nmaxconn\nflush all\n");
    CHECK(count_code(r.config, "PX001") == 1);
    CHECK(count_code(r.config, "PX003") == 1);
    CHECK(count_code(r.config, "PX002") == 2);
}

TEST_CASE("a UTF-8 byte order mark is PX014 and the first directive still parses",
          "[grammar][lexer]") {
    auto r = parse("\xEF\xBB\xBFnserver 8.8.8.8\n");
    REQUIRE(count_code(r.config, "PX014") == 1);
    const auto* d = find(r.config, "PX014");
    CHECK(d->span.line == 1);
    CHECK(d->span.column == 1);
    CHECK(d->span.length == 3);
    REQUIRE(r.config.directives.size() == 1);
    CHECK(words(r.config, 0) == W{"nserver", "8.8.8.8"});
    CHECK(LexedDirective(r.config.directives[0]).tokens[0].span().column == 4);
    CHECK(count_code(r.config, "PX001") == 0);
}

TEST_CASE("CR-only line endings are PX018", "[grammar][lexer]") {
    auto r = parse("end\rbogus\r");
    CHECK(count_code(r.config, "PX018") == 1);
}

TEST_CASE("a NUL byte is PX016 at its column", "[grammar][lexer]") {
    auto r = parse(std::string("socks\0x\nproxy\n", 14));
    REQUIRE(count_code(r.config, "PX016") == 1);
    CHECK(find(r.config, "PX016")->span.line == 1);
    CHECK(find(r.config, "PX016")->span.column == 6);
    REQUIRE(r.config.directives.size() == 1);
    CHECK(words(r.config, 0) == W{"proxy"});
}

TEST_CASE("a line longer than 65534 bytes is PX015", "[grammar][lexer]") {
    std::string ok = "users " + std::string(65534 - 6, 'a') + "\n";
    CHECK(count_code(parse(ok).config, "PX015") == 0);
    std::string too_long = "users " + std::string(65535 - 6, 'a') + "\nsocks\n";
    auto r = parse(too_long);
    REQUIRE(count_code(r.config, "PX015") == 1);
    CHECK(find(r.config, "PX015")->span.line == 1);
    CHECK(find(r.config, "PX015")->span.column == 65535);
    REQUIRE(r.config.directives.size() == 1);
    CHECK(words(r.config, 0) == W{"socks"});
}

TEST_CASE("more than 4095 words on a line is PX022", "[grammar][lexer]") {
    std::string line = "users";
    for (int i = 1; i < 4095; ++i) line += " u";
    CHECK(count_code(parse(line + "\n").config, "PX022") == 0);  // 4095 words
    auto r = parse(line + " extra\n");                           // 4096 words
    REQUIRE(count_code(r.config, "PX022") == 1);
    CHECK(find(r.config, "PX022")->span.column == 5 + 4094 * 2 + 2);
}

TEST_CASE("invalid UTF-8 is PX023 at the first bad byte", "[grammar][lexer]") {
    auto r = parse("socks\nusers b\xFFob:CL:x\n");
    REQUIRE(count_code(r.config, "PX023") == 1);
    CHECK(find(r.config, "PX023")->span.line == 2);
    CHECK(find(r.config, "PX023")->span.column == 8);
    CHECK(r.config.directives.size() == 2);
}

TEST_CASE("ascii_only finds a high byte at any position and length", "[grammar][lexer]") {
    for (std::size_t n = 0; n < 100; ++n) {
        std::string s(n, 'a');
        CHECK(proxycfg::ascii_only(s));
        for (std::size_t i = 0; i < n; ++i) {
            std::string t = s;
            t[i] = '\x80';
            INFO(n << " " << i);
            CHECK_FALSE(proxycfg::ascii_only(t));
        }
    }
}

TEST_CASE("split_items gives split()'s items, and none for an empty text", "[grammar][lexer]") {
    std::uint32_t x = 7;
    for (int i = 0; i < 20000; ++i) {
        std::string s;
        x = x * 1103515245u + 12345u;
        for (std::uint32_t n = (x >> 16) % 9; n > 0; --n) {
            x = x * 1103515245u + 12345u;
            s += "ab,,c"[(x >> 16) % 5];
        }
        std::vector<std::string_view> got;
        for (auto item : proxycfg::split_items(s, ',')) got.push_back(item);
        auto want = s.empty() ? std::vector<std::string_view>{} : proxycfg::split(s, ',');
        INFO("'" << s << "'");
        REQUIRE(got == want);
    }
}

TEST_CASE("binary garbage gives errors, not a crash or a hang", "[grammar][lexer]") {
    std::string junk;
    std::uint32_t x = 12345;
    for (int i = 0; i < 200000; ++i) {
        x = x * 1103515245u + 12345u;
        junk.push_back(static_cast<char>(x >> 24));
    }
    auto r = parse(junk);
    CHECK(proxycfg::has_errors(r.config.diagnostics));
    CHECK(r.config.diagnostics.size() < 200);  // stops after too many errors
}

TEST_CASE("a 16 MB single line is one PX015, quickly", "[grammar][lexer]") {
    std::string big(16u * 1024u * 1024u, 'a');
    auto r = parse(std::move(big));
    CHECK(count_code(r.config, "PX015") == 1);
    CHECK(r.config.directives.empty());
}
