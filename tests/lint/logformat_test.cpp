// PX511: logformat fields the proxy does not expand.
#include <catch2/catch.hpp>

#include "check_text.hpp"
#include "proxycfg/log_fields.hpp"

using proxycfg::Dialect;
using testing::check_text;
using testing::only;
using testing::reports;

TEST_CASE("3proxy's %h in a logformat is a warning naming it and the supported fields",
          "[lint][logformat]") {
    auto l = check_text("logformat \"L%Y-%m-%d %H:%M:%S %h %U %C\"\nsocks -i127.0.0.1\n");
    auto d = only(l, "PX511");
    CHECK(d.span.line == 1);
    CHECK(d.span.column == 11);
    CHECK(d.severity == proxycfg::Severity::warning);
    CHECK_THAT(d.message, Catch::Contains("logformat field %h: proxyd does not expand it"));
    CHECK_THAT(d.message, Catch::Contains(proxycfg::proxyd_log_field_list()));
}

TEST_CASE("several unknown fields are named once each in one finding", "[lint][logformat]") {
    auto l = check_text("logformat \"%Q:%q %Q %1-3T\"\nsocks -i127.0.0.1\n");
    auto d = only(l, "PX511");
    CHECK_THAT(d.message, Catch::Contains("fields %Q, %q and %1-3T: proxyd does not expand them"));
}

TEST_CASE("a service's -f template is checked too", "[lint][logformat]") {
    auto l = check_text("socks -i127.0.0.1 -f%U_%h\n");
    auto d = only(l, "PX511");
    CHECK(d.span.line == 1);
    CHECK(d.span.column == 19);
}

TEST_CASE("every field proxyd expands, %% and the prefixes pass", "[lint][logformat]") {
    std::string format = "G-,+";
    for (const auto& f : proxycfg::proxyd_log_fields()) format += std::string("%") + f.letter + "_";
    format += "%%";
    auto l = check_text("logformat \"" + format + "\"\nsocks -i127.0.0.1\n");
    INFO(testing::summary(l));
    CHECK_FALSE(reports(l, "PX511"));
}

TEST_CASE("in the 3proxy dialect its own fields pass and unknown ones are an info",
          "[lint][logformat]") {
    auto ok =
        check_text("logformat \"L%Y %h %Q %q %o %1-3T\"\nsocks -i127.0.0.1\n", Dialect::threeproxy);
    INFO(testing::summary(ok));
    CHECK_FALSE(reports(ok, "PX511"));
    auto l = check_text("logformat \"L%Y %W\"\nsocks -i127.0.0.1\n", Dialect::threeproxy);
    auto d = only(l, "PX511");
    CHECK(d.severity == proxycfg::Severity::info);
    CHECK_THAT(d.message, Catch::Contains("%W"));
}
