// pop3p: USER name@host logins, the login replayed to the server named in it, -h default
// hosts, delimchar, proxy credentials and ACLs, the log line and reload re-checks.
#include <algorithm>

#include <catch2/catch.hpp>

#include "harness.hpp"
#include "line_server.hpp"

using namespace harness;

namespace {

const std::string kGreeting = "+OK Proxy\r\n";

// A POP3 server that accepts any login and says goodbye to QUIT.
LineServer::Answer pop3_script(const std::string& line, int) {
    if (line.rfind("USER ", 0) == 0) return {"+OK send PASS\r\n"};
    if (line.rfind("PASS ", 0) == 0) return {"+OK logged in\r\n"};
    if (line == "QUIT") return {"+OK bye\r\n", true};
    return {"-ERR unknown\r\n"};
}

struct Pop3Setup {
    TempDir dir;
    LineServer server{"+OK fake POP3 ready\r\n", pop3_script};
    std::uint16_t port = free_port();
    std::string log = dir.file("access.log");
    std::optional<Proxyd> proxyd;

    explicit Pop3Setup(const std::string& policy, const std::string& options = "") {
        proxyd.emplace(dir, config(policy, options), std::vector<std::uint16_t>{port});
    }
    std::string config(const std::string& policy, const std::string& options = "") const {
        return "log " + log + "\nlogformat \"L%N %E %U %C %R:%r %I %O %T\"\n" + policy +
               "pop3p -p" + std::to_string(port) + " -i127.0.0.1" + options + "\n";
    }
    std::string target() const { return "127.0.0.1:" + std::to_string(server.port()); }
};

// Logs in through the proxy with `login`; true when the server's answer to USER came back.
bool login(Client& c, const std::string& user_argument) {
    if (c.read(kGreeting.size()) != kGreeting) return false;
    if (!c.send("USER " + user_argument + "\r\n")) return false;
    return c.read(15) == "+OK send PASS\r\n";
}

}  // namespace

TEST_CASE("pop3p logs in to the server named in USER and relays the session") {
    Pop3Setup s("auth iponly\nallow *\n");
    {
        Client c(s.port);
        REQUIRE(login(c, "bob@" + s.target()));
        REQUIRE(c.send("PASS secret\r\n"));
        CHECK(c.read(15) == "+OK logged in\r\n");
        REQUIRE(c.send("QUIT\r\n"));
        CHECK(c.read(9) == "+OK bye\r\n");
        std::string rest;
        CHECK(c.read_until_close(rest));
    }
    // The server saw the login without the host, and the password as the client sent it.
    CHECK(s.server.lines(3) == std::vector<std::string>{"USER bob", "PASS secret", "QUIT"});
    auto lines = wait_for_lines(s.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "POP3P 0 - 127.0.0.1 " + s.target() + " 39 29 bob@" + s.target());
}

TEST_CASE("pop3p answers commands before USER and QUIT without a server") {
    Pop3Setup s("auth iponly\nallow *\n");
    Client c(s.port);
    REQUIRE(c.read(kGreeting.size()) == kGreeting);
    REQUIRE(c.send("CAPA\r\nQUIT\r\n"));
    std::string got;
    CHECK(c.read_until_close(got));
    CHECK(got == "-ERR need USER first\r\n+OK\r\n");
    CHECK(s.server.connections() == 0);
}

TEST_CASE("pop3p without a host in USER uses -h or refuses the login") {
    SECTION("-h names the default server") {
        LineServer server{"+OK fake\r\n", pop3_script};
        Pop3Setup s("auth iponly\nallow *\n", " -h127.0.0.1:" + std::to_string(server.port()));
        Client c(s.port);
        REQUIRE(c.read(kGreeting.size()) == kGreeting);
        REQUIRE(c.send("USER carol\r\n"));
        CHECK(c.read(15) == "+OK send PASS\r\n");
        CHECK(server.lines(1) == std::vector<std::string>{"USER carol"});
    }
    SECTION("no -h: the login is refused") {
        Pop3Setup s("auth iponly\nallow *\n");
        {
            Client c(s.port);
            REQUIRE(c.read(kGreeting.size()) == kGreeting);
            REQUIRE(c.send("USER carol\r\n"));
            std::string got;
            CHECK(c.read_until_close(got));
            CHECK(got == "-ERR login names no host (USER@HOST)\r\n");
        }
        auto lines = wait_for_lines(s.log, 1);
        REQUIRE(lines.size() == 1);
        CHECK_THAT(lines[0], Catch::StartsWith("POP3P 20 - 127.0.0.1"));
    }
}

TEST_CASE("pop3p splits the login at the delimchar") {
    Pop3Setup s("delimchar #\nauth iponly\nallow *\n");
    Client c(s.port);
    REQUIRE(login(c, "bob@example.org#" + s.target()));
    CHECK(s.server.lines(1) == std::vector<std::string>{"USER bob@example.org"});
}

TEST_CASE("pop3p takes proxy credentials from USER user:password:login@host") {
    Pop3Setup s("users alice:CL:apw\nauth strong\nallow alice\n");
    SECTION("the right password logs in as the user") {
        {
            Client c(s.port);
            REQUIRE(login(c, "alice:apw:bob@" + s.target()));
            CHECK(s.server.lines(1) == std::vector<std::string>{"USER bob"});
            c.send("QUIT\r\n");
            CHECK(c.read(9) == "+OK bye\r\n");
        }
        auto lines = wait_for_lines(s.log, 1);
        REQUIRE(lines.size() == 1);
        CHECK_THAT(lines[0], Catch::StartsWith("POP3P 0 alice 127.0.0.1 " + s.target()));
    }
    SECTION("a wrong password, or none, is refused before any server is contacted") {
        for (std::string user : {"alice:wrong:bob@", "bob@"}) {
            Client c(s.port);
            REQUIRE(c.read(kGreeting.size()) == kGreeting);
            REQUIRE(c.send("USER " + user + s.target() + "\r\n"));
            std::string got;
            CHECK(c.read_until_close(got));
            CHECK(got == "-ERR access denied\r\n");
        }
        CHECK(s.server.connections() == 0);
        auto lines = wait_for_lines(s.log, 2);
        REQUIRE(lines.size() == 2);
        std::sort(lines.begin(), lines.end());
        CHECK_THAT(lines[0], Catch::StartsWith("POP3P 4 - "));
        CHECK_THAT(lines[1], Catch::StartsWith("POP3P 6 alice "));
    }
}

TEST_CASE("pop3p applies the ACL to the server and port named in the login") {
    LineServer allowed{"+OK fake\r\n", pop3_script};
    Pop3Setup s("auth iponly\nallow * * 127.0.0.1 " + std::to_string(allowed.port()) + "\n");
    {
        Client c(s.port);
        REQUIRE(c.read(kGreeting.size()) == kGreeting);
        REQUIRE(c.send("USER bob@" + s.target() + "\r\n"));
        std::string got;
        CHECK(c.read_until_close(got));
        CHECK(got == "-ERR access denied\r\n");
    }
    Client ok(s.port);
    REQUIRE(login(ok, "bob@127.0.0.1:" + std::to_string(allowed.port())));
    CHECK(s.server.connections() == 0);
    auto lines = wait_for_lines(s.log, 1);
    REQUIRE(!lines.empty());
    CHECK_THAT(lines[0], Catch::StartsWith("POP3P 3 - 127.0.0.1 " + s.target()));
}

TEST_CASE("pop3p refuses a server that greets as a proxy") {
    LineServer loop{"+OK Proxy\r\n", pop3_script};
    Pop3Setup s("auth iponly\nallow *\n");
    Client c(s.port);
    REQUIRE(c.read(kGreeting.size()) == kGreeting);
    REQUIRE(c.send("USER bob@127.0.0.1:" + std::to_string(loop.port()) + "\r\n"));
    std::string got;
    CHECK(c.read_until_close(got));
    CHECK(got == "-ERR bad server greeting\r\n");
    CHECK(loop.lines(1, std::chrono::milliseconds(200)).empty());
}

TEST_CASE("a reload closes the pop3p session of a removed user") {
    Pop3Setup s("users alice:CL:apw bob:CL:bpw\nauth strong\nallow alice,bob\n");
    Client alice(s.port);
    REQUIRE(login(alice, "alice:apw:a@" + s.target()));
    s.dir.write("proxyd.cfg", s.config("users bob:CL:bpw\nauth strong\nallow alice,bob\n"));
    REQUIRE(proxyctl(*s.proxyd, "reload").status == 0);
    std::string got;
    CHECK(alice.read_until_close(got, std::chrono::seconds(1)));
    auto lines = wait_for_lines(s.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::StartsWith("POP3P 96 alice 127.0.0.1 " + s.target()));
}
