// Service options: key order, replacement, limits.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "proxycfg/service_options.hpp"

using proxycfg::ServiceOptions;

namespace {

std::vector<std::string> listed(const ServiceOptions& o) {
    std::vector<std::string> out;
    for (const auto& [k, v] : o) out.push_back(std::string(k) + "=" + std::string(v));
    return out;
}

}  // namespace

TEST_CASE("service options read back in key order, one value per key", "[grammar][options]") {
    ServiceOptions o;
    CHECK(o.empty());
    CHECK(o.size() == 0);
    CHECK(o.begin() == o.end());
    o.set("-n", "");
    o.set("-a", "1");
    o.set("-s", "0");
    CHECK_FALSE(o.empty());
    CHECK(o.size() == 3);
    CHECK(listed(o) == std::vector<std::string>{"-a=1", "-n=", "-s=0"});
    CHECK(o.count("-n") == 1);
    CHECK(o.contains("-s"));
    CHECK_FALSE(o.contains("-b"));
    CHECK(o.find("-z") == o.end());
    CHECK(o.at("-a") == "1");
    CHECK(o.at("-n").empty());
    CHECK(o.find("-s")->second == "0");
    CHECK_THROWS_AS(o.at("-x"), std::out_of_range);

    SECTION("a later value replaces the earlier one, whatever its size") {
        o.set("-n", "a much longer value than before");
        o.set("-a", "");
        CHECK(listed(o) ==
              std::vector<std::string>{"-a=", "-n=a much longer value than before", "-s=0"});
        o.set("-n", "2");
        CHECK(listed(o) == std::vector<std::string>{"-a=", "-n=2", "-s=0"});
        CHECK(o.size() == 3);
    }
    SECTION("copies compare by content") {
        ServiceOptions copy = o;
        CHECK(copy == o);
        copy.set("-s", "1");
        CHECK_FALSE(copy == o);
        CHECK(o.at("-s") == "0");
    }
}

TEST_CASE("service option values keep any bytes up to the limit", "[grammar][options]") {
    ServiceOptions o;
    std::string bytes("\0\xff-x\x01", 5);
    o.set("-h", bytes);
    std::string longest(ServiceOptions::max_value, 'v');
    o.set("-e", longest);
    o.set("-f", "%t %U");
    CHECK(o.at("-h") == bytes);
    CHECK(o.at("-e") == longest);
    CHECK(o.at("-f") == "%t %U");
    CHECK(o.size() == 3);
    CHECK_THROWS_AS(o.set("-g", longest + "v"), std::length_error);
    CHECK_THROWS_AS(o.set(std::string(ServiceOptions::max_key + 1, 'k'), ""), std::length_error);
    CHECK(o.size() == 3);
}
