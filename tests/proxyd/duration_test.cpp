// The duration syntax of proxyd --drain-timeout and proxyctl reload --wait-drained.
#include "proxycontrol/duration.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using control::parse_duration;

TEST_CASE("durations are seconds, or a number with a unit") {
    std::string error;
    CHECK(parse_duration("30", error) == 30s);
    CHECK(parse_duration("30s", error) == 30s);
    CHECK(parse_duration("250ms", error) == 250ms);
    CHECK(parse_duration("5m", error) == 5min);
    CHECK(parse_duration("1h", error) == 1h);
    CHECK(parse_duration("2d", error) == 48h);
    CHECK(error.empty());
}

TEST_CASE("a malformed duration is refused with the accepted syntax") {
    for (const char* bad : {"", "s", "-5", "1.5s", "5 m", "5x", "10min", "0", "0s"}) {
        std::string error;
        CHECK_FALSE(parse_duration(bad, error));
        CHECK(error.find("30s, 5m, 1h") != std::string::npos);
    }
    std::string error;
    CHECK_FALSE(parse_duration("5x", error));
    CHECK(error.find("unknown unit 'x'") != std::string::npos);
    CHECK_FALSE(parse_duration("99999999999999999999", error));
    CHECK(error.find("too long") != std::string::npos);
    CHECK_FALSE(parse_duration("0", error));
    CHECK(error.find("not a positive duration") != std::string::npos);
}
