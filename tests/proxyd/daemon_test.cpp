// Privilege dropping refuses what it cannot resolve, before changing anything. Only the
// refusals are tested: a successful drop would take root from the test process itself.
#include "daemon.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>

#include "jail.hpp"

using proxyd::drop_privileges;
using proxyd::look_up_account;

TEST_CASE("drop_privileges with no user and no group changes nothing") {
    std::string error;
    auto uid = ::geteuid();
    auto account = look_up_account("", "", error);
    REQUIRE(account);
    CHECK(drop_privileges(*account, error));
    CHECK(error.empty());
    CHECK(::geteuid() == uid);
}

TEST_CASE("look_up_account names the user or group it cannot find") {
    std::string error;
    CHECK_FALSE(look_up_account("", "no-such-group-proxyd-test", error));
    CHECK(error == "setgid no-such-group-proxyd-test: no such group");
    CHECK_FALSE(look_up_account("no-such-user-proxyd-test", "", error));
    CHECK(error == "setuid no-such-user-proxyd-test: no such user");
}

TEST_CASE("look_up_account takes names and numbers") {
    std::string error;
    auto account = look_up_account("root", "0", error);
    REQUIRE(account);
    CHECK(account->uid == 0u);
    CHECK(account->gid == 0u);
}

TEST_CASE("a numeric id too large for its type is refused, not wrapped or thrown") {
    std::string error;
    CHECK_FALSE(look_up_account("99999999999999999999", "", error));
    CHECK(error == "setuid 99999999999999999999: no such user");
    CHECK_FALSE(look_up_account("", "4294967296", error));
    CHECK(error == "setgid 4294967296: no such group");
}

TEST_CASE("Jail::inside strips the jail's prefix from paths in it, and only from those") {
    proxyd::Jail jail("/srv/jail/");
    CHECK(jail.active());
    CHECK(jail.dir() == "/srv/jail");
    CHECK(jail.inside("/srv/jail/etc/proxyd.cfg") == "/etc/proxyd.cfg");
    CHECK(jail.inside("/srv/jail") == "/");
    CHECK(jail.inside("/srv/jailbreak/x") == "/srv/jailbreak/x");
    CHECK(jail.inside("/etc/passwd") == "/etc/passwd");
    proxyd::Jail none("");
    CHECK_FALSE(none.active());
    CHECK(none.inside("/srv/jail/x") == "/srv/jail/x");
}
