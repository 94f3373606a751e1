// smtpp: AUTH LOGIN / AUTH PLAIN as name@host, the login replayed to the server, -h
// default hosts without AUTH, refusals and the log line.
#include <algorithm>
#include <memory>

#include <catch2/catch.hpp>

#include "harness.hpp"
#include "line_server.hpp"

using namespace harness;

namespace {

const std::string kGreeting = "220 Proxy\r\n";
const std::string kEhlo = "250-Proxy\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 DSN\r\n";

std::string b64(const std::string& in) {
    static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < in.size(); i += 3) {
        std::uint32_t n = static_cast<std::uint8_t>(in[i]) << 16;
        if (i + 1 < in.size()) n |= static_cast<std::uint8_t>(in[i + 1]) << 8;
        if (i + 2 < in.size()) n |= static_cast<std::uint8_t>(in[i + 2]);
        out += table[(n >> 18) & 63];
        out += table[(n >> 12) & 63];
        out += i + 1 < in.size() ? table[(n >> 6) & 63] : '=';
        out += i + 2 < in.size() ? table[n & 63] : '=';
    }
    return out;
}

// An SMTP server that offers AUTH LOGIN and/or PLAIN and accepts any login.
LineServer::Script smtp_script(bool offer_login) {
    auto auth_lines = std::make_shared<int>(0);  // AUTH exchange lines still expected
    return [auth_lines, offer_login](const std::string& line, int) -> LineServer::Answer {
        if (*auth_lines > 0) {
            --*auth_lines;
            if (*auth_lines == 0) return {"235 ok\r\n"};
            return {"334 UGFzc3dvcmQ6\r\n"};
        }
        if (line.rfind("EHLO ", 0) == 0)
            return {std::string("250-fake\r\n250-AUTH ") + (offer_login ? "LOGIN " : "") +
                    "PLAIN\r\n250 OK\r\n"};
        if (line == "AUTH LOGIN") {
            *auth_lines = 2;
            return {"334 VXNlcm5hbWU6\r\n"};
        }
        if (line == "AUTH PLAIN") {
            *auth_lines = 1;
            return {"334 \r\n"};
        }
        if (line.rfind("MAIL FROM:", 0) == 0) return {"250 ok\r\n"};
        if (line == "QUIT") return {"221 bye\r\n", true};
        return {"500 what\r\n"};
    };
}

struct SmtpSetup {
    TempDir dir;
    LineServer server;
    std::uint16_t port = free_port();
    std::string log = dir.file("access.log");
    std::optional<Proxyd> proxyd;

    explicit SmtpSetup(const std::string& policy, const std::string& options = "",
                       bool offer_login = true)
        : server("220 fake ESMTP\r\n", smtp_script(offer_login)) {
        proxyd.emplace(dir,
                       "log " + log + "\nlogformat \"L%N %E %U %C %R:%r %T\"\n" + policy +
                           "smtpp -p" + std::to_string(port) + " -i127.0.0.1" + options + "\n",
                       std::vector<std::uint16_t>{port});
    }
    std::string target() const { return "127.0.0.1:" + std::to_string(server.port()); }
};

}  // namespace

TEST_CASE("smtpp AUTH LOGIN as name@host logs in to that server as name") {
    SmtpSetup s("auth iponly\nallow *\n");
    {
        Client c(s.port);
        REQUIRE(c.read(kGreeting.size()) == kGreeting);
        REQUIRE(c.send("EHLO client\r\n"));
        CHECK(c.read(kEhlo.size()) == kEhlo);
        REQUIRE(c.send("AUTH LOGIN\r\n"));
        CHECK(c.read(18) == "334 VXNlcm5hbWU6\r\n");
        REQUIRE(c.send(b64("bob@" + s.target()) + "\r\n"));
        CHECK(c.read(18) == "334 UGFzc3dvcmQ6\r\n");
        REQUIRE(c.send(b64("secret") + "\r\n"));
        CHECK(c.read(8) == "235 ok\r\n");  // the server's verdict
        REQUIRE(c.send("MAIL FROM:<bob@example.org>\r\nQUIT\r\n"));
        CHECK(c.read(17) == "250 ok\r\n221 bye\r\n");
        std::string tail;
        CHECK(c.read_until_close(tail));
    }
    CHECK(s.server.lines(6) == std::vector<std::string>{"EHLO [127.0.0.1]", "AUTH LOGIN",
                                                        b64("bob"), b64("secret"),
                                                        "MAIL FROM:<bob@example.org>", "QUIT"});
    auto lines = wait_for_lines(s.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "SMTPP 0 - 127.0.0.1 " + s.target() + " bob@" + s.target());
}

TEST_CASE("smtpp AUTH PLAIN with an initial response uses the server's AUTH PLAIN") {
    SmtpSetup s("auth iponly\nallow *\n", "", false);
    Client c(s.port);
    REQUIRE(c.read(kGreeting.size()) == kGreeting);
    REQUIRE(c.send("AUTH PLAIN " +
                   b64(std::string("\0bob@", 5) + s.target() + std::string("\0secret", 7)) +
                   "\r\n"));
    CHECK(c.read(8) == "235 ok\r\n");
    CHECK(s.server.lines(3) == std::vector<std::string>{"EHLO [127.0.0.1]", "AUTH PLAIN",
                                                        b64(std::string("\0bob\0secret", 11))});
}

TEST_CASE("smtpp with -h passes a client that skips AUTH to the default server") {
    LineServer server("220 fake ESMTP\r\n", smtp_script(true));
    SmtpSetup s("auth iponly\nallow *\n", " -h127.0.0.1:" + std::to_string(server.port()));
    Client c(s.port);
    REQUIRE(c.read(kGreeting.size()) == kGreeting);
    REQUIRE(c.send("HELO client\r\n"));
    CHECK(c.read(11) == "250 Proxy\r\n");
    REQUIRE(c.send("MAIL FROM:<a@example.org>\r\n"));
    CHECK(c.read(8) == "250 ok\r\n");
    CHECK(server.lines(2) ==
          std::vector<std::string>{"EHLO [127.0.0.1]", "MAIL FROM:<a@example.org>"});
}

TEST_CASE("smtpp without -h wants AUTH first and refuses bad logins") {
    SmtpSetup s("users alice:CL:apw\nauth strong\nallow alice\n");
    {
        Client c(s.port);
        REQUIRE(c.read(kGreeting.size()) == kGreeting);
        REQUIRE(c.send("MAIL FROM:<a@example.org>\r\nQUIT\r\n"));
        std::string got;
        CHECK(c.read_until_close(got));
        CHECK(got == "571 need AUTH first\r\n221 Proxy\r\n");
    }
    {
        Client c(s.port);
        REQUIRE(c.read(kGreeting.size()) == kGreeting);
        REQUIRE(
            c.send("AUTH PLAIN " +
                   b64(std::string("\0alice:wrong:bob@", 17) + s.target() + std::string("\0x", 2)) +
                   "\r\n"));
        std::string got;
        CHECK(c.read_until_close(got));
        CHECK(got == "571 access denied\r\n");
    }
    {
        Client c(s.port);
        REQUIRE(c.read(kGreeting.size()) == kGreeting);
        REQUIRE(
            c.send("AUTH PLAIN " +
                   b64(std::string("\0alice:apw:bob@", 15) + s.target() + std::string("\0x", 2)) +
                   "\r\n"));
        CHECK(c.read(8) == "235 ok\r\n");
    }
    CHECK(s.server.connections() == 1);
    auto lines = wait_for_lines(s.log, 2);
    REQUIRE(lines.size() >= 2);
    CHECK(std::count(lines.begin(), lines.end(),
                     "SMTPP 6 alice 127.0.0.1 " + s.target() + " bob@" + s.target()) == 1);
}
