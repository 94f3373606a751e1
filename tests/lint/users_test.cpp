// Users and passwords: PX201, PX203, PX206, PX207, PX208, PX211, PX215.
#include <catch2/catch.hpp>

#include "check_text.hpp"

using proxycfg::Dialect;
using testing::check_text;
using testing::contains;
using testing::reports;
using testing::with_code;

TEST_CASE("auth strong with no users at all is reported at the auth line", "[lint][users]") {
    auto l = check_text(R"(auth strong
allow *
socks -i127.0.0.1
)");
    auto d = with_code(l, "PX201");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 1);
    CHECK(d[0].severity == proxycfg::Severity::error);
    CHECK(contains(d[0].message, "no users are defined"));
    REQUIRE(d[0].notes.size() == 1);
    CHECK(d[0].notes[0].span.line == 3);
}

TEST_CASE("auth strong with only SYS and typo users is reported", "[lint][users]") {
    auto l = check_text(R"(users bob alice:Cl:secret
auth strong
socks -i127.0.0.1
)");
    auto d = with_code(l, "PX201");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 2);
    CHECK(contains(d[0].message, "2 defined user(s)"));
}

TEST_CASE("auth cache counts as needing users", "[lint][users]") {
    auto l = check_text("auth cache strong\nsocks -i127.0.0.1\n", Dialect::threeproxy);
    CHECK(reports(l, "PX201", 1));
}

TEST_CASE("auth strong with one CR user is not reported as userless", "[lint][users]") {
    auto l = check_text(R"(users "bob:CR:$1$abcdefgh$0123456789012345678901"
auth strong
socks -i127.0.0.1
)");
    CHECK_FALSE(reports(l, "PX201"));
}

TEST_CASE("iponly without users is not reported as userless", "[lint][users]") {
    auto l = check_text("auth iponly\nallow * 10.0.0.0/8\nsocks\n");
    CHECK_FALSE(reports(l, "PX201"));
}

TEST_CASE("a user defined twice is reported at the later definition", "[lint][users]") {
    auto l = check_text(R"(users bob:CL:one alice:CL:two
users bob:CL:three
auth strong
socks -i127.0.0.1
)");
    auto d = with_code(l, "PX203");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 2);
    CHECK(d[0].span.column == 7);
    CHECK(contains(d[0].message, "'bob' is defined again"));
    CHECK(contains(d[0].message, "line 1"));
    REQUIRE(d[0].notes.size() == 1);
    CHECK(d[0].notes[0].span.line == 1);
    CHECK(d[0].notes[0].span.column == 7);
    // 3proxy's lookup finds the last definition.
    CHECK(l.model.find_user("bob")->secret() == "three");
}

TEST_CASE("distinct user names are not duplicates", "[lint][users]") {
    auto l = check_text("users bob:CL:one Bob:CL:two\nauth strong\nsocks -i127.0.0.1\n");
    CHECK_FALSE(reports(l, "PX203"));
}

TEST_CASE("a plaintext CL password is an info finding", "[lint][users]") {
    auto l = check_text("users bob:CL:secret\nauth strong\nsocks -i127.0.0.1\n");
    auto d = with_code(l, "PX206");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 1);
    CHECK(d[0].severity == proxycfg::Severity::info);
    CHECK(contains(d[0].message, "'bob' has a plaintext CL: password"));
}

TEST_CASE("several CL users on one line give one plaintext finding", "[lint][users]") {
    auto l = check_text("users a:CL:1 b:CL:2 c:CL:3 d:CL:4\nauth strong\nsocks -i127.0.0.1\n");
    auto d = with_code(l, "PX206");
    REQUIRE(d.size() == 1);
    CHECK(contains(d[0].message, "4 users have plaintext CL: passwords (a, b, c, ...)"));
}

TEST_CASE("a CR hash is not a plaintext password", "[lint][users]") {
    auto l = check_text(R"(users "bob:CR:$1$abcdefgh$0123456789012345678901"
auth strong
socks -i127.0.0.1
)");
    CHECK_FALSE(reports(l, "PX206"));
}

TEST_CASE("an empty CL password is an error because 3proxy accepts any password", "[lint][users]") {
    auto l = check_text("users bob:CL: alice:CL:x\nauth strong\nsocks -i127.0.0.1\n");
    auto d = with_code(l, "PX207");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 1);
    CHECK(d[0].span.column == 7);
    CHECK(d[0].severity == proxycfg::Severity::error);
    CHECK(contains(d[0].message, "accepts any password"));
    // Not also reported as plaintext.
    auto plain = with_code(l, "PX206");
    REQUIRE(plain.size() == 1);
    CHECK(contains(plain[0].message, "'alice'"));
}

TEST_CASE("a one-character CL password is not empty", "[lint][users]") {
    auto l = check_text("users bob:CL:x\nauth strong\nsocks -i127.0.0.1\n");
    CHECK_FALSE(reports(l, "PX207"));
}

TEST_CASE("user:pass without a type is a malformed user with a CL fix-it", "[lint][users]") {
    auto l = check_text("users bob:secret\nauth strong\nsocks -i127.0.0.1\n");
    auto d = with_code(l, "PX208");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 1);
    CHECK(contains(d[0].message, "user literally named 'bob:secret'"));
    REQUIRE(d[0].fixits.size() == 1);
    CHECK(d[0].fixits[0].span.column == 10);
    CHECK(d[0].fixits[0].span.length == 1);
    CHECK(d[0].fixits[0].replacement == ":CL:");
}

TEST_CASE("a lower-case type typo is malformed with an upper-case fix-it", "[lint][users]") {
    auto l = check_text("users bob:Cl:secret\nauth strong\nsocks -i127.0.0.1\n");
    auto d = with_code(l, "PX208");
    REQUIRE(d.size() == 1);
    CHECK(contains(d[0].message, "unknown password type 'Cl'"));
    CHECK(contains(d[0].message, "upper case: CL"));
    REQUIRE(d[0].fixits.size() == 1);
    CHECK(d[0].fixits[0].span.column == 11);
    CHECK(d[0].fixits[0].span.length == 2);
    CHECK(d[0].fixits[0].replacement == "CL");
}

TEST_CASE("an LM user under auth strong is malformed, with a note at the auth line",
          "[lint][users]") {
    auto l = check_text(R"(users bob:CL:pw carol:LM:0123
auth strong
socks -i127.0.0.1
)");
    auto d = with_code(l, "PX208");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.column == 17);
    CHECK(contains(d[0].message, "LM: hash"));
    REQUIRE(d[0].notes.size() == 1);
    CHECK(d[0].notes[0].span.line == 2);
}

TEST_CASE("a bare user name under auth strong is malformed", "[lint][users]") {
    auto l = check_text("users bob:CL:pw dave\nauth strong\nsocks -i127.0.0.1\n");
    auto d = with_code(l, "PX208");
    REQUIRE(d.size() == 1);
    CHECK(contains(d[0].message, "'dave' has no password"));
}

TEST_CASE("a bare user name without auth strong is fine", "[lint][users]") {
    auto l = check_text("users dave\nauth iponly\nallow * 10.0.0.0/8\nsocks\n");
    CHECK_FALSE(reports(l, "PX208"));
}

TEST_CASE("well-formed users are not malformed", "[lint][users]") {
    auto l = check_text(R"(users bob:CL:pw "eve:CR:$1$abcdefgh$0123456789012345678901"
auth strong
socks -i127.0.0.1
)");
    CHECK_FALSE(reports(l, "PX208"));
}

TEST_CASE("an unquoted CR hash is read as a file inclusion and the user disappears",
          "[lint][users]") {
    auto l = check_text(R"(users bob:CL:pw eve:CR:$1$abcdefgh$0123456789012345678901
auth strong
socks -i127.0.0.1
)");
    auto d = with_code(l, "PX211");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 1);
    CHECK(d[0].span.column == 17);
    CHECK(d[0].severity == proxycfg::Severity::error);
    CHECK(contains(d[0].message, "user 'eve' silently disappears"));
    REQUIRE(d[0].fixits.size() == 1);
    CHECK(d[0].fixits[0].replacement == "\"eve:CR:$1$abcdefgh$0123456789012345678901\"");
    CHECK(l.model.find_user("eve") == nullptr);
}

TEST_CASE("a '$' inside a CL password is read as a file inclusion", "[lint][users]") {
    auto l = check_text("users bob:CL:pa$$word\nauth strong\nsocks -i127.0.0.1\n");
    auto d = with_code(l, "PX211");
    REQUIRE(d.size() == 1);
    CHECK(contains(d[0].message, "'bob'"));
}

TEST_CASE("the users $file idiom and quoted hashes are not unquoted dollars", "[lint][users]") {
    auto l = check_text(R"(users $/nonexistent/passwd
users "eve:CR:$1$abcdefgh$0123456789012345678901"
auth strong
socks -i127.0.0.1
)");
    CHECK_FALSE(reports(l, "PX211"));
}

TEST_CASE("an NT hash in lower case is malformed with an upper-case fix-it", "[lint][users]") {
    auto l = check_text(
        "users bob:NT:8846f7eaee8fb117ad06bdd830b7586c\nauth strong\nsocks -i127.0.0.1\n",
        Dialect::threeproxy);
    auto d = with_code(l, "PX215");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 1);
    CHECK(contains(d[0].message, "lower-case hex"));
    REQUIRE(d[0].fixits.size() == 1);
    CHECK(d[0].fixits[0].replacement == "8846F7EAEE8FB117AD06BDD830B7586C");
    CHECK(d[0].fixits[0].span.column == 14);
}

TEST_CASE("a short NT hash and a non-crypt CR value are malformed", "[lint][users]") {
    auto l = check_text("users bob:NT:ABC123 eve:CR:plaintext\nauth strong\nsocks -i127.0.0.1\n",
                        Dialect::threeproxy);
    auto d = with_code(l, "PX215");
    REQUIRE(d.size() == 2);
    CHECK(contains(d[0].message, "32 upper-case hex digits"));
    CHECK(contains(d[1].message, "not a crypt(3) hash"));
}

TEST_CASE("an empty CR value is malformed because 3proxy accepts anything", "[lint][users]") {
    auto l = check_text("users eve:CR:\nauth strong\nsocks -i127.0.0.1\n");
    auto d = with_code(l, "PX215");
    REQUIRE(d.size() == 1);
    CHECK(contains(d[0].message, "empty CR: value"));
}

TEST_CASE("upper-case NT hashes and $1$, $6$, $y$ crypt strings are well formed", "[lint][users]") {
    auto l = check_text(R"(users bob:NT:8846F7EAEE8FB117AD06BDD830B7586C
users "eve:CR:$1$abcdefgh$0123456789012345678901"
users "sha:CR:$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1"
users "yes:CR:$y$j9T$F5Jx5fExrKuPp53xLKQ..1$GmcwIgvdUC9qLWcKCi6gklUa1dM3ziD43YxYNURLKy0"
auth strong
socks -i127.0.0.1
)");
    CHECK_FALSE(reports(l, "PX215"));
}

TEST_CASE("a users path without '$' is a user name, with a fix-it adding the '$'",
          "[lint][users]") {
    auto l = check_text("users /etc/3proxy/passwd\nsocks -i127.0.0.1\n");
    auto d = with_code(l, "PX208");
    REQUIRE(d.size() == 1);
    CHECK(contains(d[0].message, "write users $/etc/3proxy/passwd"));
    REQUIRE(d[0].fixits.size() == 1);
    CHECK(d[0].fixits[0].replacement == "$");
    CHECK(d[0].fixits[0].span.column == 7);
    CHECK(d[0].fixits[0].span.length == 0);
}

TEST_CASE("a users $file that cannot be read does not claim there are no users", "[lint][users]") {
    auto l = check_text("users $/nonexistent/passwd\nauth strong\nsocks -i127.0.0.1\n");
    CHECK(reports(l, "PX011", 1));
    CHECK_FALSE(reports(l, "PX201"));
}

TEST_CASE("a missing include may hold the users, so no userless finding", "[lint][users]") {
    auto l = check_text("include /nonexistent/users.cfg\nauth strong\nsocks -i127.0.0.1\n");
    CHECK(reports(l, "PX010", 1));
    CHECK_FALSE(reports(l, "PX201"));
}
