// Every real-world configuration in tests/corpus/real-world/ is loaded as `proxyctl check
// --dialect 3proxy` would load it, without opening includes or $files (they name paths on
// the author's machine). A file 3proxy accepts must give no syntax-class error (PX0xx at
// error severity); a file 3proxy rejects must get the specific error 3proxy stops at.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "proxycfg/lint.hpp"
#include "temp_dir.hpp"

namespace {

using testing::TempDir;

namespace fs = std::filesystem;

// How a broken file is loaded.
enum class Mode {
    // follow_includes = false: what the corpus test uses for every file.
    no_includes,
    // Includes and $files followed against an empty directory: what 3proxy sees for
    // template placeholders such as ${VAR} or $VAR, which it reads as $file inclusions of
    // files that do not exist (the token is dropped).
    missing_files,
};

struct Broken {
    const char* file;
    const char* code;
    std::uint32_t line;
    const char* fragment;  // must appear in the diagnostic's message
    Mode mode;
    bool library_bug;  // the library does not (yet) report this correctly
    const char* why;   // why 3proxy rejects the file at this line
};

// clang-format off
const Broken kBroken[] = {
    {"00MooFy00__weaver__config_3proxy.cfg", "PX009", 5, "-i0.0.0.0", Mode::no_includes, false,
     "'-i 0.0.0.0': the value is not glued to the option, so 0.0.0.0 is a stray argument "
     "and the service is not started (code 40)"},
    // library bug: `external` with a value that is neither an IP literal nor a name that
    // can resolve is not reported.
    {"2327__docker-3proxy__3proxy.cfg.tpl", "PX021", 15, "__INET__", Mode::no_includes, true,
     "template placeholder 'external __INET__': external resolves its argument and an "
     "unresolvable one is fatal (code 1)"},
    {"674537331__proxy-bundle__3proxy.cfg.template", "PX002", 12, "parent", Mode::missing_files,
     false,
     "'parent 1000 socks5 ${SS_LOCAL_ADDR} ${SS_LOCAL_PORT}': both placeholders are $file "
     "inclusions of missing files, 3proxy drops them and parent is left with 2 arguments "
     "(Unknown command)"},
    // library bug: the library blames -pzzzz (3proxy accepts it: atoi gives 0, the default
    // port) and says nothing of -exxx.xxx.xxx.xxx, which is what 3proxy rejects.
    {"JoseDeHaros__Ubuntu-Proxy__3proxy.cfg", "PX009", 20, "xxx.xxx.xxx.xxx", Mode::no_includes,
     true,
     "placeholder '-exxx.xxx.xxx.xxx': an unresolvable -e is an error, the service is not "
     "started (code 40)"},
    {"JustEdro__3proxy-playbook__3proxy.cfg.template", "PX002", 1, "setgid", Mode::no_includes,
     false, "jinja '{{ proxy_gid }}' gives setgid 3 arguments (Unknown command)"},
    {"Ksendy404__teamcalendar__3proxy.cfg.template", "PX002", 11, "parent", Mode::missing_files,
     false,
     "'parent 1000 http ${PROXY_HOST} ${PROXY_PORT} ...': the ${} placeholders are missing "
     "$files, dropped, leaving parent 2 arguments (Unknown command)"},
    // library bug: unresolvable -e not reported.
    {"MukhTonio__build_3proxy__3proxy.conf", "PX009", 22, "yyyy:yyy:y:y::yyy", Mode::no_includes,
     true,
     "placeholder '-eyyyy:yyy:y:y::yyy' is neither an IPv6 address nor a name: unresolvable "
     "-e, service not started (code 40)"},
    // library bug: setuid/setgid values are not checked.
    {"aanovikov__configs__3proxy.cfg.template", "PX021", 1, "{{GID}}", Mode::no_includes, true,
     "'setgid {{GID}}': not a number and not a group name, setgid fails (code 1)"},
    {"angrysiberianracoon__3proxy__conf_3proxy.cfg", "PX002", 1, "setgid", Mode::missing_files,
     false,
     "envsubst '$GID' is a $file inclusion of a missing file, dropped, so setgid has no "
     "argument (Unknown command)"},
    {"asm0dey__3proxy__templates_3proxy.cfg.j2", "PX001", 1, "{%", Mode::no_includes, false,
     "jinja '{% if ... %}daemon{% endif %}' starts with the command '{%' (Unknown command)"},
    {"ast2019__VPN-forServers__3proxy.cfg.template", "PX004", 5, "SERVER_B_IP_PLACEHOLDER",
     Mode::no_includes, false,
     "placeholder in the source field of 'allow * SERVER_B_IP_PLACEHOLDER' (Invalid IP)"},
    {"botzill__ansible-role-3proxy__templates_3proxy.cfg.j2", "PX001", 1, "{%", Mode::no_includes,
     false, "jinja '{% if proxy_daemon %}daemon{% endif %}' (Unknown command '{%')"},
    {"col83__zapret-fast__3proxy.cfg", "PX001", 14, "users", Mode::no_includes, false,
     "a 'name:CL:pass' line without the users keyword (Unknown command)"},
    {"hatifnatt__ansible-3proxy__templates_3proxy.cfg.j2", "PX001", 15, "{%", Mode::no_includes,
     false, "jinja '{% for ns in ... -%}' (Unknown command '{%')"},
    // library bug: blamed on -p{{PORT}} (accepted by 3proxy), the real failure is -e.
    {"martinhavana__xproxymgr__3proxy.cfg.template", "PX009", 42, "{{BIND_IP}}",
     Mode::no_includes, true,
     "'-e{{BIND_IP}}': unresolvable -e, service not started (code 40)"},
    {"tarampampam__3proxy-docker__3proxy.cfg.mustach", "PX001", 8, "{{#name_servers}}",
     Mode::no_includes, false, "mustache section '{{#name_servers}}' (Unknown command)"},
    {"zweily__http2ss__config_3proxy.conf", "PX002", 26, "parent", Mode::no_includes, false,
     "'parent 1080 socks5' has no host and port (Unknown command)"},
};

// Files 3proxy accepts on which the library reports a syntax-class error anyway.
struct FalseError {
    const char* file;
    const char* code;
    std::uint32_t line;
    const char* why;
};
const FalseError kFalseErrors[] = {
    // library bug: '-p@PORT@' is accepted by 3proxy (atoi gives 0: the default port); the
    // library reports it as an error of the syntax family.
    {"ilya-fedin__multiproxy__3proxy.cfg", "PX009", 17,
     "3proxy accepts -p with a non-numeric value and listens on the default port"},
};
// clang-format on

proxycfg::Loaded load(const fs::path& path, Mode mode, const fs::path& empty_root = {}) {
    proxycfg::LoadOptions options;
    options.lint.dialect = proxycfg::Dialect::threeproxy;
    options.parse.follow_includes = mode == Mode::missing_files;
    if (mode == Mode::missing_files) options.parse.root = empty_root.string();
    return proxycfg::load_config(path.string(), options);
}

bool syntax_error(const proxycfg::Diagnostic& d) {
    return d.severity == proxycfg::Severity::error && d.code.size() == 5 &&
           d.code.compare(0, 3, "PX0") == 0;
}

std::string describe(const proxycfg::Loaded& l) {
    std::string s;
    for (const auto& d : l.diagnostics) {
        s += "  " + d.code + "@" + std::to_string(d.span.line) + ":" +
             std::to_string(d.span.column) + " " + d.message + "\n";
    }
    return s;
}

std::vector<fs::path> corpus_files() {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(PROXY_CORPUS_DIR)) {
        if (!e.is_regular_file() || e.path().filename() == "MANIFEST.tsv") continue;
        files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

const Broken* find_broken(const std::string& name) {
    for (const auto& b : kBroken)
        if (name == b.file) return &b;
    return nullptr;
}

const FalseError* find_false_error(const std::string& name) {
    for (const auto& f : kFalseErrors)
        if (name == f.file) return &f;
    return nullptr;
}

void check_broken(const Broken& b) {
    TempDir empty;
    auto l = load(fs::path(PROXY_CORPUS_DIR) / b.file, b.mode, empty.path);
    INFO(b.file << ": " << b.why << "\nexpected " << b.code << " at line " << b.line
                << " mentioning '" << b.fragment << "', got:\n"
                << describe(l));
    bool found = std::any_of(l.diagnostics.begin(), l.diagnostics.end(), [&](const auto& d) {
        return d.code == b.code && d.span.line == b.line &&
               d.severity == proxycfg::Severity::error &&
               d.message.find(b.fragment) != std::string::npos;
    });
    CHECK(found);
}

}  // namespace

TEST_CASE("the corpus has the files the broken table names", "[corpus]") {
    std::set<std::string> names;
    for (const auto& p : corpus_files()) names.insert(p.filename().string());
    CHECK(names.size() > 80);
    for (const auto& b : kBroken) {
        INFO(b.file);
        CHECK(names.count(b.file) == 1);
    }
    for (const auto& f : kFalseErrors) {
        INFO(f.file);
        CHECK(names.count(f.file) == 1);
    }
}

TEST_CASE("corpus files 3proxy accepts give no syntax error", "[corpus]") {
    for (const auto& path : corpus_files()) {
        std::string name = path.filename().string();
        if (find_broken(name) || find_false_error(name)) continue;
        auto l = load(path, Mode::no_includes);
        INFO(name << ":\n" << describe(l));
        CHECK(l.readable());
        CHECK(std::none_of(l.diagnostics.begin(), l.diagnostics.end(), syntax_error));
    }
}

TEST_CASE("corpus files 3proxy rejects get the specific error", "[corpus]") {
    for (const auto& b : kBroken) {
        if (!b.library_bug) check_broken(b);
    }
}

// library bug: these are the broken files whose error the library misses or blames on
// the wrong token (see the table above); the CHECKs state the expected behaviour.
TEST_CASE("corpus files 3proxy rejects where the library misses the cause", "[corpus][!mayfail]") {
    for (const auto& b : kBroken) {
        if (b.library_bug) check_broken(b);
    }
}

// library bug: accepted files that get a syntax-class error (see kFalseErrors).
TEST_CASE("corpus files 3proxy accepts that the library rejects", "[corpus][!mayfail]") {
    for (const auto& f : kFalseErrors) {
        auto l = load(fs::path(PROXY_CORPUS_DIR) / f.file, Mode::no_includes);
        INFO(f.file << ": " << f.why << "\n" << describe(l));
        CHECK(std::none_of(l.diagnostics.begin(), l.diagnostics.end(), syntax_error));
    }
}

TEST_CASE("template placeholders read as $files are dropped like 3proxy does", "[corpus]") {
    // In the no-includes mode the library cannot know the $file is missing; with the files
    // missing, a template that only uses ${VAR} in droppable places is accepted.
    TempDir empty;
    auto l = load(fs::path(PROXY_CORPUS_DIR) / "BrunocodeUi__meu-proxy__3proxy.cfg",
                  Mode::missing_files, empty.path);
    INFO(describe(l));
    // users $(PROXY_USER):CL:... and allow $(PROXY_USER) lose their argument: still valid.
    for (const auto& d : l.diagnostics) {
        if (syntax_error(d)) CHECK(d.code == "PX011");
    }
}

TEST_CASE("dump the corpus diagnostics", "[.dump]") {
    for (const auto& path : corpus_files()) {
        auto l = load(path, Mode::no_includes);
        std::cout << "== " << path.filename().string() << "\n" << describe(l);
    }
}
