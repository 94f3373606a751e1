// The DNS cache: TTL expiry on an injected clock, the size bound, nsrecord answers and
// the split of IPv4 and IPv6 answers between nscache and nscache6.
#include "dns_cache.hpp"

#include <catch2/catch.hpp>
#include <memory>

#include "resolver.hpp"

using proxyd::Clock;
using proxyd::DnsCache;
using namespace std::chrono_literals;

namespace {

proxycfg::IpAddress ip(std::string_view text) {
    return proxycfg::IpAddress::parse(text).value();
}

DnsCache::TimedAddress timed(std::string_view text, std::int64_t ttl) {
    return {ip(text), ttl};
}

std::vector<proxycfg::IpAddress> ips(std::initializer_list<std::string_view> texts) {
    std::vector<proxycfg::IpAddress> out;
    for (auto t : texts) out.push_back(ip(t));
    return out;
}

proxycfg::Globals::NsRecord record(std::string name, std::string_view address) {
    return {std::move(name), ip(address), {}};
}

const Clock::time_point t0{};

}  // namespace

TEST_CASE("dns cache: an answer lives as long as its shortest TTL", "[dns_cache]") {
    DnsCache cache;
    cache.configure(256, 0, {});
    cache.store("www.example.test", {timed("127.0.0.5", 30), timed("127.0.0.6", 10)}, t0);
    CHECK(cache.find("www.example.test", t0 + 9s) == ips({"127.0.0.5", "127.0.0.6"}));
    CHECK_FALSE(cache.find("www.example.test", t0 + 10s));
    CHECK(cache.names() == 0);  // the expired entry went when it was looked up
}

TEST_CASE("dns cache: names are matched without case and trailing dot", "[dns_cache]") {
    DnsCache cache;
    cache.configure(256, 0, {});
    cache.store("WWW.Example.TEST.", {timed("127.0.0.5", 30)}, t0);
    CHECK(cache.find("www.example.test", t0) == ips({"127.0.0.5"}));
}

TEST_CASE("dns cache: a TTL of 0 is not cached and a huge one is clamped to a day", "[dns_cache]") {
    DnsCache cache;
    cache.configure(256, 0, {});
    cache.store("zero.test", {timed("127.0.0.5", 0)}, t0);
    CHECK_FALSE(cache.find("zero.test", t0));
    cache.store("huge.test", {timed("127.0.0.6", 0x7fffffff)}, t0);
    CHECK(cache.find("huge.test", t0 + DnsCache::max_ttl - 1s));
    CHECK_FALSE(cache.find("huge.test", t0 + DnsCache::max_ttl));
    cache.store("negative.test", {timed("127.0.0.7", -5)}, t0);
    CHECK_FALSE(cache.find("negative.test", t0));
}

TEST_CASE("dns cache: failures are not cached", "[dns_cache]") {
    DnsCache cache;
    cache.configure(256, 256, {});
    cache.store("missing.test", {}, t0);
    CHECK_FALSE(cache.find("missing.test", t0));
    CHECK(cache.names() == 0);
}

TEST_CASE("dns cache: a full table drops the entry that expires first", "[dns_cache]") {
    DnsCache cache;
    cache.configure(3, 0, {});
    cache.store("a.test", {timed("127.0.0.1", 100)}, t0);
    cache.store("b.test", {timed("127.0.0.2", 50)}, t0);
    cache.store("c.test", {timed("127.0.0.3", 200)}, t0);
    cache.store("d.test", {timed("127.0.0.4", 300)}, t0);
    CHECK(cache.names() == 3);
    CHECK_FALSE(cache.find("b.test", t0));
    CHECK(cache.find("a.test", t0));
    CHECK(cache.find("c.test", t0));
    CHECK(cache.find("d.test", t0));
    // A smaller size on reload drops the earliest to expire.
    cache.configure(1, 0, {});
    CHECK(cache.names() == 1);
    CHECK(cache.find("d.test", t0));
}

TEST_CASE("dns cache: size 0 caches nothing", "[dns_cache]") {
    DnsCache cache;
    cache.configure(0, 0, {});
    cache.store("a.test", {timed("127.0.0.1", 100)}, t0);
    CHECK_FALSE(cache.find("a.test", t0));
    CHECK(cache.names() == 0);
}

TEST_CASE("dns cache: nsrecord answers come first and never expire", "[dns_cache]") {
    DnsCache cache;
    cache.configure(0, 0, {record("intranet.test", "127.0.0.9"), record("intranet.test", "::1")});
    CHECK(cache.has_static("INTRANET.test"));
    CHECK(cache.find("intranet.test", t0 + 1000h) == ips({"127.0.0.9", "::1"}));
    // A name server's answer does not replace it.
    cache.configure(256, 256, {record("intranet.test", "127.0.0.9")});
    cache.store("intranet.test", {timed("127.0.0.1", 100)}, t0);
    CHECK(cache.find("intranet.test", t0) == ips({"127.0.0.9"}));
    CHECK(cache.names() == 0);
    // A reload replaces the records as a whole.
    cache.configure(256, 256, {record("other.test", "127.0.0.8")});
    CHECK_FALSE(cache.has_static("intranet.test"));
    CHECK_FALSE(cache.find("intranet.test", t0));
}

TEST_CASE("dns cache: nscache keeps IPv4 answers and nscache6 IPv6 ones", "[dns_cache]") {
    std::vector<DnsCache::TimedAddress> dual = {timed("127.0.0.1", 60), timed("::1", 30)};
    SECTION("both: the whole answer, until the shorter family expires") {
        DnsCache cache;
        cache.configure(256, 256, {});
        cache.store("dual.test", dual, t0);
        CHECK(cache.find("dual.test", t0 + 29s) == ips({"127.0.0.1", "::1"}));
        CHECK_FALSE(cache.find("dual.test", t0 + 30s));
        CHECK(cache.names() == 1);  // the IPv4 entry is still there
    }
    SECTION("only nscache: the IPv4 addresses") {
        DnsCache cache;
        cache.configure(256, 0, {});
        cache.store("dual.test", dual, t0);
        CHECK(cache.find("dual.test", t0 + 59s) == ips({"127.0.0.1"}));
    }
    SECTION("only nscache6: the IPv6 addresses") {
        DnsCache cache;
        cache.configure(0, 256, {});
        cache.store("dual.test", dual, t0);
        CHECK(cache.find("dual.test", t0 + 29s) == ips({"::1"}));
    }
    SECTION("an IPv6-only name under nscache alone is not answered from the cache") {
        DnsCache cache;
        cache.configure(256, 0, {});
        cache.store("six.test", {timed("::1", 60)}, t0);
        CHECK_FALSE(cache.find("six.test", t0));
    }
    SECTION("an IPv4-only name under both: the missing family is remembered as empty") {
        DnsCache cache;
        cache.configure(256, 256, {});
        cache.store("four.test", {timed("127.0.0.1", 60)}, t0);
        CHECK(cache.find("four.test", t0 + 59s) == ips({"127.0.0.1"}));
        CHECK(cache.names() == 1);
    }
}

TEST_CASE("resolver: a cached answer comes through the loop, never inside resolve()",
          "[dns_cache]") {
    REQUIRE(ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS);
    {
        proxyd::EventLoop loop;
        auto cache = std::make_shared<DnsCache>();
        cache->configure(0, 0, {record("static.test", "127.0.0.9")});
        // A server nobody answers on: only the cache can answer in time.
        proxyd::Resolver resolver(loop, {"127.0.0.1:9"}, 1, cache);
        std::vector<proxycfg::IpAddress> got;
        bool called = false;
        auto id = resolver.resolve("Static.Test", [&](proxyd::ResolveResult r) {
            called = true;
            got = r.addresses;
            loop.stop();
        });
        CHECK(id != 0);
        CHECK_FALSE(called);  // a caller may still store the id and start the next lookup
        CHECK_FALSE(resolver.idle());
        loop.run();
        CHECK(called);
        CHECK(got == ips({"127.0.0.9"}));
        CHECK(resolver.idle());

        // A cancelled lookup is never called back, even from the cache.
        bool cancelled_called = false;
        auto cancelled = resolver.resolve("static.test",
                                          [&](proxyd::ResolveResult) { cancelled_called = true; });
        resolver.cancel(cancelled);
        loop.post([&] { loop.stop(); });
        loop.run();
        CHECK_FALSE(cancelled_called);
        CHECK(resolver.idle());
    }
    ares_library_cleanup();
}
