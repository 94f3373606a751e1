// How proxyd says no: a refused reload in the journal, the HTTP proxy's error bodies, and
// SOCKS refusals that name their real cause.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "harness.hpp"

using namespace harness;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

std::size_t index_of(const std::vector<std::string>& lines, const std::string& prefix) {
    for (std::size_t i = 0; i < lines.size(); ++i)
        if (lines[i].rfind(prefix, 0) == 0) return i;
    return lines.size();
}

// An HTTP proxy on 127.0.0.1 that may reach 127.0.0.1 except `denied_port`, with a
// 1 s connect timeout and an nserver nobody answers (a lookup fails at once).
struct HttpSetup {
    TempDir dir;
    std::uint16_t port = free_port();
    std::uint16_t denied_port = free_port();
    std::uint16_t dns = free_port();
    std::string log = dir.file("access.log");
    std::optional<Proxyd> proxyd;

    HttpSetup() {
        proxyd.emplace(dir,
                       "log " + log +
                           "\nlogformat \"L%N %E %e\"\nnserver 127.0.0.1:" + std::to_string(dns) +
                           "\ntimeouts 1 5 30 60 180 1800 2 60 1 5\nauth iponly\n"
                           "deny * * * " +
                           std::to_string(denied_port) + "\nallow *\nproxy -p" +
                           std::to_string(port) + " -i127.0.0.1\n",
                       std::vector<std::uint16_t>{port});
    }
    CurlResult get(const std::string& url) {
        return curl({"-x", "127.0.0.1:" + std::to_string(port), url});
    }
};

}  // namespace

TEST_CASE("a refused reload logs its reason first, then errors, warnings and infos by severity") {
    TempDir dir;
    auto port = free_port();
    Proxyd p(dir, "auth iponly\nallow *\nsocks -p" + std::to_string(port) + " -i127.0.0.1\n",
             std::vector<std::uint16_t>{port});
    // A warning (nsrecord above nscache) above the error (an unknown directive).
    dir.write("proxyd.cfg",
              "nsrecord a.test 127.0.0.1\nnscache 256\nauth iponly\nallow *\n"
              "socks -p" +
                  std::to_string(port) + " -i127.0.0.1\nfrobnicate 1\n");
    auto r = proxyctl(p, "reload");
    CHECK(r.status == 1);
    auto lines = lines_of(p.stderr_text());
    INFO(p.stderr_text());
    std::size_t head = index_of(lines, "proxyd: reload (control) refused: 1 error in ");
    REQUIRE(head < lines.size());
    CHECK_THAT(lines[head], Catch::Contains(dir.file("proxyd.cfg")) &&
                                Catch::EndsWith("; running configuration kept (generation 1)"));
    std::size_t error = index_of(lines, "proxyd: error: ");
    std::size_t warning = index_of(lines, "proxyd: warning: ");
    REQUIRE(error < lines.size());
    REQUIRE(warning < lines.size());
    CHECK(head + 1 == error);
    CHECK(error < warning);
    CHECK_THAT(lines[error], Catch::Contains("proxyd.cfg:6: ") && Catch::Contains("frobnicate") &&
                                 Catch::EndsWith("[PX001]"));
    CHECK_THAT(lines[warning], Catch::Contains("proxyd.cfg:1: ") && Catch::EndsWith("[PX112]"));
}

TEST_CASE("the HTTP proxy's error responses say the cause in a short text body") {
    HttpSetup s;
    SECTION("nothing listens at the target: 502, connection refused") {
        auto closed = free_port();
        auto r = s.get("http://127.0.0.1:" + std::to_string(closed) + "/");
        CHECK(r.http_code == "502");
        CHECK_THAT(r.body, Catch::StartsWith("502 Bad Gateway\n") &&
                               Catch::Contains("127.0.0.1:" + std::to_string(closed)) &&
                               Catch::Contains("Connection refused"));
    }
    SECTION("a name that does not resolve: 502, the name and the failure") {
        auto r = s.get("http://nowhere.invalid/");
        CHECK(r.http_code == "502");
        CHECK_THAT(r.body, Catch::StartsWith("502 Bad Gateway\n") &&
                               Catch::Contains("cannot resolve nowhere.invalid"));
    }
    SECTION("a target that never answers the connect: 504, timed out") {
        // A listener whose one-connection queue is full: the kernel drops further SYNs.
        std::uint16_t full = 0;
        int listener = listen_on(false, full);
        REQUIRE(listener >= 0);
        REQUIRE(::listen(listener, 0) == 0);
        std::vector<int> fillers;
        for (int i = 0; i < 3; ++i) {
            int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_port = htons(full);
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
            fillers.push_back(fd);
        }
        std::this_thread::sleep_for(100ms);
        auto r = s.get("http://127.0.0.1:" + std::to_string(full) + "/");
        CHECK(r.http_code == "504");
        CHECK_THAT(r.body,
                   Catch::StartsWith("504 Gateway Timeout\n") && Catch::Contains("timed out"));
        for (int fd : fillers) ::close(fd);
        ::close(listener);
    }
    SECTION("a target the ACL denies: 403, without the rule") {
        auto r = s.get("http://127.0.0.1:" + std::to_string(s.denied_port) + "/");
        CHECK(r.http_code == "403");
        CHECK(r.body == "403 Forbidden\nthe proxy does not allow this request\n");
        auto lines = wait_for_lines(s.log, 1);
        REQUIRE(lines.size() == 1);
        CHECK(lines[0] == "PROXY 1 denied by ACL");
    }
}

TEST_CASE("the error body's Content-Length is exact, and a 407 asks for credentials") {
    TempDir dir;
    auto port = free_port();
    Proxyd p(dir,
             "users alice:CL:pw\nauth strong\nallow alice\nproxy -p" + std::to_string(port) +
                 " -i127.0.0.1\n",
             std::vector<std::uint16_t>{port});
    Client c(port);
    REQUIRE(c.send("GET http://127.0.0.1:1/ HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n"));
    std::string response;
    c.read_until_close(response);
    auto end = response.find("\r\n\r\n");
    REQUIRE(end != std::string::npos);
    std::string head = response.substr(0, end);
    std::string body = response.substr(end + 4);
    CHECK_THAT(head, Catch::StartsWith("HTTP/1.1 407 ") &&
                         Catch::Contains("Content-Type: text/plain; charset=utf-8") &&
                         Catch::Contains("Proxy-Authenticate: Basic"));
    CHECK_THAT(head, Catch::Contains("Content-Length: " + std::to_string(body.size()) + "\r\n"));
    CHECK(body ==
          "407 Proxy Authentication Required\n"
          "the proxy needs a valid user name and password\n");
}

TEST_CASE("SOCKS5 offering only no-auth to a password-only service gets 0xFF at once") {
    TempDir dir;
    EchoServer echo;
    auto strong = free_port();
    auto mixed = free_port();
    std::string log = dir.file("access.log");
    Proxyd p(dir,
             "log " + log +
                 "\nlogformat \"L%p %N %E %U %e\"\nusers alice:CL:pw\nauth strong\nallow *\n"
                 "socks -p" +
                 std::to_string(strong) + " -i127.0.0.1\nauth iponly strong\nsocks -p" +
                 std::to_string(mixed) + " -i127.0.0.1\n",
             std::vector<std::uint16_t>{strong, mixed});
    {
        Client c(strong);
        REQUIRE(c.send(std::string("\x05\x01\x00", 3)));
        std::string reply;
        CHECK(c.read_until_close(reply));
        CHECK(reply == std::string("\x05\xff", 2));
    }
    auto lines = wait_for_lines(log, 1);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == std::to_string(strong) +
                          " SOCKS5 9 - no acceptable SOCKS5 method: the client offers no login, "
                          "the service needs a user name and password");
    // A chain that can admit by address still takes "no authentication".
    Client c(mixed);
    CHECK(socks5_connect(c, "", "", echo.port()));
}

TEST_CASE("a refused SOCKS4 userid is logged as such, not as a bad password") {
    TempDir dir;
    HttpServer http;
    auto port = free_port();
    std::string log = dir.file("access.log");
    Proxyd p(dir,
             "log " + log +
                 "\nlogformat \"L%N %E %U %e\"\nusers alice:CL:pw\nauth strong\nallow *\n"
                 "socks -p" +
                 std::to_string(port) + " -i127.0.0.1\n",
             std::vector<std::uint16_t>{port});
    auto url = "http://127.0.0.1:" + std::to_string(http.port()) + "/";
    auto via = "127.0.0.1:" + std::to_string(port);
    CHECK(curl({"--socks4", via, "-U", "alice:pw", url}).status != 0);
    CHECK(curl({"--socks4", via, "-U", "mallory:x", url}).status != 0);
    auto lines = wait_for_lines(log, 2);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == "SOCKS4 6 alice SOCKS4 userid refused: SOCKS4 sends no password");
    CHECK(lines[1] == "SOCKS4 5 mallory SOCKS4 userid refused: unknown user");
}
