// ACL logic and auth types: PX202, PX204, PX205, PX209, PX210, PX212, PX213, PX214, PX217.
#include <catch2/catch.hpp>

#include "check_text.hpp"

using proxycfg::Dialect;
using testing::check_text;
using testing::contains;
using testing::reports;
using testing::with_code;

// --- PX202

TEST_CASE("an ACL naming an undefined user is reported with a suggestion", "[lint][acl]") {
    auto l = check_text(R"(users bob:CL:pw alice:CL:pw
auth strong
allow bbo,alice
socks -i127.0.0.1
)");
    auto d = with_code(l, "PX202");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 3);
    CHECK(d[0].span.column == 7);
    CHECK(d[0].span.length == 3);
    CHECK(contains(d[0].message, "'bbo', which is not defined; did you mean 'bob'?"));
    REQUIRE(d[0].fixits.size() == 1);
    CHECK(d[0].fixits[0].replacement == "bob");
}

TEST_CASE("a user name differing only in case is undefined and says so", "[lint][acl]") {
    auto l = check_text("users Bob:CL:pw\nauth strong\nallow bob\nsocks -i127.0.0.1\n");
    auto d = with_code(l, "PX202");
    REQUIRE(d.size() == 1);
    CHECK(contains(d[0].message, "case-sensitive"));
}

TEST_CASE("defined users, '*' and '-' are not undefined users", "[lint][acl]") {
    auto l = check_text(R"(users bob:CL:pw
auth strong
allow bob,-
allow *
socks -i127.0.0.1
)");
    CHECK_FALSE(reports(l, "PX202"));
}

TEST_CASE("user names in ACLs are not checked when no users exist and auth needs none",
          "[lint][acl]") {
    auto l = check_text("auth useronly\nallow bob\nsocks -i127.0.0.1\n");
    CHECK_FALSE(reports(l, "PX202"));
}

// --- PX204

TEST_CASE("an allow for bob after allow * 10.0.0.0/8 is reported as shadowed", "[lint][acl]") {
    auto l = check_text(R"(users bob:CL:pw
auth strong
allow * 10.0.0.0/8
allow bob 10.1.0.0/16 * 80,443
deny *
socks -i127.0.0.1
)");
    auto d = with_code(l, "PX204");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 4);
    CHECK(contains(d[0].message, "'allow * 10.0.0.0/8' on line 3"));
    REQUIRE(d[0].notes.size() == 1);
    CHECK(d[0].notes[0].span.line == 3);
}

TEST_CASE("shadowing is looked for in every segment of a large file", "[lint][acl]") {
    // 53 segments of 440 entries that cover none of each other: about 96,000 comparisons
    // each, 5.1 million in all, so a shadowed entry in the last segment is found only if
    // the comparisons are budgeted per segment and not cut off for the file.
    std::string text;
    std::uint32_t line = 0;
    auto add = [&](const std::string& l) {
        text += l + "\n";
        ++line;
    };
    std::uint32_t shadowed_line = 0;
    for (int seg = 0; seg < 53; ++seg) {
        add("flush");
        if (seg == 52) {
            add("allow u,y * * 80");
            add("allow u,y * * 80");
            shadowed_line = line;
        }
        for (int i = 0; i < 440; ++i)
            add("allow u,x" + std::to_string(seg) + "_" + std::to_string(i) + " * * 80");
        add("socks -i127.0.0.1 -p" + std::to_string(20000 + seg));
    }
    auto l = check_text(text);
    auto d = with_code(l, "PX204");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == shadowed_line);
}

TEST_CASE("a deny shadowed by an earlier allow says it decides the opposite", "[lint][acl]") {
    auto l = check_text(R"(users bob:CL:pw alice:CL:pw
auth strong
allow bob,alice * *.example.com
deny bob * www.example.com 443 CONNECT
socks -i127.0.0.1
)");
    auto d = with_code(l, "PX204");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 4);
    CHECK(contains(d[0].message, "decides the opposite"));
}

TEST_CASE("a shadowed entry shared by two services is reported once", "[lint][acl]") {
    auto l = check_text(R"(auth iponly
allow * 10.0.0.0/8
allow * 10.1.0.0/16
socks -i127.0.0.1
proxy -i127.0.0.1
)");
    auto d = with_code(l, "PX204");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 3);
}

TEST_CASE("a narrower entry before a broader one is not shadowed", "[lint][acl]") {
    auto l = check_text(R"(users bob:CL:pw
auth strong
deny bob * * 25
allow bob 10.0.0.0/8
allow * 10.0.0.0/8 * 80 HTTP_GET
allow * 192.168.0.0/16 * * HTTP
allow * 192.168.0.0/16 * * * 1-5
allow * 192.168.0.0/16 *.example.com
allow * 192.168.0.0/16 example.com
deny *
socks -i127.0.0.1
)");
    INFO(testing::summary(l));
    CHECK_FALSE(reports(l, "PX204"));
}

TEST_CASE("an entry with a parent does not shadow BIND and UDPASSOC requests", "[lint][acl]") {
    auto l = check_text(R"(allow *
parent 1000 socks5 192.0.2.1 1080
allow * * * * UDPASSOC
allow * * * * CONNECT
socks -i127.0.0.1
)",
                        Dialect::threeproxy);
    CHECK_FALSE(reports(l, "PX205"));
    CHECK_FALSE(reports(l, "PX204", 3));
    CHECK(reports(l, "PX204", 4));
}

// --- PX205

TEST_CASE("entries after deny * are dead and reported once with a note at the catch-all",
          "[lint][acl]") {
    auto l = check_text(R"(auth iponly
allow * 10.0.0.0/8
deny *
allow * 192.168.0.0/16
allow * 172.16.0.0/12
socks -i127.0.0.1
)");
    auto d = with_code(l, "PX205");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 4);
    CHECK(contains(d[0].message, "2 ACL entries after the catch-all 'deny *' on line 3"));
    REQUIRE(d[0].notes.size() == 1);
    CHECK(d[0].notes[0].span.line == 3);
    CHECK_FALSE(reports(l, "PX204"));
}

TEST_CASE("a final deny * is not followed by dead entries", "[lint][acl]") {
    auto l = check_text("auth iponly\nallow * 10.0.0.0/8\ndeny *\nsocks -i127.0.0.1\n");
    CHECK_FALSE(reports(l, "PX205"));
}

// --- PX209

TEST_CASE("user names under auth iponly never match", "[lint][acl]") {
    auto l = check_text(R"(users bob:CL:pw
auth iponly
allow bob
socks -i127.0.0.1
)");
    auto d = with_code(l, "PX209");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 3);
    CHECK(contains(d[0].message, "hides the username"));
    REQUIRE(d[0].notes.size() == 1);
    CHECK(d[0].notes[0].span.line == 2);
}

TEST_CASE("user names under the default auth are reported with a note on the default",
          "[lint][acl]") {
    auto l = check_text("users bob:CL:pw\nallow bob\nsocks -i127.0.0.1\n");
    auto d = with_code(l, "PX209");
    REQUIRE(d.size() == 1);
    REQUIRE(d[0].notes.size() == 1);
    CHECK(contains(d[0].notes[0].message, "default is iponly"));
}

TEST_CASE("user names under auth iponly strong are fine", "[lint][acl]") {
    auto l = check_text("users bob:CL:pw\nauth iponly strong\nallow bob\nsocks -i127.0.0.1\n");
    CHECK_FALSE(reports(l, "PX209"));
}

// --- PX210

TEST_CASE("auth none with an ACL is reported at the auth line with a dead deny noted",
          "[lint][acl]") {
    auto l = check_text(R"(auth none
allow * 10.0.0.0/8
deny *
socks -i127.0.0.1
)");
    auto d = with_code(l, "PX210");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 1);
    CHECK(contains(d[0].message, "(2 entries) is ignored"));
    REQUIRE(d[0].notes.size() == 1);
    CHECK(d[0].notes[0].span.line == 3);
}

TEST_CASE("none after strong in the auth list bypasses the ACL", "[lint][acl]") {
    auto l = check_text("users bob:CL:pw\nauth strong none\nallow bob\nsocks -i127.0.0.1\n");
    auto d = with_code(l, "PX210");
    REQUIRE(d.size() == 1);
    CHECK(contains(d[0].message, "'none' in 'auth strong none'"));
}

TEST_CASE("auth none with an empty ACL is not reported as ignoring it", "[lint][acl]") {
    auto l = check_text("auth none\nsocks -i127.0.0.1\n");
    CHECK_FALSE(reports(l, "PX210"));
}

// --- PX212

TEST_CASE("auth useronly is reported because it checks no password", "[lint][acl]") {
    auto l = check_text("auth useronly\nsocks -i127.0.0.1\nproxy -i127.0.0.1\n");
    auto d = with_code(l, "PX212");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 1);
    CHECK(contains(d[0].message, "without checking a password"));
}

TEST_CASE("auth strong is not useronly", "[lint][acl]") {
    auto l = check_text("users bob:CL:pw\nauth strong\nsocks -i127.0.0.1\n");
    CHECK_FALSE(reports(l, "PX212"));
}

// --- PX213

TEST_CASE("a *example.com target suggests example.com,*.example.com", "[lint][acl]") {
    auto l = check_text("allow * * 10.0.0.1,*example.com\nsocks -i127.0.0.1\n");
    auto d = with_code(l, "PX213");
    REQUIRE(d.size() == 1);
    CHECK(d[0].severity == proxycfg::Severity::info);
    CHECK(d[0].span.line == 1);
    CHECK(d[0].span.column == 20);
    CHECK(d[0].span.length == 12);
    CHECK(contains(d[0].message, "does not match example.com itself"));
    REQUIRE(d[0].fixits.size() == 1);
    CHECK(d[0].fixits[0].replacement == "example.com,*.example.com");
}

TEST_CASE("*.example.com and substring patterns are not suffix mistakes", "[lint][acl]") {
    auto l = check_text("allow * * *.example.com,*ampl*,www.*\nsocks -i127.0.0.1\n");
    CHECK_FALSE(reports(l, "PX213"));
}

// --- PX214

TEST_CASE("a CIDR with host bits set gets the network address as fix-it", "[lint][acl]") {
    auto l = check_text("allow * 10.1.2.3/8 192.168.1.1/24\nsocks -i127.0.0.1\n");
    auto d = with_code(l, "PX214");
    REQUIRE(d.size() == 2);
    CHECK(d[0].span.column == 9);
    CHECK(contains(d[0].message, "uses 10.0.0.0/8"));
    REQUIRE(d[0].fixits.size() == 1);
    CHECK(d[0].fixits[0].replacement == "10.0.0.0/8");
    CHECK(d[1].fixits.at(0).replacement == "192.168.1.0/24");
}

TEST_CASE("a CIDR at its network address is fine", "[lint][acl]") {
    auto l = check_text("allow * 10.0.0.0/8,192.0.2.7/32 2001:db8::/32\nsocks -i127.0.0.1\n");
    CHECK_FALSE(reports(l, "PX214"));
}

TEST_CASE("field forms are found on every kind of ACL line", "[lint][acl]") {
    // Lines whose entries a service holds are read again only when the resolver marked
    // them; lines without an entry are always read. Both must find the same.
    auto l = check_text(R"(allow * 10.1.2.3/8
socks -i127.0.0.1 -p1080
allow * * *example.com
proxy -i127.0.0.1 -p3128
allow * * 192.168.1.1/24 70000
redirect 127.0.0.1 8080 * 172.16.5.5/12
countin 1 D 100 * 10.9.9.9/8
socks -i127.0.0.1 -p1081
flush
allow * * *example.net
)");
    auto d214 = with_code(l, "PX214");
    REQUIRE(d214.size() == 4);
    CHECK(d214[0].span.line == 1);  // held by both services
    CHECK(d214[1].span.line == 5);  // refused for its port: no entry
    CHECK(d214[2].span.line == 6);  // redirect
    CHECK(d214[3].span.line == 7);  // counter
    auto d213 = with_code(l, "PX213");
    REQUIRE(d213.size() == 2);
    CHECK(d213[0].span.line == 3);   // held by the second and third services only
    CHECK(d213[1].span.line == 10);  // after the last service
}

// --- PX217

TEST_CASE("cache in an auth list keeps removed users working in 3proxy", "[lint][acl]") {
    auto l = check_text("users bob:CL:pw\nauth cache strong\nallow bob\nsocks -i127.0.0.1\n",
                        Dialect::threeproxy);
    auto d = with_code(l, "PX217");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 2);
    CHECK(contains(d[0].message, "keeps working"));
}

TEST_CASE("auth strong without cache keeps no removed users", "[lint][acl]") {
    auto l = check_text("users bob:CL:pw\nauth strong\nallow bob\nsocks -i127.0.0.1\n",
                        Dialect::threeproxy);
    CHECK_FALSE(reports(l, "PX217"));
}

TEST_CASE("an address in the USERS field is reported as a misplaced source", "[lint][acl]") {
    auto l = check_text("users bob:CL:pw\nauth strong\nallow 10.4.41.18\nsocks -i127.0.0.1\n");
    auto d = with_code(l, "PX202");
    REQUIRE(d.size() == 1);
    CHECK(contains(d[0].message, "the source address comes second (allow * 10.4.41.18)"));
    CHECK(d[0].fixits.empty());
}

TEST_CASE("ACL users are not checked when the users $file cannot be read", "[lint][acl]") {
    auto l = check_text("users $/nonexistent/passwd\nauth strong\nallow bob\nsocks -i127.0.0.1\n");
    CHECK_FALSE(reports(l, "PX202"));
}
