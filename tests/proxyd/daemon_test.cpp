// Privilege dropping refuses what it cannot resolve, before changing anything. Only the
// refusals are tested: a successful drop would take root from the test process itself.
#include "daemon.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>

using proxyd::drop_privileges;

TEST_CASE("drop_privileges with no user and no group changes nothing") {
    std::string error;
    auto uid = ::geteuid();
    CHECK(drop_privileges("", "", error));
    CHECK(error.empty());
    CHECK(::geteuid() == uid);
}

TEST_CASE("drop_privileges names the user or group it cannot find") {
    std::string error;
    auto uid = ::geteuid();
    CHECK_FALSE(drop_privileges("", "no-such-group-proxyd-test", error));
    CHECK(error == "setgid no-such-group-proxyd-test: no such group");
    CHECK_FALSE(drop_privileges("no-such-user-proxyd-test", "", error));
    CHECK(error == "setuid no-such-user-proxyd-test: no such user");
    CHECK(::geteuid() == uid);
}

TEST_CASE("a numeric id too large for its type is refused, not wrapped or thrown") {
    std::string error;
    auto uid = ::geteuid();
    CHECK_FALSE(drop_privileges("99999999999999999999", "", error));
    CHECK(error == "setuid 99999999999999999999: no such user");
    CHECK_FALSE(drop_privileges("", "4294967296", error));
    CHECK(error == "setgid 4294967296: no such group");
    CHECK(::geteuid() == uid);
}
