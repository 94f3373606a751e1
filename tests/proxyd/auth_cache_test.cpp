// The auth cache: 3proxy's keys and limit, expiry, and what a reload takes away.
#include "auth_cache.hpp"

#include <catch2/catch.hpp>

#include "check_text.hpp"

using proxycfg::AuthCacheSettings;
using proxyd::AuthCache;
using proxyd::Clock;
using namespace std::chrono_literals;

namespace {

proxycfg::IpAddress ip(std::string_view text) {
    return proxycfg::IpAddress::parse(text).value();
}

proxycfg::AccessRequest request(std::string_view client, std::optional<std::string_view> user,
                                std::optional<std::string_view> password) {
    proxycfg::AccessRequest r;
    r.client = ip(client);
    r.user = user;
    r.password = password;
    return r;
}

AuthCacheSettings settings(std::uint32_t type, std::uint32_t seconds = 600) {
    AuthCacheSettings s;
    s.type = type;
    s.seconds = seconds;
    return s;
}

struct Fixture {
    proxycfg::Loaded loaded =
        testing::check_text("users alice:CL:a bob:CL:b\nauth strong cache\nsocks\n");
    const proxycfg::Service& service = loaded.model.services.at(0);
    AuthCache cache;
    Clock::time_point t0 = Clock::now();
};

}  // namespace

TEST_CASE("authcache user,pass: the same user and password from anywhere", "[cache]") {
    Fixture f;
    auto s = settings(AuthCacheSettings::user | AuthCacheSettings::pass);
    f.cache.remember(s, f.service, request("192.0.2.1", "alice", "a"), "alice", "a", f.t0);
    auto hit = f.cache.find(s, f.service, request("192.0.2.99", "alice", "a"), f.t0 + 1s);
    REQUIRE(hit);
    CHECK(hit->user == "alice");
    CHECK(hit->secret == "a");
    CHECK_FALSE(hit->other_address);
    CHECK_FALSE(f.cache.find(s, f.service, request("192.0.2.1", "alice", "wrong"), f.t0));
    CHECK_FALSE(f.cache.find(s, f.service, request("192.0.2.1", "alice", std::nullopt), f.t0));
    CHECK_FALSE(f.cache.find(s, f.service, request("192.0.2.1", "bob", "a"), f.t0));
}

TEST_CASE("authcache ip: the address alone finds the user it logged in as", "[cache]") {
    Fixture f;
    auto s = settings(AuthCacheSettings::ip);
    f.cache.remember(s, f.service, request("192.0.2.1", "alice", "a"), "alice", "a", f.t0);
    auto hit = f.cache.find(s, f.service, request("192.0.2.1", std::nullopt, std::nullopt), f.t0);
    REQUIRE(hit);
    CHECK(hit->user == "alice");
    CHECK_FALSE(f.cache.find(s, f.service, request("192.0.2.2", std::nullopt, std::nullopt), f.t0));
}

TEST_CASE("authcache ip,user,limit: one address per user", "[cache]") {
    Fixture f;
    auto s = settings(AuthCacheSettings::ip | AuthCacheSettings::user | AuthCacheSettings::limit);
    f.cache.remember(s, f.service, request("192.0.2.1", "alice", "a"), "alice", "a", f.t0);
    auto same = f.cache.find(s, f.service, request("192.0.2.1", "alice", std::nullopt), f.t0);
    REQUIRE(same);
    CHECK_FALSE(same->other_address);
    auto other = f.cache.find(s, f.service, request("192.0.2.2", "alice", std::nullopt), f.t0);
    REQUIRE(other);
    CHECK(other->other_address);
    // A new login from the other address moves the user there.
    f.cache.remember(s, f.service, request("192.0.2.2", "alice", "a"), "alice", "a", f.t0);
    CHECK(f.cache.find(s, f.service, request("192.0.2.1", "alice", std::nullopt), f.t0)
              ->other_address);
    CHECK(f.cache.size() == 1);
}

TEST_CASE("a cached login expires after the authcache time", "[cache]") {
    Fixture f;
    auto s = settings(AuthCacheSettings::user | AuthCacheSettings::pass, 60);
    f.cache.remember(s, f.service, request("192.0.2.1", "alice", "a"), "alice", "a", f.t0);
    CHECK(f.cache.find(s, f.service, request("192.0.2.1", "alice", "a"), f.t0 + 59s));
    CHECK_FALSE(f.cache.find(s, f.service, request("192.0.2.1", "alice", "a"), f.t0 + 60s));
    CHECK(f.cache.size() == 0);
}

TEST_CASE("a reload drops the logins its users no longer grant", "[cache]") {
    Fixture f;
    auto s = settings(AuthCacheSettings::user | AuthCacheSettings::pass);
    f.cache.remember(s, f.service, request("192.0.2.1", "alice", "a"), "alice", "a", f.t0);
    f.cache.remember(s, f.service, request("192.0.2.1", "bob", "b"), "bob", "b", f.t0);
    f.cache.remember(s, f.service, request("192.0.2.1", "carol", "c"), "carol", "", f.t0);
    auto next = testing::check_text("users alice:CL:a bob:CL:changed\nauth strong cache\nsocks\n");
    CHECK(f.cache.count_ungranted(next.model) == 1);  // bob's password changed
    CHECK(f.cache.size() == 3);
    auto without_alice = testing::check_text("users bob:CL:changed\nauth strong cache\nsocks\n");
    CHECK(f.cache.drop_ungranted(without_alice.model) == 2);
    // carol's login proved no password (useronly): nothing to withdraw.
    CHECK(f.cache.size() == 1);
    CHECK(f.cache.find(s, f.service, request("192.0.2.1", "carol", "c"), f.t0));
}

TEST_CASE("new authcache settings forget every login", "[cache]") {
    Fixture f;
    auto s = settings(AuthCacheSettings::user | AuthCacheSettings::pass);
    f.cache.remember(s, f.service, request("192.0.2.1", "alice", "a"), "alice", "a", f.t0);
    auto next =
        testing::check_text("users alice:CL:a\nauthcache ip 60\nauth cache strong\nsocks\n");
    CHECK(f.cache.count_ungranted(next.model) == 1);
    CHECK(f.cache.drop_ungranted(next.model) == 1);
    CHECK(f.cache.size() == 0);
}
