// Folding findings that repeat one mistake (summarise_repeats in proxycfg/lint.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "proxycfg/diagnostic.hpp"

namespace proxycfg {

// What makes findings one kind, which summarise_repeats counts together: the file, the
// code, and the message with its particulars blanked (quoted names and numbers: user 'bob'
// on line 7 and user 'eve' on line 9 are the same finding).
using RepeatKind = std::tuple<FileId, std::string, std::string>;
RepeatKind repeat_kind(const Diagnostic& d);

// Folds one check's findings while it makes them, so a mistake repeated on thousands of
// lines does not hold thousands of findings in memory until summarise_repeats runs. Of
// each kind (file, code, message shape) it keeps the first `keep + 1` in output order
// (file, line, column, code, then the order they were made), which include every one
// summarise_repeats(keep) shows or points at, and counts the others in a kept one
// (Diagnostic::repeats_folded). Exact only if nothing removes findings in between: no
// suppression comments.
class RepeatFold {
  public:
    explicit RepeatFold(std::size_t keep) : keep_(keep + 1) {}

    // Folds the findings appended to `out` since the last call. A check may still change
    // the last one it made, so this runs before the next one is appended.
    void settle(Diagnostics& out);
    // After the check: folds the rest, closes the gaps and records the counts.
    void finish(Diagnostics& out);

  private:
    static constexpr std::uint32_t dropped = UINT32_MAX;
    struct Kind {
        std::vector<std::uint32_t> kept;  // indices into out
        std::size_t folded = 0;
    };
    std::size_t keep_;
    std::map<RepeatKind, std::uint32_t> ids_;
    std::vector<Kind> kinds_;
    std::vector<std::uint32_t> kind_of_;  // per finding in out: its kind, or dropped
    std::size_t settled_ = 0;             // findings of out already folded
    std::size_t holes_ = 0;               // dropped findings still in out

    void compact(Diagnostics& out);
};

}  // namespace proxycfg
