// The connlim budgets: concurrent counts, rate windows on an injected clock, and what a
// reload keeps.
#include "conn_limiter.hpp"

#include <catch2/catch.hpp>

#include <memory>

#include "check_text.hpp"

using proxyd::Clock;
using proxyd::ConnLimiter;
using namespace std::chrono_literals;

namespace {

struct Limits {
    proxycfg::Loaded loaded;
    explicit Limits(std::string text) : loaded(testing::check_text(std::move(text) + "socks\n")) {}
    std::span<const proxycfg::ConnLimit> all() const { return loaded.model.globals.connlims; }
    const proxycfg::ConnLimit& operator[](std::size_t i) const { return all()[i]; }
};

}  // namespace

TEST_CASE("a concurrent limit refuses the one over it until a session ends", "[proxyd][connlim]") {
    Limits limits("connlim 2 0 *\n");
    auto limiter = std::make_shared<ConnLimiter>();
    const std::size_t first[] = {0};
    auto now = Clock::now();
    auto a = limiter->admit(limits.all(), first, now);
    auto b = limiter->admit(limits.all(), first, now);
    CHECK(a.admitted);
    CHECK(b.admitted);
    CHECK(limiter->active(limits[0]) == 2);
    auto c = limiter->admit(limits.all(), first, now);
    CHECK_FALSE(c.admitted);
    CHECK(c.refused_by == 0);
    CHECK(limiter->active(limits[0]) == 2);  // a refusal takes nothing
    a.hold.release();
    CHECK(limiter->active(limits[0]) == 1);
    a.hold.release();  // once only
    CHECK(limiter->active(limits[0]) == 1);
    auto d = limiter->admit(limits.all(), first, now);
    CHECK(d.admitted);
    {
        auto moved = std::move(d.hold);  // the hold follows its owner
        CHECK(limiter->active(limits[0]) == 2);
    }
    CHECK(limiter->active(limits[0]) == 1);
}

TEST_CASE("a limit refused takes nothing from the others", "[proxyd][connlim]") {
    Limits limits("connlim 5 0 *\nconnlim 1 0 *\nconnlim 3 60 *\n");
    auto limiter = std::make_shared<ConnLimiter>();
    const std::size_t all[] = {0, 1, 2};
    auto now = Clock::now();
    auto a = limiter->admit(limits.all(), all, now);
    REQUIRE(a.admitted);
    CHECK(a.hold.size() == 2);  // the two concurrent ones
    auto b = limiter->admit(limits.all(), all, now);
    CHECK_FALSE(b.admitted);
    CHECK(b.refused_by == 1);
    CHECK(limiter->active(limits[0]) == 1);
    // The rate window was not charged by the refusal: two more fit in it.
    const std::size_t rate_only[] = {2};
    CHECK(limiter->admit(limits.all(), rate_only, now).admitted);
    CHECK(limiter->admit(limits.all(), rate_only, now).admitted);
    CHECK_FALSE(limiter->admit(limits.all(), rate_only, now).admitted);
}

TEST_CASE("a rate limit admits RATE connections and decays over PERIOD", "[proxyd][connlim]") {
    Limits limits("connlim 3 10 *\n");
    auto limiter = std::make_shared<ConnLimiter>();
    const std::size_t first[] = {0};
    auto t0 = Clock::now();
    for (int i = 0; i < 3; ++i) CHECK(limiter->admit(limits.all(), first, t0 + 1ms * i).admitted);
    CHECK_FALSE(limiter->admit(limits.all(), first, t0 + 5ms).admitted);
    // Half the period later the load of 3 has decayed to 1.5: one more fits (2.5), not two.
    CHECK(limiter->admit(limits.all(), first, t0 + 5s).admitted);
    CHECK_FALSE(limiter->admit(limits.all(), first, t0 + 5s + 1ms).admitted);
    // A whole quiet period starts the window again.
    for (int i = 0; i < 3; ++i)
        CHECK(limiter->admit(limits.all(), first, t0 + 16s + 1ms * i).admitted);
    CHECK_FALSE(limiter->admit(limits.all(), first, t0 + 16s + 5ms).admitted);
    // A rate window holds no count for a session to give back.
    CHECK(limiter->admit(limits.all(), first, t0 + 40s).hold.size() == 0);
}

TEST_CASE("a rate of 0 refuses every connection", "[proxyd][connlim]") {
    Limits limits("connlim 0 0 *\nconnlim 0 60 *\n");
    auto limiter = std::make_shared<ConnLimiter>();
    const std::size_t first[] = {0}, second[] = {1};
    CHECK_FALSE(limiter->admit(limits.all(), first, Clock::now()).admitted);
    CHECK_FALSE(limiter->admit(limits.all(), second, Clock::now()).admitted);
}

TEST_CASE("a reload that keeps the limit keeps its count", "[proxyd][connlim]") {
    Limits gen1("connlim 2 0 *\n");
    Limits gen2("users alice:CL:a\nconnlim 2 0 *\n");  // same limit, another file
    Limits gen3("connlim 2 0 alice\n");                // another limit
    auto limiter = std::make_shared<ConnLimiter>();
    const std::size_t first[] = {0};
    auto now = Clock::now();
    auto a = limiter->admit(gen1.all(), first, now);
    auto b = limiter->admit(gen1.all(), first, now);
    limiter->retain(gen2.loaded.model);
    CHECK(limiter->active(gen2[0]) == 2);
    CHECK_FALSE(limiter->admit(gen2.all(), first, now).admitted);
    // A session admitted under generation 1 gives its count back under generation 2.
    a.hold.release();
    CHECK(limiter->admit(gen2.all(), first, now).admitted);
    // A limit the new generation does not have starts from nothing; the old count is
    // kept only until its sessions end.
    limiter->retain(gen3.loaded.model);
    CHECK(limiter->active(gen3[0]) == 0);
    CHECK(limiter->size() == 1);
    b.hold.release();
}
