// Command lines: directives and their argument counts, `$file` inclusion, `include`,
// `end` and suppression comments (docs/language.md, "Lexical level").
#include <catch2/catch.hpp>

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "check_text.hpp"
#include "proxycfg/lint.hpp"
#include "proxycfg/parse.hpp"
#include "proxycfg/source.hpp"
#include "temp_dir.hpp"

namespace {

using testing::TempDir;

namespace fs = std::filesystem;
using proxycfg::LexedDirective;
using proxycfg::ParsedConfig;
using proxycfg::Token;
using W = std::vector<std::string>;

// Options that map files of at least `bytes` bytes (SIZE_MAX: none).
proxycfg::ParseOptions mapped_from(std::size_t bytes) {
    proxycfg::ParseOptions options;
    options.map_bytes = bytes;
    return options;
}

proxycfg::ParseResult parse(std::string text) {
    return proxycfg::parse_text("test.cfg", std::move(text));
}

proxycfg::ParseResult parse_in(const TempDir& dir, const std::string& main_text) {
    return proxycfg::parse_file(dir.write("main.cfg", main_text));
}

W words(const ParsedConfig& c, std::size_t directive) {
    W out;
    if (directive >= c.directives.size()) return out;
    LexedDirective d(c.directives[directive]);
    for (const auto& t : d.tokens) out.emplace_back(t.text());
    return out;
}

std::vector<const proxycfg::Diagnostic*> with_code(const ParsedConfig& c, std::string_view code) {
    std::vector<const proxycfg::Diagnostic*> out;
    for (const auto& d : c.diagnostics)
        if (d.code == code) out.push_back(&d);
    return out;
}

std::string summary(const ParsedConfig& c) {
    std::string s;
    for (const auto& d : c.diagnostics)
        s += d.code + "@" + std::to_string(d.span.line) + ":" + std::to_string(d.span.column) +
             " " + d.message + "\n";
    return s;
}

}  // namespace

// --- directives and argument counts

TEST_CASE("an unknown directive is PX001 with a did-you-mean fix-it", "[grammar][parse]") {
    auto r = parse("og /var/log/3proxy.log\n");
    auto d = with_code(r.config, "PX001");
    REQUIRE(d.size() == 1);
    CHECK(d[0]->span.line == 1);
    CHECK(d[0]->span.column == 1);
    CHECK(d[0]->span.length == 2);
    CHECK(d[0]->message.find("did you mean 'log'") != std::string::npos);
    REQUIRE(d[0]->fixits.size() == 1);
    CHECK(d[0]->fixits[0].replacement == "log");
    CHECK_FALSE(r.config.directives[0].well_formed);
}

TEST_CASE("directives are case-sensitive: Auth is PX001 suggesting auth", "[grammar][parse]") {
    auto r = parse("Auth strong\n");
    auto d = with_code(r.config, "PX001");
    REQUIRE(d.size() == 1);
    REQUIRE(d[0]->fixits.size() == 1);
    CHECK(d[0]->fixits[0].replacement == "auth");
}

TEST_CASE("the did-you-mean suggestion is the closest name, and none when all are far",
          "[grammar][parse]") {
    auto suggestion = [](const std::string& text) -> std::string {
        auto r = parse(text);
        auto d = with_code(r.config, "PX001");
        REQUIRE(d.size() == 1);
        return d[0]->fixits.empty() ? std::string("(none)") : d[0]->fixits[0].replacement;
    };
    CHECK(suggestion("maxconnn 10\n") == "maxconn");  // one extra letter
    CHECK(suggestion("soks -p1080\n") == "socks");    // one letter missing
    CHECK(suggestion("sokcs -p1080\n") == "(none)");  // two edits are too many for five letters
    CHECK(suggestion("nserverr 127.0.0.1\n") == "nserver");  // one extra letter
    CHECK(suggestion("zzzzzzzz\n") == "(none)");
    CHECK(suggestion(std::string(200, 'q') + "\n") == "(none)");  // longer than any table row
}

TEST_CASE("a word far from every directive gets no suggestion", "[grammar][parse]") {
    auto r = parse("frobnicate now\n");
    auto d = with_code(r.config, "PX001");
    REQUIRE(d.size() == 1);
    CHECK(d[0]->fixits.empty());
}

TEST_CASE("a bare user specification gets a fix-it inserting 'users'", "[grammar][parse]") {
    auto r = parse("bob:CL:secret\n");
    auto d = with_code(r.config, "PX001");
    REQUIRE(d.size() == 1);
    REQUIRE(d[0]->fixits.size() == 1);
    CHECK(d[0]->fixits[0].replacement == "users ");
    CHECK(d[0]->fixits[0].span.length == 0);
}

TEST_CASE("an unknown directive after a plugin line is only a warning", "[grammar][parse]") {
    auto r = parse("plugin /lib/x.so start\nssl_mitm\n");
    CHECK(with_code(r.config, "PX001").empty());
    auto d = with_code(r.config, "PX020");
    REQUIRE(d.size() == 1);
    CHECK(d[0]->severity == proxycfg::Severity::warning);
    CHECK(r.config.plugin_seen);
}

TEST_CASE("wrong argument counts are PX002 on the whole line", "[grammar][parse]") {
    for (const char* line : {"maxconn", "flush all", "tcppm 1234", "nolog 5", "connlim 10 0",
                             "internal a b", "parent 1000 socks5", "end now"}) {
        auto r = parse(std::string(line) + "\n");
        INFO(line << "\n" << summary(r.config));
        auto d = with_code(r.config, "PX002");
        REQUIRE(d.size() == 1);
        CHECK(d[0]->span.line == 1);
        CHECK(d[0]->span.column == 1);
        CHECK(d[0]->span.length == std::string(line).size());
        CHECK_FALSE(r.config.directives[0].well_formed);
    }
}

TEST_CASE("correct argument counts give no diagnostic", "[grammar][parse]") {
    auto r = parse(
        "maxconn 10\nflush\ntcppm 1234 example.net 80\nnolog\nconnlim 10 0 bob\n"
        "internal 127.0.0.1\nparent 1000 socks5 127.0.0.1 1080\nlog\nusers\n");
    INFO(summary(r.config));
    CHECK(r.config.diagnostics.empty());
    CHECK(std::all_of(r.config.directives.begin(), r.config.directives.end(),
                      [](const auto& d) { return d.well_formed; }));
}

TEST_CASE("a multi-word logformat gets the advice to quote it", "[grammar][parse]") {
    auto r = parse("logformat L%t %U\n");
    auto d = with_code(r.config, "PX002");
    REQUIRE(d.size() == 1);
    CHECK(d[0]->message.find("quote") != std::string::npos);
}

TEST_CASE("directives keep their file order and index", "[grammar][parse]") {
    auto r = parse("flush\n\n# c\nauth strong\nsocks\n");
    REQUIRE(r.config.directives.size() == 3);
    CHECK(r.config.directives[2].index == 2);
    CHECK(r.config.directives[2].span.line == 5);
    CHECK(r.config.directives[1].name() == "auth");
}

// --- end

TEST_CASE("the parser lists the directives with a word starting with '#' after the command",
          "[grammar][parse]") {
    std::string text =
        "users bob:CL:x # admin\n"            // 0: listed
        "allow * * \"#\"\n"                   // 1: quoted
        "allow * #\"x\"\n"                    // 2: listed, partly quoted
        "# a comment line\n"                  // no directive
        "flush # proxyctl: disable=PX113\n";  // 3: only a suppression, which is stripped
    for (int i = 0; i < 2000; ++i) text += "nserver 10.0.0." + std::to_string(i % 250) + "\n";
    text += "socks -p1080 #x\n";  // 2004: listed, after lines the read-ahead took
    proxycfg::ParseOptions options;
    options.read_ahead_bytes = 1;
    auto r = proxycfg::parse_text("t.cfg", text, options);
    REQUIRE(r.config.directives.size() == 2005);
    CHECK(r.config.hash_word_directives == std::vector<std::uint32_t>{0, 2, 2004});
}

TEST_CASE("'end' stops reading the file", "[grammar][parse]") {
    auto r = parse("socks\nend\nbogus line\nproxy\n");
    REQUIRE(r.config.directives.size() == 2);
    CHECK(r.config.directives[1].name() == "end");
    CHECK(with_code(r.config, "PX001").empty());
    auto d = with_code(r.config, "PX024");
    REQUIRE(d.size() == 1);
    CHECK(d[0]->span.line == 2);
    CHECK(d[0]->severity == proxycfg::Severity::info);
}

TEST_CASE("'end' as the last line is not reported", "[grammar][parse]") {
    auto r = parse("socks\nend\n");
    CHECK(r.config.diagnostics.empty());
}

// --- suppression comments

TEST_CASE("a disable comment on the line above applies to the next command line",
          "[grammar][parse]") {
    auto r = parse("# proxyctl: disable=PX101,PX106\n\nsocks\n");
    REQUIRE(r.config.suppressions.size() == 1);
    CHECK(r.config.suppressions[0].line == 3);
    CHECK(r.config.suppressions[0].codes == W{"PX101", "PX106"});
}

TEST_CASE("a trailing disable comment is removed from the arguments", "[grammar][parse]") {
    auto r = parse("socks\nforce # proxyctl: disable=PX101\n");
    REQUIRE(r.config.directives.size() == 2);
    CHECK(words(r.config, 1) == W{"force"});
    CHECK(r.config.directives[1].well_formed);
    REQUIRE(r.config.suppressions.size() == 1);
    CHECK(r.config.suppressions[0].line == 2);
    REQUIRE(r.config.inline_suppressions.size() == 1);
    CHECK(r.config.inline_suppressions[0].column == 7);
}

TEST_CASE("suppression comments silence the finding they name", "[grammar][parse]") {
    using testing::check_text;
    using testing::reports;
    CHECK(reports(check_text("socks\nflush\n"), "PX113", 2));
    CHECK_FALSE(reports(check_text("socks\n# proxyctl: disable=PX113\nflush\n"), "PX113"));
    CHECK_FALSE(reports(check_text("socks\nflush # proxyctl: disable=PX113\n"), "PX113"));
    // A different code does not silence it.
    CHECK(reports(check_text("socks\n# proxyctl: disable=PX102\nflush\n"), "PX113", 3));
}

TEST_CASE("suppression comments take rule names and codes in any case", "[grammar][parse]") {
    using testing::check_text;
    using testing::reports;
    auto r = parse("# proxyctl: disable=Flush-After-Last-Service,px101\nsocks\n");
    REQUIRE(r.config.suppressions.size() == 1);
    CHECK(r.config.suppressions[0].codes == W{"PX113", "PX101"});
    CHECK(r.config.diagnostics.empty());
    CHECK_FALSE(reports(check_text("socks\n# proxyctl: disable=flush-after-last-service\nflush\n"),
                        "PX113"));
    CHECK_FALSE(reports(check_text("socks\nflush # proxyctl: disable=FLUSH-AFTER-LAST-SERVICE\n"),
                        "PX113"));
    CHECK_FALSE(reports(
        check_text("# proxyctl: disable-file=unknown-directive\nsocks\nfrob\nfrob\n"), "PX001"));
    CHECK_FALSE(reports(check_text("socks\n# proxyctl: disable=ALL\nflush\n"), "PX113"));
}

TEST_CASE("an unknown word in a suppression comment is reported with the nearest rule",
          "[grammar][parse]") {
    using testing::check_text;
    using testing::reports;
    using testing::with_code;
    auto l = check_text("socks\n# proxyctl: disable=PX9999,flush-after-last-servce\nflush\n");
    auto found = with_code(l, "PX027");
    REQUIRE(found.size() == 2);
    CHECK(found[0].span.line == 2);
    CHECK(found[0].span.column == 21);
    CHECK(found[0].span.length == 6);
    CHECK(found[0].severity == proxycfg::Severity::warning);
    CHECK(found[0].message.find("'PX9999'") != std::string::npos);
    CHECK(found[0].message.find("suppresses nothing") != std::string::npos);
    CHECK(found[1].span.column == 28);
    CHECK(found[1].message.find("did you mean 'flush-after-last-service' (PX113)?") !=
          std::string::npos);
    REQUIRE(found[1].fixits.size() == 1);
    CHECK(found[1].fixits[0].replacement == "flush-after-last-service");
    // It suppresses nothing: the finding it was meant for stays.
    CHECK(reports(l, "PX113", 3));
    // A misspelt code gets the nearest code.
    auto near = with_code(check_text("# proxyctl: disable=PX1O1\nsocks\n"), "PX027");
    REQUIRE(near.size() == 1);
    CHECK(near[0].message.find("did you mean 'PX101'") != std::string::npos);
    // Trailing comments and disable-file say the same.
    CHECK(reports(check_text("socks\nflush # proxyctl: disable=nope-rule\n"), "PX027", 2));
    CHECK(reports(check_text("# proxyctl: disable-file=PX9999\nsocks\n"), "PX027", 1));
}

TEST_CASE("an ordinary trailing '#' stays an argument", "[grammar][parse]") {
    auto r = parse("allow * # just a note\n");
    CHECK(words(r.config, 0) == W{"allow", "*", "#", "just", "a", "note"});
    CHECK(r.config.suppressions.empty());
}

// --- $file inclusion

TEST_CASE("$file inlines a users file; LF separates in included text", "[grammar][parse]") {
    TempDir dir;
    dir.write("passwd", "alice:CL:a bob:CL:b\ncarol:CL:c\r\n");
    auto r = parse_in(dir, "users $passwd\n");
    INFO(summary(r.config));
    REQUIRE(r.config.directives.size() == 1);
    CHECK(words(r.config, 0) == W{"users", "alice:CL:a", "bob:CL:b", "carol:CL:c"});
    const Token carol = LexedDirective(r.config.directives[0]).tokens[3];
    CHECK(carol.from_file);
    CHECK(carol.span().file != r.config.main_file);
    CHECK(carol.span().line == 2);
    CHECK(carol.span().column == 1);
    CHECK(r.config.diagnostics.empty());
    REQUIRE(r.config.files.size() == 2);
    CHECK(r.config.files[1].inline_dollar);
}

TEST_CASE("text before '$' is glued onto the first word of the file", "[grammar][parse]") {
    TempDir dir;
    dir.write("f", "bogus2 x\n");
    auto r = parse_in(dir, "allow pre$f\n");
    CHECK(words(r.config, 0) == W{"allow", "prebogus2", "x"});
}

TEST_CASE("a bare $file line expands into the command", "[grammar][parse]") {
    TempDir dir;
    dir.write("svc", "socks -p1080\n");
    auto r = parse_in(dir, "$svc\n");
    INFO(summary(r.config));
    REQUIRE(r.config.directives.size() == 1);
    CHECK(words(r.config, 0) == W{"socks", "-p1080"});
    CHECK(r.config.diagnostics.empty());
}

TEST_CASE("a quoted $\"file name\" may contain spaces", "[grammar][parse]") {
    TempDir dir;
    dir.write("my users.txt", "alice:CL:a\n");
    auto r = parse_in(dir, "users $\"my users.txt\"\n");
    INFO(summary(r.config));
    CHECK(words(r.config, 0) == W{"users", "alice:CL:a"});
}

TEST_CASE("a missing $file is PX011 and it ends the line", "[grammar][parse]") {
    // 3proxy 0.9.4 drops the word and every word after it.
    TempDir dir;
    auto r = parse_in(dir, "users a:CL:1 $missing b:CL:2\n");
    auto d = with_code(r.config, "PX011");
    REQUIRE(d.size() == 1);
    CHECK(d[0]->span.line == 1);
    CHECK(d[0]->span.column == 14);
    CHECK(d[0]->message.find("drops this word and the rest of the line") != std::string::npos);
    CHECK(d[0]->message.find("which then reads 'users a:CL:1'") != std::string::npos);
    CHECK(words(r.config, 0) == W{"users", "a:CL:1"});
}

TEST_CASE("an unreadable $file in an allow line leaves the fields before it, unshifted",
          "[grammar][parse]") {
    TempDir dir;
    auto path =
        dir.write("main.cfg", "allow * 10.0.0.0/8 $missing 80 CONNECT\nsocks -i127.0.0.1\n");
    auto l = proxycfg::load_config(path);
    INFO(testing::summary(l));
    auto d = testing::only(l, "PX011");
    CHECK(d.span.line == 1);
    CHECK(d.span.column == 20);
    CHECK_THAT(d.message, Catch::Contains("which then reads 'allow * 10.0.0.0/8'"));
    // No knock-on field errors: 80 and CONNECT are gone, not read as targets or ports.
    for (const auto& other : l.diagnostics) {
        bool field_error = other.code.rfind("PX0", 0) == 0 && other.code != "PX011";
        CHECK_FALSE(field_error);
    }
    REQUIRE(l.model.services.size() == 1);
    auto entries = l.model.services[0].acl.entries();
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].any_target());
}

TEST_CASE("an unreadable $file used on several lines is read once and reported per line",
          "[grammar][parse]") {
    TempDir dir;
    auto r = parse_in(dir, "allow $gone 10.0.0.0/8\ndeny $gone\n");
    auto d = with_code(r.config, "PX011");
    REQUIRE(d.size() == 2);
    CHECK(d[0]->span.line == 1);
    CHECK(d[1]->span.line == 2);
    CHECK(words(r.config, 0) == W{"allow"});
    CHECK(words(r.config, 1) == W{"deny"});
}

TEST_CASE("a $file naming a directory says a $file reads one file", "[grammar][parse]") {
    TempDir dir;
    dir.write("lists/a", "alice:CL:1\n");
    auto r = parse_in(dir, "users $lists\n");
    auto d = with_code(r.config, "PX011");
    REQUIRE(d.size() == 1);
    CHECK(d[0]->message.find("is a directory") != std::string::npos);
    CHECK(d[0]->message.find("write one $file per file") != std::string::npos);
}

TEST_CASE("an unquoted '$' in a password is read as a $file", "[grammar][parse]") {
    TempDir dir;
    auto r = parse_in(dir, "users bob:CL:pa$$word\n");
    CHECK(with_code(r.config, "PX011").size() == 1);
    CHECK(words(r.config, 0) == W{"users"});
}

TEST_CASE("a line that is only a missing $file leaves nothing", "[grammar][parse]") {
    TempDir dir;
    auto r = parse_in(dir, "$missing\nsocks\n");
    // One finding, for the missing file, which says the line is left empty.
    auto d = with_code(r.config, "PX011");
    REQUIRE(d.size() == 1);
    CHECK(d[0]->message.find("nothing is left") != std::string::npos);
    REQUIRE(r.config.directives.size() == 1);
    CHECK(words(r.config, 0) == W{"socks"});
}

TEST_CASE("dropping a missing $file can leave too few arguments", "[grammar][parse]") {
    TempDir dir;
    auto r = parse_in(dir, "setgid $GID\n");
    CHECK(with_code(r.config, "PX011").size() == 1);
    CHECK(with_code(r.config, "PX002").size() == 1);
}

TEST_CASE("'$' inside included text does not nest; '#' there is data", "[grammar][parse]") {
    TempDir dir;
    dir.write("f", "$c d$e # x\n");
    dir.write("c", "never read\n");
    auto r = parse_in(dir, "users $f\n");
    INFO(summary(r.config));
    CHECK(words(r.config, 0) == W{"users", "c", "d$e", "#", "x"});
    CHECK(r.config.files.size() == 2);
}

TEST_CASE("quotes still work inside included text", "[grammar][parse]") {
    TempDir dir;
    dir.write("f", "\"a b\" c\n");
    auto r = parse_in(dir, "users $f\n");
    CHECK(words(r.config, 0) == W{"users", "a b", "c"});
}

TEST_CASE("an empty $file is PX011", "[grammar][parse]") {
    TempDir dir;
    dir.write("empty", "\n");
    auto r = parse_in(dir, "users $empty\n");
    CHECK(with_code(r.config, "PX011").size() == 1);
}

TEST_CASE("$file on a last line without a newline is PX019", "[grammar][parse]") {
    TempDir dir;
    dir.write("f", "alice:CL:a\n");
    auto r = parse_in(dir, "users $f");
    CHECK(with_code(r.config, "PX019").size() == 1);
    CHECK(with_code(parse_in(dir, "users $f\n").config, "PX019").empty());
}

TEST_CASE("a $file over 65534 bytes is PX015", "[grammar][parse]") {
    TempDir dir;
    std::string big;
    for (int i = 0; i < 7000; ++i) big += "user" + std::to_string(i) + ":CL:pw\n";
    dir.write("big", big);
    auto r = parse_in(dir, "users $big\n");
    CHECK(with_code(r.config, "PX015").size() == 1);
}

TEST_CASE("with includes not followed, $file words are kept unexpanded", "[grammar][parse]") {
    proxycfg::ParseOptions o;
    o.follow_includes = false;
    auto r = proxycfg::parse_text("t.cfg", "users $/etc/3proxy/passwd\n", o);
    CHECK(r.config.diagnostics.empty());
    REQUIRE(r.config.directives.size() == 1);
    CHECK(LexedDirective(r.config.directives[0]).tokens[1].has_dollar);
}

// --- include

TEST_CASE("include reads nested files in place", "[grammar][parse]") {
    TempDir dir;
    dir.write("a.cfg", "auth strong\ninclude sub/b.cfg\nflush\n");
    dir.write("sub/b.cfg", "users bob:CL:x\n");
    auto r = parse_in(dir, "nserver 8.8.8.8\ninclude a.cfg\nsocks\n");
    INFO(summary(r.config));
    CHECK(r.config.diagnostics.empty());
    W names;
    for (const auto& d : r.config.directives) names.emplace_back(d.name());
    CHECK(names == W{"nserver", "include", "auth", "include", "users", "flush", "socks"});
    REQUIRE(r.config.files.size() == 3);
    // The users line points into b.cfg, line 1.
    const auto& users = r.config.directives[4];
    CHECK(r.config.file(users.span.file).path.find("b.cfg") != std::string::npos);
    CHECK(users.span.line == 1);
}

TEST_CASE("a missing include is PX010 with the chain of includes", "[grammar][parse]") {
    TempDir dir;
    dir.write("a.cfg", "flush\ninclude missing.cfg\n");
    auto r = parse_in(dir, "socks\ninclude a.cfg\n");
    auto d = with_code(r.config, "PX010");
    REQUIRE(d.size() == 1);
    CHECK(r.config.file(d[0]->span.file).path.find("a.cfg") != std::string::npos);
    CHECK(d[0]->span.line == 2);
    CHECK(d[0]->span.column == 9);
    REQUIRE(d[0]->notes.size() == 1);
    CHECK(d[0]->notes[0].span.file == r.config.main_file);
    CHECK(d[0]->notes[0].span.line == 2);
}

TEST_CASE("include of a directory says include reads one file", "[grammar][parse]") {
    TempDir dir;
    dir.write("conf.d/a.cfg", "maxconn 10\n");
    auto r = parse_in(dir, "include conf.d\nsocks\n");
    auto d = with_code(r.config, "PX010");
    REQUIRE(d.size() == 1);
    CHECK(d[0]->span.line == 1);
    CHECK(d[0]->message.find("is a directory") != std::string::npos);
    CHECK(d[0]->message.find("include reads one file") != std::string::npos);
    CHECK(d[0]->message.find("write one include per file") != std::string::npos);
}

TEST_CASE("include of a glob says patterns are not expanded", "[grammar][parse]") {
    TempDir dir;
    dir.write("conf.d/a.cfg", "maxconn 10\n");
    auto r = parse_in(dir, "include conf.d/*.cfg\nsocks\n");
    auto d = with_code(r.config, "PX010");
    REQUIRE(d.size() == 1);
    CHECK(d[0]->span.line == 1);
    CHECK(d[0]->message.find("does not expand '*', '?' or '['") != std::string::npos);
    CHECK(d[0]->message.find("write one include per file") != std::string::npos);
}

TEST_CASE("an include cycle is PX010, not a hang", "[grammar][parse]") {
    TempDir dir;
    dir.write("a.cfg", "include b.cfg\n");
    dir.write("b.cfg", "include a.cfg\n");
    auto r = parse_in(dir, "include a.cfg\nsocks\n");
    auto d = with_code(r.config, "PX010");
    REQUIRE(d.size() == 1);
    CHECK(d[0]->message.find("cycle") != std::string::npos);
    CHECK(d[0]->notes.size() >= 2);
    CHECK(r.config.directives.back().name() == "socks");
}

TEST_CASE("a file including itself is PX010", "[grammar][parse]") {
    TempDir dir;
    auto r = parse_in(dir, "include main.cfg\n");
    CHECK(with_code(r.config, "PX010").size() == 1);
}

TEST_CASE("'end' inside an included file ends only that file", "[grammar][parse]") {
    TempDir dir;
    dir.write("a.cfg", "flush\nend\nbogus\n");
    auto r = parse_in(dir, "include a.cfg\nsocks\n");
    INFO(summary(r.config));
    CHECK(with_code(r.config, "PX001").empty());
    CHECK(r.config.directives.back().name() == "socks");
}

TEST_CASE("errors inside an included file point at that file", "[grammar][parse]") {
    TempDir dir;
    dir.write("a.cfg", "\n\nog x\n");
    auto r = parse_in(dir, "include a.cfg\n");
    auto d = with_code(r.config, "PX001");
    REQUIRE(d.size() == 1);
    CHECK(d[0]->span.line == 3);
    CHECK(r.config.file(d[0]->span.file).path.find("a.cfg") != std::string::npos);
}

TEST_CASE("relative includes resolve against --root when given", "[grammar][parse]") {
    TempDir dir;
    dir.write("conf/a.cfg", "flush\n");
    proxycfg::ParseOptions o;
    o.root = (dir.path / "conf").string();
    auto r = proxycfg::parse_text("stdin", "include a.cfg\n", o);
    INFO(summary(r.config));
    CHECK(r.config.diagnostics.empty());
    CHECK(r.config.directives.size() == 2);
}

TEST_CASE("include is not followed when follow_includes is false", "[grammar][parse]") {
    proxycfg::ParseOptions o;
    o.follow_includes = false;
    auto r = proxycfg::parse_text("t.cfg", "include /nonexistent/x.cfg\n", o);
    CHECK(r.config.diagnostics.empty());
    CHECK(r.config.files.size() == 1);
}

TEST_CASE("a read_file hook supplies include and $file texts from memory", "[grammar][parse]") {
    std::map<std::string, std::string> files{{"a.cfg", "users $u.lst\ninclude a.cfg\n"},
                                             {"u.lst", "bob:CL:x\n"}};
    std::vector<std::string> asked;
    proxycfg::ParseOptions o;
    o.read_file = [&](const std::string& path, std::string& text, std::string& error) {
        asked.push_back(path);
        auto it = files.find(path);
        if (it == files.end()) {
            error = "No such file or directory";
            return false;
        }
        text = it->second;
        return true;
    };
    auto r = proxycfg::parse_text("main.cfg", "include a.cfg\ninclude /etc/passwd\nsocks\n", o);
    // Paths are passed as written and never opened: /etc/passwd is "missing".
    CHECK(asked == W{"a.cfg", "u.lst", "/etc/passwd"});
    CHECK(words(r.config, 1) == W{"users", "bob:CL:x"});
    auto d = with_code(r.config, "PX010");
    REQUIRE(d.size() == 2);
    CHECK(d[0]->message == "include cycle: 'a.cfg' is already being read");
    CHECK(d[1]->message == "cannot read included file '/etc/passwd': No such file or directory");
    CHECK(r.config.directives.back().name() == "socks");
}

// --- unreadable input

TEST_CASE("a directory given as the configuration is PX000, unreadable", "[grammar][parse]") {
    TempDir dir;
    auto r = proxycfg::parse_file(dir.path.string());
    CHECK_FALSE(r.readable);
    auto d = with_code(r.config, "PX000");
    REQUIRE(d.size() == 1);
    CHECK(d[0]->message.find("directory") != std::string::npos);
}

TEST_CASE("a missing configuration file is PX000, unreadable", "[grammar][parse]") {
    TempDir dir;
    auto r = proxycfg::parse_file((dir.path / "nope.cfg").string());
    CHECK_FALSE(r.readable);
    CHECK(with_code(r.config, "PX000").size() == 1);
}

TEST_CASE("one mistake repeated in a text file does not stop it as binary", "[grammar][parse]") {
    std::string text;
    for (int i = 0; i < 200; ++i) text += "bogus\n";
    text += "socks\n";
    auto r = parse(text);
    CHECK(with_code(r.config, "PX001").size() == 200);
    CHECK(with_code(r.config, "PX016").empty());
    CHECK(r.config.directives.size() == 201);
}

TEST_CASE("many errors in bytes that are mostly not text stop the file with one PX016",
          "[grammar][parse]") {
    std::string text;
    for (int i = 0; i < 200; ++i) text += "\x01\x02\xff\xfe\x03zz\n";
    auto r = parse(text);
    auto d = with_code(r.config, "PX016");
    REQUIRE(d.size() == 1);
    CHECK(d[0]->span.line == 51);
    CHECK(d[0]->message.find("binary data") != std::string::npos);
}

TEST_CASE("a main file stopped as binary is not also a configuration without services",
          "[grammar][parse]") {
    using testing::check_text;
    using testing::reports;
    std::string text;
    for (int i = 0; i < 200; ++i) text += "\x01\x02\xff\xfe\x03zz\n";
    auto stopped = check_text(text);
    CHECK(reports(stopped, "PX016"));
    CHECK_FALSE(reports(stopped, "PX312"));
    std::string blob(4096, '\0');
    for (std::size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<char>(i * 37 + 11);
    auto binary = check_text(blob);
    CHECK(reports(binary, "PX016"));
    CHECK_FALSE(reports(binary, "PX312"));
    // A text file without services still says so.
    CHECK(reports(check_text("maxconn 10\n"), "PX312"));
}

TEST_CASE("a file read from disk has the line starts of the same text given in memory",
          "[parse][source]") {
    // The reader finds line starts in each piece it reads (64 KiB at a time); lines that
    // cross pieces, an empty file, a last line with and without a newline, and CRLF.
    TempDir dir;
    std::string long_lines;
    for (int i = 0; i < 5000; ++i)
        long_lines += "allow user" + std::to_string(i) +
                      std::string(static_cast<std::size_t>(i % 97), 'x') +
                      (i % 3 == 0 ? "\r\n" : "\n");
    const std::vector<std::string> texts = {
        "",
        "\n",
        "a",
        "a\n",
        "a\nb",
        "a\n\n\nb\n",
        "a\r\nb\r\n",
        long_lines,
        long_lines + "tail without newline",
        std::string(70000, 'y') + "\n" + std::string(70000, 'z')};
    for (std::size_t i = 0; i < texts.size(); ++i) {
        // Read into memory, and mapped (every file but the empty one).
        for (std::size_t map_bytes : {SIZE_MAX, std::size_t{1}}) {
            INFO("text " << i << ", mapped from " << map_bytes << " bytes");
            std::string path = dir.write("f" + std::to_string(i) + ".cfg", texts[i]);
            proxycfg::SourceManager sources(map_bytes);
            proxycfg::ReadError error;
            auto read = sources.read(path, error);
            REQUIRE(read);
            auto given = sources.add("memory.cfg", texts[i]);
            const auto& a = sources.file(*read);
            const auto& b = sources.file(given);
            CHECK(a.text.mapped() == (map_bytes == 1 && !texts[i].empty()));
            CHECK_FALSE(b.text.mapped());
            CHECK(a.text == texts[i]);
            CHECK(a.line_offsets == b.line_offsets);
            CHECK(a.line_count() >= 1);
        }
    }
}

TEST_CASE("a mapped file holds writers off until its text is gone", "[parse][source]") {
    TempDir dir;
    const std::string text = "nserver 10.0.0.1\nsocks -p1080\n";
    std::string path = dir.write("leased.cfg", text);
    auto open_for_writing = [&] {
        return proxycfg::UniqueFd(::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    };
    {
        auto parsed = proxycfg::parse_file(path, mapped_from(1));
        const auto& file = parsed.config.file(parsed.config.main_file);
        REQUIRE(file.text.mapped());
        CHECK(file.text == text);
        CHECK(parsed.config.directives.size() == 2);
        // A writer that would wait is told to: the lease holds while the parse lives.
        errno = 0;
        CHECK_FALSE(open_for_writing());
        CHECK(errno == EWOULDBLOCK);
    }
    CHECK(open_for_writing());
}

TEST_CASE("a large mapped file loads as it does read into memory, its pages let go of",
          "[parse][source]") {
    // Over 12 MiB, so the replay and the service-line lint let pages go as they pass
    // (4 MiB steps, 8 MiB behind). Users, allow lines with unknown users, '#' words and
    // -f templates throughout.
    TempDir dir;
    std::string text = "users $users.txt\nlog /dev/null\n";
    dir.write("users.txt", "fileuser:CL:pw\n");
    for (int b = 0; text.size() < (std::size_t{14} << 20); ++b) {
        text += "users u" + std::to_string(b) + ":CL:p" + std::to_string(b) + " v" +
                std::to_string(b) + ":CL:q\nflush\nauth strong\n";
        for (int k = 0; k < 40; ++k)
            text += "allow u" + std::to_string(b) + ",nobody" + std::to_string(k % 3) + " 10." +
                    std::to_string(k) + ".0.0/16 * 80,443 CONNECT\n";
        text += b % 500 == 0 ? "socks -p" + std::to_string(1024 + b % 60000) + " -f%Z # odd\n"
                             : "socks -p" + std::to_string(1024 + b % 60000) + "\n";
    }
    std::string path = dir.write("big.cfg", text);
    proxycfg::LoadOptions read, mapped;
    mapped.parse.map_bytes = 1;
    auto a = proxycfg::load_config(path, read);
    auto b = proxycfg::load_config(path, mapped);
    REQUIRE(b.parse.config.file(b.parse.config.main_file).text.mapped());
    CHECK_FALSE(a.parse.config.file(a.parse.config.main_file).text.mapped());
    CHECK(b.parse.config.file(b.parse.config.main_file).text == text);
    CHECK(b.model.services.size() == a.model.services.size());
    CHECK(b.model.user_definitions.size() == a.model.user_definitions.size());
    REQUIRE(b.diagnostics.size() == a.diagnostics.size());
    std::map<std::string, int> codes;
    for (std::size_t i = 0; i < a.diagnostics.size(); ++i) {
        CHECK(b.diagnostics[i].code == a.diagnostics[i].code);
        CHECK(b.diagnostics[i].span == a.diagnostics[i].span);
        CHECK(b.diagnostics[i].message == a.diagnostics[i].message);
        ++codes[a.diagnostics[i].code];
    }
    CHECK(codes["PX013"] > 0);  // the '#' words
    CHECK(codes["PX202"] > 0);  // unknown users
    // Every page given back and read again: still the same bytes.
    const auto& file = b.parse.config.file(b.parse.config.main_file);
    file.text.evict(0, SIZE_MAX);
    CHECK(file.text == text);
}

TEST_CASE("a file open for writing elsewhere is read, not mapped", "[parse][source]") {
    TempDir dir;
    const std::string text = "users alice:CL:pw\n";
    std::string path = dir.write("busy.cfg", text);
    proxycfg::UniqueFd writer(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    REQUIRE(writer);
    auto parsed = proxycfg::parse_file(path, mapped_from(1));
    const auto& file = parsed.config.file(parsed.config.main_file);
    CHECK_FALSE(file.text.mapped());
    CHECK(file.text == text);
    CHECK(parsed.config.directives.size() == 1);
}

TEST_CASE("a file read from disk is checked for UTF-8 as text in memory is", "[parse][source]") {
    TempDir dir;
    std::string lines;
    for (int i = 0; i < 3000; ++i) lines += "nserver 10.0.0." + std::to_string(i % 250) + "\n";
    struct Case {
        std::string text;
        std::uint32_t bad_line;  // 0: valid
    };
    const std::vector<Case> cases = {
        {lines, 0},
        {lines + "# caf\xc3\xa9\n", 0},              // valid, not ASCII
        {"# \xff\n" + lines, 1},                     // in the first piece read
        {lines + lines + lines + "# \xc3\n", 9001},  // past the first 64 KiB
        {lines + "# \xe2\x82\n# ok\n", 3001},        // a sequence cut short
    };
    for (const auto& c : cases)
        for (std::size_t map_bytes : {SIZE_MAX, std::size_t{1}}) {
            INFO("bad line " << c.bad_line << ", mapped from " << map_bytes << " bytes");
            auto r = proxycfg::parse_file(dir.write("u.cfg", c.text), mapped_from(map_bytes));
            std::vector<const proxycfg::Diagnostic*> found;
            for (const auto& d : r.config.diagnostics)
                if (d.code == "PX023") found.push_back(&d);
            if (c.bad_line == 0) {
                CHECK(found.empty());
            } else {
                REQUIRE(found.size() == 1);
                CHECK(found[0]->span.line == c.bad_line);
            }
            CHECK(r.config.file(r.config.main_file).ascii ==
                  (c.bad_line == 0 && c.text.find('\xc3') == std::string::npos));
        }
}
