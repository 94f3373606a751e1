// The everyday operator runbook against a real proxyd: `check && reload` on an edit,
// `check --live` as monitoring, and log rotation (SIGUSR2, `proxyctl reopen-logs`) that
// reopens the access log without applying the edit waiting on disk.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "harness.hpp"

using namespace harness;
using nlohmann::json;

namespace {

struct Runbook {
    TempDir dir;
    EchoServer echo;
    std::uint16_t port = free_port();
    std::string log = dir.file("access.log");
    std::optional<Proxyd> proxyd;

    Runbook() { proxyd.emplace(dir, config("alice:CL:apw bob:CL:bpw"), std::vector{port}, 1); }
    std::string config(const std::string& users, const std::string& extra = "") const {
        return "log " + log + "\nlogformat \"L%N %E %U %C %e\"\nusers " + users +
               "\nauth strong\nallow *\nforce\nsocks -p" + std::to_string(port) + " -i127.0.0.1\n" +
               extra;
    }
    void edit(const std::string& text) const { dir.write("proxyd.cfg", text); }
    // One SOCKS5 session through proxyd, closed at once: one access-log line.
    bool session(const std::string& user, const std::string& password) {
        Client c(port);
        return socks5_connect(c, user, password, echo.port()) && c.send("hi") && c.read(2) == "hi";
    }
    json status() {
        auto r = proxyctl(*proxyd, "status", {"--json"});
        REQUIRE(r.status == 0);
        return json::parse(r.out)["result"];
    }
    RunResult check(std::vector<std::string> options = {}) {
        options.push_back(proxyd->config_path);
        return proxyctl(*proxyd, "check", std::move(options));
    }
    // Waits until proxyd's standard error has `count` lines containing `text`.
    bool wait_for_stderr(const std::string& text, std::size_t count) {
        for (int i = 0; i < 250; ++i) {
            std::string err = proxyd->stderr_text();
            std::size_t found = 0;
            for (auto at = err.find(text); at != std::string::npos; at = err.find(text, at + 1))
                ++found;
            if (found >= count) return true;
            std::this_thread::sleep_for(20ms);
        }
        return false;
    }
};

std::size_t lines_in(const std::string& path) {
    return wait_for_lines(path, 1000, 0ms).size();
}

}  // namespace

TEST_CASE("check && reload applies a valid edit, and check --live fails until it is applied") {
    Runbook r;
    auto clean = r.check({"--live"});
    CHECK(clean.status == 0);
    CHECK(clean.out.empty());

    r.edit(r.config("alice:CL:apw"));
    auto plain = r.check();
    CHECK(plain.status == 0);  // the finding is shown, but the runbook goes on
    CHECK_THAT(plain.out, Catch::Contains("warning") && Catch::Contains("[PX401]"));
    auto gcc = r.check({"--format", "gcc"});
    CHECK(gcc.status == 0);
    CHECK_THAT(gcc.out, Catch::Contains(": warning: edited but not reloaded"));
    auto live = r.check({"--live", "--format", "json"});
    CHECK(live.status == 1);
    CHECK(json::parse(live.out)["files"][0]["diagnostics"][0]["code"] == "PX401");
    // Without FILE, --live checks the configuration proxyd runs.
    auto own = proxyctl(*r.proxyd, "check", {"--live"});
    CHECK(own.status == 1);
    CHECK_THAT(own.out, Catch::Contains("[PX401]"));

    REQUIRE(proxyctl(*r.proxyd, "reload").status == 0);
    auto after = r.check({"--live"});
    CHECK(after.status == 0);
    CHECK(after.out.empty());
}

TEST_CASE("check --live without a daemon, or with --offline, is exit 2 with the reason") {
    TempDir dir;
    std::string cfg = dir.write("proxyd.cfg", "users a:CL:b\nauth strong\nallow a\nsocks -p1\n");
    auto none = run({PROXYCTL_BINARY, "check", "--live", "--socket", dir.file("none.sock"), cfg});
    CHECK(none.status == 2);
    CHECK(none.out.empty());
    CHECK_THAT(none.err,
               Catch::Contains("check --live: no proxyd answers at " + dir.file("none.sock")));
    auto plain = run({PROXYCTL_BINARY, "check", "--socket", dir.file("none.sock"), cfg});
    CHECK(plain.status == 0);
    auto both = run({PROXYCTL_BINARY, "check", "--live", "--offline", cfg});
    CHECK(both.status == 2);
    CHECK_THAT(both.err, Catch::Contains("--live") && Catch::Contains("--offline"));
}

TEST_CASE("check --live on a file proxyd does not run is exit 2") {
    Runbook r;
    std::string other = r.dir.write("other.cfg", r.config("alice:CL:apw"));
    auto result = proxyctl(*r.proxyd, "check", {"--live", other});
    CHECK(result.status == 2);
    CHECK_THAT(result.err, Catch::Contains("proxyd runs " + r.proxyd->config_path) &&
                               Catch::Contains("none of the files given"));
}

TEST_CASE("a failed reload is reported until the file is fixed, then the fix waits for reload") {
    Runbook r;
    r.edit(r.config("alice:CL:apw") + "frobnicate\n");
    REQUIRE(proxyctl(*r.proxyd, "reload").status == 1);
    auto broken = r.check({"--live", "--format", "gcc"});
    CHECK(broken.status == 1);
    CHECK_THAT(broken.out, Catch::Contains("[PX001]") && Catch::Contains("[PX403]"));

    r.edit(r.config("alice:CL:apw"));  // fixed, and not what runs
    auto fixed = r.check({"--live", "--format", "gcc"});
    CHECK(fixed.status == 1);
    CHECK_THAT(fixed.out, Catch::Contains("[PX401]") && !Catch::Contains("[PX403]"));
    CHECK(r.check().status == 0);
    REQUIRE(proxyctl(*r.proxyd, "reload").status == 0);
    CHECK(r.check({"--live"}).status == 0);
}

TEST_CASE("a reload refused for a port in use stays reported while the files are fine") {
    Runbook r;
    // A plain listening socket, without SO_REUSEPORT: proxyd cannot share it.
    std::uint16_t taken_port = 0;
    int taken = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(taken >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(taken, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(taken, 1) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(taken, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    taken_port = ntohs(addr.sin_port);

    r.edit(r.config("alice:CL:apw bob:CL:bpw",
                    "socks -p" + std::to_string(taken_port) + " -i127.0.0.1\n"));
    auto reload = proxyctl(*r.proxyd, "reload");
    ::close(taken);
    REQUIRE(reload.status == 1);
    auto plain = r.check({"--format", "gcc"});
    CHECK(plain.status == 0);
    CHECK_THAT(plain.out, Catch::Contains(": error: proxyd's last reload attempt") &&
                              Catch::Contains("cannot listen for") && Catch::Contains("[PX403]"));
    auto live = r.check({"--live", "--format", "gcc"});
    CHECK(live.status == 1);
    CHECK_THAT(live.out, Catch::Contains("[PX403]"));
}

TEST_CASE("SIGUSR2 and proxyctl reopen-logs reopen the access log and reload nothing") {
    Runbook r;
    REQUIRE(r.session("alice", "apw"));
    REQUIRE(wait_for_lines(r.log, 1).size() == 1);
    // An edit waiting on disk that log rotation must not apply: bob is removed.
    r.edit(r.config("alice:CL:apw"));

    REQUIRE(std::rename(r.log.c_str(), (r.log + ".1").c_str()) == 0);
    ::kill(r.proxyd->process().pid(), SIGUSR2);
    REQUIRE(r.wait_for_stderr("log files reopened (usr2)", 1));
    REQUIRE(r.session("bob", "bpw"));  // still admitted: nothing was reloaded
    auto lines = wait_for_lines(r.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::Contains("bob"));
    CHECK(lines_in(r.log + ".1") == 1);

    REQUIRE(std::rename(r.log.c_str(), (r.log + ".2").c_str()) == 0);
    auto reopen = proxyctl(*r.proxyd, "reopen-logs");
    CHECK(reopen.status == 0);
    CHECK_THAT(reopen.out, Catch::Contains("generation 1 keeps serving"));
    auto as_json = proxyctl(*r.proxyd, "reopen-logs", {"--json"});
    CHECK(as_json.status == 0);
    CHECK(json::parse(as_json.out) == json{{"ok", true},
                                           {"result", {{"reopened", true}, {"generation", 1}}},
                                           {"error", nullptr}});
    REQUIRE(r.session("alice", "apw"));
    lines = wait_for_lines(r.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::Contains("alice"));
    CHECK(lines_in(r.log + ".2") == 1);

    json st = r.status();
    CHECK(st["generation"] == 1);
    CHECK(st["last_reload"].is_null());
    CHECK_THAT(r.check().out, Catch::Contains("[PX401]"));  // the edit still waits
    CHECK(r.proxyd->process().wait(0ms) == std::nullopt);
}
