// Hot reload through the control socket and signals: forced re-authentication of live
// sessions (docs/design.md, "Reload semantics"), refused configurations, SIGHUP, reload storms.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "harness.hpp"

using namespace harness;
using nlohmann::json;

namespace {

struct Policy {
    std::string users = "alice:CL:apw bob:CL:bpw";
    std::string acl = "allow alice,bob\n";
    std::string force = "force";
};

struct ReloadSetup {
    TempDir dir;
    EchoServer echo;
    std::uint16_t port = free_port();
    std::string log = dir.file("access.log");
    std::optional<Proxyd> proxyd;

    explicit ReloadSetup(const Policy& p = {}, std::vector<std::string> extra = {}) {
        proxyd.emplace(dir, config(p), std::vector<std::uint16_t>{port}, 2, std::move(extra));
    }
    std::string config(const Policy& p) const {
        return "log " + log + "\nlogformat \"L%N %E %U %C %e\"\nusers " + p.users +
               "\nauth strong\n" + p.acl + p.force + "\nsocks -p" + std::to_string(port) +
               " -i127.0.0.1\n";
    }
    void edit(const Policy& p) const { dir.write("proxyd.cfg", config(p)); }
    // An idle SOCKS5 session to the echo server, checked to relay.
    std::unique_ptr<Client> session(const std::string& user, const std::string& password) {
        auto c = std::make_unique<Client>(port);
        REQUIRE(socks5_connect(*c, user, password, echo.port()));
        REQUIRE(c->send("hi"));
        REQUIRE(c->read(2) == "hi");
        return c;
    }
    json status() {
        auto r = proxyctl(*proxyd, "status", {"--json"});
        REQUIRE(r.status == 0);
        return json::parse(r.out)["result"];
    }
    // Polls `proxyctl status` until the generation is `want` (signalled reloads).
    json wait_for_generation(std::uint64_t want) {
        for (int i = 0; i < 100; ++i) {
            json s = status();
            if (s.value("generation", 0u) >= want) return s;
            std::this_thread::sleep_for(20ms);
        }
        FAIL("generation " << want << " never came");
        return {};
    }
};

bool still_relays(Client& c) {
    return c.send("ping") && c.read(4) == "ping";
}

bool closed_within(Client& c, std::chrono::milliseconds limit) {
    std::string ignored;
    return c.read_until_close(ignored, limit);
}

json closed_sessions(const json& record) {
    return record.at("sessions").at("closed_sessions");
}

}  // namespace

TEST_CASE("reload closes the idle session of a removed user at once and keeps the others") {
    ReloadSetup s;
    auto alice = s.session("alice", "apw");
    auto bob = s.session("bob", "bpw");
    s.edit({.users = "alice:CL:apw"});
    auto r = proxyctl(*s.proxyd, "reload", {"--json"});
    REQUIRE(r.status == 0);
    CHECK(closed_within(*bob, 100ms));
    json record = json::parse(r.out)["result"];
    CHECK(record["result"] == "ok");
    CHECK(record["generation"] == 2);
    CHECK(record["trigger"] == "control");
    REQUIRE(closed_sessions(record).size() == 1);
    CHECK(closed_sessions(record)[0]["user"] == "bob");
    CHECK(closed_sessions(record)[0]["reason"] == "user removed");
    CHECK(record["sessions"]["checked"] == 2);
    CHECK(record["sessions"]["kept"] == 1);
    CHECK(record["listeners"]["kept"] == 1);
    CHECK(still_relays(*alice));
    // The closure is in the access log with its reason.
    auto lines = wait_for_lines(s.log, 1);
    REQUIRE(!lines.empty());
    CHECK_THAT(lines[0], Catch::Contains("96 bob") && Catch::Contains("user removed"));
}

TEST_CASE("SIGUSR1 re-checks live sessions like proxyctl reload") {
    ReloadSetup s;
    auto alice = s.session("alice", "apw");
    auto bob = s.session("bob", "bpw");
    s.edit({.users = "alice:CL:apw"});
    ::kill(s.proxyd->process().pid(), SIGUSR1);
    json st = s.wait_for_generation(2);
    CHECK(closed_within(*bob, 100ms));
    CHECK(st["last_reload"]["trigger"] == "usr1");
    CHECK(closed_sessions(st["last_reload"])[0]["reason"] == "user removed");
    CHECK(still_relays(*alice));
}

TEST_CASE("sessions on a noforce service survive the removal of their user") {
    ReloadSetup s({.force = "noforce"});
    auto bob = s.session("bob", "bpw");
    s.edit({.users = "alice:CL:apw", .force = "noforce"});
    auto r = proxyctl(*s.proxyd, "reload", {"--json"});
    REQUIRE(r.status == 0);
    CHECK(json::parse(r.out)["result"]["sessions"]["closed"] == 0);
    CHECK(still_relays(*bob));
    // New connections get the new policy.
    Client again(s.port);
    CHECK_FALSE(socks5_connect(again, "bob", "bpw", s.echo.port()));
}

TEST_CASE("a changed password and a tightened ACL close the sessions they no longer allow") {
    ReloadSetup s;
    auto alice = s.session("alice", "apw");
    auto bob = s.session("bob", "bpw");
    s.edit({.users = "alice:CL:apw bob:CL:changed"});
    auto r = proxyctl(*s.proxyd, "reload", {"--json"});
    REQUIRE(r.status == 0);
    CHECK(closed_within(*bob, 100ms));
    CHECK(closed_sessions(json::parse(r.out)["result"])[0]["reason"] == "password changed");

    auto bob2 = s.session("bob", "changed");
    s.edit({.users = "alice:CL:apw bob:CL:changed", .acl = "allow alice\ndeny *\n"});
    r = proxyctl(*s.proxyd, "reload", {"--json"});
    REQUIRE(r.status == 0);
    CHECK(closed_within(*bob2, 100ms));
    CHECK(closed_sessions(json::parse(r.out)["result"])[0]["reason"] == "ACL now denies");
    CHECK(still_relays(*alice));
}

TEST_CASE(
    "a broken configuration is refused whole: diagnostics, same generation, service goes on") {
    ReloadSetup s;
    auto bob = s.session("bob", "bpw");
    s.dir.write("proxyd.cfg", "users alice:CL:apw\nfrobnicate 1\n");
    auto r = proxyctl(*s.proxyd, "reload");
    CHECK(r.status == 1);
    CHECK_THAT(r.err + r.out, Catch::Contains("PX001") && Catch::Contains("frobnicate"));
    json st = s.status();
    CHECK(st["generation"] == 1);
    CHECK(st["last_reload"]["result"] == "failed");
    CHECK(still_relays(*bob));
    auto fresh = s.session("bob", "bpw");  // new connections still accepted, old policy
    CHECK(still_relays(*fresh));
}

TEST_CASE("SIGUSR1 after the configuration file was removed is refused and proxyd serves on") {
    ReloadSetup s;
    auto bob = s.session("bob", "bpw");
    REQUIRE(std::remove(s.dir.file("proxyd.cfg").c_str()) == 0);
    ::kill(s.proxyd->process().pid(), SIGUSR1);
    for (int i = 0; i < 100 && !s.status()["last_reload"].is_object(); ++i)
        std::this_thread::sleep_for(20ms);
    json st = s.status();
    REQUIRE(st["last_reload"].is_object());
    CHECK(st["last_reload"]["trigger"] == "usr1");
    CHECK(st["last_reload"]["result"] == "failed");
    CHECK(st["generation"] == 1);
    // The diagnostic names the file and has no position: null, never 0.
    const json& d = st["last_reload"]["diagnostics"].at(0);
    CHECK(d["file"] == s.dir.file("proxyd.cfg"));
    CHECK(d["line"].is_null());
    CHECK(still_relays(*bob));
    auto fresh = s.session("alice", "apw");
    CHECK(still_relays(*fresh));
}

TEST_CASE("a session whose handshake spans a re-checking reload is held to the new policy") {
    ReloadSetup s;
    // bob authenticates under generation 1 but sends his CONNECT only after the reload
    // that removed him: he was not live at the reload, so the re-check happens now.
    Client bob(s.port);
    REQUIRE(bob.send(std::string("\x05\x01\x02", 3)));
    REQUIRE(bob.read(2) == std::string("\x05\x02", 2));
    REQUIRE(bob.send(std::string("\x01\x03") + "bob" + "\x03" + "bpw"));
    REQUIRE(bob.read(2) == std::string("\x01\x00", 2));
    Client alice(s.port);  // the same, for a user the reload keeps
    REQUIRE(alice.send(std::string("\x05\x01\x02", 3)));
    REQUIRE(alice.read(2) == std::string("\x05\x02", 2));
    REQUIRE(alice.send(std::string("\x01\x05") + "alice" + "\x03" + "apw"));
    REQUIRE(alice.read(2) == std::string("\x01\x00", 2));

    s.edit({.users = "alice:CL:apw"});
    REQUIRE(proxyctl(*s.proxyd, "reload").status == 0);
    std::string connect("\x05\x01\x00\x01\x7f\x00\x00\x01", 8);
    connect += static_cast<char>(s.echo.port() >> 8);
    connect += static_cast<char>(s.echo.port() & 0xff);
    REQUIRE(bob.send(connect));
    std::string refused = bob.read(10);
    REQUIRE(refused.size() == 10);
    CHECK(refused[1] == 0x02);  // connection not allowed by ruleset
    REQUIRE(alice.send(connect));
    std::string granted = alice.read(10);
    REQUIRE(granted.size() == 10);
    CHECK(granted[1] == 0x00);
    CHECK(still_relays(alice));
}

TEST_CASE("a reload that changes nserver sends the next lookups to the new server") {
    TempDir dir;
    HttpServer http;
    DnsServer before, after;
    auto port = free_port();
    auto config = [&](const DnsServer& dns) {
        return "nserver 127.0.0.1:" + std::to_string(dns.port()) +
               "\nauth iponly\nallow *\nsocks -p" + std::to_string(port) + " -i127.0.0.1\n";
    };
    Proxyd p(dir, config(before), {port});
    auto fetch = [&] {
        return curl({"--socks5-hostname", "127.0.0.1:" + std::to_string(port),
                     "http://reload.test:" + std::to_string(http.port()) + "/n"})
            .body;
    };
    CHECK(fetch() == "hello /n\n");
    CHECK(before.answered() == 1);
    dir.write("proxyd.cfg", config(after));
    REQUIRE(proxyctl(p, "reload").status == 0);
    CHECK(fetch() == "hello /n\n");
    CHECK(after.answered() == 1);
    CHECK(before.answered() == 1);
}

TEST_CASE("after a SIGHUP, check warns about force sessions of an older generation only") {
    auto check_after_hup = [](const std::string& force) {
        ReloadSetup s({.force = force});
        auto bob = s.session("bob", "bpw");
        s.edit({.users = "alice:CL:apw bob:CL:bpw carol:CL:cpw", .force = force});
        ::kill(s.proxyd->process().pid(), SIGHUP);
        s.wait_for_generation(2);
        return run({PROXYCTL_BINARY, "check", "--socket", s.proxyd->control_path,
                    s.proxyd->config_path})
            .out;
    };
    CHECK_THAT(check_after_hup("force"), Catch::Contains("PX402") &&
                                             Catch::Contains("generation 1") &&
                                             Catch::Contains("proxyctl reload"));
    // noforce sessions are never re-checked: nothing to warn about.
    CHECK_THAT(check_after_hup("noforce"), !Catch::Contains("PX402"));
}

TEST_CASE("SIGHUP loads new settings for new connections only and reopens the log") {
    ReloadSetup s;
    auto bob = s.session("bob", "bpw");
    s.session("alice", "apw").reset();  // one log line in the first file
    wait_for_lines(s.log, 1);
    std::rename(s.log.c_str(), (s.log + ".1").c_str());
    s.edit({.users = "alice:CL:apw"});
    ::kill(s.proxyd->process().pid(), SIGHUP);
    json st = s.wait_for_generation(2);
    CHECK(st["last_reload"]["trigger"] == "hup");
    CHECK(st["last_reload"]["sessions"]["checked"] == 0);
    CHECK(s.proxyd->process().wait(0ms) == std::nullopt);
    CHECK(still_relays(*bob));  // admitted under generation 1, not re-checked
    s.session("alice", "apw").reset();
    auto lines = wait_for_lines(s.log, 1);
    REQUIRE(lines.size() == 1);  // the new file
    CHECK_THAT(lines[0], Catch::Contains("alice"));
}

TEST_CASE("SIGHUP with a refused configuration still reopens the log for logrotate") {
    ReloadSetup s;
    auto alice = s.session("alice", "apw");
    std::rename(s.log.c_str(), (s.log + ".1").c_str());
    s.dir.write("proxyd.cfg", "users alice:CL:apw\nauth strong\nallow alice\nsocks -p\n");
    ::kill(s.proxyd->process().pid(), SIGHUP);
    for (int i = 0; i < 100 && !s.status()["last_reload"].is_object(); ++i)
        std::this_thread::sleep_for(20ms);
    json st = s.status();
    CHECK(st["last_reload"]["result"] == "failed");
    CHECK(st["generation"] == 1);
    alice.reset();  // its log line goes to the new file
    auto lines = wait_for_lines(s.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::Contains("alice"));
}

TEST_CASE("a reload storm refuses no connection and leaks no descriptor") {
    ReloadSetup s;
    auto pid = s.proxyd->process().pid();
    auto one_round = [&] {
        Client c(s.port);
        return socks5_connect(c, "alice", "apw", s.echo.port()) && still_relays(c);
    };
    for (int i = 0; i < 20; ++i) REQUIRE(one_round());  // warm the pipe pool
    std::this_thread::sleep_for(200ms);
    auto fds_before = open_fds(pid);

    std::atomic<bool> stop{false};
    std::atomic<int> ok{0}, failed{0};
    std::thread load([&] {
        for (int i = 0; i < 100000 && !stop; ++i) (one_round() ? ok : failed)++;
    });
    // A reload every 100 ms, counted rather than timed: a busy machine takes longer
    // for the same storm instead of failing it.
    int reloads = 0;
    auto give_up = std::chrono::steady_clock::now() + 60s;
    for (int i = 0; i < 30 && std::chrono::steady_clock::now() < give_up; ++i) {
        if (proxyctl(*s.proxyd, "reload").status == 0) ++reloads;
        std::this_thread::sleep_for(100ms);
    }
    stop = true;
    load.join();
    CHECK(failed == 0);
    CHECK(ok > 50);
    CHECK(reloads == 30);
    std::this_thread::sleep_for(300ms);
    CHECK(open_fds(pid) <= fds_before);
}

TEST_CASE("proxyctl check reports an edited file until it is reloaded") {
    ReloadSetup s;
    auto check = [&] {
        return run(
            {PROXYCTL_BINARY, "check", "--socket", s.proxyd->control_path, s.proxyd->config_path});
    };
    CHECK_THAT(check().out, !Catch::Contains("PX401"));
    s.edit({.users = "alice:CL:apw"});
    auto r = check();
    CHECK_THAT(r.out, Catch::Contains("PX401") && Catch::Contains(s.proxyd->config_path));
    REQUIRE(proxyctl(*s.proxyd, "reload").status == 0);
    CHECK_THAT(check().out, !Catch::Contains("PX401"));
}

TEST_CASE(
    "proxyctl diff: 0 when in sync, 1 after an edit, with the sessions a reload would close") {
    ReloadSetup s;
    auto bob = s.session("bob", "bpw");
    CHECK(proxyctl(*s.proxyd, "diff").status == 0);
    s.edit({.users = "alice:CL:apw"});
    auto r = proxyctl(*s.proxyd, "diff", {"--json"});
    CHECK(r.status == 1);
    json d = json::parse(r.out)["result"];
    REQUIRE(d["impact"].size() == 1);
    CHECK(d["impact"][0]["user"] == "bob");
    CHECK(d["impact"][0]["reason"] == "user removed");
    CHECK(still_relays(*bob));  // diff changes nothing

    auto dry = proxyctl(*s.proxyd, "reload", {"--dry-run", "--json"});
    CHECK(dry.status == 0);
    CHECK(json::parse(dry.out)["result"]["result"] == "dry_run");
    CHECK(json::parse(dry.out)["result"]["sessions"]["closed"] == 1);
    CHECK(still_relays(*bob));
    CHECK(s.status()["generation"] == 1);
}

TEST_CASE("sessions lists live sessions with filters and kill closes one by id") {
    ReloadSetup s;
    auto alice = s.session("alice", "apw");
    auto bob = s.session("bob", "bpw");
    auto r = proxyctl(*s.proxyd, "sessions", {"--user", "bob", "--json"});
    REQUIRE(r.status == 0);
    json list = json::parse(r.out)["result"]["sessions"];
    REQUIRE(list.size() == 1);
    CHECK(list[0]["user"] == "bob");
    auto id = list[0]["id"].get<std::uint64_t>();
    auto k = proxyctl(*s.proxyd, "kill", {std::to_string(id), "12345"});
    CHECK(k.status == 1);  // 12345 is not found
    CHECK_THAT(k.out, Catch::Contains("killed " + std::to_string(id)));
    CHECK(closed_within(*bob, 500ms));
    CHECK(still_relays(*alice));
    json st = s.status();
    CHECK(st["sessions_total"] == 1);
}

TEST_CASE("a monitored file edited several times gives one reload") {
    TempDir dir;
    EchoServer echo;
    std::uint16_t port = free_port();
    std::string users = dir.write("users.txt", "users alice:CL:apw bob:CL:bpw\n");
    Proxyd p(dir,
             "monitor " + users + "\n$" + users + "\nauth strong\nallow *\nsocks -p" +
                 std::to_string(port) + " -i127.0.0.1\n",
             {port});
    Client bob(port);
    REQUIRE(socks5_connect(bob, "bob", "bpw", echo.port()));
    for (int i = 0; i < 3; ++i) {
        dir.write("users.txt", "users alice:CL:apw\n");
        std::this_thread::sleep_for(30ms);
    }
    for (int i = 0; i < 100; ++i) {
        auto r = proxyctl(p, "status", {"--json"});
        if (json::parse(r.out)["result"].value("generation", 0) >= 2) break;
        std::this_thread::sleep_for(30ms);
    }
    std::this_thread::sleep_for(400ms);  // a second reload would come within this
    json st = json::parse(proxyctl(p, "status", {"--json"}).out)["result"];
    CHECK(st["generation"] == 2);
    CHECK(st["last_reload"]["trigger"] == "monitor");
    CHECK(closed_within(bob, 100ms));
}

TEST_CASE("with NOTIFY_SOCKET, proxyd tells systemd it is ready, reloading and stopping") {
    // An abstract datagram socket stands in for systemd.
    std::string name = "@proxyd-notify-test-" + std::to_string(::getpid());
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name.data(), name.size());
    addr.sun_path[0] = '\0';
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr),
                   static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size())) == 0);
    auto next_message = [fd] {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 3000) <= 0) return std::string("(nothing)");
        char buf[512];
        auto n = ::recv(fd, buf, sizeof buf, 0);
        return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
    };
    ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
    ReloadSetup s;
    ::unsetenv("NOTIFY_SOCKET");
    CHECK(next_message() == "READY=1");
    REQUIRE(proxyctl(*s.proxyd, "reload").status == 0);
    CHECK_THAT(next_message(), Catch::StartsWith("RELOADING=1\nMONOTONIC_USEC="));
    CHECK(next_message() == "READY=1");
    s.proxyd->process().signal_and_wait(SIGTERM, 3s);
    CHECK(next_message() == "STOPPING=1");
    ::close(fd);
}

TEST_CASE("the control socket answers bad requests with errors and drops stalled clients") {
    ReloadSetup s({}, {"--control-timeout", "300"});
    auto connect_control = [&] {
        int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strcpy(addr.sun_path, s.proxyd->control_path.c_str());
        REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        return fd;
    };
    auto read_line = [](int fd, std::chrono::milliseconds timeout = 3s) {
        std::string out;
        char c;
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            if (::read(fd, &c, 1) != 1) return out + "(closed)";
            if (c == '\n') return out;
            out += c;
        }
        return out + "(timeout)";
    };
    auto code_of = [](const std::string& line) {
        auto j = json::parse(line, nullptr, false);
        return j.is_object() && j.contains("error") && j["error"].is_object()
                   ? j["error"].value("code", "")
                   : line;
    };
    int fd = connect_control();
    auto send = [fd](const std::string& text) {
        return ::send(fd, text.data(), text.size(), MSG_NOSIGNAL) ==
               static_cast<ssize_t>(text.size());
    };
    REQUIRE(send("this is not json\n"));
    CHECK(code_of(read_line(fd)) == "bad_json");
    REQUIRE(send("{\"command\":\"launch\"}\n"));
    CHECK(code_of(read_line(fd)) == "unknown_command");
    REQUIRE(send("{\"command\":\"status\"}\n"));  // the same connection still works
    CHECK(json::parse(read_line(fd))["ok"] == true);
    send(std::string(70 * 1024, 'x'));
    CHECK(code_of(read_line(fd)) == "request_too_large");
    CHECK(read_line(fd) == "(closed)");
    ::close(fd);

    int stalled = connect_control();
    ::send(stalled, "{\"command\":", 11, MSG_NOSIGNAL);
    auto t0 = std::chrono::steady_clock::now();
    CHECK(read_line(stalled) == "(closed)");
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
    ::close(stalled);

    if (::geteuid() == 0) {
        // A peer that is neither root nor proxyd's uid is refused by SO_PEERCRED even when
        // the file mode would let it in.
        ::chmod(s.dir.path().c_str(), 0711);
        ::chmod(s.proxyd->control_path.c_str(), 0666);
        int pipefd[2];
        REQUIRE(::pipe(pipefd) == 0);
        pid_t child = ::fork();
        if (child == 0) {
            if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(2);
            int c = ::socket(AF_UNIX, SOCK_STREAM, 0);
            sockaddr_un addr{};
            addr.sun_family = AF_UNIX;
            std::strcpy(addr.sun_path, s.proxyd->control_path.c_str());
            if (::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) ::_exit(3);
            ::send(c, "{\"command\":\"status\"}\n", 21, MSG_NOSIGNAL);
            char buf[512];
            auto n = ::recv(c, buf, sizeof buf, 0);
            if (n > 0) [[maybe_unused]]
                auto w = ::write(pipefd[1], buf, static_cast<std::size_t>(n));
            ::_exit(0);
        }
        ::close(pipefd[1]);
        std::string reply = read_line(pipefd[0]);
        ::close(pipefd[0]);
        int st = 0;
        ::waitpid(child, &st, 0);
        INFO("child status " << st);
        CHECK(code_of(reply) == "forbidden");
        CHECK_THAT(s.proxyd->stderr_text(), Catch::Contains("control: refused uid 65534"));
    }
    CHECK(s.status()["generation"] == 1);  // the daemon is unaffected
}
