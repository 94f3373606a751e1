// Auth chains: order, plugin names, chains past the inline room, copies.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "proxycfg/auth_chain.hpp"

using proxycfg::AuthChain;
using proxycfg::AuthMethod;

namespace {

std::vector<AuthMethod> methods(const AuthChain& c) {
    return {c.begin(), c.end()};
}

}  // namespace

TEST_CASE("an auth chain keeps its methods in order", "[grammar][auth]") {
    AuthChain empty;
    CHECK(empty.empty());
    CHECK(empty.begin() == empty.end());
    CHECK(empty.plugin_names().empty());

    AuthChain c{AuthMethod::iponly, AuthMethod::strong};
    CHECK(c.size() == 2);
    CHECK(c.front() == AuthMethod::iponly);
    CHECK(c[1] == AuthMethod::strong);
    CHECK(c.contains(AuthMethod::strong));
    CHECK_FALSE(c.contains(AuthMethod::cache));
    CHECK(c == AuthChain{AuthMethod::iponly, AuthMethod::strong});
    CHECK_FALSE(c == AuthChain{AuthMethod::strong, AuthMethod::iponly});
    std::span<const AuthMethod> view = c;
    CHECK(view.size() == 2);
}

TEST_CASE("an auth chain longer than its inline room keeps every method", "[grammar][auth]") {
    std::vector<AuthMethod> want;
    AuthChain c;
    for (int i = 0; i < 20; ++i) {
        auto m = static_cast<AuthMethod>(i % 7);
        want.push_back(m);
        c.push_back(m);
        REQUIRE(methods(c) == want);
    }
    AuthChain copy = c;
    CHECK(copy == c);
    copy.push_back(AuthMethod::none);
    CHECK(c.size() == 20);
    CHECK(copy.size() == 21);
}

TEST_CASE("plugin methods name their types in order", "[grammar][auth]") {
    AuthChain c{AuthMethod::iponly};
    c.push_plugin("ldap");
    c.push_back(AuthMethod::strong);
    c.push_plugin("pam");
    CHECK(methods(c) == std::vector<AuthMethod>{AuthMethod::iponly, AuthMethod::plugin,
                                                AuthMethod::strong, AuthMethod::plugin});
    REQUIRE(c.plugin_names().size() == 2);
    CHECK(c.plugin_names()[0] == "ldap");
    CHECK(c.plugin_names()[1] == "pam");
    CHECK(c.names() == std::vector<std::string_view>{"iponly", "ldap", "strong", "pam"});

    AuthChain other{AuthMethod::iponly};
    other.push_plugin("radius2");
    other.push_back(AuthMethod::strong);
    other.push_plugin("pam");
    CHECK_FALSE(other == c);  // same methods, another plugin

    AuthChain copy;
    copy = c;
    CHECK(copy == c);
    AuthChain moved = std::move(copy);
    CHECK(moved == c);
}
