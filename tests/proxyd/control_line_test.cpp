// Reading one line of the control protocol: its nesting limit and large replies.
#include "proxycontrol/protocol.hpp"

#include <catch2/catch.hpp>

#include <string>

using nlohmann::json;

namespace {

// `levels` arrays, each inside the one before.
std::string nested(int levels) {
    return std::string(static_cast<std::size_t>(levels), '[') +
           std::string(static_cast<std::size_t>(levels), ']');
}

}  // namespace

TEST_CASE("a protocol line nests at most max_nesting containers around a value") {
    bool deep = true;
    json ok = control::parse_line(nested(control::max_nesting + 1), &deep);
    CHECK_FALSE(deep);
    CHECK(ok.is_array());
    json refused = control::parse_line(nested(control::max_nesting + 2), &deep);
    CHECK(deep);
    CHECK(refused.is_discarded());
    // In an object, as requests come.
    control::parse_line("{\"args\":" + nested(control::max_nesting + 1) + "}", &deep);
    CHECK(deep);
    control::parse_line("{\"args\":" + nested(control::max_nesting) + "}", &deep);
    CHECK_FALSE(deep);
}

TEST_CASE("brackets inside strings do not count as nesting") {
    bool deep = true;
    std::string brackets(40, '[');
    json j = control::parse_line(R"({"a":")" + brackets + R"("})", &deep);
    CHECK_FALSE(deep);
    CHECK(j["a"] == brackets);
    // An escaped quote does not end the string; an escaped backslash before a quote does.
    j = control::parse_line(R"({"a":"\")" + brackets + R"("})", &deep);
    CHECK_FALSE(deep);
    CHECK(j["a"] == "\"" + brackets);
    control::parse_line(R"({"a":"\\","b":)" + nested(30) + "}", &deep);
    CHECK(deep);
}

TEST_CASE("malformed lines are discarded without being called too deep") {
    bool deep = true;
    CHECK(control::parse_line("{\"command\":", &deep).is_discarded());
    CHECK_FALSE(deep);
    CHECK(control::parse_line("", &deep).is_discarded());
    CHECK_FALSE(deep);
    CHECK(control::parse_line("{}").is_object());
}

TEST_CASE("a reply listing many sessions is read whole") {
    json sessions = json::array();
    for (int i = 0; i < 20000; ++i)
        sessions.push_back({{"id", i}, {"user", "u" + std::to_string(i)}});
    json reply = control::ok_reply({{"sessions", sessions}});
    json back = control::parse_line(reply.dump());
    REQUIRE(back.is_object());
    REQUIRE(back["result"]["sessions"].size() == 20000);
    CHECK(back["result"]["sessions"][19999]["user"] == "u19999");
    CHECK(back == reply);
}
