// The read-ahead of a large main file: a second thread reads the second half's lines
// ahead of the parser, which adds the plain ones without lexing them. The parse must be
// the same as without it, whatever the timing.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "proxycfg/parse.hpp"

namespace {

using proxycfg::LexedDirective;
using proxycfg::ParsedConfig;

// Lines of every kind the parser treats differently, repeated so the second half is long.
std::string mixed_config(int repeats) {
    static const char* const kBlock[] = {
        "nserver 8.8.8.8",
        "# a comment",
        "# proxyctl: disable=PX305",
        "nserver 1.1.1.1",
        "",
        "  allow * * * 80",
        "users a:CL:x b:CL:y c:CL:z d e f g h i j k l m n o p q r s:CL:1",  // 20 words
        "auth\tstrong \t",
        "allow a,b 10.0.0.0/8 * 80,443 CONNECT\r",
        "allow * * * * # trailing words",
        "deny * 10.0.0.1/8",
        "logformat \"L%t %U\"",
        "users $missing",
        "nserver 9.9.9.9 # proxyctl: disable=PX305",
        "alow * * *",
        "maxconn",
        "force socks",
        "flush",
        "socks -p1080 -i127.0.0.1",
        "proxy -p3128",
        "\"nserver\" 4.4.4.4",
        "include extra.cfg",
        "timeouts 1 5 30 60 180 1800 15 60 15 5 9",
    };
    std::string text;
    for (int i = 0; i < repeats; ++i)
        for (const char* line : kBlock) text += std::string(line) + "\n";
    return text;
}

proxycfg::ParseResult parse_with(const std::string& text, std::size_t read_ahead_bytes) {
    proxycfg::ParseOptions options;
    options.read_ahead_bytes = read_ahead_bytes;
    options.read_file = [](const std::string&, std::string& out, std::string&) {
        out = "nserver 7.7.7.7\n";
        return true;
    };
    return proxycfg::parse_text("big.cfg", text, options);
}

void check_same(const ParsedConfig& a, const ParsedConfig& b) {
    REQUIRE(a.directives.size() == b.directives.size());
    for (std::size_t i = 0; i < a.directives.size(); ++i) {
        const auto& x = a.directives[i];
        const auto& y = b.directives[i];
        INFO("directive " << i << " on line " << x.span.line);
        REQUIRE(x.span == y.span);
        REQUIRE(x.index == y.index);
        REQUIRE(x.id == y.id);
        REQUIRE(x.well_formed == y.well_formed);
        REQUIRE(x.keeps_tokens() == y.keeps_tokens());
        REQUIRE(x.argc() == y.argc());
        LexedDirective lx(x), ly(y);
        REQUIRE(lx.tokens.size() == ly.tokens.size());
        for (std::size_t k = 0; k < lx.tokens.size(); ++k) {
            REQUIRE(lx.tokens[k].text() == ly.tokens[k].text());
            REQUIRE(lx.tokens[k].span() == ly.tokens[k].span());
        }
    }
    REQUIRE(a.diagnostics.size() == b.diagnostics.size());
    for (std::size_t i = 0; i < a.diagnostics.size(); ++i) {
        REQUIRE(a.diagnostics[i].code == b.diagnostics[i].code);
        REQUIRE(a.diagnostics[i].span == b.diagnostics[i].span);
        REQUIRE(a.diagnostics[i].message == b.diagnostics[i].message);
    }
    REQUIRE(a.suppressions.size() == b.suppressions.size());
    for (std::size_t i = 0; i < a.suppressions.size(); ++i) {
        REQUIRE(a.suppressions[i].line == b.suppressions[i].line);
        REQUIRE(a.suppressions[i].codes == b.suppressions[i].codes);
    }
    REQUIRE(a.files.size() == b.files.size());
}

}  // namespace

TEST_CASE("read-ahead: a large main file parses the same with and without it") {
    std::string text = mixed_config(4000);
    auto without = parse_with(text, SIZE_MAX);
    // Several runs: how far the second thread gets before the parser arrives varies.
    for (int run = 0; run < 4; ++run) {
        auto with = parse_with(text, 0);
        check_same(without.config, with.config);
    }
}

TEST_CASE("read-ahead: `end` in the first half stops the parse, and the thread") {
    std::string text = mixed_config(100) + "end\n" + mixed_config(3000);
    auto without = parse_with(text, SIZE_MAX);
    auto with = parse_with(text, 0);
    check_same(without.config, with.config);
    CHECK(with.config.directives.back().id == proxycfg::DirectiveId::end);
}

TEST_CASE("read-ahead: tiny files") {
    for (std::string text : {"", "nserver 1.1.1.1", "nserver 1.1.1.1\n", "a\nb\n",
                             "\xEF\xBB\xBFnserver 1.1.1.1\nnserver 2.2.2.2\n"}) {
        auto without = parse_with(text, SIZE_MAX);
        auto with = parse_with(text, 0);
        check_same(without.config, with.config);
    }
}
