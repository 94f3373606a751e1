// The user@host logins of pop3p, smtpp and ftppr (proxyd/conn_login.hpp).
#include <catch2/catch.hpp>

#include "conn_login.hpp"

using namespace proxyd;

namespace {

ConnLoginRules rules(std::optional<HostPort> default_host = std::nullopt, char delimiter = '@') {
    ConnLoginRules r;
    r.delimiter = delimiter;
    r.default_host = std::move(default_host);
    r.default_port = 110;
    return r;
}

}  // namespace

TEST_CASE("host and port are parsed in every spelling", "[conn_login]") {
    auto a = parse_host_port("mail.example.org", 110);
    REQUIRE(a);
    CHECK(a->host == "mail.example.org");
    CHECK(a->port == 110);
    auto b = parse_host_port("127.0.0.1:2110", 110);
    REQUIRE(b);
    CHECK(b->host == "127.0.0.1");
    CHECK(b->port == 2110);
    auto c = parse_host_port("[::1]:995", 110);
    REQUIRE(c);
    CHECK(c->host == "::1");
    CHECK(c->port == 995);
    auto d = parse_host_port("::1", 110);
    REQUIRE(d);
    CHECK(d->host == "::1");
    CHECK(d->port == 110);
    CHECK_FALSE(parse_host_port("", 110));
    CHECK_FALSE(parse_host_port("host:", 110));
    CHECK_FALSE(parse_host_port("host:0", 110));
    CHECK_FALSE(parse_host_port("host:65536", 110));
    CHECK_FALSE(parse_host_port("host:1x", 110));
    CHECK_FALSE(parse_host_port("[::1", 110));
}

TEST_CASE("a login is split at its last delimiter", "[conn_login]") {
    std::string error;
    auto l = parse_conn_login("bob@example.org@mail.example.org:2110", rules(), error);
    REQUIRE(l);
    CHECK(l->user == "bob@example.org");
    CHECK(l->target.host == "mail.example.org");
    CHECK(l->target.port == 2110);
    CHECK_FALSE(l->proxy_user);
    auto hash = parse_conn_login("bob@example.org#mail", rules(std::nullopt, '#'), error);
    REQUIRE(hash);
    CHECK(hash->user == "bob@example.org");
    CHECK(hash->target.host == "mail");
}

TEST_CASE("proxy credentials come from a user:password: prefix", "[conn_login]") {
    std::string error;
    auto l = parse_conn_login("alice:apw:bob@mail", rules(), error);
    REQUIRE(l);
    CHECK(l->proxy_user == "alice");
    CHECK(l->proxy_password == "apw");
    CHECK(l->user == "bob");
    auto one_colon = parse_conn_login("a:b@mail", rules(), error);
    REQUIRE(one_colon);
    CHECK_FALSE(one_colon->proxy_user);
    CHECK(one_colon->user == "a:b");
    auto no_prefix_rules = rules();
    no_prefix_rules.proxy_credentials = false;
    auto kept = parse_conn_login("alice:apw:bob@mail", no_prefix_rules, error);
    REQUIRE(kept);
    CHECK_FALSE(kept->proxy_user);
    CHECK(kept->user == "alice:apw:bob");
}

TEST_CASE("without a host the default host is used, or the login is refused", "[conn_login]") {
    std::string error;
    auto l = parse_conn_login("bob", rules(HostPort{"10.0.0.1", 2110}), error);
    REQUIRE(l);
    CHECK(l->user == "bob");
    CHECK(l->target.host == "10.0.0.1");
    CHECK(l->target.port == 2110);
    CHECK_FALSE(parse_conn_login("bob", rules(), error));
    CHECK(error == "login names no host (USER@HOST)");
    CHECK_FALSE(parse_conn_login("bob@", rules(), error));
    CHECK_FALSE(parse_conn_login("@mail", rules(), error));
    CHECK(error == "login names no user");
}

TEST_CASE("lines are taken off a buffer without CR LF", "[conn_login]") {
    std::string buffer = "USER bob\r\nPASS x\npartial";
    CHECK(take_line(buffer) == "USER bob");
    CHECK(take_line(buffer) == "PASS x");
    CHECK_FALSE(take_line(buffer));
    CHECK(buffer == "partial");
    CHECK(is_command("user bob", "USER"));
    CHECK(is_command("QUIT", "QUIT"));
    CHECK_FALSE(is_command("USERS", "USER"));
    CHECK(login_request_text("bob", {"mail", 110}, 110) == "bob@mail");
    CHECK(login_request_text("bob", {"::1", 2110}, 110) == "bob@[::1]:2110");
}
