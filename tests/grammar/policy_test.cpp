// proxycfg::evaluate: the one access decision (docs/language.md, "The access decision").
#include <crypt.h>

#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <vector>

#include "check_text.hpp"
#include "proxycfg/policy.hpp"

using proxycfg::AccessRequest;
using proxycfg::Decision;
using proxycfg::HostPattern;
using proxycfg::IpAddress;
using proxycfg::Verdict;
namespace op = proxycfg::op;

namespace {

IpAddress ip(std::string_view text) {
    return IpAddress::parse(text).value();
}

AccessRequest from(std::string_view client) {
    AccessRequest r;
    r.client = ip(client);
    r.target_address = ip("198.51.100.7");
    r.port = 443;
    return r;
}

AccessRequest login(std::string_view user, std::string_view password,
                    std::string_view client = "192.0.2.10") {
    AccessRequest r = from(client);
    r.user = user;
    r.password = password;
    return r;
}

struct Policy {
    proxycfg::Loaded loaded;
    explicit Policy(std::string cfg) : loaded(testing::check_text(std::move(cfg))) {
        REQUIRE_FALSE(loaded.model.services.empty());
    }
    Decision operator()(const AccessRequest& r, std::size_t service = 0) const {
        return proxycfg::evaluate(loaded.model, loaded.model.services.at(service), r);
    }
};

std::string hash(const char* password, const char* setting) {
    auto data = std::make_unique<crypt_data>();
    const char* out = ::crypt_r(password, setting, data.get());
    REQUIRE(out != nullptr);
    REQUIRE(out[0] != '*');
    return out;
}

}  // namespace

TEST_CASE("the first matching ACL entry decides", "[policy]") {
    Policy p(R"(allow * 10.0.0.0/8
deny * 10.1.0.0/16
socks
)");
    Decision d = p(from("10.1.2.3"));
    CHECK(d.verdict == Verdict::allowed);
    CHECK(d.entry_index == 0);
    REQUIRE(d.entry != nullptr);
    CHECK(d.entry->span().line == 1);
}

TEST_CASE("an entry with parents is skipped for UDPASSOC and BIND", "[policy][parent]") {
    Policy p(R"(allow * 10.0.0.0/8
parent 1000 socks5 192.0.2.1 1080
deny *
socks
)");
    AccessRequest r = from("10.1.2.3");
    r.operation = op::CONNECT;
    CHECK(p(r).verdict == Verdict::allowed);
    r.operation = op::UDPASSOC;
    CHECK(p(r).verdict == Verdict::acl_denied);
    r.operation = op::BIND;
    CHECK(p(r).verdict == Verdict::acl_denied);
    r.operation = op::HTTP_GET;
    CHECK(p(r).verdict == Verdict::allowed);
}

TEST_CASE("a deny before an allow refuses with acl_denied", "[policy]") {
    Policy p("deny * 10.1.0.0/16\nallow * 10.0.0.0/8\nsocks\n");
    Decision d = p(from("10.1.2.3"));
    CHECK(d.verdict == Verdict::acl_denied);
    CHECK(d.entry_index == 0);
    CHECK(p(from("10.2.0.1")).verdict == Verdict::allowed);
}

TEST_CASE("an empty ACL allows everything", "[policy]") {
    Policy p("socks\n");
    Decision d = p(from("203.0.113.9"));
    CHECK(d.verdict == Verdict::allowed);
    CHECK(d.entry == nullptr);
}

TEST_CASE("a non-empty ACL with no matching entry denies", "[policy]") {
    Policy p("allow * 10.0.0.0/8\nsocks\n");
    Decision d = p(from("203.0.113.9"));
    CHECK(d.verdict == Verdict::acl_no_match);
    CHECK(d.entry == nullptr);
}

TEST_CASE("iponly hides the username, which is compared as '-'", "[policy]") {
    Policy p(R"(users bob:CL:pw
auth iponly
allow bob
socks
allow -
socks -p1081
)");
    CHECK(p(login("bob", "pw")).verdict == Verdict::acl_no_match);
    CHECK(p(login("bob", "pw"), 1).verdict == Verdict::allowed);
}

TEST_CASE("auth iponly strong falls through to strong", "[policy]") {
    Policy p(R"(users bob:CL:pw
auth iponly strong
allow * 10.0.0.0/8
allow bob
socks
)");
    // A trusted network needs no password.
    CHECK(p(from("10.0.0.5")).method == proxycfg::AuthMethod::iponly);
    CHECK(p(from("10.0.0.5")).allowed());
    // Elsewhere, no username: the highest failure is strong's missing credentials.
    Decision none = p(from("203.0.113.9"));
    CHECK(none.verdict == Verdict::no_credentials);
    CHECK(none.method == proxycfg::AuthMethod::strong);
    Decision bob = p(login("bob", "pw", "203.0.113.9"));
    CHECK(bob.verdict == Verdict::allowed);
    CHECK(bob.method == proxycfg::AuthMethod::strong);
    REQUIRE(bob.user != nullptr);
    CHECK(bob.user->name() == "bob");
    CHECK(bob.entry_index == 1);
}

TEST_CASE("auth none skips the ACL entirely", "[policy]") {
    Policy p("auth none\ndeny *\nsocks\n");
    Decision d = p(from("203.0.113.9"));
    CHECK(d.verdict == Verdict::allowed);
    CHECK(d.method == proxycfg::AuthMethod::none);
}

TEST_CASE("strong checks CL passwords and reports unknown users", "[policy]") {
    Policy p("users bob:CL:secret\nauth strong\nsocks\n");
    CHECK(p(login("bob", "secret")).verdict == Verdict::allowed);
    CHECK(p(login("bob", "Secret")).verdict == Verdict::bad_password);
    CHECK(p(login("bob", "secret2")).verdict == Verdict::bad_password);
    CHECK(p(login("eve", "secret")).verdict == Verdict::unknown_user);
    AccessRequest no_password = from("192.0.2.10");
    no_password.user = "bob";
    CHECK(p(no_password).verdict == Verdict::bad_password);
}

TEST_CASE("an empty CL password authenticates nobody in proxyd", "[policy]") {
    // 3proxy accepts any password here (lint PX207); proxyd refuses.
    Policy p("users bob:CL:\nauth strong\nsocks\n");
    CHECK(p(login("bob", "")).verdict == Verdict::bad_password);
    CHECK(p(login("bob", "anything")).verdict == Verdict::bad_password);
}

TEST_CASE("strong checks CR passwords with $1$, $5$ and $6$ hashes", "[policy]") {
    for (const char* setting : {"$1$abcdefgh$", "$5$saltsalt$", "$6$saltsalt$"}) {
        std::string h = hash("s3cret", setting);
        Policy p("users \"bob:CR:" + h + "\"\nauth strong\nsocks\n");
        INFO(h);
        CHECK(p(login("bob", "s3cret")).verdict == Verdict::allowed);
        CHECK(p(login("bob", "s3cret ")).verdict == Verdict::bad_password);
        CHECK(p(login("bob", "")).verdict == Verdict::bad_password);
    }
}

TEST_CASE("a known MD5-crypt vector verifies", "[policy]") {
    proxycfg::Model m;
    // openssl passwd -1 -salt abcdefgh secret
    proxycfg::User& u = m.add_user("bob", "$1$abcdefgh$cHJi5PXp/ki/ktXzqlk6I1");
    u.type = proxycfg::PasswordType::cr;
    CHECK(proxycfg::verify_password(u, "secret"));
    CHECK_FALSE(proxycfg::verify_password(u, "secreT"));
}

TEST_CASE("an unusable CR hash never authenticates", "[policy]") {
    Policy p("users \"bob:CR:not-a-hash\" carol:CR:\nauth strong\nsocks\n");
    CHECK(p(login("bob", "not-a-hash")).verdict == Verdict::bad_password);
    CHECK(p(login("carol", "")).verdict == Verdict::bad_password);
}

TEST_CASE("verified_secret skips hashing while the stored secret is unchanged", "[policy]") {
    std::string h = hash("s3cret", "$6$saltsalt$");
    Policy p("users \"bob:CR:" + h + "\"\nauth strong\nsocks\n");
    // A re-check passes the secret the session was admitted with; the password text itself
    // is not hashed again, so even a placeholder passes.
    AccessRequest r = login("bob", "not-hashed");
    r.verified_secret = p.loaded.model.find_user("bob")->secret();
    CHECK(p(r).verdict == Verdict::allowed);
    // After a password change the stored secret differs and the password is checked.
    r.verified_secret = "$6$saltsalt$old";
    CHECK(p(r).verdict == Verdict::bad_password);
}

TEST_CASE("hostname patterns match as 3proxy's table says", "[policy]") {
    // The loaded configuration: the pattern views its entry.
    auto load = [](std::string_view text) {
        return testing::check_text("allow * * " + std::string(text) + "\nsocks\n");
    };
    struct Row {
        const char* pattern;
        bool example, www, wwwexample, other, upper, dotted;
    };
    // Reference 4.2: example.com, www.example.com, wwwexample.com, www.other.org,
    // Example.COM, "example.com."
    const Row rows[] = {
        {"example.com", true, false, false, false, true, true},
        {"*.example.com", false, true, false, false, false, false},
        {"*example.com", false, true, true, false, false, false},
        {"www.*", false, true, false, true, false, false},
        {"*ampl*", true, true, true, false, true, true},
    };
    for (const auto& row : rows) {
        auto l = load(row.pattern);
        HostPattern p = l.model.services.at(0).acl.entries()[0].target_hosts().at(0);
        INFO(row.pattern);
        CHECK(p.matches("example.com") == row.example);
        CHECK(p.matches("www.example.com") == row.www);
        CHECK(p.matches("wwwexample.com") == row.wwwexample);
        CHECK(p.matches("www.other.org") == row.other);
        CHECK(p.matches("Example.COM") == row.upper);
        CHECK(p.matches("example.com.") == row.dotted);
    }
}

TEST_CASE("a hostname target entry decides on the requested name", "[policy]") {
    Policy p("allow * * *.example.com\nsocks\n");
    AccessRequest r = from("192.0.2.10");
    r.target_host = "www.example.com";
    CHECK(p(r).verdict == Verdict::allowed);
    r.target_host = "example.org";
    CHECK(p(r).verdict == Verdict::acl_no_match);
}

TEST_CASE("port lists and ranges match inclusively, port 0 skips the check", "[policy]") {
    Policy p("allow * * * 80,8000-8080\nsocks\n");
    auto at = [&](std::uint16_t port) {
        AccessRequest r = from("192.0.2.10");
        r.port = port;
        return p(r).verdict;
    };
    CHECK(at(80) == Verdict::allowed);
    CHECK(at(8000) == Verdict::allowed);
    CHECK(at(8080) == Verdict::allowed);
    CHECK(at(8081) == Verdict::acl_no_match);
    CHECK(at(443) == Verdict::acl_no_match);
    CHECK(at(0) == Verdict::allowed);
}

TEST_CASE("operations match only when the request's operation is in the set", "[policy]") {
    Policy p("allow * * * * HTTP,CONNECT\nsocks\n");
    auto with = [&](std::uint32_t operation) {
        AccessRequest r = from("192.0.2.10");
        r.operation = operation;
        return p(r).verdict;
    };
    CHECK(with(op::HTTP_GET) == Verdict::allowed);
    CHECK(with(op::HTTP_POST) == Verdict::allowed);
    CHECK(with(op::CONNECT) == Verdict::allowed);
    CHECK(with(op::HTTP_CONNECT) == Verdict::acl_no_match);  // HTTP excludes CONNECT
    CHECK(with(op::BIND) == Verdict::acl_no_match);
}

TEST_CASE("an entry with a parent is skipped for BIND and UDPASSOC, as in 3proxy", "[policy]") {
    Policy p("allow * * * * *\nparent 1000 socks5 127.0.0.1 1080\ndeny *\nsocks\n");
    auto with = [&](std::uint32_t operation) {
        AccessRequest r = from("192.0.2.10");
        r.operation = operation;
        return p(r);
    };
    CHECK(with(op::CONNECT).verdict == Verdict::allowed);
    CHECK(with(op::HTTP_GET).verdict == Verdict::allowed);
    auto bind = with(op::BIND);
    CHECK(bind.verdict == Verdict::acl_denied);  // the deny after it decides
    REQUIRE(bind.entry != nullptr);
    CHECK(bind.entry_index == 1);
    CHECK(with(op::UDPASSOC).verdict == Verdict::acl_denied);
}

TEST_CASE("weekday and period conditions match only when known and inside", "[policy]") {
    Policy p("allow * * * * * 1-5 09:00:00-17:00:00\nallow * * * * * 7\nsocks\n");
    auto at = [&](int weekday, std::int32_t seconds) {
        AccessRequest r = from("192.0.2.10");
        r.weekday = weekday;
        r.seconds_of_day = seconds;
        return p(r);
    };
    CHECK(at(1, 9 * 3600).verdict == Verdict::allowed);
    CHECK(at(5, 17 * 3600 - 1).verdict == Verdict::allowed);
    CHECK(at(5, 17 * 3600).verdict == Verdict::acl_no_match);  // the end is exclusive
    CHECK(at(6, 10 * 3600).verdict == Verdict::acl_no_match);
    // 7 is Sunday, like 0.
    Decision sunday = at(0, 10 * 3600);
    CHECK(sunday.verdict == Verdict::allowed);
    CHECK(sunday.entry_index == 1);
    // Unknown time: conditions never match (3proxy's first second after start).
    CHECK(at(-1, -1).verdict == Verdict::acl_no_match);
}

TEST_CASE("auth cache: no cached login tries the next type, in the order written",
          "[policy][cache]") {
    Policy cache_first("users alice:CL:a\nauth cache strong\nallow alice\nsocks\n");
    auto d = cache_first(login("alice", "a"));
    CHECK(d.allowed());
    CHECK(d.method == proxycfg::AuthMethod::strong);
    Policy cache_only("users alice:CL:a\nauth cache\nallow alice\nsocks\n");
    CHECK(cache_only(login("alice", "a")).verdict == Verdict::no_credentials);
}

TEST_CASE("auth cache: a cached login admits as its user, under the ACL", "[policy][cache]") {
    Policy p("users alice:CL:a bob:CL:b\nauth strong cache\nallow alice\nsocks\n");
    AccessRequest r = from("192.0.2.10");  // no credentials: authcache ip
    r.cached = proxycfg::CachedLogin{"alice", "a", false};
    auto d = p(r);
    CHECK(d.allowed());
    CHECK(d.method == proxycfg::AuthMethod::cache);
    REQUIRE(d.user != nullptr);
    CHECK(d.user->name() == "alice");
    // The ACL is checked with the cached user: bob's cached login is not allowed.
    r.cached = proxycfg::CachedLogin{"bob", "b", false};
    CHECK(p(r).verdict == Verdict::acl_no_match);
}

TEST_CASE("auth cache: a removed user or a changed password ends the cached login",
          "[policy][cache]") {
    Policy p("users alice:CL:new\nauth cache\nallow *\nsocks\n");
    AccessRequest r = from("192.0.2.10");
    r.cached = proxycfg::CachedLogin{"alice", "old", false};
    CHECK(p(r).verdict == Verdict::bad_password);
    r.cached = proxycfg::CachedLogin{"carol", "c", false};
    CHECK(p(r).verdict == Verdict::unknown_user);
    // A login no password proved (useronly) has no secret to withdraw.
    r.cached = proxycfg::CachedLogin{"carol", "", false};
    CHECK(p(r).allowed());
}

TEST_CASE("auth cache: limit refuses a login cached for another address, and stops the chain",
          "[policy][cache]") {
    Policy p("users alice:CL:a\nauth cache strong\nallow *\nsocks\n");
    AccessRequest r = login("alice", "a");
    r.cached = proxycfg::CachedLogin{"alice", "a", true};
    // strong would admit alice, but 3proxy's code 10 ends the chain first.
    CHECK(p(r).verdict == Verdict::cached_elsewhere);
}

namespace {

proxycfg::Parent parent(int weight, std::string host) {
    proxycfg::Parent p;
    p.weight = weight;
    p.type = "socks5";
    p.host = std::move(host);
    p.port = 1080;
    return p;
}

// A roll that returns the given numbers in turn.
std::function<int()> rolls(std::vector<int> values) {
    auto state = std::make_shared<std::pair<std::vector<int>, std::size_t>>(std::move(values), 0);
    return [state] { return state->first.at(state->second++); };
}

std::vector<std::string> hosts(const std::vector<const proxycfg::Parent*>& chain) {
    std::vector<std::string> out;
    for (const auto* p : chain) out.push_back(p->host);
    return out;
}

}  // namespace

TEST_CASE("pick_chain: a weight of 1000 makes a hop of its own", "[policy][parent]") {
    std::vector<proxycfg::Parent> ps{parent(1000, "a"), parent(1000, "b")};
    CHECK(hosts(proxycfg::pick_chain(ps, rolls({0, 999}))) == std::vector<std::string>{"a", "b"});
    CHECK(proxycfg::pick_chain({}, rolls({})).empty());
}

TEST_CASE("pick_chain: one parent of a group, by weight", "[policy][parent]") {
    // Group 1: a 300, b 700; group 2: c alone.
    std::vector<proxycfg::Parent> ps{parent(300, "a"), parent(700, "b"), parent(1000, "c")};
    CHECK(hosts(proxycfg::pick_chain(ps, rolls({0, 5}))) == std::vector<std::string>{"a", "c"});
    CHECK(hosts(proxycfg::pick_chain(ps, rolls({299, 5}))) == std::vector<std::string>{"a", "c"});
    CHECK(hosts(proxycfg::pick_chain(ps, rolls({300, 5}))) == std::vector<std::string>{"b", "c"});
    CHECK(hosts(proxycfg::pick_chain(ps, rolls({999, 5}))) == std::vector<std::string>{"b", "c"});
}

TEST_CASE("pick_chain: the draw follows the weights", "[policy][parent]") {
    std::vector<proxycfg::Parent> ps{parent(250, "a"), parent(750, "b")};
    int a = 0;
    for (int r = 0; r < 1000; ++r)
        if (proxycfg::pick_chain(ps, rolls({r})).front()->host == "a") ++a;
    CHECK(a == 250);
}

TEST_CASE("pick_chain: a group short of 1000 may draw no parent", "[policy][parent]") {
    std::vector<proxycfg::Parent> ps{parent(1000, "a"), parent(400, "b")};
    CHECK(hosts(proxycfg::pick_chain(ps, rolls({0, 399}))) == std::vector<std::string>{"a", "b"});
    CHECK(hosts(proxycfg::pick_chain(ps, rolls({0, 400}))) == std::vector<std::string>{"a"});
}
