// The HTTP forward proxy through a real proxyd, driven by curl.
#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace harness;

namespace {

struct HttpSetup {
    TempDir dir;
    HttpServer http;
    std::uint16_t port = free_port();
    std::string log = dir.file("access.log");
    std::optional<Proxyd> proxyd;

    explicit HttpSetup(const std::string& options = "") {
        std::string hp = std::to_string(http.port());
        proxyd.emplace(dir,
                       "log " + log +
                           "\n"
                           "logformat \"L%N %E %U %C %n:%r %I %O %T\"\n"
                           "users alice:CL:secret bob:CL:builder\n"
                           "auth strong\n"
                           "deny bob\n"
                           "allow alice,bob\n"
                           "proxy -p" +
                           std::to_string(port) + " -i127.0.0.1 " + options + "\n",
                       std::vector<std::uint16_t>{port});
    }
    std::string proxy(const std::string& creds = "") const {
        return "http://" + (creds.empty() ? "" : creds + "@") + "127.0.0.1:" + std::to_string(port);
    }
    std::string url(const std::string& path = "/page") const {
        return "http://127.0.0.1:" + std::to_string(http.port()) + path;
    }
};

}  // namespace

TEST_CASE("HTTP GET through the proxy with credentials returns the upstream's body") {
    HttpSetup s;
    auto r = curl({"--proxy", s.proxy("alice:secret"), s.url()});
    CHECK(r.status == 0);
    CHECK(r.http_code == "200");
    CHECK(r.body == "hello /page\n");
    auto lines = wait_for_lines(s.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::StartsWith("PROXY 0 alice 127.0.0.1 127.0.0.1:" +
                                           std::to_string(s.http.port())));
    CHECK_THAT(lines[0], Catch::EndsWith("GET " + s.url() + " HTTP/1.1"));
}

TEST_CASE("the forwarded request is in origin form, without Proxy-Authorization, with Forwarded") {
    HttpSetup s;
    curl({"--proxy", s.proxy("alice:secret"), s.url("/x?y=1")});
    auto heads = s.http.request_heads();
    REQUIRE(heads.size() == 1);
    CHECK_THAT(heads[0], Catch::StartsWith("GET /x?y=1 HTTP/1.1\r\n"));
    CHECK_THAT(heads[0], !Catch::Contains("Proxy-Authorization"));
    CHECK_THAT(heads[0], Catch::Contains("Forwarded: for=127.0.0.1\r\n"));
}

TEST_CASE("with -a the proxy adds no client information") {
    HttpSetup s("-a");
    curl({"--proxy", s.proxy("alice:secret"), s.url()});
    auto heads = s.http.request_heads();
    REQUIRE(heads.size() == 1);
    CHECK_THAT(heads[0], !Catch::Contains("Forwarded"));
    CHECK_THAT(heads[0], !Catch::Contains("X-Forwarded-For"));
}

TEST_CASE("a request without credentials gets 407 with Proxy-Authenticate") {
    HttpSetup s;
    auto r = run({CURL_BINARY, "-s", "--max-time", "5", "-i", "--proxy", s.proxy(), s.url()});
    CHECK_THAT(r.out, Catch::StartsWith("HTTP/1.1 407 "));
    CHECK_THAT(r.out, Catch::Contains("Proxy-Authenticate: Basic realm=\"proxyd\""));
    CHECK(s.http.connections() == 0);
    auto lines = wait_for_lines(s.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::StartsWith("PROXY 4 - "));
}

TEST_CASE("a wrong password gets 407") {
    HttpSetup s;
    auto r = curl({"--proxy", s.proxy("alice:nope"), s.url()});
    CHECK(r.http_code == "407");
    auto lines = wait_for_lines(s.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::StartsWith("PROXY 6 alice "));
}

TEST_CASE("an explicit deny gets 403") {
    HttpSetup s;
    auto r = curl({"--proxy", s.proxy("bob:builder"), s.url()});
    CHECK(r.http_code == "403");
    auto lines = wait_for_lines(s.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::StartsWith("PROXY 1 bob "));
}

TEST_CASE("CONNECT tunnels carry the upstream's bytes (curl --proxytunnel)") {
    HttpSetup s;
    auto r = curl({"-p", "--proxy", s.proxy("alice:secret"), s.url("/tunnel")});
    CHECK(r.status == 0);
    CHECK(r.http_code == "200");
    CHECK(r.body == "hello /tunnel\n");
    auto lines = wait_for_lines(s.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0],
               Catch::EndsWith("CONNECT 127.0.0.1:" + std::to_string(s.http.port()) + " HTTP/1.1"));
}

TEST_CASE("two requests on one client connection reuse one upstream connection") {
    HttpSetup s;
    auto r = curl({"--proxy", s.proxy("alice:secret"), s.url("/one"), s.url("/two")});
    CHECK(r.status == 0);
    CHECK(r.body == "hello /one\n\n200hello /two\n");
    CHECK(s.http.connections() == 1);
    auto lines = wait_for_lines(s.log, 2);
    REQUIRE(lines.size() == 2);
    CHECK_THAT(lines[0], Catch::Contains("GET " + s.url("/one")));
    CHECK_THAT(lines[1], Catch::Contains("GET " + s.url("/two")));
}

TEST_CASE("a POST body reaches the upstream and its echo comes back") {
    HttpSetup s;
    std::string body(200000, 'p');
    TempDir d;
    auto file = d.write("body.bin", body);
    auto r =
        curl({"--proxy", s.proxy("alice:secret"), "--data-binary", "@" + file, s.url("/post")});
    CHECK(r.http_code == "200");
    CHECK(r.body == body);
}

TEST_CASE("an unreachable upstream gets 502") {
    HttpSetup s;
    auto r = curl({"--proxy", s.proxy("alice:secret"),
                   "http://127.0.0.1:" + std::to_string(free_port()) + "/"});
    CHECK(r.http_code == "502");
}
