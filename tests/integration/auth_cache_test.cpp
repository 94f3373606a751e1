// The auth cache with real clients: a login cached by address admits curl with no
// credentials, a reload drops the logins it no longer grants, `limit` keeps one address
// per user, and a force re-check holds a cached session to the new users.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "harness.hpp"

using namespace harness;
using nlohmann::json;

namespace {

struct CacheSetup {
    TempDir dir;
    HttpServer http;
    EchoServer echo;
    std::uint16_t port = free_port();
    std::string log = dir.file("access.log");
    std::optional<Proxyd> proxyd;

    explicit CacheSetup(const std::string& users, const std::string& authcache) {
        proxyd.emplace(dir, config(users, authcache), std::vector<std::uint16_t>{port});
    }
    std::string config(const std::string& users, const std::string& authcache) const {
        return "log " + log + "\nlogformat \"L%E %U %C\"\nusers " + users + "\n" + authcache +
               "\nauth strong cache\nallow alice,bob\nforce\nsocks -p" + std::to_string(port) +
               " -i127.0.0.1\n";
    }
    // curl with no credentials: only the cache can admit it.
    CurlResult anonymous() {
        return curl({"--socks5", "127.0.0.1:" + std::to_string(port),
                     "http://127.0.0.1:" + std::to_string(http.port()) + "/cached"});
    }
    CurlResult login(const std::string& user, const std::string& password) {
        return curl({"--socks5", "127.0.0.1:" + std::to_string(port), "--proxy-user",
                     user + ":" + password,
                     "http://127.0.0.1:" + std::to_string(http.port()) + "/login"});
    }
    json status() {
        auto r = proxyctl(*proxyd, "status", {"--json"});
        REQUIRE(r.status == 0);
        return json::parse(r.out)["result"];
    }
    json reload() {
        auto r = proxyctl(*proxyd, "reload", {"--json"});
        auto j = json::parse(r.out);
        REQUIRE(j["ok"] == true);
        return j["result"];
    }
};

}  // namespace

TEST_CASE("authcache ip: a client that logged in is admitted from its address as that user") {
    CacheSetup s("alice:CL:apw bob:CL:bpw", "authcache ip 600");
    CHECK(s.anonymous().status != 0);  // nothing cached yet: strong wants a password
    auto first = s.login("alice", "apw");
    REQUIRE(first.body == "hello /login\n");
    CHECK(s.status()["auth_cache_entries"] == 1);
    auto again = s.anonymous();
    CHECK(again.status == 0);
    CHECK(again.body == "hello /cached\n");
    auto lines = wait_for_lines(s.log, 3);
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] == "4 - 127.0.0.1");  // refused: credentials required
    CHECK(lines[1] == "0 alice 127.0.0.1");
    CHECK(lines[2] == "0 alice 127.0.0.1");  // the cached login's user
}

TEST_CASE("a reload drops the cached logins of removed users: they cannot come back") {
    CacheSetup s("alice:CL:apw bob:CL:bpw", "authcache ip 600");
    REQUIRE(s.login("alice", "apw").body == "hello /login\n");
    s.dir.write("proxyd.cfg", s.config("bob:CL:bpw", "authcache ip 600"));
    auto diff = proxyctl(*s.proxyd, "diff", {"--json"});
    CHECK(json::parse(diff.out)["result"]["auth_cache_dropped"] == 1);
    auto record = s.reload();
    CHECK(record["auth_cache"]["dropped"] == 1);
    CHECK(record["auth_cache"]["entries"] == 0);
    CHECK(s.status()["auth_cache_entries"] == 0);
    CHECK(s.anonymous().status != 0);
    CHECK(s.login("alice", "apw").status != 0);
    CHECK(s.login("bob", "bpw").body == "hello /login\n");
}

TEST_CASE("a password change ends a live session admitted through the cache, at the reload") {
    CacheSetup s("alice:CL:apw bob:CL:bpw", "authcache ip 600");
    REQUIRE(s.login("alice", "apw").body == "hello /login\n");
    Client cached(s.port);
    REQUIRE(socks5_connect(cached, "", "", s.echo.port()));
    REQUIRE(cached.send("hi"));
    REQUIRE(cached.read(2) == "hi");
    auto sessions = proxyctl(*s.proxyd, "sessions", {"--json"});
    auto list = json::parse(sessions.out)["result"]["sessions"];
    REQUIRE(list.size() == 1);
    CHECK(list[0]["user"] == "alice");
    s.dir.write("proxyd.cfg", s.config("alice:CL:changed bob:CL:bpw", "authcache ip 600"));
    auto record = s.reload();
    REQUIRE(record["sessions"]["closed"] == 1);
    CHECK(record["sessions"]["closed_sessions"][0]["reason"] == "password changed");
    std::string rest;
    CHECK(cached.read_until_close(rest, 2s));
}

TEST_CASE("authcache ip,user,limit: a user's cached login serves one address at a time") {
    CacheSetup s("alice:CL:apw bob:CL:bpw", "authcache ip,user,limit 600");
    REQUIRE(s.login("alice", "apw").body == "hello /login\n");
    // alice again from 127.0.0.2 with a wrong password: strong refuses her, and the cache
    // (tried next) holds her login for 127.0.0.1 only.
    Client elsewhere(s.port, "127.0.0.2");
    CHECK_FALSE(socks5_connect(elsewhere, "alice", "wrong", s.echo.port()));
    auto lines = wait_for_lines(s.log, 2);
    REQUIRE(lines.size() == 2);
    CHECK(lines[1] == "12 alice 127.0.0.2");
    // From the first address the cached login still admits her.
    Client home(s.port, "127.0.0.1");
    CHECK(socks5_connect(home, "alice", "wrong", s.echo.port()));
}
