// The misplaced-force family: PX101-PX105.
#include <catch2/catch.hpp>

#include "check_text.hpp"

using testing::check_text;
using testing::only;
using testing::reports;
using testing::with_code;

namespace {

bool any_force_finding(const proxycfg::Loaded& loaded) {
    for (const char* code : {"PX101", "PX102", "PX103", "PX104", "PX105"})
        if (reports(loaded, code)) return true;
    return false;
}

}  // namespace

// --- PX101

TEST_CASE("force after the last service is reported at the force line") {
    auto l = check_text(R"(force
socks -p1080
users bob:CL:secret
force
)");
    auto d = only(l, "PX101");
    CHECK(d.span.line == 4);
    CHECK_THAT(d.message, Catch::Contains("after the last service line (line 2)"));
    REQUIRE(d.notes.size() == 1);
    CHECK(d.notes[0].span.line == 2);
    CHECK_FALSE(reports(l, "PX102"));
    CHECK_FALSE(reports(l, "PX104"));
}

TEST_CASE("force above the service is not reported as after the last service") {
    auto l = check_text(R"(force
socks -p1080
)");
    INFO(testing::summary(l));
    CHECK_FALSE(any_force_finding(l));
}

TEST_CASE("a toggle in a file without services is left alone, it may be an included fragment") {
    auto l = check_text(R"(users bob:CL:secret
noforce
)");
    INFO(testing::summary(l));
    CHECK_FALSE(any_force_finding(l));
}

// --- PX102

TEST_CASE("noforce right below the last service is reported as meant for that service") {
    auto l = check_text(R"(auth strong
socks -p1080
noforce
)");
    auto d = only(l, "PX102");
    CHECK(d.span.line == 3);
    CHECK_THAT(d.message, Catch::Contains("below the service 'socks:1080'"));
    CHECK_THAT(d.message, Catch::Contains("that service runs as force"));
    REQUIRE(d.notes.size() == 1);
    CHECK(d.notes[0].span.line == 2);
    CHECK(d.notes[0].message == "meant for this service?");
    REQUIRE(d.fixits.size() == 2);
    CHECK(d.fixits[0].span.line == 2);
    CHECK(d.fixits[0].span.column == 1);
    CHECK(d.fixits[0].span.length == 0);
    CHECK(d.fixits[0].replacement == "noforce\n");
    CHECK(d.fixits[1].span.line == 3);
    CHECK(d.fixits[1].span.column == 1);
    CHECK(d.fixits[1].span.length == 8);  // "noforce\n": the whole line goes
    CHECK(d.fixits[1].replacement.empty());
    CHECK_FALSE(reports(l, "PX101"));
}

TEST_CASE("a toggle below the last service with blank lines and comments between is PX102") {
    auto l = check_text(R"(socks -p1080

# re-check sessions on reload
force
)");
    auto d = only(l, "PX102");
    CHECK(d.span.line == 4);
    CHECK_THAT(d.message, Catch::Contains("is force anyway"));
    CHECK_FALSE(reports(l, "PX101"));
}

TEST_CASE("a toggle glued below a middle service that changes the flag is PX102") {
    auto l = check_text(R"(noforce
socks -p1080
force
proxy -p3128
)");
    auto d = only(l, "PX102");
    CHECK(d.span.line == 3);
    CHECK_THAT(d.message, Catch::Contains("changes the next service instead"));
    REQUIRE(d.notes.size() == 1);
    CHECK(d.notes[0].span.line == 2);
    REQUIRE(d.fixits.size() == 2);
    CHECK(d.fixits[0].replacement == "force\n");
    CHECK(d.fixits[0].span.line == 2);
    CHECK_FALSE(reports(l, "PX104"));
}

TEST_CASE("a toggle set apart from the service above by a blank line belongs to the next one") {
    auto l = check_text(R"(noforce
socks -p1080

force
proxy -p3128
)");
    INFO(testing::summary(l));
    CHECK_FALSE(any_force_finding(l));
}

TEST_CASE("a toggle with another directive between it and the service above is not PX102") {
    auto l = check_text(R"(noforce
socks -p1080
flush
force
proxy -p3128
)");
    INFO(testing::summary(l));
    CHECK_FALSE(any_force_finding(l));
}

TEST_CASE("a toggle glued below a service but followed by the next block's ACL opens that block") {
    auto l = check_text(R"(noforce
socks -i127.0.0.1 -p1080
force
flush
auth iponly
allow * 10.0.0.0/8
proxy -i127.0.0.1 -p3128
)");
    INFO(testing::summary(l));
    CHECK_FALSE(any_force_finding(l));
}

TEST_CASE("a toggle glued below a service and followed by its auth line opens the next block") {
    auto l = check_text(R"(noforce
socks -i127.0.0.1 -p1080
force
auth strong
users alice:CL:wonderland
proxy -i127.0.0.1 -p3128
)");
    INFO(testing::summary(l));
    CHECK_FALSE(reports(l, "PX102"));
}

TEST_CASE("a toggle glued below a service with only global lines before the next is still PX102") {
    auto l = check_text(R"(noforce
socks -i127.0.0.1 -p1080
force
users alice:CL:wonderland
proxy -i127.0.0.1 -p3128
)");
    auto d = only(l, "PX102");
    CHECK(d.span.line == 3);
    CHECK_THAT(d.message, Catch::Contains("changes the next service instead"));
}

TEST_CASE("a toggle below the last service that starts a block with no service is PX101") {
    auto l = check_text(R"(socks -i127.0.0.1 -p1080
noforce
flush
allow * 10.0.0.0/8
)");
    auto d = only(l, "PX101");
    CHECK(d.span.line == 2);
    CHECK_FALSE(reports(l, "PX102"));
}

// --- PX103

TEST_CASE("force with a service on its line is an error with a fix-it that splits the line") {
    auto l = check_text(R"(force socks -p3128
)");
    auto d = only(l, "PX103");
    CHECK(d.span.line == 1);
    CHECK(d.severity == proxycfg::Severity::error);
    CHECK_THAT(d.message, Catch::Contains("takes no arguments"));
    CHECK_THAT(d.message, Catch::Contains("Unknown command"));
    CHECK_THAT(d.message, Catch::Contains("no service is started"));
    REQUIRE(d.fixits.size() == 1);
    CHECK(d.fixits[0].span.line == 1);
    CHECK(d.fixits[0].span.column == 1);
    CHECK(d.fixits[0].span.length == 18);
    CHECK(d.fixits[0].replacement == "force\nsocks -p3128");
    CHECK_FALSE(reports(l, "PX002"));
}

TEST_CASE("noforce with arguments that are not a service gets a fix-it deleting them") {
    auto l = check_text(R"(noforce all
socks -p1080
)");
    auto d = only(l, "PX103");
    CHECK(d.span.line == 1);
    REQUIRE(d.fixits.size() == 1);
    CHECK(d.fixits[0].span.column == 8);
    CHECK(d.fixits[0].span.length == 4);
    CHECK(d.fixits[0].replacement.empty());
    CHECK_FALSE(reports(l, "PX002"));
}

TEST_CASE("force on its own line above the service is not PX103") {
    auto l = check_text(R"(force
socks -p3128
)");
    CHECK_FALSE(reports(l, "PX103"));
}

TEST_CASE("the service written after force counts as a service for the other force rules") {
    // Without it the noforce on line 1 would look like it comes after the last service.
    auto l = check_text(R"(socks -p1080
users bob:CL:secret
force proxy -p3128
)");
    INFO(testing::summary(l));
    CHECK(reports(l, "PX103", 3));
    CHECK_FALSE(reports(l, "PX101"));
    CHECK_FALSE(reports(l, "PX102"));
}

// --- PX104

TEST_CASE("force repeated with no service between is reported at the second one") {
    auto l = check_text(R"(force
force
socks -p1080
)");
    auto d = only(l, "PX104");
    CHECK(d.span.line == 2);
    CHECK_THAT(d.message, Catch::Contains("already force from line 1"));
    REQUIRE(d.notes.size() == 1);
    CHECK(d.notes[0].span.line == 1);
}

TEST_CASE("noforce that is already in effect is reported with a note at the one that set it") {
    auto l = check_text(R"(noforce
socks -p1080
users bob:CL:secret
noforce
proxy -p3128
)");
    auto d = only(l, "PX104");
    CHECK(d.span.line == 4);
    CHECK_THAT(d.message, Catch::Contains("already noforce from line 1"));
    REQUIRE(d.notes.size() == 1);
    CHECK(d.notes[0].span.line == 1);
}

TEST_CASE("a toggle overridden before any service uses it is reported as dead") {
    auto l = check_text(R"(force
noforce
socks -p1080
)");
    auto d = only(l, "PX104");
    CHECK(d.span.line == 1);
    CHECK_THAT(d.message, Catch::Contains("'noforce' on line 2 overrides it"));
    REQUIRE(d.notes.size() == 1);
    CHECK(d.notes[0].span.line == 2);
    CHECK(d.notes[0].message == "overridden here");
}

TEST_CASE("force between services in a file that never says noforce changes nothing") {
    auto l = check_text(R"(socks -p1080
users bob:CL:secret
force
proxy -p3128
)");
    auto d = only(l, "PX104");
    CHECK(d.span.line == 3);
    CHECK_THAT(d.message, Catch::Contains("initial value"));
}

TEST_CASE("a leading force is never reported as redundant") {
    auto l = check_text(R"(force
socks -p1080
)");
    CHECK_FALSE(reports(l, "PX104"));
}

TEST_CASE("a force toggle between two services that changes the flag is not redundant") {
    auto l = check_text(R"(noforce
socks -p1080
users bob:CL:secret
force
proxy -p3128
)");
    INFO(testing::summary(l));
    CHECK_FALSE(any_force_finding(l));
}

// --- PX105

TEST_CASE("services above the first toggle of a file ending in noforce flip on reload") {
    auto l = check_text(R"(socks -p1080
users bob:CL:secret
noforce
proxy -p3128
)");
    auto d = only(l, "PX105");
    CHECK(d.span.line == 1);
    CHECK_THAT(d.message, Catch::Contains("1 service line above the first force/noforce"));
    CHECK_THAT(d.message, Catch::Contains("after the first reload"));
    REQUIRE(d.notes.size() == 1);
    CHECK(d.notes[0].span.line == 3);
    REQUIRE(d.fixits.size() == 1);
    CHECK(d.fixits[0].span.line == 1);
    CHECK(d.fixits[0].span.length == 0);
    CHECK(d.fixits[0].replacement == "force\n");
}

TEST_CASE("carry-over is reported once, at the first service, when the file ends with force") {
    auto l = check_text(R"(socks -p1080
proxy -p3128
users bob:CL:secret
noforce
socks -p1081
users alice:CL:secret
force
proxy -p3129
)");
    auto d = only(l, "PX105");
    CHECK(d.span.line == 1);
    CHECK_THAT(d.message, Catch::Contains("2 service lines"));
    CHECK_THAT(d.message, Catch::Contains("this file uses noforce"));
    REQUIRE(d.notes.size() == 1);
    CHECK(d.notes[0].span.line == 4);
}

TEST_CASE("no carry-over finding with an explicit toggle above the first service") {
    auto l = check_text(R"(force
socks -p1080
users bob:CL:secret
noforce
proxy -p3128
)");
    CHECK_FALSE(reports(l, "PX105"));
}

TEST_CASE("no carry-over finding in a config that never says noforce") {
    auto l = check_text(R"(socks -p1080
proxy -p3128
)");
    INFO(testing::summary(l));
    CHECK_FALSE(any_force_finding(l));
}
