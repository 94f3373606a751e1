// Folding a check's repeats as they are made gives what summarising all of them gives.
#include <catch2/catch.hpp>

#include <cstddef>
#include <random>
#include <string>
#include <vector>

#include "proxycfg/lint.hpp"
#include "repeats.hpp"

using namespace proxycfg;

namespace {

// Findings of a few kinds on random lines of two files, ties included, in random order.
Diagnostics random_findings(std::mt19937& rng, std::size_t n) {
    static const char* const codes[] = {"PX202", "PX204", "PX302"};
    Diagnostics out;
    for (std::size_t i = 0; i < n; ++i) {
        Diagnostic d;
        d.code = codes[rng() % 3];
        auto line = static_cast<std::uint32_t>(1 + rng() % 40);
        d.span = {static_cast<FileId>(rng() % 2), line, static_cast<std::uint32_t>(1 + rng() % 2),
                  5};
        // Two shapes per code: the name and number vary within a shape.
        d.message = (rng() % 2 ? "user 'u" : "port 'p") + std::to_string(rng() % 1000) +
                    "' on line " + std::to_string(line);
        out.push_back(std::move(d));
    }
    return out;
}

// What a writer prints of a finding, notes included.
std::vector<std::string> printed(const Diagnostics& diags) {
    std::vector<std::string> out;
    for (const auto& d : diags) {
        std::string s = d.code + " " + std::to_string(d.span.file) + ":" +
                        std::to_string(d.span.line) + ":" + std::to_string(d.span.column) + " " +
                        d.message;
        for (const auto& n : d.notes)
            s += " | " + std::to_string(n.span.line) + ":" + std::to_string(n.span.column) + " " +
                 n.message;
        out.push_back(s);
    }
    return out;
}

}  // namespace

TEST_CASE("repeats folded while a check runs come out as summarised afterwards",
          "[grammar][repeats]") {
    for (std::size_t keep : {1, 3, 10}) {
        for (unsigned seed = 1; seed <= 20; ++seed) {
            std::mt19937 rng(seed);
            Diagnostics all = random_findings(rng, 50 + seed * 97);
            INFO("keep " << keep << ", seed " << seed << ", " << all.size() << " findings");

            Diagnostics expected = all;
            sort_diagnostics(expected);
            summarise_repeats(expected, keep);

            // As a check reports: each finding appended, and changed (a note) before the
            // next one comes.
            RepeatFold fold(keep);
            Diagnostics made;
            std::size_t most = 0;
            for (auto& d : all) {
                fold.settle(made);
                made.push_back(d);
                made.back().notes.push_back({d.span, "made here"});
                most = std::max(most, made.size());
            }
            fold.finish(made);
            for (auto& d : expected)
                if (!d.notes.empty() && d.notes.front().message != "made here")
                    d.notes.insert(d.notes.begin(), {d.span, "made here"});
            for (auto& d : expected)
                if (d.notes.empty()) d.notes.push_back({d.span, "made here"});
            CHECK(made.size() <= 2 * 3 * 2 * 2 * (keep + 1) + 64);  // kinds x kept, then gaps
            CHECK(most <= 2 * made.size() + 64 + 1);
            sort_diagnostics(made);
            summarise_repeats(made, keep);
            CHECK(printed(made) == printed(expected));
        }
    }
}

TEST_CASE("a kind with no more than it keeps is left as it is", "[grammar][repeats]") {
    RepeatFold fold(2);
    Diagnostics made;
    for (std::uint32_t line : {9u, 3u, 5u}) {
        fold.settle(made);
        Diagnostic d;
        d.code = "PX203";
        d.span = {0, line, 1, 1};
        d.message = "user 'a' on line " + std::to_string(line);
        made.push_back(d);
    }
    fold.finish(made);
    REQUIRE(made.size() == 3);
    for (const auto& d : made) CHECK(d.repeats_folded == 0);
}
