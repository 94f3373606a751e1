// tcppm, maxconn, timeouts and the process lifecycle (check, errors, pidfile, signals).
#include <signal.h>
#include <unistd.h>
#include <algorithm>

#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace harness;

TEST_CASE("tcppm relays bytes both ways to its fixed target") {
    TempDir dir;
    EchoServer echo;
    auto port = free_port();
    Proxyd p(dir,
             "log " + dir.file("access.log") +
                 "\n"
                 "logformat \"L%N %E %C %R:%r %I %O\"\n"
                 "tcppm -i127.0.0.1 " +
                 std::to_string(port) + " 127.0.0.1 " + std::to_string(echo.port()) + "\n",
             {port});
    {
        Client c(port);
        REQUIRE(c.connected());
        std::string payload(100000, 'x');
        REQUIRE(c.send(payload));
        CHECK(c.read(payload.size()) == payload);
    }
    // The readiness probe is a tcppm session too, logged by whichever worker took it: the
    // two lines come in either order.
    auto lines = wait_for_lines(dir.file("access.log"), 2);
    std::string payload_line =
        "TCPPM 0 127.0.0.1 127.0.0.1:" + std::to_string(echo.port()) + " 100000 100000";
    CHECK(std::count(lines.begin(), lines.end(), payload_line) == 1);
}

TEST_CASE("connections beyond maxconn are closed at once and logged with code 10") {
    TempDir dir;
    EchoServer echo;
    auto port = free_port();
    Proxyd p(dir,
             "log " + dir.file("access.log") +
                 "\n"
                 "logformat \"L%N %E %e\"\n"
                 "maxconn 1\n"
                 "auth iponly\nallow *\n"
                 "socks -p" +
                 std::to_string(port) + " -i127.0.0.1\n",
             {port});
    // The readiness probe may still hold the slot for a moment: retry until served.
    std::optional<Client> holder;
    for (int attempt = 0; attempt < 50; ++attempt) {
        holder.emplace(port);
        holder->send(std::string("\x05\x01\x00", 3));
        if (holder->read(2, 500ms) == std::string("\x05\x00", 2)) break;
        holder.reset();
        std::this_thread::sleep_for(20ms);
    }
    REQUIRE(holder);  // the holder has the only slot now

    // It speaks at once: the socks listener defers a silent client's accept for about a
    // second, and by then the holder's handshake would be old enough to give way to it.
    Client extra(port);
    REQUIRE(extra.connected());
    REQUIRE(extra.send(std::string("\x05\x01\x00", 3)));
    std::string got;
    CHECK(extra.read_until_close(got, 2s));
    CHECK(got.empty());
    auto lines = wait_for_lines(dir.file("access.log"), 1);
    REQUIRE(!lines.empty());
    CHECK(lines.back() == "SOCKS 10 maxconn exceeded");

    // The holder is still served.
    std::string req("\x05\x01\x00\x01\x7f\x00\x00\x01", 8);
    req.push_back(static_cast<char>(echo.port() >> 8));
    req.push_back(static_cast<char>(echo.port() & 0xFF));
    holder->send(req);
    CHECK(holder->read(10).substr(0, 2) == std::string("\x05\x00", 2));
    holder->send("still here");
    CHECK(holder->read(10) == "still here");
}

TEST_CASE("a client that sends nothing is dropped after the handshake timeout") {
    TempDir dir;
    auto port = free_port();
    Proxyd p(dir,
             "log " + dir.file("access.log") +
                 "\n"
                 "logformat \"L%N %E %e\"\n"
                 "timeouts 1 5 1 60 180 1800 15 60 15 5\n"
                 "auth iponly\nallow *\n"
                 "socks -p" +
                 std::to_string(port) + " -i127.0.0.1\n",
             {port});
    Client idle(port);
    REQUIRE(idle.connected());
    std::string got;
    auto start = std::chrono::steady_clock::now();
    CHECK(idle.read_until_close(got, 4s));
    CHECK(std::chrono::steady_clock::now() - start < 3s);
    auto lines = wait_for_lines(dir.file("access.log"), 1);
    REQUIRE(!lines.empty());
    CHECK(lines.back() == "SOCKS 91 handshake timeout");
}

TEST_CASE("proxyd --check accepts a valid configuration with status 0") {
    TempDir dir;
    auto cfg = dir.write("ok.cfg", "auth iponly\nallow *\nsocks -p1080 -i127.0.0.1\n");
    auto r = run({PROXYD_BINARY, "--check", cfg});
    CHECK(r.status == 0);
}

TEST_CASE("proxyd --check prints the diagnostics of a broken configuration and exits 1") {
    TempDir dir;
    auto cfg = dir.write("bad.cfg", "socks -p1080\nnosuchdirective 1\n");
    auto r = run({PROXYD_BINARY, "--check", cfg});
    CHECK(r.status == 1);
    CHECK_THAT(r.out, Catch::Contains("bad.cfg:2"));
}

TEST_CASE("a configuration with errors is refused at start with diagnostics on stderr") {
    TempDir dir;
    auto cfg =
        dir.write("bad.cfg", "nosuchdirective 1\nsocks -p" + std::to_string(free_port()) + "\n");
    auto r = run({PROXYD_BINARY, cfg});
    CHECK(r.status == 1);
    CHECK_THAT(r.err, Catch::Contains("bad.cfg:1"));
}

TEST_CASE("a missing configuration file is refused with status 1") {
    auto r = run({PROXYD_BINARY, "/nonexistent/proxyd.cfg"});
    CHECK(r.status == 1);
}

TEST_CASE("proxyd --version and --help answer without a configuration") {
    auto v = run({PROXYD_BINARY, "--version"});
    CHECK(v.status == 0);
    CHECK_THAT(v.out, Catch::StartsWith("proxyd "));
    auto h = run({PROXYD_BINARY, "--help"});
    CHECK(h.status == 0);
    CHECK_THAT(h.out, Catch::Contains("Examples:"));
}

TEST_CASE("SIGTERM ends proxyd with status 0, closing sessions and removing the pidfile") {
    TempDir dir;
    EchoServer echo;
    auto port = free_port();
    auto pidfile = dir.file("proxyd.pid");
    Proxyd p(dir,
             "pidfile " + pidfile +
                 "\n"
                 "log " +
                 dir.file("access.log") +
                 "\n"
                 "logformat \"L%N %E %e\"\n"
                 "tcppm -i127.0.0.1 " +
                 std::to_string(port) + " 127.0.0.1 " + std::to_string(echo.port()) + "\n",
             {port});
    CHECK(read_file(pidfile) == std::to_string(p.process().pid()) + "\n");
    Client c(port);
    REQUIRE(c.connected());
    c.send("x");
    REQUIRE(c.read(1) == "x");
    auto status = p.process().signal_and_wait(SIGTERM, 3s);
    REQUIRE(status);
    CHECK(*status == 0);
    std::string rest;
    CHECK(c.read_until_close(rest, 1s));
    CHECK(::access(pidfile.c_str(), F_OK) != 0);
    // The readiness probe's session is logged too, by whichever worker took it: the two
    // lines come in either order.
    auto lines = wait_for_lines(dir.file("access.log"), 2);
    CHECK(std::count(lines.begin(), lines.end(), "TCPPM 95 shutdown") == 1);
}

TEST_CASE(
    "names are resolved through the configured nserver, and its failure is logged with code 30") {
    TempDir dir;
    auto port = free_port();
    auto dns = free_port();  // nothing answers there: the lookup fails fast with a refusal
    Proxyd p(dir,
             "log " + dir.file("access.log") +
                 "\n"
                 "logformat \"L%N %E %n:%r\"\n"
                 "nserver 127.0.0.1:" +
                 std::to_string(dns) +
                 "\n"
                 "timeouts 1 5 30 60 180 1800 2 60 15 5\n"
                 "auth iponly\nallow *\n"
                 "socks -p" +
                 std::to_string(port) + " -i127.0.0.1\n",
             std::vector<std::uint16_t>{port});
    auto r =
        curl({"--socks5-hostname", "127.0.0.1:" + std::to_string(port), "http://unknown.invalid/"});
    CHECK(r.status != 0);
    auto lines = wait_for_lines(dir.file("access.log"), 1, 5s);
    REQUIRE(!lines.empty());
    CHECK(lines.back() == "SOCKS5 30 unknown.invalid:80");
}

TEST_CASE("requests decided by an ACL entry marked nolog are not logged") {
    TempDir dir;
    HttpServer quiet, loud;
    auto port = free_port();
    Proxyd p(dir,
             "log " + dir.file("access.log") +
                 "\nlogformat \"L%N %E %r\"\nauth iponly\nallow * * * " +
                 std::to_string(quiet.port()) + "\nnolog\nallow *\nsocks -p" +
                 std::to_string(port) + " -i127.0.0.1\n",
             {port});
    auto get = [&](const HttpServer& server) {
        return curl({"--socks5", "127.0.0.1:" + std::to_string(port),
                     "http://127.0.0.1:" + std::to_string(server.port()) + "/x"})
            .body;
    };
    CHECK(get(quiet) == "hello /x\n");
    CHECK(get(loud) == "hello /x\n");
    auto lines = wait_for_lines(dir.file("access.log"), 1);
    std::this_thread::sleep_for(200ms);  // a line for the quiet request would be there by now
    lines = wait_for_lines(dir.file("access.log"), 1);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "SOCKS5 0 " + std::to_string(loud.port()));
}

TEST_CASE("setuid and setgid take effect once the ports and the control socket are open") {
    if (::geteuid() != 0) {
        WARN("not root: setuid/setgid cannot be exercised");
        return;
    }
    TempDir dir;
    HttpServer http;
    auto port = free_port();
    Proxyd p(dir,
             "setgid 65534\nsetuid 65534\nauth iponly\nallow *\nsocks -p" + std::to_string(port) +
                 " -i127.0.0.1\n",
             {port});
    // The switch follows the control socket, which is what the harness waits for.
    std::string status;
    for (int i = 0; i < 200; ++i) {
        status = read_file("/proc/" + std::to_string(p.process().pid()) + "/status");
        if (status.find("Uid:\t65534") != std::string::npos) break;
        std::this_thread::sleep_for(10ms);
    }
    CHECK_THAT(status, Catch::Contains("Uid:\t65534\t65534\t65534\t65534"));
    CHECK_THAT(status, Catch::Contains("Gid:\t65534\t65534\t65534\t65534"));
    // No supplementary group is left (root's would be).
    auto groups = status.substr(status.find("Groups:") + 7);
    groups = groups.substr(0, groups.find('\n'));
    CHECK(groups.find_first_not_of(" \t") == std::string::npos);
    auto c = curl({"--socks5", "127.0.0.1:" + std::to_string(port),
                   "http://127.0.0.1:" + std::to_string(http.port()) + "/u"});
    CHECK(c.body == "hello /u\n");
    CHECK(proxyctl(p, "status").status == 0);  // the socket was made before the switch
}

TEST_CASE("proxyd usage errors exit 2 and name the problem") {
    auto unknown = run({PROXYD_BINARY, "--no-such-option", "x.cfg"});
    CHECK(unknown.status == 2);
    CHECK_THAT(unknown.err, Catch::Contains("--no-such-option"));
    auto workers = run({PROXYD_BINARY, "--workers", "0", "x.cfg"});
    CHECK(workers.status == 2);
    CHECK_THAT(workers.err, Catch::Contains("--workers"));
    CHECK(run({PROXYD_BINARY, "--version"}).status == 0);
}

TEST_CASE("proxyd --daemon detaches, writes the daemon's pid and serves until SIGTERM") {
    TempDir dir;
    HttpServer http;
    auto port = free_port();
    auto pidfile = dir.file("proxyd.pid");
    auto cfg = dir.write("d.cfg", "pidfile " + pidfile + "\nauth iponly\nallow *\nsocks -p" +
                                      std::to_string(port) + " -i127.0.0.1\n");
    auto r = run({PROXYD_BINARY, "--daemon", "--workers", "1", cfg});
    CHECK(r.status == 0);
    REQUIRE(wait_for_port(port, 5s));
    // The listeners are bound (and may accept) a moment before the pidfile is written.
    std::string pid_text;
    for (int i = 0; i < 500 && pid_text.empty(); ++i) {
        pid_text = read_file(pidfile);
        if (pid_text.empty()) std::this_thread::sleep_for(10ms);
    }
    REQUIRE_FALSE(pid_text.empty());
    pid_t pid = std::stoi(pid_text);
    CHECK(::kill(pid, 0) == 0);
    auto c = curl({"--socks5", "127.0.0.1:" + std::to_string(port),
                   "http://127.0.0.1:" + std::to_string(http.port()) + "/d"});
    CHECK(c.body == "hello /d\n");
    ::kill(pid, SIGTERM);
    bool gone = false;
    for (int i = 0; i < 300 && !gone; ++i) {
        gone = ::access(pidfile.c_str(), F_OK) != 0;
        std::this_thread::sleep_for(10ms);
    }
    CHECK(gone);
}
