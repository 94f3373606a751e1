// GitHub workflow-command annotations and their escaping (actions/toolkit's
// escapeData / escapeProperty).
#include <catch2/catch.hpp>

#include "format_fixture.hpp"

using proxycfg::OutputFormat;
using proxycfg::Severity;
using testing::FormatFixture;

TEST_CASE("format: github output is one workflow command per finding, by severity") {
    FormatFixture f("configs/p.cfg", "socks -p1080\nforce\n");
    f.add("PX001", Severity::error, "unknown directive", 1, 1, 5);
    f.add("PX101", Severity::warning, "force after the last service", 2, 1, 5);
    f.add("PX210", Severity::info, "plaintext password", 2, 3, 0);
    CHECK(f.render(OutputFormat::github) ==
          "::error file=configs/p.cfg,line=1,col=1,endColumn=6,title=PX001::unknown directive\n"
          "::warning file=configs/p.cfg,line=2,col=1,endColumn=6,title=PX101::force after the "
          "last service\n"
          "::notice file=configs/p.cfg,line=2,col=3,title=PX210::plaintext password\n");
}

TEST_CASE("format: github output escapes % CR LF in the message and also : , in properties") {
    FormatFixture f("dir,a:b%c.cfg", "x\n");
    f.add("PX001", Severity::error, "100% sure: a, b", 1, 1, 0);
    CHECK(f.render(OutputFormat::github) ==
          "::error file=dir%2Ca%3Ab%25c.cfg,line=1,col=1,title=PX001::100%25 sure: a, b\n");
}

TEST_CASE("format: github output puts notes and fix-its on further lines of the message") {
    FormatFixture f("p.cfg", "socks\nforce\n");
    auto& d = f.add("PX102", Severity::warning, "force below its service", 2, 1, 5);
    d.notes.push_back({{0, 1, 1, 5}, "the service"});
    d.fixits.push_back({{0, 1, 1, 0}, "force\n", "move it up"});
    CHECK(f.render(OutputFormat::github) ==
          "::warning file=p.cfg,line=2,col=1,endColumn=6,title=PX102::force below its "
          "service%0Anote: p.cfg:1:1: the service%0Afix-it: move it up\n");
}

TEST_CASE("format: github output cannot be broken by control bytes from the configuration") {
    FormatFixture f("p.cfg", "x\n");
    f.add("PX001", Severity::error, "bad 'a\r\n::error::injected\xff'", 1, 1, 0);
    std::string out = f.render(OutputFormat::github);
    CHECK(out ==
          "::error file=p.cfg,line=1,col=1,title=PX001::bad 'a\\x0d\\x0a::error::injected\\xff'\n");
}

TEST_CASE("format: github output of a file-level finding has no line") {
    FormatFixture f("gone.cfg", "");
    f.add("PX000", Severity::error, "cannot read", 0, 0, 0);
    CHECK(f.render(OutputFormat::github) == "::error file=gone.cfg,title=PX000::cannot read\n");
}
