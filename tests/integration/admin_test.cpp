// The admin service over real HTTP with curl: the page and its JSON, HTTP semantics
// (HEAD, 404/405, no-store, keep-alive), admission with Basic auth and the ADMIN
// operation, the banner, and mutating requests only below `writable` with the token.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"

using namespace harness;
using nlohmann::json;

namespace {

struct AdminSetup {
    TempDir dir;
    EchoServer echo;
    std::uint16_t socks_port = free_port();
    std::uint16_t admin_port = free_port();
    std::optional<Proxyd> proxyd;

    explicit AdminSetup(const std::string& admin_lines = "", const std::string& extra_users = "") {
        proxyd.emplace(dir, config(admin_lines, extra_users),
                       std::vector<std::uint16_t>{socks_port, admin_port});
    }
    std::string config(const std::string& admin_lines, const std::string& extra_users) const {
        return "log " + dir.file("access.log") + "\nusers alice:CL:pw ops:CL:secret " +
               extra_users + "\nauth strong\nallow *\nsocks -p" + std::to_string(socks_port) +
               " -i127.0.0.1\nflush\nallow ops * * * ADMIN\n" + admin_lines + "admin -p" +
               std::to_string(admin_port) + " -i127.0.0.1\n";
    }
    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(admin_port) + path;
    }
    // curl against the admin port: {-s, --max-time, ..., args}; headers in body with -i.
    CurlResult get(const std::string& path, std::vector<std::string> args = {},
                   const std::string& login = "ops:secret") {
        std::vector<std::string> a{"-i"};
        if (!login.empty()) a.insert(a.end(), {"-u", login});
        a.insert(a.end(), args.begin(), args.end());
        a.push_back(url(path));
        return curl(a);
    }
    json get_json(const std::string& path) {
        auto r = get(path, {"-H", "Accept: application/json"});
        REQUIRE(r.http_code == "200");
        auto body = r.body.substr(r.body.find("\r\n\r\n") + 4);
        return json::parse(body);
    }
};

std::string header_block(const CurlResult& r) { return r.body.substr(0, r.body.find("\r\n\r\n")); }

}  // namespace

TEST_CASE("the admin service serves its page and its JSON, never cached") {
    AdminSetup s;
    auto page = s.get("/");
    REQUIRE(page.http_code == "200");
    auto head = header_block(page);
    CHECK(head.find("Content-Type: text/html; charset=utf-8") != std::string::npos);
    CHECK(head.find("Cache-Control: no-store") != std::string::npos);
    CHECK(head.find("Content-Security-Policy:") != std::string::npos);

    auto status = s.get_json("/api/status");
    CHECK(status["generation"] == 1);
    CHECK(status["sessions_by_service"].is_object());
    auto view = s.get_json("/api/view");
    REQUIRE(view["services"].size() == 2);
    CHECK(view["services"][1]["type"] == "admin");
    CHECK(view["services"][1]["listener"] == "127.0.0.1:" + std::to_string(s.admin_port));
    CHECK(view["writable"] == false);
    CHECK(view["csrf"].is_null());
    CHECK(view["banner"]["edited_files"].empty());
    CHECK(s.get_json("/api/reloads")["reloads"].empty());
}

TEST_CASE("the admin service answers HEAD without a body, 404 and 405 with Allow") {
    AdminSetup s;
    auto head = curl({"-I", "-u", "ops:secret", s.url("/api/status")});
    CHECK(head.http_code == "200");
    CHECK(head.body.find("Content-Length: ") != std::string::npos);
    CHECK(head.body.find("\"generation\"") == std::string::npos);
    auto missing = s.get("/nothing-here");
    CHECK(missing.http_code == "404");
    CHECK(missing.body.find("<h1>404 Not Found</h1>") != std::string::npos);
    auto wrong = s.get("/api/status", {"-X", "DELETE"});
    CHECK(wrong.http_code == "405");
    CHECK(header_block(wrong).find("Allow: GET, HEAD") != std::string::npos);
    auto post_page = s.get("/", {"-X", "POST", "-d", "x=1"});
    CHECK(post_page.http_code == "405");
}

TEST_CASE("admin requests go through the service's auth and ACL with the ADMIN operation") {
    AdminSetup s;
    auto anonymous = s.get("/", {}, "");
    CHECK(anonymous.http_code == "401");
    CHECK(header_block(anonymous).find("WWW-Authenticate: Basic realm=\"proxyd admin\"") !=
          std::string::npos);
    CHECK(s.get("/", {}, "ops:wrong").http_code == "401");
    // alice exists but the ACL grants ADMIN to ops only.
    CHECK(s.get("/", {}, "alice:pw").http_code == "403");
    CHECK(s.get("/", {}, "ops:secret").http_code == "200");
    auto lines = wait_for_lines(s.dir.file("access.log"), 4);
    INFO(read_file(s.dir.file("access.log")));
    // "DATE TIME %N %p %E ...": the protocol and the result code are fields 3 and 5.
    std::size_t admin_lines = 0, refused = 0;
    for (const auto& l : lines) {
        std::istringstream in(l);
        std::string date, time, protocol, port, code;
        in >> date >> time >> protocol >> port >> code;
        if (protocol != "ADMIN") continue;
        ++admin_lines;
        if (code != "0") ++refused;
    }
    CHECK(admin_lines == 4);
    CHECK(refused == 3);
}

TEST_CASE("keep-alive serves several requests on one admin connection") {
    AdminSetup s;
    auto r = run({CURL_BINARY, "-s", "--max-time", "5", "-u", "ops:secret", "-o", "/dev/null",
                  "-o", "/dev/null", "-w", "%{num_connects}\n", s.url("/api/status"),
                  s.url("/api/reloads")});
    REQUIRE(r.status == 0);
    CHECK(r.out == "1\n0\n");
}

TEST_CASE("the admin JSON lists a live proxied session and escapes names in the page") {
    AdminSetup s("", "\"<b>eve</b>\":CL:pw");
    Client c(s.socks_port);
    REQUIRE(socks5_connect(c, "<b>eve</b>", "pw", s.echo.port()));
    auto sessions = s.get_json("/api/sessions")["sessions"];
    bool found = false;
    for (const auto& x : sessions)
        if (x["user"] == "<b>eve</b>" && x["service"].get<std::string>().starts_with("socks"))
            found = true;
    CHECK(found);
    auto page = s.get("/");
    REQUIRE(page.http_code == "200");
    CHECK(page.body.find("<b>eve</b>") == std::string::npos);
    CHECK(page.body.find("&lt;b&gt;eve&lt;/b&gt;") != std::string::npos);
}

TEST_CASE("the admin view shows an edited configuration and the reload history") {
    AdminSetup s;
    {
        std::ofstream out(s.proxyd->config_path, std::ios::app);
        out << "# edited\n";
    }
    auto view = s.get_json("/api/view");
    REQUIRE(view["banner"]["edited_files"].size() == 1);
    CHECK(view["banner"]["edited_files"][0].get<std::string>().ends_with("proxyd.cfg"));
    REQUIRE(proxyctl(*s.proxyd, "reload").status == 0);
    view = s.get_json("/api/view");
    CHECK(view["banner"]["edited_files"].empty());
    CHECK(view["banner"]["last_reload_failed"] == false);
    REQUIRE(view["reloads"].size() == 1);
    CHECK(view["reloads"][0]["trigger"] == "control");
    CHECK(view["reloads"][0]["result"] == "ok");
    CHECK(view["status"]["generation"] == 2);

    std::ofstream(s.proxyd->config_path) << "socks -p nonsense\n";
    CHECK(proxyctl(*s.proxyd, "reload").status != 0);
    view = s.get_json("/api/view");
    CHECK(view["banner"]["last_reload_failed"] == true);
    CHECK(view["banner"]["last_failure"].is_string());
    CHECK(view["reloads"][0]["result"] == "failed");
}

TEST_CASE("reload and close from the admin service need writable and the CSRF token") {
    SECTION("read-only by default") {
        AdminSetup s;
        auto r = s.get("/api/reload", {"-X", "POST", "-H", "X-CSRF-Token: x"});
        CHECK(r.http_code == "403");
        CHECK(r.body.find("writable") != std::string::npos);
    }
    SECTION("writable, with the page's token") {
        AdminSetup s("writable\n");
        Client c(s.socks_port);
        REQUIRE(socks5_connect(c, "alice", "pw", s.echo.port()));
        auto view = s.get_json("/api/view");
        CHECK(view["writable"] == true);
        REQUIRE(view["csrf"].is_string());
        std::string token = view["csrf"];
        CHECK(s.get("/api/reload", {"-X", "POST"}).http_code == "403");
        CHECK(s.get("/api/reload", {"-X", "POST", "-H", "X-CSRF-Token: wrong"}).http_code ==
              "403");
        auto reload = s.get("/api/reload", {"-X", "POST", "-H", "X-CSRF-Token: " + token});
        CHECK(reload.http_code == "200");
        CHECK(s.get_json("/api/status")["generation"] == 2);

        std::uint64_t id = 0;
        auto listed = s.get_json("/api/sessions")["sessions"];
        INFO(listed.dump());
        for (const auto& x : listed)
            if (x["user"] == "alice") id = x["id"];
        REQUIRE(id != 0);
        auto close = s.get("/api/sessions/" + std::to_string(id) + "/close",
                           {"-X", "POST", "-H", "X-CSRF-Token: " + token});
        CHECK(close.http_code == "200");
        std::string rest;
        CHECK(c.read_until_close(rest, 3s));
        auto again = s.get("/api/sessions/" + std::to_string(id) + "/close",
                           {"-X", "POST", "-H", "X-CSRF-Token: " + token});
        CHECK(again.http_code == "404");
    }
}
