// Token buckets of bandwidth limits, on an injected clock.
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <vector>

#include "bandwidth.hpp"
#include "check_text.hpp"

using namespace std::chrono_literals;
using proxyd::Clock;
using proxyd::TokenBucket;

namespace {

using Buckets = std::vector<std::shared_ptr<TokenBucket>>;

// Reads through `throttle` as a relay would, for `span` of simulated time: asks for big
// chunks, sleeps until `retry` when refused. Returns the bytes granted.
std::uint64_t drain(proxyd::Throttle& throttle, Clock::time_point& now, Clock::duration span) {
    std::uint64_t total = 0;
    auto end = now + span;
    while (now < end) {
        Clock::time_point retry = now;
        auto n = throttle.grant(256 * 1024, now, retry);
        if (n == 0) {
            REQUIRE(retry > now);
            now = retry;
            continue;
        }
        throttle.consume(n);
        total += n;
    }
    return total;
}

}  // namespace

TEST_CASE("a bucket grants its rate over time", "[proxyd][bandwidth]") {
    auto bucket = std::make_shared<TokenBucket>(8'000'000);  // 1 MB/s
    proxyd::Throttle t(Buckets{bucket});
    Clock::time_point now{};
    auto total = drain(t, now, 3s);
    CHECK(total >= 2'900'000);
    CHECK(total <= 3'100'000);
}

TEST_CASE("an empty bucket refuses and names when to retry", "[proxyd][bandwidth]") {
    auto bucket = std::make_shared<TokenBucket>(80'000);  // 10 kB/s
    proxyd::Throttle t(Buckets{bucket});
    Clock::time_point now{};
    Clock::time_point retry = now;
    CHECK(t.grant(1000, now, retry) == 0);  // starts empty: no burst at the start
    CHECK(retry > now);
    CHECK(retry - now < 1s);
    auto n = t.grant(1000, retry, retry);
    CHECK(n > 0);
    CHECK(n <= 1000);
}

TEST_CASE("idle time builds at most a tenth of a second of burst", "[proxyd][bandwidth]") {
    TokenBucket bucket(8'000'000);
    Clock::time_point now{};
    bucket.book(0, now);
    now += 10s;
    // 100 kB saved up: that much books at once, more is in debt.
    CHECK(bucket.book(100'000, now) == now);
    CHECK(bucket.book(10'000, now) > now);
}

TEST_CASE("bytes booked but not moved go back to the bucket", "[proxyd][bandwidth]") {
    auto bucket = std::make_shared<TokenBucket>(8'000'000);
    Clock::time_point now{};
    {
        proxyd::Throttle t(Buckets{bucket});
        Clock::time_point retry = now;
        t.grant(1000, now, retry);  // books a slice, in debt
        t.release();
    }
    CHECK(bucket->book(0, now) == now);  // the refund repaid the debt
}

TEST_CASE("a lowered rate applies at once", "[proxyd][bandwidth]") {
    auto bucket = std::make_shared<TokenBucket>(8'000'000);
    proxyd::Throttle t(Buckets{bucket});
    Clock::time_point now{};
    drain(t, now, 1s);
    bucket->set_rate(800'000);  // 100 kB/s
    CHECK(bucket->rate() == 800'000);
    auto total = drain(t, now, 2s);
    CHECK(total >= 160'000);  // less what was booked at the old rate
    CHECK(total <= 230'000);
}

TEST_CASE("sessions sharing a bucket share its rate evenly", "[proxyd][bandwidth]") {
    auto bucket = std::make_shared<TokenBucket>(8'000'000);
    proxyd::Throttle a(Buckets{bucket});
    proxyd::Throttle b(Buckets{bucket});
    Clock::time_point now{};
    std::uint64_t got_a = 0, got_b = 0;
    Clock::time_point wake_a = now, wake_b = now;
    // Each wakes when its throttle says, as two relays on their own timers would.
    while (now < Clock::time_point{} + 3s) {
        now = std::min(wake_a, wake_b);
        auto step = [&](proxyd::Throttle& t, Clock::time_point& wake, std::uint64_t& got) {
            if (wake > now) return;
            Clock::time_point retry = now;
            auto n = t.grant(256 * 1024, now, retry);
            if (n == 0) {
                wake = retry;
                return;
            }
            t.consume(n);
            got += n;
        };
        step(a, wake_a, got_a);
        step(b, wake_b, got_b);
    }
    CHECK(got_a + got_b >= 2'850'000);
    CHECK(got_a + got_b <= 3'150'000);
    CHECK(got_a >= 1'350'000);
    CHECK(got_b >= 1'350'000);
}

TEST_CASE("a throttle is held to the lowest of its buckets", "[proxyd][bandwidth]") {
    proxyd::Throttle t(
        {std::make_shared<TokenBucket>(8'000'000), std::make_shared<TokenBucket>(800'000)});
    CHECK(t.rate() == 800'000);
}

TEST_CASE("a reload keeps the bucket of an unchanged limit", "[proxyd][bandwidth]") {
    auto first = testing::check_text("bandlimin 1000000 alice\nbandlimout 64000 *\nsocks\n");
    proxyd::BandwidthLimits limits;
    auto b1 = limits.buckets_for(first.model);
    limits.commit(first.model, b1);

    // Same ACL, new rate; a new line; the out line gone.
    auto second = testing::check_text("bandlimin 500000 alice\nbandlimin 300 bob\nsocks\n");
    auto b2 = limits.buckets_for(second.model);
    REQUIRE(b2.size() == 2);
    CHECK(b2[0] == b1[0]);
    CHECK(b2[1] != b1[0]);
    CHECK(b1[0]->rate() == 1000000);  // a dry run changes nothing
    limits.commit(second.model, b2);
    CHECK(b1[0]->rate() == 500000);  // sessions holding it are slowed at once

    auto third = testing::check_text("bandlimout 64000 *\nsocks\n");
    auto b3 = limits.buckets_for(third.model);
    CHECK(b3[0] != b1[1]);  // forgotten when a generation went without it
}
