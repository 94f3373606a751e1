// Applying fix-its to text and printing unified diffs (tools/proxyctl/fix_apply.hpp,
// unified_diff.hpp), without files on disk.
#include <catch2/catch.hpp>

#include "fix_apply.hpp"
#include "unified_diff.hpp"

using namespace proxycfg;
using proxyctl::apply_edits;
using proxyctl::apply_fixes;
using proxyctl::unified_diff;

namespace {

Diagnostic with_fixits(std::vector<FixIt> fixits, std::uint32_t line = 1) {
    Diagnostic d;
    d.code = "PX999";
    d.span = {0, line, 1, 1};
    d.fixits = std::move(fixits);
    return d;
}

}  // namespace

TEST_CASE("fix: inserting, replacing and deleting lines") {
    SourceManager sm;
    sm.add("a.cfg", "one\ntwo\nthree\n");
    Diagnostics diags{
        with_fixits({{{0, 1, 1, 0}, "zero\n", "insert"}}),
        with_fixits({{{0, 2, 1, 3}, "TWO", "replace"}}, 2),
        with_fixits({{{0, 3, 1, 6}, "", "delete the line"}}, 3),
    };
    auto r = apply_fixes(sm, diags, false);
    CHECK(r.applied.size() == 3);
    REQUIRE(r.texts.count(0) == 1);
    CHECK(r.texts.at(0) == "zero\none\nTWO\n");
}

TEST_CASE("fix: the fix-its of one finding go together; an overlapping finding waits") {
    SourceManager sm;
    sm.add("a.cfg", "socks\nforce\n");
    Diagnostics diags{
        with_fixits({{{0, 1, 1, 0}, "force\n", "move"}, {{0, 2, 1, 6}, "", "remove"}}),
        with_fixits({{{0, 2, 1, 5}, "noforce", "other"}}, 2),
    };
    auto r = apply_fixes(sm, diags, false);
    CHECK(r.applied.size() == 1);
    CHECK(r.overlapping.size() == 1);
    CHECK(r.texts.at(0) == "force\nsocks\n");
}

TEST_CASE("fix: two insertions at one place overlap, neighbours do not") {
    SourceManager sm;
    sm.add("a.cfg", "abc\n");
    Diagnostics diags{
        with_fixits({{{0, 1, 2, 0}, "X", "x"}}),
        with_fixits({{{0, 1, 2, 0}, "Y", "y"}}),
        with_fixits({{{0, 1, 3, 1}, "C", "c"}}),
    };
    auto r = apply_fixes(sm, diags, false);
    CHECK(r.applied.size() == 2);
    CHECK(r.overlapping.size() == 1);
    CHECK(r.texts.at(0) == "aXbC\n");
}

TEST_CASE("fix: unsafe fixes only when allowed") {
    SourceManager sm;
    sm.add("a.cfg", "allow alcie\n");
    Diagnostics diags{with_fixits({{{0, 1, 7, 5}, "alice", "user", true}})};
    auto safe = apply_fixes(sm, diags, false);
    CHECK(safe.texts.empty());
    CHECK(safe.unsafe.size() == 1);
    auto all = apply_fixes(sm, diags, true);
    CHECK(all.texts.at(0) == "allow alice\n");
}

TEST_CASE("fix: CRLF files get CRLF in inserted lines; the last line break stays") {
    SourceManager sm;
    sm.add("a.cfg", "socks\r\nforce\r\n");
    Diagnostics diags{
        with_fixits({{{0, 1, 1, 0}, "force\n", "move"}, {{0, 2, 1, 7}, "", "remove"}})};
    CHECK(apply_fixes(sm, diags, false).texts.at(0) == "force\r\nsocks\r\n");
    CHECK(apply_edits("a b\n", {{1, 2, ""}}) == "a\n");
    CHECK(apply_edits("a\nb\n", {{2, 2, ""}}) == "a\n");
    CHECK(apply_edits("a b", {{1, 2, ""}}) == "a");
    CHECK(apply_edits("x\n", {{1, 1, ""}}) == "x\n");
}

TEST_CASE("fix: several files, each its own text; unplaceable fix-its are left out") {
    SourceManager sm;
    sm.add("main.cfg", "include inc.cfg\n");
    sm.add("inc.cfg", "timeouts 1 2\n", SourceSpan{0, 1, 1, 7});
    Diagnostics diags{
        with_fixits({{{1, 1, 11, 2}, "", "remove"}}),
        with_fixits({{{0, 9, 1, 0}, "x", "past the end"}}),
        with_fixits({{{7, 1, 1, 0}, "x", "no such file"}}),
    };
    auto r = apply_fixes(sm, diags, false);
    CHECK(r.applied.size() == 1);
    CHECK(r.texts.count(0) == 0);
    CHECK(r.texts.at(1) == "timeouts 1\n");
}

TEST_CASE("diff: hunks with three lines of context, merged when close") {
    std::string before, after;
    for (int i = 1; i <= 20; ++i) {
        before += "line" + std::to_string(i) + "\n";
        after += (i == 5 ? "LINE5\n" : i == 8 ? "" : "line" + std::to_string(i) + "\n");
    }
    after += "line21\n";
    CHECK(unified_diff("a.cfg", before, after) ==
          "--- a/a.cfg\n+++ b/a.cfg\n"
          "@@ -2,10 +2,9 @@\n line2\n line3\n line4\n-line5\n+LINE5\n line6\n line7\n-line8\n"
          " line9\n line10\n line11\n"
          "@@ -18,3 +17,4 @@\n line18\n line19\n line20\n+line21\n");
    CHECK(unified_diff("a.cfg", before, before).empty());
}

TEST_CASE("diff: a missing last line break and an empty file") {
    CHECK(unified_diff("a.cfg", "a\nb", "a\nc\n") ==
          "--- a/a.cfg\n+++ b/a.cfg\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n");
    CHECK(unified_diff("a.cfg", "", "x\n") == "--- a/a.cfg\n+++ b/a.cfg\n@@ -0,0 +1 @@\n+x\n");
    CHECK(unified_diff("a.cfg", "x\n", "") == "--- a/a.cfg\n+++ b/a.cfg\n@@ -1 +0,0 @@\n-x\n");
}
