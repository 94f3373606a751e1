#include "log_loss.hpp"

#include <catch2/catch.hpp>

using namespace proxyd;
using namespace std::chrono_literals;

TEST_CASE("a failing log target is reported at once, then once per interval with a count") {
    LogLossReporter r(10s);
    LogLossReporter::TimePoint t0{};
    auto first = r.lost("/var/log/p.log", "cannot write: No space left on device", t0);
    REQUIRE(first);
    CHECK(*first ==
          "log /var/log/p.log: cannot write: No space left on device; 1 line lost (reported at "
          "most every 10 s until it recovers)");
    // Within the interval: counted, not printed.
    for (int i = 1; i <= 4; ++i)
        CHECK_FALSE(r.lost("/var/log/p.log", "cannot write: No space left on device", t0 + i * 2s));
    CHECK_FALSE(r.lost("/var/log/p.log", "cannot write: No space left on device", t0 + 9999ms));
    auto second = r.lost("/var/log/p.log", "cannot write: No space left on device", t0 + 10s);
    REQUIRE(second);
    CHECK(*second ==
          "log /var/log/p.log: cannot write: No space left on device; 6 lines lost since the last "
          "report");
    // The interval restarts at each report.
    CHECK_FALSE(r.lost("/var/log/p.log", "cannot write: No space left on device", t0 + 19s));
    auto recovered = r.written("/var/log/p.log");
    REQUIRE(recovered);
    CHECK(*recovered ==
          "log /var/log/p.log: writing again; 8 lines lost in all (1 line since the "
          "last report)");
    CHECK_FALSE(r.written("/var/log/p.log"));  // said once
}

TEST_CASE("targets are rate-limited separately and a healthy one never reports") {
    LogLossReporter r(10s);
    LogLossReporter::TimePoint t0{};
    CHECK_FALSE(r.written("a.log"));
    CHECK(r.lost("a.log", "cannot open: Permission denied", t0));
    CHECK(r.lost("b.log", "cannot write: Input/output error", t0 + 1s));
    CHECK_FALSE(r.lost("a.log", "cannot open: Permission denied", t0 + 2s));
    CHECK_FALSE(r.written("c.log"));
    auto b = r.written("b.log");
    REQUIRE(b);
    CHECK(*b == "log b.log: writing again; 1 line lost in all");
    // A target that fails again after recovering is reported at once.
    auto again = r.lost("b.log", "cannot write: Input/output error", t0 + 3s);
    REQUIRE(again);
    CHECK_THAT(*again, Catch::Contains("1 line lost (reported at most every 10 s"));
}
