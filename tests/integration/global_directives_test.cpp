// Global directives proxyd applies outside its services: `system "CMD"` runs each time a
// configuration is applied (start and every reload), in file order, with its exit status
// on standard error, never by a check or a dry run; `nsrecord` answers names itself;
// `chroot` confines proxyd once it has bound its ports.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

#include "harness.hpp"

using namespace harness;

namespace {

std::size_t lines_in(const std::string& path) {
    auto text = read_file(path);
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

TEST_CASE("system commands run at start and at each reload, never for a check or a dry run") {
    TempDir dir;
    auto port = free_port();
    auto marks = dir.file("marks");
    std::string config = "system \"echo first >> " + marks + "\"\nsystem \"echo second >> " +
                         marks + "; exit 3\"\nsocks -p" + std::to_string(port) + " -i127.0.0.1\n";
    // Checks read the file and run nothing.
    auto path = dir.write("checked.cfg", config);
    CHECK(run({PROXYD_BINARY, "--check", path}).status == 0);
    CHECK(run({PROXYCTL_BINARY, "check", path}).status == 0);
    CHECK(lines_in(marks) == 0);

    Proxyd p(dir, config, {port});
    CHECK(read_file(marks) == "first\nsecond\n");  // in file order, before serving
    CHECK(proxyctl(p, "reload", {"--dry-run"}).status == 0);
    CHECK(lines_in(marks) == 2);
    CHECK(proxyctl(p, "reload").status == 0);
    CHECK(read_file(marks) == "first\nsecond\nfirst\nsecond\n");
    auto err = p.stderr_text();
    CHECK_THAT(err, Catch::Contains("(start): exit status 0"));
    CHECK_THAT(err, Catch::Contains("; exit 3\" (start): exit status 3"));
    CHECK_THAT(err, Catch::Contains("(control): exit status 3"));
}

TEST_CASE("nsrecord answers a name before any name server, whatever its case") {
    TempDir dir;
    HttpServer http;
    auto port = free_port();
    Proxyd p(dir,
             "nscache 65536\nnsrecord intranet.example 127.0.0.1\nsocks -p" + std::to_string(port) +
                 " -i127.0.0.1\n",
             {port});
    for (std::string host : {"intranet.example", "Intranet.EXAMPLE"}) {
        auto r = curl({"--socks5-hostname", "127.0.0.1:" + std::to_string(port),
                       "http://" + host + ":" + std::to_string(http.port()) + "/static"});
        CHECK(r.body == "hello /static\n");
    }
}

namespace {

// A jail directory the unprivileged account proxyd becomes can read, with a log
// directory it can write.
std::string make_jail(const TempDir& dir) {
    ::chmod(dir.path().c_str(), 0755);
    std::string logs = dir.file("log");
    ::mkdir(logs.c_str(), 0755);
    if (::chown(logs.c_str(), 65534, 65534) != 0) return {};
    return std::filesystem::canonical(dir.path()).string();
}

// LeakSanitizer reads /proc at exit, which a jail does not have: a sanitized proxyd in a
// chroot would fail there, or hang. Its children are spared the check.
void no_leak_check_in_jail() {
    if (const char* options = std::getenv("ASAN_OPTIONS"))
        ::setenv("ASAN_OPTIONS", (std::string(options) + ":detect_leaks=0").c_str(), 1);
}

}  // namespace

TEST_CASE("chroot: proxyd serves from inside the jail and reloads from there") {
    if (::geteuid() != 0) {
        WARN("chroot needs root: not run");
        return;
    }
    no_leak_check_in_jail();
    HttpServer http;
    TempDir jail;
    std::string dir = make_jail(jail);
    REQUIRE(!dir.empty());
    std::uint16_t port = free_port();
    auto config = [&](const std::string& tag) {
        return "chroot " + dir + " 65534 65534\nlog /log/access.log\nlogformat \"" + tag +
               " %E %n\"\nauth iponly\nallow *\nproxy -i127.0.0.1 -p" + std::to_string(port) + "\n";
    };
    Proxyd proxyd(jail, config("A"), {port});
    ::chmod(proxyd.config_path.c_str(), 0644);
    std::string target = "http://127.0.0.1:" + std::to_string(http.port()) + "/j";
    CHECK(curl({"-x", "http://127.0.0.1:" + std::to_string(port), target}).body == "hello /j\n");
    // The log path is the one inside the jail.
    auto lines = wait_for_lines(jail.file("log/access.log"), 1);
    REQUIRE(!lines.empty());
    CHECK_THAT(lines.back(), Catch::StartsWith("A 0"));
    // Only now: the port listens before the chroot and the setuid, and a request served
    // proves both are done (proxyd accepts nothing before).
    pid_t pid = proxyd.process().pid();
    char root[4096] = {};
    auto n = ::readlink(("/proc/" + std::to_string(pid) + "/root").c_str(), root, sizeof root - 1);
    CHECK(std::string(root, n > 0 ? static_cast<std::size_t>(n) : 0) == dir);
    CHECK_THAT(read_file("/proc/" + std::to_string(pid) + "/status"),
               Catch::Contains("Uid:\t65534\t65534"));

    // A reload reads the configuration by its path inside the jail.
    jail.write("proxyd.cfg", config("B"));
    auto r = proxyctl(proxyd, "reload");
    CHECK(r.status == 0);
    CHECK(curl({"-x", "http://127.0.0.1:" + std::to_string(port), target}).body == "hello /j\n");
    bool tagged = false;
    for (int i = 0; i < 30 && !tagged; ++i) {  // bounded: 30 polls of at most 100 ms
        auto now = wait_for_lines(jail.file("log/access.log"), lines.size() + 1, 100ms);
        tagged = !now.empty() && now.back().rfind("B 0", 0) == 0;
    }
    CHECK(tagged);
}

TEST_CASE("chroot: a configuration outside the jail refuses the start") {
    if (::geteuid() != 0) {
        WARN("chroot needs root: not run");
        return;
    }
    no_leak_check_in_jail();
    TempDir dir;
    TempDir jail;
    std::uint16_t port = free_port();
    std::string path = dir.write("proxyd.cfg", "chroot " + jail.path() +
                                                   "\nauth iponly\nallow *\nproxy -i127.0.0.1 -p" +
                                                   std::to_string(port) + "\n");
    auto r = run({PROXYD_BINARY, "--control", dir.file("c.sock"), path});
    CHECK(r.status == 1);
    CHECK_THAT(r.err, Catch::Contains("after chroot") && Catch::Contains("is not readable") &&
                          Catch::Contains("keep it and the files it names inside"));
}
